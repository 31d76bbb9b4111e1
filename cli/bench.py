"""``planview bench``: our API against tipg on a synthetic 200,000-parcel layer, plus screening timings.

Everything runs on loopback: its own database ``planview_bench`` on the configured server, our app
and tipg (pinned, in its own venv) under uvicorn with one worker each, and an httpx client. The
parcels are synthetic (marked so in every row and in ``sheet_layer.is_synthetic``) and never part of
the shipped dataset.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from geo.store.settings import REPO_ROOT, DatabaseSettings, database_settings
from geo.store.units import PRE_REFORM_END, PRE_REFORM_END_SQL

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

BENCH_DB = "planview_bench"
LAYER_KEY = "synthetic_parcels"
TIPG_VERSION = "1.6.1"
TIPG_VENV = REPO_ROOT / "var" / "bench" / f"tipg-{TIPG_VERSION}"
SEED = 20231103  # the plan's approval date: any fixed seed gives both servers the same requests
ZOOMS = (8, 10, 12, 14)
PROJECT_COUNT = 1000
# Bắc Kạn is mostly forest; the mix only has to look like a land-use map, and every row says synthetic.
LANDUSE_MIX = {
    "RSX": 34,
    "RPH": 20,
    "RDD": 9,
    "CLN": 7,
    "HNK": 6,
    "LUC": 5,
    "LUK": 3,
    "ONT": 4,
    "ODT": 1,
    "DGT": 2,
    "SON": 2,
    "MNC": 1,
    "NTS": 1,
    "SKC": 1,
    "BCS": 2,
    "DCS": 2,
}
FLOORS = {
    "items_1000": 3.0,  # × tipg req/s
    "items_100": 1.5,
    "tile_z8_p95_ms": 200.0,
    "tile_z12_p95_ms": 20.0,
    "screen_all_s": 2.0,
    "screen_one_p95_ms": 50.0,
    "here_p95_ms": 50.0,  # our own budget for the click panel (not from an issue)
}


class BenchError(RuntimeError):
    """The benchmark could not be set up."""


@dataclass
class Timing:
    """Latencies of one series of requests and the wall time they took."""

    latencies_ms: list[float]
    wall_s: float
    concurrency: int
    features: int | None = None
    bytes: int = 0
    errors: int = 0

    def summary(self) -> dict:
        """req/s, p50, p95 (ms) and what a response held."""
        lat = sorted(self.latencies_ms)
        return {
            "requests": len(lat),
            "concurrency": self.concurrency,
            "req_per_s": round(len(lat) / self.wall_s, 1) if self.wall_s else None,
            "p50_ms": round(statistics.median(lat), 2) if lat else None,
            "p95_ms": round(_percentile(lat, 95), 2) if lat else None,
            "features_per_response": self.features,
            "kib_per_response": round(self.bytes / max(len(lat), 1) / 1024, 1),
            "errors": self.errors,
        }


@dataclass
class Case:
    """One line of the report: ours, tipg's and the PostGIS ceiling for the same requests."""

    name: str
    ours: dict | None = None
    tipg: dict | None = None
    ceiling: dict | None = None
    http_floor: dict | None = None  # the same requests answered by a bare ASGI app (cli/bench_floor.py)
    metric: str = "req_per_s"
    floor: str | None = None
    passed: bool | None = None
    notes: list[str] = field(default_factory=list)

    def ratio(self) -> float | None:
        """How many times better ours is than tipg on this case's metric."""
        if not self.ours or not self.tipg or not self.ours.get(self.metric) or not self.tipg.get(self.metric):
            return None
        a, b = self.ours[self.metric], self.tipg[self.metric]
        return round(a / b if self.metric == "req_per_s" else b / a, 2)

    def as_dict(self) -> dict:
        """The JSON form."""
        return {
            "case": self.name,
            "metric": self.metric,
            "ours": self.ours,
            "tipg": self.tipg,
            "postgis_ceiling": self.ceiling,
            "http_floor": self.http_floor,
            "ratio_vs_tipg": self.ratio(),
            "floor": self.floor,
            "passed": self.passed,
            "notes": self.notes,
        }


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return math.nan
    k = (len(sorted_values) - 1) * pct / 100
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


