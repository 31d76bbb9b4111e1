"""Alembic's migrations and the models describe the same schema: autogenerate finds nothing to do."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, Text, create_engine, inspect

from alembic import command
from geo.store.models import Base, include_object
from geo.store.settings import REPO_ROOT, DatabaseSettings


def _drift(url: str, metadata: MetaData = Base.metadata, schemas: bool = False) -> list:
    engine = create_engine(DatabaseSettings(database_url=url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": include_object,
                    "include_schemas": schemas,
                },
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


@pytest.fixture
def migrated_url(empty_database_url) -> str:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", DatabaseSettings(database_url=empty_database_url).sqlalchemy_url)
    command.upgrade(config, "head")
    return empty_database_url


def test_a_freshly_migrated_database_matches_the_models(migrated_url):
    assert _drift(migrated_url) == []


def test_every_table_has_a_model(migrated_url):
    engine = create_engine(DatabaseSettings(database_url=migrated_url).sqlalchemy_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables - set(Base.metadata.tables) == {"alembic_version", "spatial_ref_sys"}


def test_the_loaded_database_differs_only_in_the_layers_schema(database_url):
    # The loader adds schema ``layers`` (a table per layer, views over zone/project): declared as
    # migration-owned, so with every schema compared there is still nothing to do. The loader also
    # notes where a custom catalog came from in the table's comment (map_sheet, and the cycle's
    # reporting_unit and task): data, not schema.
    diff = _drift(database_url, schemas=True)
    catalogs = {"map_sheet", "reporting_unit", "task"}
    assert [d for d in diff if d[0] != "remove_table_comment" or d[1].name not in catalogs] == []


def test_a_model_the_migrations_lack_is_drift(migrated_url):
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["project"].append_column(Column("invented", Text))
    diff = _drift(migrated_url, metadata)
    assert [(d[0], d[2], d[3].name) for d in diff] == [("add_column", "project", "invented")]
