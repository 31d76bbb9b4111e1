"""The ``planview`` command line: database, migrations, data loading, import and the server."""

from pathlib import Path
from typing import Annotated

import typer

from cli.bench import bench
from cli.common import CommandError, console, embedded_cluster, ensure_database
from cli.users import token_app, user_app
from geo.store import embedded_pg
from geo.store.settings import REPO_ROOT, database_settings

app = typer.Typer(help="planview: the Bắc Kạn provincial plan in PostGIS, served as OGC API and a map.")
db_app = typer.Typer(help="The embedded PostgreSQL + PostGIS cluster.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


@db_app.command("start")
def db_start() -> None:
    """Start the embedded cluster (idempotent)."""
    settings = database_settings()
    if not settings.embedded:
        raise CommandError("PLANVIEW_DATABASE_URL is set: planview uses that server and starts none")
    cluster = embedded_cluster()
    started = embedded_pg.start(cluster) if not embedded_pg.is_running(cluster) else False
    embedded_pg.ensure_database(cluster, settings.db_name)
    state = "started" if started else "already running"
    console.print(f"PostgreSQL {state} on 127.0.0.1:{cluster.port} (data in {cluster.data_dir})")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    stopped = embedded_pg.stop(embedded_cluster())
    console.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database answers; exit 1 when it does not."""
    settings = database_settings()
    if settings.embedded:
        cluster = embedded_cluster()
        running = embedded_pg.is_running(cluster)
        console.print(
            f"embedded cluster {'running' if running else 'stopped'}: 127.0.0.1:{cluster.port}, "
            f"data in {cluster.data_dir}"
        )
        if not running:
            raise typer.Exit(1)
    else:
        import psycopg

        try:
            with psycopg.connect(settings.url, connect_timeout=5):
                console.print(f"external database reachable: {settings.url}")
        except psycopg.OperationalError as exc:
            raise CommandError(f"external database not reachable: {exc}") from exc


@db_app.command("url")
def db_url() -> None:
    """Print the database URL to use (for psql, QGIS, tipg)."""
    print(database_settings().url)


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    downgrade: Annotated[bool, typer.Option(help="downgrade to REVISION instead")] = False,
) -> None:
    """Bring the schema to REVISION with Alembic."""
    from alembic.config import Config

    from alembic import command

    ensure_database()
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", database_settings().sqlalchemy_url)
    (command.downgrade if downgrade else command.upgrade)(config, revision)
    console.print(f"schema {'downgraded' if downgrade else 'upgraded'} to {revision}")


@app.command()
def load(
    sheets: Annotated[
        Path | None, typer.Option(help="CSV of the dossier's map sheets (default: the shipped catalog)")
    ] = None,
    units: Annotated[
        Path | None,
        typer.Option(
            help="CSV of the reporting units (columns as data/plan/reporting_units.csv); replaces them"
        ),
    ] = None,
    tasks: Annotated[
        Path | None,
        typer.Option(help="CSV of the plan's tasks (columns as data/plan/tasks.csv); replaces them"),
    ] = None,
) -> None:
    """Load the shipped Bắc Kạn dataset (idempotent: a second run changes nothing)."""
    from geo.ingest.cycle import replace_units_or_tasks
    from geo.ingest.load import LoadError, load_all
    from geo.plan.actor import LOAD_ACTOR
    from geo.store.database import make_engine

    ensure_database()
    engine = make_engine()
    try:
        if units is not None or tasks is not None:
            if sheets is not None:
                raise CommandError(
                    "--units/--tasks replace those lists only; give --sheets in a separate run"
                )
            summary = replace_units_or_tasks(engine, units, tasks)
        else:
            summary = load_all(engine, sheets_csv=sheets, console=console, actor=LOAD_ACTOR)
    except LoadError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        engine.dispose()
    for name, count in summary.items():
        if isinstance(count, dict):  # rows changed per table
            count = ", ".join(f"{table} {n}" for table, n in sorted(count.items())) or "none"
            console.print(f"  {name:<28} {count}")
        else:
            console.print(f"  {name:<28} {count:>6}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile (.shp/.zip) or File GDB")],
    sheet: Annotated[str | None, typer.Option(help="sheet id, e.g. P8")] = None,
    layer: Annotated[str | None, typer.Option(help="layer key, e.g. land_use_2030")] = None,
    crs: Annotated[str | None, typer.Option(help="CRS when the file has none, e.g. EPSG:9213")] = None,
    replace: Annotated[bool, typer.Option(help="replace the layer if it already has data")] = False,
    source_layer: Annotated[str | None, typer.Option(help="layer inside a multi-layer file")] = None,
    title: Annotated[str | None, typer.Option(help="layer title (Vietnamese)")] = None,
) -> None:
    """Import a vector file into a sheet layer, or a whole planning-database package (.gdb)."""
    from geo.ingest.importer import ImportError_, import_any
    from geo.plan.actor import IMPORT_ACTOR
    from geo.store.database import make_engine

    ensure_database()
    engine = make_engine()
    try:
        import_any(
            engine,
            file,
            sheet_id=sheet,
            layer_key=layer,
            crs=crs,
            replace=replace,
            source_layer=source_layer,
            title=title,
            console=console,
            actor=IMPORT_ACTOR,
        )
    except ImportError_ as exc:
        raise CommandError(str(exc)) from exc
    finally:
        engine.dispose()


@app.command()
def screen(
    project: Annotated[str | None, typer.Option(help="show one project's conflicts (e.g. PRJ-11)")] = None,
    force: Annotated[bool, typer.Option(help="recompute even when the stored results are current")] = False,
) -> None:
    """Load the conflict rules, screen every project and print the conflicts found."""
    from cli.screening import print_screening
    from geo.store.database import make_engine

    ensure_database()
    engine = make_engine()
    try:
        print_screening(engine, project=project, force=force, console=console)
    finally:
        engine.dispose()


def _print_census(title: str, manifest, expected=None) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    if expected is not None:
        table.add_column("in the backup", justify="right")
    table.add_row(
        "data version", str(manifest.data_version), *([str(expected.data_version)] if expected else [])
    )
    for name, count in manifest.counts.items():
        table.add_row(name, f"{count:,}", *([f"{expected.counts.get(name, 0):,}"] if expected else []))
    console.print(table)


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="where to write the dump (pg_dump custom format)")],
) -> None:
    """Back up the whole plan store (schema, layers, users, audit, SRIDs) to FILE and FILE.json."""
    from geo.store import backup as store

    url = ensure_database()
    try:
        manifest = store.backup(url, file, database_settings().pg_bin)
    except store.BackupError as exc:
        raise CommandError(str(exc)) from exc
    _print_census(f"{file}: {manifest.bytes / 1e6:.1f} MB in {manifest.seconds} s", manifest)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="a dump written by planview backup")],
    yes: Annotated[bool, typer.Option("--yes", help="replace the data the database holds now")] = False,
) -> None:
    """Restore FILE into the database (empty, or replacing its data with --yes), then check its counts."""
    from geo.store import backup as store

    url = ensure_database()
    if store.holds_data(url) and not yes:
        now = store.census(url)
        raise CommandError(
            f"the database holds planview data (data version {now.data_version}); restoring {file} "
            "replaces all of it: pass --yes to go on"
        )
    try:
        restored, expected = store.restore(url, file, database_settings().pg_bin)
    except store.BackupError as exc:
        raise CommandError(str(exc)) from exc
    title = f"restored {file} in {restored.seconds} s"
    title += ": counts and data version match the backup" if expected else " (no FILE.json to check against)"
    _print_census(title, restored, expected)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (PLANVIEW_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (PLANVIEW_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes (PLANVIEW_WORKERS)")] = None,
) -> None:
    """Serve the API and the map with uvicorn."""
    import uvicorn

    from api.settings import api_settings

    ensure_database()
    settings = api_settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    console.print(f"planview on http://{host}:{port}/  (API: /api, docs: /docs)")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # logging is planview's (api.logs, configured by the app factory in every worker): JSON lines
        # on stderr, one access line per request with its id; uvicorn's own access log stays off
        log_config=None,
        access_log=False,
    )


@app.command()
def up(
    port: Annotated[int | None, typer.Option(help="port (PLANVIEW_PORT)")] = None,
) -> None:
    """Start the database, migrate, load the shipped data and serve: the whole `make run`."""
    migrate("head", downgrade=False)
    load(None)
    serve(None, port, None)


@app.command("bench")
def bench_command(
    json_file: Annotated[
        Path | None, typer.Option("--json", help="write the report as JSON to this file")
    ] = None,
    parcels: Annotated[int, typer.Option(help="synthetic parcels to generate and import")] = 200_000,
    quick: Annotated[
        bool, typer.Option(help="few requests per case (a smoke run, not a measurement)")
    ] = False,
    anchor: Annotated[bool, typer.Option(help="install and measure tipg side by side")] = True,
    load: Annotated[
        bool, typer.Option("--load", help="50 readers + 5 writers, a replace import in the middle")
    ] = False,
    seconds: Annotated[float, typer.Option(help="how long the --load run lasts")] = 60,
    import_count: Annotated[
        int,
        typer.Option(
            "--import", help="only a replace import of this many synthetic parcels: time and peak memory"
        ),
    ] = 0,
    import_1m: Annotated[bool, typer.Option("--import-1m", help="the same as --import 1000000")] = False,
) -> None:
    """Benchmark the API against tipg on synthetic parcels and the screening; or the mixed --load."""
    if import_count or import_1m:
        import orjson

        from cli.bench_import import run_import_bench

        ensure_database()
        report = run_import_bench(import_count or 1_000_000, console)
        if json_file:
            json_file.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        return
    if not load:
        bench(json_file, parcels, quick, anchor)
        return
    import orjson

    from cli.bench_load import run_load

    report = run_load(parcels, seconds, console)
    if json_file:
        json_file.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    app()


@app.command("bench-cycle")
def bench_cycle_command(
    year: Annotated[
        list[int] | None, typer.Option(help="cycle year(s); default 2024 (districts) and 2025")
    ] = None,
    runs: Annotated[int, typer.Option(help="timed runs per case")] = 5,
) -> None:
    """Time the report board and consolidated XLSX/PDF, every unit of a year accepted (rolled back)."""
    from cli.bench_cycle import bench_cycle

    url = ensure_database()
    for result in bench_cycle(url, year or [2024, 2025], runs):
        console.print(f"cycle {result['year']}:")
        for name, value in result.items():
            console.print(f"  {name:<28} {value:>10}")
