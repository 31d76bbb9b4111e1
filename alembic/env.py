"""Alembic environment: the URL comes from planview's settings (or the caller's config)."""

from sqlalchemy import create_engine

from alembic import context
from geo.store.models import Base, include_object
from geo.store.settings import database_settings

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations against the configured database."""
    url = config.get_main_option("sqlalchemy.url") or database_settings().sqlalchemy_url
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
