"""Alembic migrations up to head and back down to base on a database with PostGIS only."""

from alembic.config import Config
from pyproj import Transformer
from sqlalchemy import create_engine, text

from alembic import command
from geo.store.settings import REPO_ROOT, DatabaseSettings

TABLES = {
    "admin_unit",
    "admin_crosswalk",
    "map_sheet",
    "sheet_layer",
    "land_use_code",
    "zone",
    "project",
    "project_status_event",
    "zone_status_event",
    "plan_target",
    "land_use_figure",
    "protected_area",
    "data_version",
}


def _config(url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", DatabaseSettings(database_url=url).sqlalchemy_url)
    return config


def _state(url: str) -> tuple[set[str], bool, bool, bool]:
    engine = create_engine(DatabaseSettings(database_url=url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            tables = set(
                conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            )
            srid = conn.execute(text("SELECT count(*) FROM spatial_ref_sys WHERE srid = 9213")).scalar_one()
            layers = conn.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = 'layers'")
            ).scalar_one()
            fold = conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'fold_vi'")).scalar_one()
    finally:
        engine.dispose()
    return tables, srid == 1, layers == 1, fold == 1


def test_upgrade_to_head_then_downgrade_to_base(empty_database_url):
    config = _config(empty_database_url)
    command.upgrade(config, "head")
    tables, srid, layers, fold = _state(empty_database_url)
    assert TABLES <= tables
    assert srid and layers and fold

    engine = create_engine(DatabaseSettings(database_url=empty_database_url).sqlalchemy_url)
    try:
        with engine.connect() as conn:
            # the Bắc Kạn zone transforms like pyproj: a known point of Bắc Kạn city
            x, y = conn.execute(
                text(
                    "SELECT ST_X(p), ST_Y(p) "
                    "FROM ST_Transform(ST_SetSRID(ST_Point(105.8348, 22.1470), 4326), 9213) p"
                )
            ).one()
            folded = conn.execute(text("SELECT fold_vi('Bắc Kạn Đồng')")).scalar_one()
    finally:
        engine.dispose()
    expected = Transformer.from_crs(4326, 9213, always_xy=True).transform(105.8348, 22.1470)
    assert abs(x - expected[0]) < 0.01 and abs(y - expected[1]) < 0.01
    assert folded == "bac kan dong"

    command.downgrade(config, "base")
    tables, srid, layers, fold = _state(empty_database_url)
    assert not (TABLES & tables)
    assert not srid and not layers and not fold
