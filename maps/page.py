"""The map page at ``/``: a Folium/Leaflet shell whose behaviour lives in ``static/js/main.js``."""

import html
import json
from dataclasses import dataclass

import folium
from branca.element import Element

from geo.store.crs import VN2000_PROJ4, VN2000_SRID
from maps.styles import BASE_STYLES, ZONE_KIND_COLORS

# Bắc Kạn province, roughly; the JS fits the real province bounds once they arrive.
PROVINCE_CENTER = (22.15, 105.83)
PROVINCE_ZOOM = 9
MAP_ID = "planview"  # the Leaflet map becomes the global ``map_planview``

VENDOR = "/static/vendor"
# Folium's class-level lists point at CDNs and are shared by every Map: assign new lists per instance.
PAGE_JS = [
    ("leaflet", f"{VENDOR}/leaflet/leaflet.js"),
    ("leaflet_markercluster", f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js"),
    ("leaflet_vectorgrid", f"{VENDOR}/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    ("leaflet_draw", f"{VENDOR}/leaflet-draw/leaflet.draw.js"),
    ("proj4", f"{VENDOR}/proj4/proj4.js"),
]
PAGE_CSS = [
    ("leaflet_css", f"{VENDOR}/leaflet/leaflet.css"),
    ("markercluster_css", f"{VENDOR}/leaflet.markercluster/MarkerCluster.css"),
    ("markercluster_default_css", f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css"),
    ("leaflet_draw_css", f"{VENDOR}/leaflet-draw/leaflet.draw.css"),
    ("planview_css", "/static/css/planview.css"),
    ("tools_css", "/static/css/tools.css"),
]
VIEWS = ("default", "planner", "investor")
LANGUAGES = ("vi", "en")

# The page's fixed skeleton; every label is filled in by static/js/i18n.js (data-i18n keys).
SHELL_HTML = """
<header id="pv-header">
  <button id="pv-panel-toggle" type="button" aria-controls="pv-panel" aria-expanded="true"
          data-i18n-title="toggle_panel">&#9776;</button>
  <h1 id="pv-title" data-i18n="app_title">Quy hoạch tỉnh Bắc Kạn 2021–2030</h1>
  <form id="pv-search" role="search" autocomplete="off">
    <input id="pv-search-input" type="search" data-i18n-placeholder="search_placeholder"
           aria-label="search">
    <ul id="pv-search-results" hidden></ul>
  </form>
  <button id="pv-print-button" type="button" aria-haspopup="dialog" aria-controls="pv-print-dialog"
          data-i18n-title="print_button"><svg class="pv-print-icon" aria-hidden="true" width="16"
      height="14" viewBox="0 0 16 14" fill="none" stroke="currentColor" stroke-width="1.4">
      <path d="M4 5V1h8v4M4 11H1.5V5h13v6H12"/><path d="M4 8.5h8V13H4z"/></svg>
    <span class="pv-print-label" data-i18n="print_button">In bản đồ</span></button>
  <a id="pv-monitoring-link" href="/monitoring" data-i18n="monitoring_link">Theo dõi thực hiện</a>
  <details id="pv-downloads">
    <summary data-i18n="downloads_menu">Tải về</summary>
    <div class="pv-download-menu">
      <a id="pv-download-plan" href="/api/download/plan.gpkg" download
         data-i18n="download_plan_gpkg">Toàn bộ quy hoạch (GeoPackage)</a>
      <a id="pv-download-qgz" href="/api/download/planview.qgz" download
         data-i18n="download_qgz">Dự án QGIS</a>
    </div>
  </details>
  <div id="pv-lang" role="group">
    <button type="button" data-lang="vi">VI</button><button type="button" data-lang="en">EN</button>
  </div>
</header>
<div id="pv-message" role="alert" hidden><span id="pv-message-text"></span>
  <button type="button" id="pv-message-close" aria-label="close">&times;</button></div>
<aside id="pv-panel">
  <nav id="pv-tabs" role="tablist">
    <button type="button" role="tab" data-tab="layers" data-i18n="tab_layers">Lớp bản đồ</button>
    <button type="button" role="tab" data-tab="projects" data-i18n="tab_projects">Dự án</button>
    <button type="button" role="tab" data-tab="zones" data-i18n="tab_zones">Khu, cụm</button>
    <button type="button" role="tab" data-tab="here" data-i18n="tab_here">Tại đây</button>
    <button type="button" role="tab" data-tab="tools" data-i18n="tab_tools">Công cụ</button>
  </nav>
  <section id="pv-tab-layers" class="pv-tab" data-tab="layers">
    <div id="pv-base"></div>
    <div id="pv-layer-tree" aria-busy="true"></div>
  </section>
  <section id="pv-tab-projects" class="pv-tab" data-tab="projects">
    <div id="pv-district-heading"></div>
    <div id="pv-project-filters"></div>
    <p id="pv-project-summary"></p>
    <div id="pv-project-legend" class="pv-legend"></div>
    <ol id="pv-project-list"></ol>
  </section>
  <section id="pv-tab-zones" class="pv-tab" data-tab="zones">
    <div id="pv-zone-legend" class="pv-legend"></div>
    <ol id="pv-zone-list"></ol>
  </section>
  <section id="pv-tab-here" class="pv-tab" data-tab="here">
    <h2 data-i18n="here_title">Quy hoạch tại đây</h2>
    <div id="pv-here"><p data-i18n="here_hint">Bấm vào bản đồ để xem quy hoạch tại điểm đó.</p></div>
  </section>
  <section id="pv-tab-tools" class="pv-tab" data-tab="tools">
    <div id="pv-conflicts" class="pv-tool"></div>
    <div id="pv-site-finder" class="pv-tool"></div>
    <div id="pv-screening" class="pv-tool"></div>
  </section>
</aside>
<div id="pv-coords-box">
  <select id="pv-coords-crs" data-i18n-title="coords_crs" aria-label="coordinates">
    <option value="both" data-i18n="coords_both">WGS 84 + VN-2000</option>
    <option value="wgs84">WGS 84</option><option value="vn2000">VN-2000</option>
  </select>
  <span id="pv-coords" aria-live="off"></span>
</div>
<dialog id="pv-print-dialog" aria-labelledby="pv-print-title">
  <form id="pv-print-form" method="dialog">
    <h2 id="pv-print-title" data-i18n="print_title">In bản đồ theo tỉ lệ</h2>
    <label><span data-i18n="print_paper">Khổ giấy</span>
      <select name="paper"><option value="A4">A4</option><option value="A3">A3</option></select></label>
    <label><span data-i18n="print_orientation">Hướng giấy</span>
      <select name="orientation">
        <option value="landscape" data-i18n="print_landscape">Ngang</option>
        <option value="portrait" data-i18n="print_portrait">Dọc</option></select></label>
    <label><span data-i18n="print_scale">Tỉ lệ</span>
      <select name="scale">
        <option value="fit" data-i18n="print_fit">Vừa khung nhìn hiện tại</option>
        <option value="10000">1:10.000</option><option value="25000">1:25.000</option>
        <option value="50000">1:50.000</option><option value="100000">1:100.000</option>
        <option value="250000">1:250.000</option></select></label>
    <p class="pv-print-note" data-i18n="print_note">
      Bản đồ vẽ trong hệ VN-2000 (TM-3 106°30′), đúng tỉ lệ trên giấy.</p>
    <div class="pv-print-actions">
      <a id="pv-print-open" target="_blank" rel="noopener" data-i18n="print_open">Mở bản in</a>
      <a id="pv-print-pdf" target="_blank" rel="noopener" data-i18n="print_pdf">Tải PDF</a>
      <button type="submit" value="close" data-i18n="print_close">Đóng</button>
    </div>
  </form>
</dialog>
"""


@dataclass(frozen=True)
class PageRequest:
    """What the URL asked for: the way in, a district, the language."""

    view: str = "default"
    district: str | None = None
    lang: str = "vi"


def page_config(
    request: PageRequest,
    base_tiles_url: str | None,
    base_tiles_attribution: str | None,
    notices: list[str] | None = None,
) -> dict:
    """The settings handed to the JS modules (no data: the data comes from the API)."""
    return {
        "map": f"map_{MAP_ID}",
        "view": request.view,
        "district": request.district,
        "lang": request.lang,
        "center": list(PROVINCE_CENTER),
        "zoom": PROVINCE_ZOOM,
        "api": "/api",
        "vn2000": {"srid": VN2000_SRID, "proj4": VN2000_PROJ4},
        "notices": list(notices or []),
        "baseTiles": {"url": base_tiles_url, "attribution": base_tiles_attribution or ""}
        if base_tiles_url
        else None,
        "styles": {
            "base": BASE_STYLES,
            "projectStatus": {},  # filled from GET /api/vocabularies by main.js
            "zoneKind": ZONE_KIND_COLORS,
        },
    }


def build_page(
    request: PageRequest,
    base_tiles_url: str | None = None,
    base_tiles_attribution: str | None = None,
    notices: list[str] | None = None,
) -> str:
    """Render the whole HTML page for one way in (default, planner, investor or a district)."""
    fmap = folium.Map(
        location=PROVINCE_CENTER,
        zoom_start=PROVINCE_ZOOM,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        min_zoom=6,
        max_zoom=18,
    )
    fmap._id = MAP_ID
    fmap.default_js = list(PAGE_JS)
    fmap.default_css = list(PAGE_CSS)
    if base_tiles_url:
        folium.TileLayer(
            tiles=base_tiles_url,
            attr=base_tiles_attribution or "base map",
            name="web",
            max_zoom=18,
        ).add_to(fmap)

    root = fmap.get_root()
    title = "Quy hoạch tỉnh Bắc Kạn 2021–2030 — planview"
    root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="title")
    # An empty icon: otherwise the browser asks for /favicon.ico and logs a 404.
    root.header.add_child(Element('<link rel="icon" href="data:,">'), name="favicon")
    root.html.add_child(Element(SHELL_HTML), name="shell")
    config = json.dumps(
        page_config(request, base_tiles_url, base_tiles_attribution, notices), ensure_ascii=False
    )
    # No '<' survives, so nothing in the data can close or open a script element.
    config = config.replace("<", "\\u003c")
    root.html.add_child(
        Element(f'<script id="pv-config" type="application/json">{config}</script>'), name="config"
    )
    root.html.add_child(Element('<script type="module" src="/static/js/main.js"></script>'), name="main")
    page = root.render()
    return page.replace("<html>", f'<html lang="{request.lang}">', 1)
