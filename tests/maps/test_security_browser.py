"""In the browser: imported text stays text; the CSP lets the page and /docs run."""

import pytest

MARKUP = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"


@pytest.fixture(scope="module")
def hostile_settlement(engine, tmp_path_factory):
    """The settlements layer replaced through the importer by a file whose one place is named with markup."""
    import json

    from geo.ingest.importer import import_any

    path = tmp_path_factory.mktemp("hostile") / "places.geojson"
    feature = {
        "type": "Feature",
        "properties": {"name": MARKUP},
        "geometry": {"type": "Point", "coordinates": [105.83, 22.15]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    import_any(engine, path, sheet_id="P2.b", layer_key="settlements", replace=True)


@pytest.mark.browser
def test_an_imported_name_with_markup_is_shown_as_text(hostile_settlement, open_page):
    page = open_page("/")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    label = page.locator(".pv-place-label", has_text="onerror")
    label.first.wait_for()
    assert label.first.inner_text() == MARKUP
    assert page.locator(".pv-place-label img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert dialogs == []
    assert page.pv_errors == []  # no CSP violation: Folium's inline scripts carry the nonce


@pytest.mark.browser
def test_docs_render_offline_under_the_csp(chromium, live_server):
    context = chromium.new_context()
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_server + "/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "planview" in page.locator(".swagger-ui .info .title").inner_text()
    assert all(url.startswith(live_server) for url in requests), requests
    assert errors == []
    context.close()
