"""HTTP side of planview: settings, app factory, routers. No SQL here."""
