"""Printable A4 sheets (plan conformity, site fact sheet) rendered with Jinja2; small maps as inline SVG."""

import math
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

SEVERITY_COLOURS = {"block": "#b2182b", "review": "#e66101", "info": "#2166ac"}
VERDICT_TEXT = {
    "consistent": ("Phù hợp quy hoạch", "Consistent with the plan"),
    "needs_review": ("Cần xem xét", "Needs review"),
    "conflicts": ("Xung đột với quy hoạch", "Conflicts with the plan"),
    "not_screened": ("Chưa đối chiếu được (không có vị trí)", "Not screened (no location)"),
}


def _rings(geometry: dict | None) -> list[tuple[str, list[list[float]]]]:
    """(kind, positions) parts of a GeoJSON geometry: kind is 'polygon', 'line' or 'point'."""
    if not geometry:
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "GeometryCollection":
        return [part for g in geometry.get("geometries", []) for part in _rings(g)]
    if kind == "Point":
        return [("point", [coords])]
    if kind == "MultiPoint":
        return [("point", [c]) for c in coords]
    if kind == "LineString":
        return [("line", coords)]
    if kind == "MultiLineString":
        return [("line", c) for c in coords]
    if kind == "Polygon":
        return [("polygon", ring) for ring in coords]
    if kind == "MultiPolygon":
        return [("polygon", ring) for poly in coords for ring in poly]
    return []


def svg_map(layers: list[tuple[dict | None, dict]], width: int = 640, height: int = 400) -> Markup:
    """An SVG of GeoJSON geometries, each with a style dict (stroke, fill, label); no network, no tiles."""
    parts = [(kind, pos, style) for geometry, style in layers for kind, pos in _rings(geometry)]
    points = [p for _, pos, _ in parts for p in pos]
    if not points:
        return Markup(
            f'<svg class="pv-sheet-map" viewBox="0 0 {width} {height}" role="img" aria-label="no geometry">'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">'
            "no geometry / không có vị trí</text></svg>"
        )
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    lat0 = (min(lats) + max(lats)) / 2
    kx = math.cos(math.radians(lat0))  # equirectangular at the centre latitude keeps shapes true
    span_x = max((max(lons) - min(lons)) * kx, 1e-4)
    span_y = max(max(lats) - min(lats), 1e-4)
    pad = 0.12
    scale = min(width / (span_x * (1 + 2 * pad)), height / (span_y * (1 + 2 * pad)))
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2

    def xy(p: list[float]) -> str:
        return f"{width / 2 + (p[0] - cx) * kx * scale:.1f},{height / 2 - (p[1] - cy) * scale:.1f}"

    body = []
    for kind, pos, style in parts:
        stroke, fill = escape(style.get("stroke", "#333")), escape(style.get("fill", "none"))
        title = f"<title>{escape(style['label'])}</title>" if style.get("label") else ""
        if kind == "point":
            x, y = xy(pos[0]).split(",")
            body.append(f'<circle cx="{x}" cy="{y}" r="5" fill="{stroke}">{title}</circle>')
        elif kind == "line":
            body.append(
                f'<polyline points="{" ".join(xy(p) for p in pos)}" fill="none" stroke="{stroke}" '
                f'stroke-width="2">{title}</polyline>'
            )
        else:
            body.append(
                f'<polygon points="{" ".join(xy(p) for p in pos)}" fill="{fill}" fill-opacity="0.35" '
                f'stroke="{stroke}" stroke-width="1.5">{title}</polygon>'
            )
    # a scale bar: metres per pixel from the degree scale
    metres_per_px = 111_320 / scale
    bar_m = 10 ** math.floor(math.log10(metres_per_px * 120))
    bar_px = bar_m / metres_per_px
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    body.append(
        f'<g class="pv-scale"><line x1="12" y1="{height - 14}" x2="{12 + bar_px:.1f}" y2="{height - 14}" '
        f'stroke="#000" stroke-width="3"/><text x="12" y="{height - 20}">{label}</text></g>'
        f'<text x="{width - 12}" y="20" text-anchor="end" font-weight="bold">N ↑</text>'
    )
    return Markup(
        f'<svg class="pv-sheet-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="map / bản đồ" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="{height}" fill="#f7f7f2"/>{"".join(body)}</svg>'
    )


def conformity_page(sheet: dict, lang: str = "vi") -> str:
    """The A4 plan-conformity sheet of a project or a footprint."""
    layers = [(sheet.get("footprint"), {"stroke": "#08519c", "fill": "#6baed6", "label": "footprint"})]
    for conflict in sheet.get("conflicts", []):
        colour = SEVERITY_COLOURS[conflict["severity"]]
        layers.append(
            (conflict.get("geometry"), {"stroke": colour, "fill": colour, "label": conflict["rule_code"]})
        )
    return TEMPLATES.get_template("conformity.html").render(
        sheet=sheet,
        lang=lang,
        map_svg=svg_map(layers),
        verdict_text=VERDICT_TEXT[sheet["verdict"]],
        colours=SEVERITY_COLOURS,
    )


def site_page(site: dict, lang: str = "vi") -> str:
    """The A4 fact sheet of an industrial park, cluster or tourism area."""
    layers = [(site.get("geometry"), {"stroke": "#7b3294", "fill": "#faaaa0", "label": site["zone_id"]})]
    return TEMPLATES.get_template("site.html").render(site=site, lang=lang, map_svg=svg_map(layers))
