"""The page shell rendered by Folium: offline, configurable web base, safe config."""

import json
import re

from api.routes.pages import page_request
from maps.page import PageRequest, build_page


def config_of(html: str) -> dict:
    return json.loads(
        re.search(r'<script id="pv-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    )


def test_page_references_no_outside_url_and_only_vendored_assets():
    html = build_page(PageRequest())
    assert re.findall(r"https?://", html) == []
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts + styles)
    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in scripts
    assert '<html lang="vi">' in html


def test_web_base_tiles_appear_only_when_configured():
    url = "https://tile.example.org/{z}/{x}/{y}.png"
    assert "tile.example.org" not in build_page(PageRequest())
    html = build_page(PageRequest(), base_tiles_url=url, base_tiles_attribution="© OSM")
    assert url in html
    assert config_of(html)["baseTiles"] == {"url": url, "attribution": "© OSM"}


def test_district_text_cannot_break_out_of_the_config_script():
    html = build_page(PageRequest(district="</script><script>alert(1)</script>"))
    assert config_of(html)["district"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in html


def test_unknown_view_and_language_become_notices_not_errors():
    request, notices = page_request(view="admin", district="  ", lang="fr")
    assert request == PageRequest(view="default", district=None, lang="vi")
    assert notices == ["unknown_view", "unknown_lang"]
    html = build_page(request, notices=notices)
    assert config_of(html)["notices"] == ["unknown_view", "unknown_lang"]
    request, notices = page_request(view="investor", district="Ba Bể", lang="en")
    assert (request.view, request.district, request.lang, notices) == ("investor", "Ba Bể", "en", [])


def test_the_cursor_projects_to_vn2000_exactly_as_the_database_does(engine):
    from sqlalchemy import text

    page_definition = config_of(build_page(PageRequest()))["vn2000"]
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT proj4text FROM spatial_ref_sys WHERE srid = :srid"),
            {"srid": page_definition["srid"]},
        ).scalar_one()
    assert page_definition["proj4"] == stored.strip()
