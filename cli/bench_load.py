"""``planview bench --load``: 50 readers and 5 writers for a bounded time, a replace import in the middle.

Prints req/s and p50/p95/p99 per kind, the errors, the readers' p95 while the import ran, and checks
afterwards that every acknowledged write is in the history exactly once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cli.bench import LAYER_KEY, SEED, Server, _percentile, tiles_for

READERS = 50
WRITERS = 5
SEARCHES = ("cho moi", "Bắc Kạn", "Ba Bể", "Na Rì", "khu công nghiệp", "PRJ-0", "Thanh Bình", "hồ")
STATUSES = ("planned", "preparation", "site_clearance", "under_construction")


@dataclass
class Samples:
    """Latencies (ms) with the monotonic time each request ended, and the errors, of one kind."""

    done: list[tuple[float, float]] = field(default_factory=list)
    errors: int = 0

    def summary(self, seconds: float, window: tuple[float, float] | None = None) -> dict:
        """req/s, p50/p95/p99 (ms) and errors, over the run or only over ``window``."""
        values = sorted(ms for end, ms in self.done if window is None or window[0] <= end <= window[1])
        span = seconds if window is None else max(window[1] - window[0], 1e-9)
        return {
            "requests": len(values),
            "req_s": round(len(values) / span, 1),
            "p50_ms": round(_percentile(values, 50), 1),
            "p95_ms": round(_percentile(values, 95), 1),
            "p99_ms": round(_percentile(values, 99), 1),
            "errors": self.errors,
        }


def _reader_urls(engine, rng: random.Random) -> dict[str, list[str]]:
    from cli.bench import random_bboxes

    bboxes = random_bboxes(engine, 300, 100, SEED + 100)
    tiles = [t for z in (10, 11, 12) for t in tiles_for(engine, z, 100, SEED + z)]
    points = [(rng.uniform(105.55, 106.2), rng.uniform(21.9, 22.7)) for _ in range(300)]
    return {
        "items": [
            f"/api/collections/{LAYER_KEY}/items?bbox={','.join(map(str, b))}&limit=100" for b in bboxes
        ],
        "tiles": [f"/api/collections/{LAYER_KEY}/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles],
        "here": [f"/api/here?lon={lon:.5f}&lat={lat:.5f}" for lon, lat in points],
        "search": [f"/api/search?q={q}" for q in SEARCHES],
    }


async def _load(base: str, urls: dict, projects: list[str], seconds: float, headers: dict, on_half) -> dict:
    # aiohttp on uvloop, not httpx: with httpx the 55 clients alone took a whole core of the two and
    # their own queueing counted as the server's latency (server 35 % idle, p50 ~0.9 s)
    import aiohttp

    kinds = {k: Samples() for k in (*urls, "writes")}
    acked: list[str] = []
    failures: list[str] = []
    refused: Counter[str] = Counter()  # the readers' errors: kind, status and the start of the answer
    stop_at = time.monotonic() + seconds
    imported = asyncio.Event()

    def running() -> bool:
        # at least ``seconds``, and on until the import is over: its whole window is read under load
        return time.monotonic() < stop_at or not imported.is_set()

    connector = aiohttp.TCPConnector(limit=READERS + WRITERS)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as client:

        async def reader(i: int) -> None:
            rng = random.Random(SEED + i)
            while running():
                kind = rng.choice(tuple(urls))
                t0 = time.monotonic()
                try:
                    async with client.get(rng.choice(urls[kind])) as response:
                        body = await response.read()
                        ok = response.status in (200, 304)
                        if not ok:
                            refused[f"{kind} {response.status} {body[:160].decode(errors='replace')}"] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    ok = False
                    refused[f"{kind} {type(exc).__name__}"] += 1
                end = time.monotonic()
                kinds[kind].done.append((end, (end - t0) * 1000))
                kinds[kind].errors += not ok

        async def writer(i: int) -> None:
            rng = random.Random(SEED - i)
            n = 0
            while running():
                n += 1
                note = f"bench-load w{i} #{n} {time.time_ns()}"
                body = {"status": rng.choice(STATUSES), "note": note}
                t0 = time.monotonic()
                try:
                    project = rng.choice(projects)
                    # a write names the version it read; another writer may get there first (412: not acked)
                    async with client.get(f"/api/projects/{project}") as read:
                        await read.read()
                        etag = read.headers.get("etag", '"0"')
                    path = f"/api/projects/{project}/status"
                    write_headers = {**headers, "If-Match": etag}
                    async with client.post(path, json=body, headers=write_headers) as response:
                        text = await response.text()
                        if response.status == 412:
                            continue
                        ok = response.status == 200
                    if not ok:
                        failures.append(f"{response.status} {text[:120]}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    ok = False
                    failures.append(type(exc).__name__)
                end = time.monotonic()
                kinds["writes"].done.append((end, (end - t0) * 1000))
                kinds["writes"].errors += not ok
                if ok:
                    acked.append(note)

        async def halfway() -> None:
            try:
                await asyncio.sleep(seconds / 3)
                await asyncio.to_thread(on_half)
            finally:
                imported.set()

        started = time.monotonic()
        await asyncio.gather(
            *(reader(i) for i in range(READERS)), *(writer(i) for i in range(WRITERS)), halfway()
        )
        elapsed = time.monotonic() - started
    return {"kinds": kinds, "acked": acked, "seconds": elapsed, "failures": failures, "refused": refused}


def _writer_headers(url: str) -> dict:
    """A Bearer token of a bench planner (created once): the writers' status changes need an account."""
    import asyncpg

    from geo.plan.accounts import create_token, create_user

    async def token() -> str:
        conn = await asyncpg.connect(url)
        try:
            if not await conn.fetchval("SELECT true FROM app_user WHERE username = 'bench.writer'"):
                password = "bench writer of planview 2030"
                await create_user(conn, "bench.writer", "planner", password, [], "Bench")
            return (await create_token(conn, "bench.writer", "bench --load", 1))["token"]
        finally:
            await conn.close()

    return {"Authorization": f"Bearer {asyncio.run(token())}"}


