"""The printable sheets: small maps in context at a true scale, and Vietnamese pages in Vietnamese only."""

import re
from html.parser import HTMLParser

import pytest

from geo.analysis import rules, screening

# Words and phrases that leaked English into the Vietnamese sheets (sources' notes, ranking reasons,
# severities, codes); none may appear in a Vietnamese page's visible text outside links and codes.
ENGLISH = (
    "area not found",
    "date of figure unknown",
    "horizon not stated",
    "see priority_projects",
    "approx.",
    "state-invested",
    "text truncated",
    "available",
    "planned",
    "unknown",
    "km from",
    "national road",
    "footprint",
    "approximate",
    "block",
    "review",
    "info",
    "exact",
    "none",
    "tourism",
    "medium",
    "high",
    "low",
    "status",
    "already operating",
    "distance",
    "conflict",
    "source",
    "data version",
    "confidence",
    "not published",
    "no geometry",
    "scale",
    "print",
    "as named",
    "via",
    "crawled",
    "published facts",
    "landscape",
    "legend",
    "grid",
    "north",
)


class VisibleText(HTMLParser):
    """The text a reader sees: no <style>, <script>, <title> of SVG shapes, or link targets."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def english_in(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = re.sub(r"https?://\S+", " ", " ".join(parser.parts))
    return [p for p in ENGLISH if re.search(rf"(?<![\w/.-]){re.escape(p)}(?![\w-])", text, re.I)]


@pytest.fixture(scope="module")
def screened(engine):
    with engine.begin() as conn:
        rules.load_rules(conn)
    screening.screen_all(engine)


def test_every_site_sheet_in_vietnamese_has_no_english(client, screened):
    zones = client.get("/api/collections/zones/items", params={"limit": 1000}).json()["features"]
    assert len(zones) > 20
    leaks = {}
    for zone in zones:
        page = client.get(f"/sites/{zone['id']}")
        assert page.status_code == 200
        if found := english_in(page.text):
            leaks[zone["id"]] = found
    assert leaks == {}
    # the same sheet in English keeps the sources' own notes and the English ranking
    english = client.get("/sites/CCN-06", params={"lang": "en"}).text
    assert "area not found" in english and "km from" in english


def test_every_conformity_sheet_in_vietnamese_has_no_english(client, screened):
    projects = client.get("/api/projects").json()["projects"]
    leaks = {}
    for project in projects[:40]:
        page = client.get(f"/projects/{project['project_id']}/conformity")
        assert page.status_code == 200
        if found := english_in(page.text):
            leaks[project["project_id"]] = found
    assert leaks == {}


def test_point_site_map_shows_its_context_at_a_sensible_scale(client, screened):
    """CCN-07 Huyện Tụng is known only as a point: its map shows communes, roads and places at 1:100,000."""
    html = client.get("/sites/CCN-07").text
    svg = html[html.index('<svg class="pv-sheet-map"') :]
    svg = svg[: svg.index("</figure>")]
    assert 'data-scale="100000"' in svg and "Tỉ lệ 1:100.000" in html
    assert len(re.findall(r'<g data-layer="communes">.*?</g>', svg)[0].split("<path")) > 4
    assert 'data-layer="national_roads"><path' in svg  # QL3 passes by
    assert 'data-layer="districts"><path' in svg
    assert re.search(r'data-layer="site"><circle', svg)
    assert "Bắc Kạn</text>" in svg  # the city's name beside its dot
    # the scale bar: its length on the SVG's millimetre grid is its ground length / scale
    m = re.search(r'<rect x="2\.000" y="4\.2" width="([\d.]+)"', svg)
    label = re.findall(r'text-anchor="middle">([\d,]+) km</text>', svg)[-1]
    assert abs(4 * float(m.group(1)) - float(label.replace(",", ".")) * 1_000_000 / 100_000) < 0.01
    assert "1 m<" not in svg


def test_polygon_site_map_is_larger_scale(client, screened):
    html = client.get("/sites/KCN-01").text
    scale = int(re.search(r'<figcaption class="pv-meta" data-scale="(\d+)"', html).group(1))
    assert scale in (25_000, 50_000)
    assert 'data-layer="site"><path' in html


def test_print_layout_in_vietnamese_has_no_english(client):
    """The print layout's own wording and the sources' citations are Vietnamese on a Vietnamese page."""
    params = {
        "paper": "A3",
        "scale": "fit",
        "layers": "priority_projects,industrial_zones,tourism_areas,protected_areas",
    }
    html = client.get("/print", params=params).text
    assert "Nguồn" in html and english_in(html) == []
    assert "via " in client.get("/print", params={**params, "lang": "en"}).text  # English keeps the citation
