"""Engine and pool lifecycle only: no queries live here."""

import asyncpg
import orjson
from sqlalchemy import Engine, create_engine

from geo.store.settings import DatabaseSettings, database_settings


def make_engine(settings: DatabaseSettings | None = None) -> Engine:
    """A synchronous SQLAlchemy engine (migrations, loading, importing, edits from the CLI)."""
    settings = settings or database_settings()
    return create_engine(settings.sqlalchemy_url, pool_pre_ping=True, future=True)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # json/jsonb decoded with orjson: the read path never round-trips through the stdlib json.
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def create_pool(
    settings: DatabaseSettings | None = None, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool:
    """An asyncpg pool for the HTTP read path."""
    settings = settings or database_settings()
    return await asyncpg.create_pool(
        settings.url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        max_inactive_connection_lifetime=300,
    )
