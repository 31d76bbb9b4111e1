"""Alembic environment: the URL comes from planview's settings (or the caller's config)."""

from sqlalchemy import create_engine

from alembic import context
from geo.store.models import Base
from geo.store.settings import database_settings

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS's own tables and the per-layer tables in the "layers" schema are not ours to diff.
    if type_ == "table" and (name == "spatial_ref_sys" or getattr(obj, "schema", None) == "layers"):
        return False
    return True


def run_migrations_online() -> None:
    """Run migrations against the configured database."""
    url = config.get_main_option("sqlalchemy.url") or database_settings().sqlalchemy_url
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, include_object=_include_object
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
