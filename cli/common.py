"""What every command shares: the console, the command error, the embedded cluster."""

import typer
from rich.console import Console

from geo.store import embedded_pg
from geo.store.settings import database_settings

console = Console(stderr=True)


class CommandError(typer.Exit):
    """Print a message in red and exit with status 1."""

    def __init__(self, message: str, code: int = 1):
        console.print(f"[bold red]error:[/] {message}")
        super().__init__(code)


def embedded_cluster() -> embedded_pg.Cluster:
    """The project-local cluster described by the settings."""
    settings = database_settings()
    return embedded_pg.Cluster(
        data_dir=embedded_pg.resolve_data_dir(settings.db_dir), port=settings.db_port, pg_bin=settings.pg_bin
    )


def ensure_database() -> str:
    """Start the embedded cluster when it is in use; return the database URL."""
    settings = database_settings()
    if settings.embedded:
        cluster = embedded_cluster()
        try:
            embedded_pg.start(cluster)
            embedded_pg.ensure_database(cluster, settings.db_name)
        except embedded_pg.EmbeddedDatabaseError as exc:
            raise CommandError(str(exc)) from exc
    return settings.url