# ---------------------------------------------------------------------------------------------
# The database: create, migrate, load, synthetic parcels and projects


def _server_url(dbname: str) -> str:
    settings = database_settings()
    base = settings.url.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


def prepare_database(console: Console, name: str = BENCH_DB) -> str:
    """A fresh ``planview_bench`` (or ``name``) database, migrated; returns its URL."""
    import psycopg
    from alembic.config import Config

    from alembic import command
    from cli.common import ensure_database

    ensure_database()
    maintenance = _server_url("postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _server_url(name)
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", DatabaseSettings(database_url=url).sqlalchemy_url)
    command.upgrade(config, "head")
    console.print(f"database {name} created and migrated")
    return url


def _province(engine: Engine):
    import shapely
    from sqlalchemy import text

    with engine.connect() as conn:
        wkb = conn.execute(
            text(
                "SELECT ST_AsBinary(ST_Union(geom)) FROM admin_unit WHERE level = 'province' AND code = '06' "
                f"AND (valid_to IS NULL OR valid_to >= {PRE_REFORM_END_SQL})"
            )
        ).scalar_one()
    if wkb is None:
        raise BenchError("the province outline (admin_unit 06) is not loaded")
    return shapely.from_wkb(bytes(wkb))


def _grid(province, cell: float, rng):
    """A jittered grid of 12-vertex cells over the province's bbox; which cells have their centre inside."""
    import numpy as np
    import shapely

    w, s, e, n = province.bounds
    nx, ny = int((e - w) / cell) + 2, int((n - s) / cell) + 2
    gx = w + np.arange(nx + 1) * cell
    gy = s + np.arange(ny + 1) * cell
    px = gx[None, :] + rng.uniform(-0.22, 0.22, (ny + 1, nx + 1)) * cell
    py = gy[:, None] + rng.uniform(-0.22, 0.22, (ny + 1, nx + 1)) * cell
    # two shared points on every edge, pushed sideways a little, so neighbours still fit
    t = np.array([1 / 3, 2 / 3])
    hx = px[:, :-1, None] + (px[:, 1:, None] - px[:, :-1, None]) * t
    hy = (
        py[:, :-1, None]
        + (py[:, 1:, None] - py[:, :-1, None]) * t
        + rng.uniform(-0.07, 0.07, (ny + 1, nx, 2)) * cell
    )
    vx = (
        px[:-1, :, None]
        + (px[1:, :, None] - px[:-1, :, None]) * t
        + rng.uniform(-0.07, 0.07, (ny, nx + 1, 2)) * cell
    )
    vy = py[:-1, :, None] + (py[1:, :, None] - py[:-1, :, None]) * t
    i, j = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    i, j = i.ravel(), j.ravel()
    ring_x = np.column_stack(
        [px[i, j], hx[i, j, 0], hx[i, j, 1], px[i, j + 1], vx[i, j + 1, 0], vx[i, j + 1, 1],
         px[i + 1, j + 1], hx[i + 1, j, 1], hx[i + 1, j, 0], px[i + 1, j], vx[i, j, 1], vx[i, j, 0], px[i, j]]
    )  # fmt: skip
    ring_y = np.column_stack(
        [py[i, j], hy[i, j, 0], hy[i, j, 1], py[i, j + 1], vy[i, j + 1, 0], vy[i, j + 1, 1],
         py[i + 1, j + 1], hy[i + 1, j, 1], hy[i + 1, j, 0], py[i + 1, j], vy[i, j, 1], vy[i, j, 0], py[i, j]]
    )  # fmt: skip
    centres_x = (gx[j] + gx[j + 1]) / 2
    centres_y = (gy[i] + gy[i + 1]) / 2
    inside = np.flatnonzero(shapely.contains_xy(province, centres_x, centres_y))
    return ring_x, ring_y, inside


def synthetic_parcels(province, count: int, codes: list[str], seed: int = SEED):
    """``count`` non-overlapping 12-vertex parcels tiling the province (a jittered grid)."""
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    shapely.prepare(province)
    # cell side so that the cells whose centre falls in the province are about `count`; shrink it
    # until enough are (the border cuts off part of the bbox's cells)
    cell = math.sqrt(province.area / count) * 0.995
    for _ in range(40):
        ring_x, ring_y, inside = _grid(province, cell, rng)
        if len(inside) >= count:
            break
        cell *= 0.98
    keep = np.sort(rng.choice(inside, count, replace=False))
    polygons = shapely.polygons(np.stack([ring_x[keep], ring_y[keep]], axis=-1))
    weights = np.array([LANDUSE_MIX.get(c, 0.5) for c in codes], dtype=float)
    chosen = rng.choice(np.array(codes), count, p=weights / weights.sum())
    return polygons, chosen


def build_parcel_file(engine: Engine, count: int, folder: Path, console: Console) -> Path:
    """Write the synthetic parcels as a GeoPackage in VN-2000 / TM-3 106-30 (as official data come)."""
    import geopandas as gpd
    import numpy as np
    from sqlalchemy import text

    province = _province(engine)
    with engine.connect() as conn:
        known = set(conn.execute(text("SELECT code FROM land_use_code")).scalars())
    codes = [c for c in LANDUSE_MIX if c in known]
    if not codes:
        raise BenchError("land_use_code is empty: the shipped data are not loaded")
    started = time.perf_counter()
    polygons, chosen = synthetic_parcels(province, count, codes)
    frame = gpd.GeoDataFrame(
        {
            "maDoiTuong": [f"SYN-PARCEL-{k:08d}" for k in range(1, count + 1)],
            "ten": [f"Thửa tổng hợp {k}" for k in range(1, count + 1)],
            "maLoaiDat": chosen,
            "synthetic": np.ones(count, dtype=bool),
            "ghiChu": "dữ liệu tổng hợp cho benchmark, không phải số liệu quy hoạch",
        },
        geometry=polygons,
        crs="EPSG:4326",
    ).to_crs("EPSG:9213")
    path = folder / "synthetic_parcels.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio", layer=LAYER_KEY)
    console.print(
        f"{count} synthetic parcels generated in {time.perf_counter() - started:.1f} s → {path.name}"
    )
    return path


