"""The read path: features, tiles, catalog, search, "what is here", health (asyncpg, read only)."""
