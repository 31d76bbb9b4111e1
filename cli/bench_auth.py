"""Measure login (argon2id), an authenticated status write and a project placement.

``python -m cli.bench_auth [--writes N] [--places N]``. Runs the app in-process (Starlette's TestClient,
no network) on the configured database (the embedded one by default), with an account ``bench.planner``
it creates once. Prints p50/p95 in milliseconds. Not a test: figures go to the README. ``--places``
digitises the place of ``--place-project`` (kept afterwards, as any placement): use a scratch database.
"""

import asyncio
import statistics
import time
from typing import Annotated

import asyncpg
import typer

from cli.common import console, ensure_database

PASSWORD = "bench password of planview 2030"


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return f"p50 {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(samples)})"


def main(
    logins: Annotated[int, typer.Option(help="logins to time")] = 20,
    writes: Annotated[int, typer.Option(help="status writes to time")] = 200,
    project: Annotated[str, typer.Option(help="project to write to")] = "PRJ-10",
    places: Annotated[int, typer.Option(help="placements (PUT geometry) to time; 0 = none")] = 0,
    place_project: Annotated[str, typer.Option(help="project to place")] = "PRJ-10",
) -> None:
    """Time logins, authenticated status writes and placements."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from geo.plan.accounts import auth_settings, create_token, create_user

    url = ensure_database()

    def run(action):
        async def go():
            conn = await asyncpg.connect(url)
            try:
                return await action(conn)
            finally:
                await conn.close()

        return asyncio.run(go())

    async def ensure(conn):
        if not await conn.fetchval("SELECT true FROM app_user WHERE username = 'bench.planner'"):
            await create_user(conn, "bench.planner", "planner", PASSWORD, [], "Bench planner")
        return (await create_token(conn, "bench.planner", "bench", 1))["token"]

    token = run(ensure)
    s = auth_settings()
    console.print(
        f"argon2id: time_cost={s.argon2_time_cost}, memory={s.argon2_memory_kib} KiB, "
        f"parallelism={s.argon2_parallelism}"
    )
    with TestClient(create_app()) as client:
        timings = []
        for _ in range(logins):
            client.cookies.clear()
            started = time.perf_counter()
            r = client.post("/api/auth/login", json={"username": "bench.planner", "password": PASSWORD})
            timings.append(time.perf_counter() - started)
            assert r.status_code == 200, r.text
        console.print(f"login (POST /api/auth/login): {_ms(timings)}")
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        reads, timings = [], []
        statuses = ("planned", "preparation")
        for i in range(writes):
            started = time.perf_counter()
            etag = client.get(f"/api/projects/{project}").headers["etag"]
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            r = client.post(
                f"/api/projects/{project}/status",
                json={"status": statuses[i % 2], "note": "bench"},
                headers={**headers, "If-Match": etag},
            )
            timings.append(time.perf_counter() - started)
            assert r.status_code == 200, r.text
        console.print(f"GET /api/projects/{project} (anonymous read before each write): {_ms(reads)}")
        console.print(f"authenticated status write (Bearer, If-Match, audit row): {_ms(timings)}")
        timings = []
        for i in range(places):
            etag = client.get(f"/api/projects/{place_project}").headers["etag"]
            d = 0.001 * (i % 2)  # two squares of ~1 km² in turn: every write changes the place
            ring = [[105.83 + d, 22.15], [105.84 + d, 22.15], [105.84 + d, 22.16], [105.83 + d, 22.16]]
            started = time.perf_counter()
            r = client.put(
                f"/api/projects/{place_project}/geometry",
                json={"geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}},
                headers={**headers, "If-Match": etag},
            )
            timings.append(time.perf_counter() - started)
            assert r.status_code == 200, r.text
        if places:
            console.print(
                "placement (PUT geometry: checks, write, bump, that project re-screened, audit with "
                f"before/after): {_ms(timings)}"
            )
    run(lambda conn: conn.execute("UPDATE api_token SET revoked_at = now() WHERE name = 'bench'"))


if __name__ == "__main__":
    typer.run(main)