def add_synthetic_projects(engine: Engine, count: int, seed: int = SEED) -> int:
    """``count`` synthetic projects (5–60 ha) inside the province, marked ``is_synthetic``."""
    import numpy as np
    import shapely
    from sqlalchemy import text

    rng = np.random.default_rng(seed + 1)
    province = _province(engine)
    shapely.prepare(province)
    w, s, e, n = province.bounds
    points = []
    while len(points) < count:
        x, y = rng.uniform(w, e, count), rng.uniform(s, n, count)
        ok = shapely.contains_xy(province, x, y)
        points += list(zip(x[ok], y[ok], strict=True))
    points = points[:count]
    areas_ha = rng.uniform(5, 60, count)
    with engine.begin() as conn:
        sectors = list(
            conn.execute(
                text("SELECT DISTINCT sector FROM project WHERE sector IS NOT NULL ORDER BY sector")
            ).scalars()
        )
        sectors = sectors or ["synthetic"]
        conn.execute(text("DELETE FROM project WHERE is_synthetic"))
        conn.execute(
            text(
                """
                INSERT INTO project (project_id, name_vi, name_ascii, sector, district_codes, status,
                                     source_url, confidence, notes, is_synthetic, geometry_quality,
                                     location_level, geometry_note, geom)
                SELECT :id, :name, :ascii, :sector, COALESCE(
                           (SELECT array_agg(d.code) FROM admin_unit d WHERE d.level = 'district'
                              AND (d.valid_to IS NULL OR d.valid_to >= CAST(:pre_reform_end AS date))
                              AND ST_Contains(d.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))), '{}'),
                       'planned', 'synthetic://planview-bench', 'synthetic',
                       'benchmark project, not plan data',
                       true, 'exact', 'site', 'synthetic footprint for the benchmark',
                       ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography,
                                          sqrt(:ha * 10000 / pi()), 8)::geometry)
                """
            ),
            [
                {
                    "id": f"SYN-{k + 1:04d}",
                    "name": f"Dự án tổng hợp {k + 1}",
                    "ascii": f"Du an tong hop {k + 1}",
                    "sector": sectors[k % len(sectors)],
                    "x": float(x),
                    "y": float(y),
                    "ha": float(areas_ha[k]),
                    "pre_reform_end": PRE_REFORM_END,
                }
                for k, (x, y) in enumerate(points)
            ],
        )
        from geo.store.versions import Area, bump

        bump(conn, (Area.projects, Area.project_places), f"bench: {count} synthetic projects")
    return count


