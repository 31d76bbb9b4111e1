"""Browser fixtures: a real uvicorn serving the app on the module's database, Debian's chromium.

Use in any tests/maps module::

    @pytest.mark.browser
    def test_something(live_server, open_page):
        page = open_page("/?view=planner")        # waits until the viewer says it is ready
        assert page.locator("#pv-layer-tree details").count() > 0
        assert page.pv_external_requests() == []   # every request stayed on 127.0.0.1

``open_page`` records every request (``page.pv_requests``), console errors and page errors
(``page.pv_errors``) and responses (``page.pv_responses``).
"""

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(database_url) -> Iterator[str]:
    """The planview app under uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    from api.main import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="planview-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian chromium for the whole session (never `playwright install`)."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """open_page(path, width=1280, height=800) → a ready Playwright page that records its traffic."""
    contexts = []

    def _open(path: str = "/", width: int = 1280, height: int = 800):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.pv_requests, page.pv_errors, page.pv_responses = [], [], []
        page.on("request", lambda request: page.pv_requests.append(request.url))
        page.on("response", lambda response: page.pv_responses.append(response))
        page.on("console", lambda msg: msg.type == "error" and page.pv_errors.append(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: page.pv_errors.append(f"pageerror: {exc}"))

        def external_requests():
            hosts = [(url, urlsplit(url)) for url in page.pv_requests]
            return [
                u
                for u, s in hosts
                if s.scheme in ("http", "https", "ws", "wss") and s.hostname not in LOCAL_HOSTS
            ]

        page.pv_external_requests = external_requests
        page.pv_started = time.perf_counter()
        page.goto(live_server + path, wait_until="networkidle")
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        page.pv_ready_seconds = time.perf_counter() - page.pv_started
        return page

    yield _open
    for context in contexts:
        context.close()
