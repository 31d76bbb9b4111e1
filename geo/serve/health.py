"""Database health: versions of PostgreSQL and PostGIS, and the data version."""

import asyncpg


async def health(conn: asyncpg.Connection) -> dict:
    """PostgreSQL and PostGIS versions, the data version and when it last changed."""
    row = await conn.fetchrow(
        """
        SELECT current_setting('server_version') AS postgres,
               postgis_lib_version() AS postgis,
               d.version AS data_version, d.changed_at, d.note
        FROM data_version d WHERE d.id = 1
        """
    )
    return {
        "postgres": row["postgres"],
        "postgis": row["postgis"],
        "data_version": row["data_version"],
        "data_changed_at": row["changed_at"].isoformat() if row["changed_at"] else None,
        "data_note": row["note"],
    }