# ---------------------------------------------------------------------------------------------
# Servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A uvicorn process we started (in its own process group) and where it answers."""

    name: str
    process: subprocess.Popen
    base_url: str
    log: Path

    def stop(self) -> None:
        """Terminate the process group; kill it if it does not stop in 10 s."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(5)


def _start(name: str, cmd: list[str], env: dict, cwd: Path, port: int, health: str, log: Path) -> Server:
    import httpx

    handle = open(log, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{name} exited at start-up; log {log}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(server.base_url + health, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise BenchError(f"{name} did not answer {health} within 90 s; log {log}")


def start_ours(url: str, workdir: Path) -> Server:
    """planview under uvicorn, one worker, on a free loopback port."""
    port = _free_port()
    env = {**os.environ, "PLANVIEW_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    return _start("planview", cmd, env, REPO_ROOT, port, "/healthz", workdir / "planview.log")


def start_floor(base_url: str, url: str, workdir: Path) -> Server:
    """The HTTP floor: a bare ASGI app under uvicorn answering every request with our page at ``url``."""
    import httpx

    from cli.bench_floor import BODY_FILE, ENCODING

    # the page exactly as the client receives it (compressed when our server compresses it)
    with httpx.stream("GET", base_url + url, headers={"Accept-Encoding": "gzip"}, timeout=60) as response:
        body = b"".join(response.iter_raw())
        encoding = response.headers.get("content-encoding", "")
    page = workdir / "floor-page.bin"
    page.write_bytes(body)
    port = _free_port()
    env = {**os.environ, BODY_FILE: str(page), ENCODING: encoding}
    cmd = [sys.executable, "-m", "uvicorn", "cli.bench_floor:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    return _start("floor", cmd, env, REPO_ROOT, port, "/", workdir / "floor.log")


def ensure_tipg(console: Console) -> Path:
    """tipg (pinned) in its own venv under var/bench; returns its python."""
    python = TIPG_VENV / "bin" / "python"
    probe = [str(python), "-c", f"import tipg, uvicorn; assert tipg.__version__ == '{TIPG_VERSION}'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    console.print(f"installing tipg {TIPG_VERSION} into {TIPG_VENV} …")
    TIPG_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["python3", "-m", "venv", "--clear", str(TIPG_VENV)], check=True, capture_output=True)
    pip = [str(TIPG_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, f"tipg=={TIPG_VERSION}", "uvicorn[standard]"], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"pip could not install tipg {TIPG_VERSION}: {done.stderr[-1500:]}")
    return python


def start_tipg(python: Path, url: str, workdir: Path) -> Server:
    """tipg under uvicorn, one worker, serving only the synthetic layer."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TIPG_", "PLANVIEW_", "DATABASE_"))},
        "DATABASE_URL": url,
        "TIPG_DB_SCHEMAS": '["layers"]',
        "TIPG_DB_TABLES": f'["layers.{LAYER_KEY}"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }
    cmd = [str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    # run from an empty folder: tipg's settings would also read a .env file in the working directory
    return _start("tipg", cmd, env, workdir, port, "/healthz", workdir / "tipg.log")


# ---------------------------------------------------------------------------------------------
# Requests


def random_bboxes(
    engine: Engine, count: int, target: int, seed: int
) -> list[tuple[float, float, float, float]]:
    """Square bboxes around random parcels, sized to hold about ``target`` parcels."""
    import numpy as np
    from sqlalchemy import text

    with engine.connect() as conn:
        total, area = conn.execute(
            text(
                f"SELECT (SELECT count(*) FROM layers.{LAYER_KEY}), "
                f"(SELECT ST_Area(ST_Union(geom)) FROM admin_unit WHERE level = 'province' AND code = '06' "
                f"AND (valid_to IS NULL OR valid_to >= {PRE_REFORM_END_SQL}))"
            )
        ).one()
        # 1.25× the target so that a box inside the province fills a page of `target` features
        half = math.sqrt(area / total * target * 1.25) / 2
        rng = np.random.default_rng(seed)
        picks = [int(v) for v in rng.integers(1, total + 1, count * 4)]
        # only boxes wholly inside the province, so that every page is full for both servers
        centres = conn.execute(
            text(
                "SELECT ST_X(c), ST_Y(c), ST_Within(ST_Expand(c, :half), (SELECT ST_Union(geom) "
                "FROM admin_unit WHERE level = 'province' AND code = '06' "
                f"AND (valid_to IS NULL OR valid_to >= {PRE_REFORM_END_SQL}))) AS inside "
                f"FROM (SELECT ST_PointOnSurface(geom) AS c, fid FROM layers.{LAYER_KEY} "
                "WHERE fid = ANY(:ids)) s ORDER BY fid"
            ),
            {"ids": picks, "half": half},
        ).all()
    # boxes wholly inside the province first, so that pages are full for both servers; border
    # boxes only when there are too few (a small --parcels run)
    shuffled = [centres[i] for i in rng.permutation(len(centres))]
    ranked = [c for c in shuffled if c[2]] + [c for c in shuffled if not c[2]]
    return [
        (round(x - half, 6), round(y - half, 6), round(x + half, 6), round(y + half, 6))
        for x, y, _ in ranked[:count]
    ]


def tiles_for(engine: Engine, z: int, count: int, seed: int) -> list[tuple[int, int, int]]:
    """Tiles at zoom ``z`` under random parcels (repeats allowed at low zoom)."""
    import numpy as np
    from sqlalchemy import text

    rng = np.random.default_rng(seed + z)
    with engine.connect() as conn:
        total = conn.execute(text(f"SELECT count(*) FROM layers.{LAYER_KEY}")).scalar_one()
        ids = [int(v) for v in rng.integers(1, total + 1, count)]
        points = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                f"FROM layers.{LAYER_KEY} WHERE fid = ANY(:ids)"
            ),
            {"ids": ids},
        ).all()  # fmt: skip
    tiles = []
    for lon, lat in points:
        n = 2**z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        tiles.append((z, x, y))
    return tiles


