"""Session-wide fixtures: one throwaway PostGIS cluster, a template database with the shipped data."""

import os
import random
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from geo.store import embedded_pg
from geo.store.settings import DatabaseSettings, database_settings
from tests.servers import free_port

TEMPLATE_DB = "planview_template"
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[embedded_pg.Cluster]:
    """A PostgreSQL + PostGIS cluster of our own, started for this test session only."""
    workdir = Path(tempfile.mkdtemp(prefix="planview-test-", dir="/tmp"))
    cluster = embedded_pg.Cluster(data_dir=workdir / "data", port=free_port())
    embedded_pg.start(cluster, fast=True)
    try:
        yield cluster
    finally:
        embedded_pg.stop(cluster)
        shutil.rmtree(workdir, ignore_errors=True)


def create_database(cluster: embedded_pg.Cluster, template: str = "template1") -> str:
    """A new database cloned from ``template``; returns its name."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop_database(cluster: embedded_pg.Cluster, name: str) -> None:
    """Drop a test database, closing whatever still holds it."""
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def use_database(url: str) -> None:
    """Point planview's settings at ``url`` (settings are cached per process)."""
    os.environ["PLANVIEW_DATABASE_URL"] = url
    database_settings.cache_clear()


def migrate_to_head(url: str) -> None:
    """Run Alembic's upgrade to head on ``url``."""
    from alembic.config import Config

    from alembic import command
    from geo.store.settings import REPO_ROOT

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", DatabaseSettings(database_url=url).sqlalchemy_url)
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def template_database(pg_cluster) -> str:
    """A database migrated to head with the shipped Bắc Kạn data loaded, used as a template."""
    from geo.ingest.load import load_all
    from geo.store.database import make_engine

    url = pg_cluster.url(TEMPLATE_DB)
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE template1')
    migrate_to_head(url)
    engine = make_engine(DatabaseSettings(database_url=url))
    load_all(engine)
    engine.dispose()
    return TEMPLATE_DB


@contextmanager
def database_copy(cluster: embedded_pg.Cluster, template: str) -> Iterator[str]:
    """A fresh copy of ``template``, set as PLANVIEW_DATABASE_URL while it lasts; dropped afterwards."""
    name = create_database(cluster, template)
    url = cluster.url(name)
    previous = os.environ.get("PLANVIEW_DATABASE_URL")
    use_database(url)
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("PLANVIEW_DATABASE_URL", None)
        else:
            os.environ["PLANVIEW_DATABASE_URL"] = previous
        database_settings.cache_clear()
        drop_database(cluster, name)


@pytest.fixture(scope="module")
def database_url(pg_cluster, template_database) -> Iterator[str]:
    """A fresh copy of the loaded database for one test module, set as PLANVIEW_DATABASE_URL."""
    with database_copy(pg_cluster, template_database) as url:
        yield url


@pytest.fixture
def own_database_url(pg_cluster, template_database) -> Iterator[str]:
    """A fresh copy of the loaded database for one test (tests that change shared data: no test sees
    another's changes, whatever the order they run in), set as PLANVIEW_DATABASE_URL."""
    with database_copy(pg_cluster, template_database) as url:
        yield url


@pytest.fixture(scope="module")
def engine(database_url) -> Iterator[Engine]:
    """A SQLAlchemy engine on the module's database."""
    from geo.store.database import make_engine

    engine = make_engine(DatabaseSettings(database_url=database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def empty_database_url(pg_cluster) -> Iterator[str]:
    """A database with PostGIS only (no schema), for migration tests."""
    name = create_database(pg_cluster)
    yield pg_cluster.url(name)
    drop_database(pg_cluster, name)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave artefacts a person may look at (screenshots, reports)."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


def pytest_addoption(parser) -> None:
    """``--order=reverse|shuffle`` runs the tests in another order, to find tests that lean on others."""
    group = parser.getgroup("planview")
    group.addoption(
        "--order",
        choices=("file", "reverse", "shuffle"),
        default="file",
        help="file order (default), reversed, or shuffled (modules and the tests in each; --order-seed)",
    )
    group.addoption("--order-seed", type=int, default=None, help="seed of --order=shuffle (default: random)")


def pytest_configure(config) -> None:
    """Quiet app logs (warnings and errors only; tests that read the access log ask for INFO, and
    servers in their own process keep their log to themselves, tests/servers.py); the shuffle's seed."""
    os.environ.setdefault("PLANVIEW_LOG_LEVEL", "WARNING")
    if config.getoption("order") == "shuffle" and config.getoption("order_seed") is None:
        config.option.order_seed = random.randrange(1_000_000)


def pytest_report_header(config) -> str | None:
    """Say which order the tests run in."""
    order = config.getoption("order")
    if order == "shuffle":
        return f"test order: shuffle, --order-seed={config.getoption('order_seed')}"
    return None if order == "file" else f"test order: {order}"


def pytest_collection_modifyitems(config, items) -> None:
    """Reverse or shuffle the collected tests; a module's tests stay together (one module database)."""
    order = config.getoption("order")
    if order == "file":
        return
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    groups = list(modules.values())
    if order == "reverse":
        groups = [group[::-1] for group in groups[::-1]]
    else:
        shuffler = random.Random(config.getoption("order_seed"))
        shuffler.shuffle(groups)
        for group in groups:
            shuffler.shuffle(group)
    items[:] = [item for group in groups for item in group]
