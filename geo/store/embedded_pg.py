"""A project-local PostgreSQL + PostGIS 3 cluster (Debian packages), run as ``postgres`` when root."""

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

PG_ROOT = Path("/usr/lib/postgresql")


def default_pg_bin() -> Path:
    """The bin dir of the newest installed PostgreSQL that has PostGIS 3 (Debian 12: 15)."""
    versions = sorted(
        (d for d in PG_ROOT.glob("*") if (d / "lib" / "postgis-3.so").exists() and d.name.isdigit()),
        key=lambda d: int(d.name),
    )
    return (versions[-1] if versions else PG_ROOT / "15") / "bin"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded cluster could not be set up or started."""


@dataclass(frozen=True)
class Cluster:
    """A cluster's data directory, port and binaries."""

    data_dir: Path
    port: int
    pg_bin: Path = field(default_factory=default_pg_bin)

    @property
    def log_file(self) -> Path:
        """Server log, beside the data directory."""
        return self.data_dir.parent / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        """libpq URL of a database in this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"


def _as_postgres(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    # PostgreSQL refuses to run as root, so drop to the postgres user.
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def _postgres_can_reach(path: Path) -> bool:
    if os.geteuid() != 0:
        return True
    probe = _as_postgres(["test", "-x", str(path)])
    return probe.returncode == 0


def resolve_data_dir(wanted: Path) -> Path:
    """The data dir to use: ``wanted``, or a /var/tmp twin when postgres cannot reach it."""
    wanted.parent.mkdir(parents=True, exist_ok=True)
    if _postgres_can_reach(wanted.parent):
        return wanted
    digest = hashlib.sha1(str(wanted).encode()).hexdigest()[:10]
    return Path("/var/tmp") / f"planview-pg-{digest}" / wanted.name


def _process_alive(pid: int) -> bool:
    # A killed postmaster stays a zombie where PID 1 does not reap (containers, micro-VMs); kill(pid, 0)
    # and so pg_ctl still see it, but it is dead.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _lock_file(cluster: Cluster) -> tuple[int, int | None] | None:
    """The postmaster pid and shared-memory id named by ``postmaster.pid``; None without one."""
    try:
        lines = (cluster.data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    shmid = int(lines[6].split()[1]) if len(lines) > 6 and len(lines[6].split()) == 2 else None
    return int(lines[0]), shmid


def _shared_memory_in_use(shmid: int | None) -> bool:
    # PostgreSQL's own test for a crashed cluster's backends: still attached to its SysV segment.
    if shmid is None:
        return False
    try:
        rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return True  # cannot tell: let PostgreSQL decide
    for row in rows:
        fields = row.split()
        if int(fields[1]) == shmid:
            return int(fields[6]) > 0
    return False


def is_running(cluster: Cluster) -> bool:
    """True when the cluster's postmaster answers."""
    lock = _lock_file(cluster)
    if lock is None or not _process_alive(lock[0]):
        return False
    return (
        _as_postgres([str(cluster.pg_bin / "pg_ctl"), "-D", str(cluster.data_dir), "status"]).returncode == 0
    )


def _clear_stale_lock(cluster: Cluster) -> None:
    """Remove the lock file of a postmaster that died (kill -9, crash) once none of its backends is left."""
    lock = _lock_file(cluster)
    if lock is None or _process_alive(lock[0]):
        return
    if _shared_memory_in_use(lock[1]):
        raise EmbeddedDatabaseError(
            f"the crashed postmaster's backends (PID {lock[0]}) are still running; try again in a moment"
        )
    (cluster.data_dir / "postmaster.pid").unlink(missing_ok=True)


def initdb(cluster: Cluster) -> None:
    """Create the cluster (trust auth on 127.0.0.1 only, UTF-8)."""
    if (
        not (cluster.pg_bin / "initdb").exists()
        or not (cluster.pg_bin.parent / "lib" / "postgis-3.so").exists()
    ):
        raise EmbeddedDatabaseError(
            f"PostgreSQL with PostGIS 3 is not installed in {cluster.pg_bin.parent}: run "
            "'apt-get install -y postgresql-15-postgis-3' (or your release's postgresql-NN-postgis-3; "
            "make run does this)"
        )
    cluster.data_dir.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(cluster.data_dir.parent, "postgres", "postgres")
    done = _as_postgres(
        [
            str(cluster.pg_bin / "initdb"),
            "-D",
            str(cluster.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    if done.returncode != 0:
        raise EmbeddedDatabaseError(f"initdb failed: {done.stderr.strip()}")


def start(cluster: Cluster, fast: bool = False) -> bool:
    """Start the cluster (creating it first if needed); False when it was already running."""
    if is_running(cluster):
        return False
    if not (cluster.data_dir / "PG_VERSION").exists():
        initdb(cluster)
    _clear_stale_lock(cluster)
    options = f"-p {cluster.port} -k /tmp -c listen_addresses=127.0.0.1"
    if fast:
        # throwaway test clusters: durability buys nothing there
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    done = _as_postgres(
        [
            str(cluster.pg_bin / "pg_ctl"),
            "-D",
            str(cluster.data_dir),
            "-l",
            str(cluster.log_file),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        ]
    )
    if done.returncode != 0:
        tail = cluster.log_file.read_text(errors="replace")[-2000:] if cluster.log_file.exists() else ""
        raise EmbeddedDatabaseError(
            f"could not start PostgreSQL on port {cluster.port}: {done.stderr.strip()}\n{tail}"
        )
    _wait_ready(cluster)
    with psycopg.connect(cluster.url("template1"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return True


def _wait_ready(cluster: Cluster, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(cluster.url(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(cluster: Cluster) -> bool:
    """Stop the cluster; False when it was not running."""
    if not is_running(cluster):
        return False
    _as_postgres([str(cluster.pg_bin / "pg_ctl"), "-D", str(cluster.data_dir), "-m", "fast", "-w", "stop"])
    return True


def ensure_database(cluster: Cluster, dbname: str) -> None:
    """Create ``dbname`` (with PostGIS, from template1) unless it exists."""
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE template1')