async def _run(
    client: httpx.AsyncClient,
    urls: list[str],
    concurrency: int,
    method: str = "GET",
    body=None,
    count_features: bool = False,
):
    latencies: list[float] = []
    size = errors = features = 0
    queue = list(reversed(urls))

    async def worker():
        nonlocal size, errors, features
        while queue:
            url = queue.pop()
            t0 = time.perf_counter()
            response = await client.request(method, url, content=body)
            content = response.content
            latencies.append((time.perf_counter() - t0) * 1000)
            size += len(content)
            if count_features:  # one '"Feature"' per feature in both servers' GeoJSON
                features += content.count(b'"Feature"')
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    mean_features = round(features / len(urls)) if count_features and urls else None
    return Timing(
        latencies,
        time.perf_counter() - started,
        concurrency,
        features=mean_features,
        bytes=size,
        errors=errors,
    )


async def measure(base: str, urls: list[str], concurrency: int, warmup: int = 3, **kw) -> Timing:
    """Time ``urls`` against ``base`` with ``concurrency`` clients after a short warm-up."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await _run(client, urls[:warmup], 1, **kw)
        return await _run(client, urls, concurrency, **kw)


CEILING_SQL = f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(t.*)::json), '[]'))::text
FROM (SELECT fid, feature_id, name, landuse_code, landuse_name, plan_start, plan_end, properties, source,
             geometry_quality, geom
      FROM layers.{LAYER_KEY}
      WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)
        AND ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))
      ORDER BY fid LIMIT $5) t
"""  # noqa: E501