def load_case(engine, url: str, ours: Server, parcel_file: Path, seconds: float, console: Console) -> dict:
    """Run the mixed load with a replace import of ``parcel_file`` a third of the way in; the report."""
    import os
    import subprocess
    import sys

    import psycopg
    import uvloop

    rng = random.Random(SEED)
    urls = _reader_urls(engine, rng)
    with psycopg.connect(url) as conn:
        projects = [r[0] for r in conn.execute("SELECT project_id FROM project ORDER BY 1").fetchall()]
    window: dict = {}

    def replace_import() -> None:
        # in a process of its own, as an operator runs it: in a thread of this process the import held
        # the GIL from the 55 clients, whose own latencies then counted against the server
        window["start"] = time.monotonic()
        command = [sys.executable, "-m", "cli.main", "import", str(parcel_file), "--sheet", "P8",
                   "--layer", LAYER_KEY, "--replace"]  # fmt: skip
        done = subprocess.run(
            command, env={**os.environ, "PLANVIEW_DATABASE_URL": url}, capture_output=True, text=True
        )
        window["end"] = time.monotonic()
        if done.returncode != 0:
            raise RuntimeError(f"the replace import failed: {done.stdout[-1000:]}{done.stderr[-1000:]}")
        with psycopg.connect(url) as conn:
            window["features"] = conn.execute(
                "SELECT feature_count FROM sheet_layer WHERE layer_key = %s", (LAYER_KEY,)
            ).fetchone()[0]

    console.print(f"load: {READERS} readers + {WRITERS} writers for {seconds:g} s, replace import at 1/3 …")
    outcome = uvloop.run(_load(ours.base_url, urls, projects, seconds, _writer_headers(url), replace_import))
    kinds, acked = outcome["kinds"], outcome["acked"]
    with psycopg.connect(url) as conn:
        counts = dict(
            conn.execute(
                "SELECT note, count(*) FROM project_status_event "
                "WHERE note LIKE 'bench-load %%' GROUP BY note"
            ).fetchall()
        )
    missing = sum(1 for note in acked if counts.get(note, 0) == 0)
    doubled = sum(1 for note in acked if counts.get(note, 0) > 1)
    readers = Samples(
        [s for k, v in kinds.items() if k != "writes" for s in v.done],
        sum(v.errors for k, v in kinds.items() if k != "writes"),
    )
    during = (window.get("start", 0), window.get("end", 0))
    report = {
        "seconds": round(outcome["seconds"], 1),
        "readers": readers.summary(outcome["seconds"]),
        "by_kind": {k: v.summary(outcome["seconds"]) for k, v in kinds.items()},
        "during_import": readers.summary(outcome["seconds"], during) if "end" in window else None,
        "import": {"features": window.get("features"), "seconds": round(during[1] - during[0], 1)},
        "writes_acknowledged": len(acked),
        "writes_missing": missing,
        "writes_twice": doubled,
        "write_failures": outcome["failures"][:20],
        "read_errors": dict(outcome["refused"].most_common(20)),
    }
    table = Table(title=f"bench --load: {READERS} readers + {WRITERS} writers, {report['seconds']} s")
    for column in ("case", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "case" else "right")
    rows = [("readers (all)", report["readers"])] + [(k, v) for k, v in report["by_kind"].items()]
    if report["during_import"]:
        rows.append(
            (f"readers during the replace ({window['features']:,} features)", report["during_import"])
        )
    for name, s in rows:
        table.add_row(name, str(s["requests"]), str(s["req_s"]), str(s["p50_ms"]), str(s["p95_ms"]),
                      str(s["p99_ms"]), str(s["errors"]))  # fmt: skip
    console.print(table)
    console.print(
        f"writes acknowledged {len(acked)}: missing from the history {missing}, recorded twice {doubled}; "
        f"replace import took {report['import']['seconds']} s"
    )
    for failure in report["write_failures"]:
        console.print(f"  write refused: {failure}")
    for error, count in report["read_errors"].items():
        console.print(f"  read error ×{count}: {error}")
    return report


def run_load(parcels: int, seconds: float, console: Console) -> dict:
    """Build the bench database with ``parcels`` parcels, serve it, run the load; the report."""
    import tempfile

    from cli.bench import build_parcel_file, prepare_database, start_ours
    from geo.ingest.importer import import_any
    from geo.ingest.load import load_all
    from geo.store.database import make_engine
    from geo.store.settings import DatabaseSettings

    workdir = Path(tempfile.mkdtemp(prefix="planview-bench-load-"))
    url = prepare_database(console)
    engine = make_engine(DatabaseSettings(database_url=url))
    server = None
    try:
        load_all(engine)
        path = build_parcel_file(engine, parcels, workdir, console)
        import_any(engine, path, sheet_id="P8", layer_key=LAYER_KEY, is_synthetic=True, console=console)
        server = start_ours(url, workdir)
        return load_case(engine, url, server, path, seconds, console)
    finally:
        if server:
            server.stop()
        engine.dispose()
