"""Browser fixtures: planview in a server process of its own on the module's database, Debian's chromium.

Use in any tests/maps module::

    @pytest.mark.browser
    def test_something(live_server, open_page):
        page = open_page("/?view=planner")        # waits until the viewer says it is ready
        assert page.locator("#pv-layer-tree details").count() > 0
        assert page.pv_external_requests() == []   # every request stayed on 127.0.0.1

``open_page`` records every request (``page.pv_requests``), console errors and page errors
(``page.pv_errors``) and responses (``page.pv_responses``). Tests wait for the page's events, never
for a fixed time: ``map_idle(page)`` after anything that moves the map or opens a card.
"""

import json
import shutil
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.servers import planview_server

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
# How long a page may take to reach the state a test waits for (an event, never a fixed time): ample,
# because a limit only matters when something is slow — a 2-core CI machine under load, where a page
# that is ready in 2 s when idle can take over 20 s.
WAIT_MS = 90_000


# Resolves once the map is at rest: no pan or zoom animation running, no tile layer loading, every
# finite CSS transition (popup fades, the panel sliding) finished, and two frames painted after that.
MAP_IDLE_JS = """() => new Promise((resolve) => {
  const map = map_planview;
  const busy = () => {
    if ((map._panAnim && map._panAnim._inProgress) || map._animatingZoom) return true;
    let loading = false;
    map.eachLayer((layer) => { if (layer.isLoading && layer.isLoading()) loading = true; });
    return loading;
  };
  const step = () => {
    if (busy()) { requestAnimationFrame(step); return; }
    const running = document.getAnimations()
      .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
    Promise.all(running.map((a) => a.finished.catch(() => null))).then(() =>
      requestAnimationFrame(() => requestAnimationFrame(() => (busy() ? step() : resolve()))));
  };
  step();
})"""


def map_idle(page) -> None:
    """Wait until the map has finished moving, loading and animating (a click now lands where aimed)."""
    page.evaluate(MAP_IDLE_JS)


def move_map(page, lat: float, lon: float, zoom: int) -> None:
    """Centre the map without animation and wait until it is at rest."""
    # void: setView returns the map, which Playwright would spend seconds serialising
    page.evaluate(f"void map_planview.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    map_idle(page)


@pytest.fixture(scope="module")
def live_server(database_url) -> Iterator[str]:
    """planview on the module's database in a server process of its own; yields its base URL."""
    with planview_server(database_url) as server:
        yield server.url


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian chromium for one test module (never `playwright install`).

    Per module, not per session: Playwright's sync API keeps an event loop running in this thread
    while it is open, and every later test calling asyncio.run() would fail (seen with the browser
    modules run first, --order=reverse)."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _wait_without_eval(page):
    """page.wait_for_function for a page whose CSP forbids eval (Playwright's own one compiles the
    predicate with eval in the page): the predicate is polled once per animation frame instead."""

    def wait_for_function(expression: str, arg=None, timeout: float = WAIT_MS, **_ignored):
        text = expression.strip()
        return page.evaluate(
            f"""async ([arg, timeout]) => {{
                const predicate = () => {{
                    const v = ({text});
                    return typeof v === "function" ? v(arg) : v;
                }};
                const end = performance.now() + timeout;
                for (;;) {{
                    const value = await predicate();
                    if (value) return value;
                    if (performance.now() > end) throw new Error("timed out: " + {json.dumps(text)});
                    await new Promise((resolve) => requestAnimationFrame(resolve));
                }}
            }}""",
            [arg, timeout],
        )

    return wait_for_function


@pytest.fixture
def open_page(chromium, live_server):
    """open_page(path, width=1280, height=800) → a ready Playwright page that records its traffic."""
    contexts = []

    def _open(path: str = "/", width: int = 1280, height: int = 800):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
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
        page.wait_for_function = _wait_without_eval(page)
        page.pv_started = time.perf_counter()
        page.goto(live_server + path, wait_until="networkidle")
        page.wait_for_selector("body[data-ready=true]")
        page.pv_ready_seconds = time.perf_counter() - page.pv_started
        return page

    yield _open
    for context in contexts:
        context.close()
