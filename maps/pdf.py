"""HTML → vector PDF with Debian's headless Chromium, offline, bounded in time and in parallel renders."""

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from geo.errors import GatewayTimeout, ServiceUnavailable

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # the server may run as root; the page is our own HTML from a temporary file
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--no-pdf-header-footer",
    # the page needs nothing from the network: refuse every host name
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


class PdfRenderer:
    """Prints self-contained HTML pages to PDF; at most ``concurrency`` Chromium processes at a time."""

    def __init__(
        self, chromium: str, timeout_s: float = 60.0, concurrency: int = 2, queue_wait_s: float = 10.0
    ):
        self.chromium = chromium
        self.timeout_s = timeout_s
        self.queue_wait_s = queue_wait_s
        self._slots = asyncio.Semaphore(max(concurrency, 1))

    async def render(self, html: str) -> bytes:
        """The PDF of ``html`` (its CSS @page sets the paper); 503 when busy or missing, 504 when too slow."""
        executable = shutil.which(self.chromium)
        if executable is None:
            raise ServiceUnavailable(
                f"the PDF printer is not installed ({self.chromium}; apt-get install chromium); "
                "the print layout at /print still works in a browser",
                retry_after=3600,
            )
        try:
            await asyncio.wait_for(self._slots.acquire(), self.queue_wait_s)
        except TimeoutError:
            raise ServiceUnavailable(
                "every PDF printer slot is busy; try again shortly", retry_after=10
            ) from None
        try:
            return await self._render(executable, html)
        finally:
            self._slots.release()

    async def _render(self, executable: str, html: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="planview-print-") as tmp:
            page, out = Path(tmp) / "page.html", Path(tmp) / "page.pdf"
            page.write_text(html, encoding="utf-8")
            process = await asyncio.create_subprocess_exec(
                executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={out}",
                page.as_uri(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout ends every Chromium child
            )
            try:
                _, stderr = await asyncio.wait_for(process.communicate(), self.timeout_s)
            except (TimeoutError, asyncio.CancelledError) as exc:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
                if isinstance(exc, asyncio.CancelledError):
                    raise
                raise GatewayTimeout(f"the PDF was not ready within {self.timeout_s:g} s") from None
            if process.returncode != 0 or not out.exists() or out.stat().st_size == 0:
                tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] if stderr else []
                raise ServiceUnavailable(
                    f"the PDF printer failed (exit {process.returncode}){': ' + tail[0] if tail else ''}",
                    retry_after=30,
                )
            return out.read_bytes()