async def measure_ceiling(url: str, bboxes: list, limit: int, concurrency: int) -> Timing:
    """The same GeoJSON page built by PostGIS alone (asyncpg, the text fetched, nothing decoded)."""
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    try:
        latencies: list[float] = []
        size = 0
        queue = list(reversed(bboxes))

        async def worker():
            nonlocal size
            async with pool.acquire() as conn:
                while queue:
                    box = queue.pop()
                    t0 = time.perf_counter()
                    body = await conn.fetchval(CEILING_SQL, *box, limit)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    size += len(body)

        async with pool.acquire() as conn:
            for box in bboxes[:3]:
                await conn.fetchval(CEILING_SQL, *box, limit)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Timing(latencies, time.perf_counter() - started, concurrency, bytes=size)
    finally:
        await pool.close()


# ---------------------------------------------------------------------------------------------
# The run


def _fmt(value, unit: str = "") -> str:
    return "–" if value is None else f"{value:g}{unit}"


def print_report(cases: list[Case], extra: dict, console: Console) -> None:
    """The side-by-side table."""
    table = Table(
        title=f"planview bench — {extra['parcels']} synthetic parcels, 1 uvicorn worker each, loopback"
    )
    for column in ("case", "ours", "tipg", "PostGIS ceiling", "HTTP floor", "ratio", "floor", "ok"):
        table.add_column(column, justify="left" if column in ("case", "floor") else "right")
    for case in cases:

        def cell(d, case=case):
            if not d or d.get("p50_ms") is None:
                return "–"
            if case.metric == "req_per_s":
                return f"{d['req_per_s']:g} req/s (p50 {d['p50_ms']:g}, p95 {d['p95_ms']:g} ms)"
            return f"p50 {d['p50_ms']:g} / p95 {d['p95_ms']:g} ms"

        ok = {True: "[green]yes", False: "[red]NO", None: ""}[case.passed]
        table.add_row(case.name, cell(case.ours), cell(case.tipg), cell(case.ceiling), cell(case.http_floor),
                      _fmt(case.ratio(), "×"), case.floor or "", ok)  # fmt: skip
    console.print(table)
    for key, value in extra.items():
        if key != "parcels":
            console.print(f"  {key}: {value}")


