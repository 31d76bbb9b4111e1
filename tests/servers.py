"""planview in a server process of its own, for tests that talk to it over HTTP (browsers, GDAL, QGIS,
fuzzing, several processes, a database outage). Use it as::

    with planview_server(database_url, PLANVIEW_DOWNLOAD_DIR=str(folder)) as server:
        httpx.get(server.url + "/healthz")

The server binds port 0 (the kernel picks a free one: no race with other processes for a port) and is
ready when its own log says on which port it listens — uvicorn writes that line only once the app's
start-up is done and the socket accepts. Its log (JSON lines) is kept in ``server.log`` for the test to
read or show, not printed into pytest's output.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geo.store.settings import REPO_ROOT

# uvicorn's "Uvicorn running on http://127.0.0.1:41234 (Press CTRL+C to quit)", inside a JSON line
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 120  # a cold start on a loaded 2-core machine; an early exit is noticed at once
STOP_TIMEOUT_S = 15
LOG_LINES_KEPT = 20_000


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now (for servers that cannot bind port 0 themselves)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """A running planview server: its base URL, its process and the log lines it wrote so far."""

    url: str
    process: subprocess.Popen
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT))

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` log lines, to show in an assertion message."""
        return "".join(list(self.log)[-lines:])

    def errors(self) -> list[str]:
        """Log lines of unforeseen errors (logger planview.error)."""
        return [line for line in list(self.log) if '"planview.error"' in line]


class _LogReader(threading.Thread):
    """Reads the server's stderr to its end, keeping each line and noting the port once it listens."""

    def __init__(self, process: subprocess.Popen, log: deque):
        super().__init__(name=f"planview-server-log-{process.pid}", daemon=True)
        self.process = process
        self.log = log
        self.port: int | None = None
        self.settled = threading.Event()  # set when the server listens, or when its stderr ended

    def run(self) -> None:
        """Collect lines until the process closes stderr."""
        try:
            for line in self.process.stderr:
                self.log.append(line)
                if self.port is None and (match := _LISTENING.search(line)):
                    self.port = int(match.group(1))
                    self.settled.set()
        finally:
            self.settled.set()


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL to the whole process group if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # and anything it started (its own session)
    except ProcessLookupError:
        pass
    process.wait()


@contextmanager
def planview_server(database_url: str, *, serve: bool = False, **env: str) -> Iterator[ServerProcess]:
    """planview on ``database_url`` in its own process on a free loopback port; stopped on exit.

    ``serve=True`` runs the ``planview serve`` command (as an operator would) instead of uvicorn on the
    app factory. ``env`` adds or overrides environment variables (``PLANVIEW_…`` settings).
    """
    environment = {**os.environ, "PLANVIEW_DATABASE_URL": database_url, "PLANVIEW_LOG_LEVEL": "INFO", **env}
    if serve:
        args = [str(Path(sys.executable).with_name("planview")), "serve"]
        environment.update(PLANVIEW_HOST="127.0.0.1", PLANVIEW_PORT="0", PLANVIEW_WORKERS="1")
    else:
        args = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
        args += ["--host", "127.0.0.1", "--port", "0", "--no-access-log"]
    process = subprocess.Popen(
        args,
        cwd=REPO_ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    server = ServerProcess(url="", process=process)
    reader = _LogReader(process, server.log)
    reader.start()
    try:
        if not reader.settled.wait(START_TIMEOUT_S) or reader.port is None:
            raise RuntimeError(
                f"planview server did not start (exit code {process.poll()}):\n{server.log_tail()}"
            )
        server.url = f"http://127.0.0.1:{reader.port}"
        yield server
    finally:
        _stop(process)
        reader.join(timeout=STOP_TIMEOUT_S)
