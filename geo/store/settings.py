"""Settings read from the environment (prefix ``PLANVIEW_``)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.store.embedded_pg import default_pg_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"


class DatabaseSettings(BaseSettings):
    """Where the database is; when ``database_url`` is unset the embedded cluster is used."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    database_url: str | None = None
    # a read replica for the GET routes (streaming replication of the primary); unset: the primary
    read_database_url: str | None = None
    db_dir: Path = REPO_ROOT / "var" / "pg"
    db_port: int = 55432
    db_name: str = "planview"
    # newest installed PostgreSQL with PostGIS 3 (Debian 12: /usr/lib/postgresql/15/bin)
    pg_bin: Path = Field(default_factory=default_pg_bin)
    # Time limits of the HTTP path's pool, in seconds: a database that is down gives a 503 in about
    # db_connect_timeout, a pool that stays busy gives one after pool_acquire_timeout, and no statement
    # runs past db_command_timeout.
    db_connect_timeout: float = 1.5
    pool_acquire_timeout: float = 5.0
    db_command_timeout: float = 60.0

    @property
    def embedded(self) -> bool:
        """True when planview runs its own PostgreSQL cluster."""
        return not self.database_url

    @property
    def url(self) -> str:
        """A libpq URL (``postgresql://…``) for asyncpg and psql."""
        if self.database_url:
            return self.database_url.replace("postgresql+psycopg://", "postgresql://")
        return f"postgresql://postgres@127.0.0.1:{self.db_port}/{self.db_name}"

    @property
    def read_url(self) -> str | None:
        """The read replica's libpq URL, or None when reads go to the primary."""
        if not self.read_database_url:
            return None
        return self.read_database_url.replace("postgresql+psycopg://", "postgresql://")

    @property
    def sqlalchemy_url(self) -> str:
        """The same URL for SQLAlchemy with the psycopg 3 driver."""
        url = self.url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache
def database_settings() -> DatabaseSettings:
    """The process-wide database settings."""
    return DatabaseSettings()