def run(parcels: int, quick: bool, anchor: bool, console: Console) -> dict:
    """Build, start, measure, stop; return the report as a dict."""
    from geo.ingest.importer import import_any
    from geo.ingest.load import load_all
    from geo.store.database import make_engine

    extra: dict = {"parcels": parcels}
    cases: list[Case] = []
    servers: list[Server] = []
    workdir = Path(tempfile.mkdtemp(prefix="planview-bench-"))
    url = prepare_database(console)
    engine = make_engine(DatabaseSettings(database_url=url))
    try:
        started = time.perf_counter()
        load_all(engine)
        extra["load_seconds"] = round(time.perf_counter() - started, 2)
        path = build_parcel_file(engine, parcels, workdir, console)
        started = time.perf_counter()
        result = import_any(
            engine,
            path,
            sheet_id="P8",
            layer_key=LAYER_KEY,
            title="Thửa đất tổng hợp (benchmark, không phải số liệu thật)",
            is_synthetic=True,
            console=console,
        )
        layer = result.layers[0]
        extra["import"] = {
            "features": layer.feature_count,
            "seconds": round(time.perf_counter() - started, 2),
            "read_check_reproject_s": round(layer.read_seconds, 2),
            "write_s": round(layer.write_seconds, 2),
            "crs_in": layer.crs_in,
            "repaired": len(layer.repaired),
        }
        tipg_python = ensure_tipg(console) if anchor else None
        servers.append(start_ours(url, workdir))
        ours = servers[-1]
        tipg = None
        if tipg_python:
            servers.append(start_tipg(tipg_python, url, workdir))
            tipg = servers[-1]
        console.print("servers up: " + ", ".join(f"{s.name} {s.base_url}" for s in servers))

        requests = {100: 20 if quick else 200, 1000: 10 if quick else 100}
        for target, count in requests.items():
            bboxes = random_bboxes(engine, count, target, SEED + target)
            ours_urls = [
                f"/api/collections/{LAYER_KEY}/items?bbox={','.join(map(str, b))}&limit={target}"
                for b in bboxes
            ]
            tipg_urls = [
                f"/collections/layers.{LAYER_KEY}/items?bbox={','.join(map(str, b))}&limit={target}"
                for b in bboxes
            ]  # noqa: E501
            for concurrency in (1, 8):
                case = Case(
                    f"items ~{target} features, c={concurrency}",
                    floor=f"≥{FLOORS[f'items_{target}']:g}× tipg",
                )
                case.ours = asyncio.run(
                    measure(ours.base_url, ours_urls, concurrency, count_features=True)
                ).summary()
                if tipg:
                    case.tipg = asyncio.run(
                        measure(tipg.base_url, tipg_urls, concurrency, count_features=True)
                    ).summary()
                    case.passed = (case.ratio() or 0) >= FLOORS[f"items_{target}"]
                case.ceiling = asyncio.run(measure_ceiling(url, bboxes, target, concurrency)).summary()
                floor = start_floor(ours.base_url, ours_urls[0], workdir)
                try:
                    case.http_floor = asyncio.run(
                        measure(floor.base_url, ours_urls, concurrency, count_features=True)
                    ).summary()
                finally:
                    floor.stop()
                cases.append(case)

        for z in ZOOMS:
            tiles = tiles_for(engine, z, 10 if quick else 60, SEED)
            case = Case(f"tile z{z}", metric="p95_ms")
            paths = [f"tiles/WebMercatorQuad/{a}/{b}/{c}" for a, b, c in tiles]
            ours_tiles = [f"/api/collections/{LAYER_KEY}/{p}" for p in paths]
            case.ours = asyncio.run(measure(ours.base_url, ours_tiles, 1)).summary()
            if tipg:
                tipg_tiles = [f"/collections/layers.{LAYER_KEY}/{p}" for p in paths]
                case.tipg = asyncio.run(measure(tipg.base_url, tipg_tiles, 1)).summary()
            limit = FLOORS.get(f"tile_z{z}_p95_ms")
            if limit:
                case.floor = f"p95 ≤{limit:g} ms"
                case.passed = (
                    case.ours["p95_ms"] is not None
                    and case.ours["p95_ms"] <= limit
                    and not case.ours["errors"]
                )
            cases.append(case)

        cases += screening_cases(engine, ours, quick, console)
        cases.append(here_case(ours, quick))
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
    report = {
        "parcels": parcels,
        "quick": quick,
        "anchor": f"tipg {TIPG_VERSION}" if anchor else None,
        "database": BENCH_DB,
        "extra": extra,
        "cases": [c.as_dict() for c in cases],
    }
    print_report(cases, extra, console)
    return report


