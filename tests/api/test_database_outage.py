"""PostgreSQL killed (-9) under live traffic: 503 JSON with Retry-After at once, then recovery by itself.

The module runs its own cluster (not the session's) and a real ``planview serve`` over HTTP.
"""

import os
import select
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from geo.store import embedded_pg
from geo.store.settings import DatabaseSettings
from tests.conftest import migrate_to_head
from tests.servers import ServerProcess, free_port, planview_server

URLS = (
    "/healthz",
    "/api/collections/projects/items?limit=5",
    "/api/here?lon=105.83&lat=22.15",
    "/api/search?q=ba%20be",
    "/api/projects/PRJ-01",
)
CLIENTS = 4
WITHIN_S = 2.0


@dataclass
class Answer:
    """One response as a client saw it."""

    started: float
    seconds: float
    url: str
    status: int
    headers: httpx.Headers
    body: bytes


class Traffic:
    """A few clients looping over the URLs until stopped, recording every answer."""

    def __init__(self, base: str):
        self.base = base
        self.answers: list[Answer] = []
        self.failures: list[str] = []
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(CLIENTS)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _run(self, offset: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            i = offset
            while not self.stopping.is_set():
                url = URLS[i % len(URLS)]
                i += 1
                started = time.monotonic()
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:  # a reset or a hang is what this test must not see
                    with self.changed:
                        self.failures.append(f"{url}: {type(exc).__name__}: {exc}")
                        self.changed.notify_all()
                    continue
                answer = Answer(
                    started,
                    time.monotonic() - started,
                    url,
                    response.status_code,
                    response.headers,
                    response.content,
                )
                with self.changed:
                    self.answers.append(answer)
                    self.changed.notify_all()

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        """Block until ``predicate(answers)`` holds (woken by each new answer)."""
        with self.changed:
            if not self.changed.wait_for(lambda: predicate(self.answers), timeout=timeout):
                statuses = [a.status for a in self.answers[-20:]]
                raise AssertionError(f"{what}: not within {timeout} s (last statuses {statuses})")


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[embedded_pg.Cluster]:
    workdir = Path(tempfile.mkdtemp(prefix="planview-outage-", dir="/tmp"))
    cluster = embedded_pg.Cluster(data_dir=workdir / "data", port=free_port())
    embedded_pg.start(cluster, fast=True)
    try:
        yield cluster
    finally:
        embedded_pg.stop(cluster)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(own_cluster) -> Iterator[ServerProcess]:
    from geo.ingest.load import load_all
    from geo.store.database import make_engine

    url = own_cluster.url("planview")
    with psycopg.connect(own_cluster.url(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "planview" TEMPLATE template1')
    migrate_to_head(url)
    engine = make_engine(DatabaseSettings(database_url=url))
    load_all(engine)
    engine.dispose()

    # `planview serve`, as an operator starts it; its JSON log is kept to show what went wrong
    with planview_server(url, serve=True) as running:
        yield running


def _postmaster_pid(cluster: embedded_pg.Cluster) -> int:
    return int((cluster.data_dir / "postmaster.pid").read_text().splitlines()[0])


def _segment_holders(key: int) -> list[int]:
    """Pidfds of the processes still attached to SysV segment ``key`` (PostgreSQL's own in-use test)."""
    name = f"/SYSV{key:08x}"  # how the kernel names an attached SysV segment in /proc/PID/maps
    fds = []
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            if name in maps.read_text():
                fds.append(os.pidfd_open(int(maps.parent.name)))
        except OSError:  # it exited while we looked (ProcessLookupError is one)
            continue
    return fds


def _reaped(pidfd: int) -> bool:
    """True once the process is gone for good (a zombie still answers signal 0)."""
    try:
        signal.pidfd_send_signal(pidfd, 0)
    except ProcessLookupError:
        return True
    return False


def _restart(cluster: embedded_pg.Cluster, timeout: float = 60) -> None:
    # PostgreSQL refuses to start while the killed postmaster's children still hold its shared memory,
    # and while its socket lock names a pid that exists (the killed postmaster stays a zombie until
    # PID 1 reaps it). Wait for both events, then start once.
    lines = (cluster.data_dir / "postmaster.pid").read_text().splitlines()
    key = int(lines[6].split()[0])
    deadline = time.monotonic() + timeout
    try:
        postmaster = os.pidfd_open(int(lines[0]))
    except ProcessLookupError:
        postmaster = None  # already reaped
    holders = _segment_holders(key)
    try:
        # a pidfd is readable once its process has exited: the postmaster is dead, so nobody
        # attaches to the segment any more and each exit is one holder fewer
        poller = select.poll()
        for fd in holders:
            poller.register(fd, select.POLLIN)
        left = len(holders)
        while left:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{left} backends of the killed postmaster still running after {timeout} s"
            for fd, _ in poller.poll(remaining * 1000):
                poller.unregister(fd)
                left -= 1
        if postmaster is not None:
            # recent kernels report POLLHUP when the process is reaped; older ones never wake for it,
            # so the pause between looks grows, bounded by the deadline
            reaping = select.poll()
            reaping.register(postmaster, 0)
            pause = 0.01
            while not _reaped(postmaster):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"the killed postmaster was not reaped within {timeout} s"
                reaping.poll(min(pause, remaining) * 1000)
                pause = min(2 * pause, 0.5)
    finally:
        for fd in holders + ([postmaster] if postmaster is not None else []):
            os.close(fd)
    embedded_pg.start(cluster, fast=True)


def test_a_killed_database_gives_503_json_with_retry_after_and_the_server_recovers(server, own_cluster):
    with Traffic(server.url) as traffic:
        traffic.wait_for(lambda a: sum(x.status == 200 for x in a) >= 2 * len(URLS), 60, "traffic flowing")
        assert {a.status for a in traffic.answers} == {200}, "all is well before the outage"

        killed_at = time.monotonic()
        os.kill(_postmaster_pid(own_cluster), signal.SIGKILL)
        traffic.wait_for(
            lambda a: (
                sum(x.status == 503 and x.started > killed_at for x in a) >= 10 * len(URLS)
                and time.monotonic() - killed_at > 2
            ),
            30,
            "503s during the outage",
        )
        health = httpx.get(f"{server.url}/healthz", timeout=10)
        restarted_at = time.monotonic()
        _restart(own_cluster)
        back_at = time.monotonic()
        traffic.wait_for(
            lambda a: sum(x.status == 200 and x.started > back_at for x in a) >= 2 * len(URLS),
            60,
            "recovery after the restart",
        )

    assert traffic.failures == [], "no connection reset or client timeout, ever"
    during = [a for a in traffic.answers if killed_at < a.started < restarted_at]
    assert during
    first_ok = min(a.started + a.seconds for a in traffic.answers if a.started > back_at and a.status == 200)
    slowest_ms = max(a.seconds for a in during) * 1000
    print(
        f"outage: {len(during)} answers in {restarted_at - killed_at:.1f} s, "
        f"{sum(a.status == 503 for a in during)} × 503, slowest {slowest_ms:.0f} ms; restart took "
        f"{back_at - restarted_at:.1f} s, first 200 {(first_ok - back_at) * 1000:.0f} ms after it"
    )
    for answer in during:
        # a request already inside the database when it died may still have finished; all others 503
        errors = server.errors()
        assert answer.status in (200, 503), (answer.url, answer.status, answer.body[:200], errors[:2])
        assert answer.seconds < WITHIN_S, (answer.url, answer.seconds)
        if answer.status == 503:
            assert answer.headers["content-type"] == "application/json"
            assert int(answer.headers["retry-after"]) > 0
            assert answer.headers["x-request-id"]
    first_503 = min(a.started for a in during if a.status == 503)
    assert all(a.status == 503 for a in during if a.started > first_503 + 0.5)
    items = next(a for a in during if a.url.startswith("/api/collections") and a.status == 503)
    assert httpx.Response(503, content=items.body).json()["code"] == "ServiceUnavailable"

    assert health.status_code == 503
    assert health.headers["retry-after"]
    assert health.json()["status"] == "unavailable"
    assert health.json()["database"]  # the database's error, e.g. "Connect call failed"

    after = httpx.get(f"{server.url}/healthz", timeout=10)
    assert after.status_code == 200 and after.json()["status"] == "ok"
