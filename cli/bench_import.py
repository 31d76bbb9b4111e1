"""``planview bench --import N``: a replace import of N synthetic parcels, its time and peak memory.

The N parcels (default 1,000,000) are generated once, deterministically (the bench's seed), as a
GeoPackage in VN-2000 / TM-3 106-30 and cached under ``var/bench/``; every row says it is synthetic
bench data, and the layer is marked ``is_synthetic``. The import runs in a child process (our
importer, ``--replace``) on its own database ``planview_bench_import``; the child's peak resident
memory comes from ``wait4``'s rusage, and the load average is printed with it (the CPU is shared).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
from rich.console import Console

from cli.bench import LAYER_KEY, SEED, build_parcel_file, prepare_database
from geo.store.settings import REPO_ROOT, DatabaseSettings

IMPORT_DB = "planview_bench_import"
CACHE = REPO_ROOT / "var" / "bench"

# What the child runs: only ``geo.ingest.importer.import_any``, so the same script measures any
# checkout (PYTHONPATH=<other tree>) for a before/after comparison.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from geo.ingest.importer import import_any
from geo.store.database import make_engine
from geo.store.settings import DatabaseSettings
engine = make_engine(DatabaseSettings(database_url=sys.argv[1]))
started = time.perf_counter()
result = import_any(engine, Path(sys.argv[2]), sheet_id="P8", layer_key=sys.argv[3], replace=True,
                    title="Thửa đất tổng hợp (benchmark, không phải số liệu thật)", is_synthetic=True)
layer = result.layers[0]
print(json.dumps({"features": layer.feature_count, "seconds": time.perf_counter() - started,
                  "read_s": layer.read_seconds, "write_s": layer.write_seconds,
                  "steps": getattr(result, "steps", None)}))
"""


def parcel_file(engine, count: int, console: Console) -> Path:
    """The cached GeoPackage of ``count`` synthetic parcels, generated on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"synthetic_parcels_{count}_seed{SEED}.gpkg"
    if path.exists():
        console.print(f"using the cached {path.relative_to(REPO_ROOT)} ({path.stat().st_size / 1e6:.0f} MB)")
        return path
    folder = CACHE / f"building-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    built = build_parcel_file(engine, count, folder, console)
    os.replace(built, path)
    folder.rmdir()
    return path


def _watch_peak(pid: int, peak_kb: list[int]) -> None:
    """Keep the child's VmHWM (peak resident set, kB) from /proc until it exits."""
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            text = status.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak_kb[0] = max(peak_kb[0], int(line.split()[1]))
        if "State:\tZ" in text:
            return
        time.sleep(0.2)


def run_child(url: str, path: Path, env: dict | None = None) -> dict:
    """Import ``path`` with ``--replace`` in a child process; its report plus peak RSS and wall time."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path), LAYER_KEY],
        stdout=subprocess.PIPE,
        env=env or os.environ.copy(),
        cwd=REPO_ROOT,
    )
    peak_kb = [0]
    watcher = threading.Thread(target=_watch_peak, args=(child.pid, peak_kb), daemon=True)
    watcher.start()
    output = child.stdout.read()
    watcher.join(timeout=2)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"the import child exited with {child.returncode}")
    report = orjson.loads(output.strip().splitlines()[-1])
    # /proc's high-water mark of the child's own program: rusage's ru_maxrss also keeps what the
    # child held before its exec, i.e. this parent's pages (2.7 GB right after generating 1M parcels)
    peak_mb = round((peak_kb[0] or usage.ru_maxrss) / 1024)
    report.update(wall_s=round(wall, 1), peak_rss_mb=peak_mb, load_avg=os.getloadavg())
    report["features_per_s"] = round(report["features"] / wall)
    return report


def run_import_bench(count: int, console: Console) -> dict:
    """Prepare the database and the file, run one replace import in a child, print and return the figures."""
    from geo.ingest.load import load_all
    from geo.store.database import make_engine

    url = prepare_database(console, IMPORT_DB)
    engine = make_engine(DatabaseSettings(database_url=url))
    try:
        load_all(engine)
        path = parcel_file(engine, count, console)
    finally:
        engine.dispose()
    before = os.getloadavg()
    console.print(f"importing {count:,} parcels (--replace) in a child process; load average {before[0]:.2f}")
    report = run_child(url, path)
    report["load_avg_before"] = before
    report["cpus"] = os.cpu_count()
    console.print(
        f"import of {report['features']:,} parcels: {report['wall_s']} s wall "
        f"({report['features_per_s']:,} features/s), peak RSS {report['peak_rss_mb']:,} MB; "
        f"load average {before[0]:.2f} before, {report['load_avg'][0]:.2f} after on {os.cpu_count()} CPUs"
    )
    if report.get("steps"):
        console.print("  steps (s): " + ", ".join(f"{k} {v:.1f}" for k, v in report["steps"].items()))
    return report