def screening_cases(engine: Engine, ours: Server, quick: bool, console: Console) -> list[Case]:
    """Screening of every project (real + 1,000 synthetic) and one project / one footprint over HTTP."""
    import numpy as np
    from sqlalchemy import text

    from geo.analysis.screening import screen_all

    cases = []
    count = 50 if quick else PROJECT_COUNT
    add_synthetic_projects(engine, count)
    started = time.perf_counter()
    summary = screen_all(engine, force=True)
    seconds = time.perf_counter() - started
    case = Case(f"screen all projects ({summary.get('projects_screened')}) × all rules", metric="p95_ms",
                floor=f"≤{FLOORS['screen_all_s']:g} s")  # fmt: skip
    case.ours = {
        "p50_ms": round(seconds * 1000, 1),
        "p95_ms": round(seconds * 1000, 1),
        "requests": 1,
        "conflicts": summary.get("conflicts_found"),
        "active_rules": summary.get("active_rules"),
    }
    case.passed = seconds <= FLOORS["screen_all_s"]
    cases.append(case)

    with engine.connect() as conn:
        project_ids = list(
            conn.execute(
                text("SELECT project_id FROM project WHERE geom IS NOT NULL ORDER BY project_id")
            ).scalars()
        )
    rng = np.random.default_rng(SEED + 5)
    picks = [project_ids[int(i)] for i in rng.integers(0, len(project_ids), 20 if quick else 200)]
    one = Case(
        "GET /api/projects/{id}/conflicts", metric="p95_ms", floor=f"p95 ≤{FLOORS['screen_one_p95_ms']:g} ms"
    )
    one.ours = asyncio.run(
        measure(ours.base_url, [f"/api/projects/{p}/conflicts" for p in picks], 1)
    ).summary()
    one.passed = one.ours["p95_ms"] <= FLOORS["screen_one_p95_ms"] and not one.ours["errors"]
    cases.append(one)

    footprint = orjson.dumps(
        {
            "type": "Feature",
            "properties": {"sector": "công nghiệp"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[105.82, 22.14], [105.84, 22.14], [105.84, 22.155], [105.82, 22.155], [105.82, 22.14]]
                ],
            },
        }
    )
    screen = Case(
        "POST /api/screen (one footprint)", metric="p95_ms", floor=f"p95 ≤{FLOORS['screen_one_p95_ms']:g} ms"
    )
    screen.ours = asyncio.run(
        measure(ours.base_url, ["/api/screen"] * (20 if quick else 200), 1, method="POST", body=footprint)
    ).summary()
    screen.passed = screen.ours["p95_ms"] <= FLOORS["screen_one_p95_ms"] and not screen.ours["errors"]
    cases.append(screen)
    return cases


def here_case(ours: Server, quick: bool) -> Case:
    """GET /api/here at random points of the province: every sheet's layers, the parcels included."""
    import numpy as np

    rng = np.random.default_rng(SEED + 7)
    count = 20 if quick else 200
    lons = rng.uniform(105.55, 106.2, count)
    lats = rng.uniform(21.9, 22.7, count)
    case = Case("GET /api/here (click panel)", metric="p95_ms", floor=f"p95 ≤{FLOORS['here_p95_ms']:g} ms")
    urls = [f"/api/here?lon={lon:.5f}&lat={lat:.5f}" for lon, lat in zip(lons, lats, strict=True)]
    case.ours = asyncio.run(measure(ours.base_url, urls, 1)).summary()
    case.passed = case.ours["p95_ms"] <= FLOORS["here_p95_ms"] and not case.ours["errors"]
    return case


def bench(
    json_file: Annotated[
        Path | None, typer.Option("--json", help="write the report as JSON to this file")
    ] = None,
    parcels: Annotated[int, typer.Option(help="synthetic parcels to generate and import")] = 200_000,
    quick: Annotated[
        bool, typer.Option(help="few requests per case (a smoke run, not a measurement)")
    ] = False,
    anchor: Annotated[bool, typer.Option(help="install and measure tipg side by side")] = True,
) -> None:
    """Benchmark the API against tipg on synthetic parcels, and the screening (loopback only)."""
    from geo.ingest.importer import ImportError_

    console = Console(stderr=True, width=max(Console(stderr=True).width, 150))
    try:
        report = run(parcels, quick, anchor, console)
    except (BenchError, ImportError_) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    if json_file:
        json_file.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        console.print(f"report written to {json_file}")
