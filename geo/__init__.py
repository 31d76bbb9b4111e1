"""Database side of planview: models, SQL, import, analysis. No HTTP here."""
