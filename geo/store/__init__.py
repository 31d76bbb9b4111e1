"""The plan store: settings, engine and pool, models, the embedded cluster, layer tables, data versions."""
