"""Backup and restore of the whole plan store (pg_dump custom format), with a manifest to check against.

A backup is two files: ``FILE`` (``pg_dump -Fc`` of the database: schema, layers, users, audit, the
VN-2000 SRID rows of spatial_ref_sys) and ``FILE.json``, the data version and the row count of every
table, counted in the very snapshot pg_dump dumps. A restore checks the restored database against it.
"""

import json
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

# Our own SRIDs (VN-2000 TM-3 zones, inserted by migration 0001); pg_dump keeps them because PostGIS
# marks spatial_ref_sys rows outside the EPSG range it ships as user data.
PLANVIEW_SRIDS = (9205, 9218)
_TABLES_SQL = """
SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('public', 'layers') AND c.relname <> 'spatial_ref_sys'
ORDER BY 1
"""


class BackupError(RuntimeError):
    """pg_dump/pg_restore failed, or the restored database does not match its manifest."""


@dataclass
class Manifest:
    """What a backup holds: the data version and every table's row count, at the dump's snapshot."""

    data_version: int | None
    counts: dict[str, int]
    created_at: str = ""
    seconds: float = 0.0
    bytes: int = 0
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        """The manifest as pretty JSON."""
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _census(conn: psycopg.Connection) -> tuple[int | None, dict[str, int]]:
    """The data version and the exact row count of every table (and of our SRID rows)."""
    counts = {}
    for (table,) in conn.execute(_TABLES_SQL).fetchall():
        counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    low, high = PLANVIEW_SRIDS
    counts[f"spatial_ref_sys (SRIDs {low}–{high})"] = conn.execute(
        "SELECT count(*) FROM spatial_ref_sys WHERE srid BETWEEN %s AND %s", PLANVIEW_SRIDS
    ).fetchone()[0]
    version = None
    if "public.data_version" in counts:
        row = conn.execute("SELECT version FROM data_version WHERE id = 1").fetchone()
        version = row[0] if row else None
    return version, counts


def census(url: str) -> Manifest:
    """The data version and row counts of a database as it is now."""
    with psycopg.connect(_libpq(url)) as conn:
        version, counts = _census(conn)
    return Manifest(version, counts)


def holds_data(url: str) -> bool:
    """True when the database has planview tables (a restore would replace them)."""
    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute("SELECT to_regclass('public.data_version') IS NOT NULL").fetchone()[0]


def backup(url: str, file: Path, pg_bin: Path) -> Manifest:
    """Dump the whole database to ``file`` (custom format) and its manifest to ``file.json``."""
    started = time.perf_counter()
    file = Path(file)
    with psycopg.connect(_libpq(url)) as conn:
        # one snapshot for the census and for pg_dump: the counts are those of the dump
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        version, counts = _census(conn)
        dump = subprocess.run(
            [str(pg_bin / "pg_dump"), "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(file)]
            + ["--dbname", _libpq(url)],
            capture_output=True,
            text=True,
        )
        conn.execute("COMMIT")
    if dump.returncode != 0:
        raise BackupError(f"pg_dump failed: {dump.stderr.strip()}")
    manifest = Manifest(
        version,
        counts,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 2),
        bytes=file.stat().st_size,
    )
    Path(f"{file}.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def restore(url: str, file: Path, pg_bin: Path) -> tuple[Manifest, Manifest | None]:
    """Restore ``file`` into the database (replacing what is there) in one transaction.

    Returns the restored database's census and the backup's manifest (None when ``file.json`` is
    missing); raises BackupError when they differ.
    """
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    started = time.perf_counter()
    done = subprocess.run(
        [str(pg_bin / "pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        + ["--exit-on-error", "--dbname", _libpq(url), str(file)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was changed): {done.stderr.strip()}")
    restored = census(url)
    restored.seconds = round(time.perf_counter() - started, 2)
    manifest_file = Path(f"{file}.json")
    if not manifest_file.is_file():
        return restored, None
    expected = Manifest(**json.loads(manifest_file.read_text(encoding="utf-8")))
    differing = [
        f"{t}: {expected.counts.get(t)} in the backup, {restored.counts.get(t)} restored"
        for t in sorted(set(expected.counts) | set(restored.counts))
        if expected.counts.get(t) != restored.counts.get(t)
    ]
    if expected.data_version != restored.data_version:
        differing.insert(
            0, f"data version {expected.data_version} in the backup, {restored.data_version} restored"
        )
    if differing:
        raise BackupError("the restored database does not match the backup: " + "; ".join(differing))
    return restored, expected
