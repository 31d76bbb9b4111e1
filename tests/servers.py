"""A real uvicorn in a subprocess, for tests that need a server of its own (fuzzing, several processes)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from geo.store.settings import REPO_ROOT


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn_process(database_url: str, **env: str) -> Iterator[str]:
    """planview under uvicorn in its own process on ``database_url``; yields the base URL."""
    port = free_port()
    environment = {**os.environ, "PLANVIEW_DATABASE_URL": database_url, **env}
    args = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(args, cwd=REPO_ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for the server's answer, not for a fixed time
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError("uvicorn exited before answering /healthz")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer /healthz within 30 s")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
