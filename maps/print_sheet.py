"""The print layout (A4/A3 at a stated scale) and the small true-to-scale maps of the printable sheets.

Everything is drawn from data handed in by ``geo.serve.printmap``: SVG path strings already in paper
millimetres, so the SVG's user unit is one millimetre and the map is true to scale when printed.
"""

from html import escape
from urllib.parse import urlencode

from markupsafe import Markup

from geo.store.wording import note_vi
from maps.styles import (
    FOCUS_STYLES,
    PROJECT_STATUS_COLORS,
    PROJECT_STATUS_LABELS,
    SEVERITY_COLOURS,
    ZONE_KIND_COLORS,
    ZONE_KIND_LABELS,
)
from maps.templating import TEMPLATES

PLAN_TITLE = {
    "vi": "Quy hoạch tỉnh Bắc Kạn thời kỳ 2021–2030, tầm nhìn đến năm 2050",
    "en": "Bắc Kạn Provincial Plan 2021–2030, vision to 2050",
}
HOME_PROVINCE_CODE = "06"
SVG_NS = "http://www.w3.org/2000/svg"
APPROXIMATE_DASH = "1.4 1"
PX_MM = 0.22  # one Leaflet pixel of line weight on paper

# The base under every print (collection id → symbol in mm) and its legend wording.
BASE_SYMBOLS: dict[str, dict] = {
    "provinces": {"stroke": "#555555", "width": 0.5, "fill": "#fbfaf4"},
    "communes": {"stroke": "#b8b8b8", "width": 0.15},
    "districts": {"stroke": "#7a7a7a", "width": 0.35, "dash": "2 1"},
    "rivers": {"stroke": "#4a90c8", "width": 0.35},
    "national_roads": {"stroke": "#e08020", "width": 0.6},
    "settlements": {"stroke": "#333333", "width": 0.25, "fill": "#ffffff", "radius": 0.9},
}
BASE_LEGEND = {
    "provinces": ("Ranh giới tỉnh (trước 07/2025)", "Province boundary (pre-July 2025)"),
    "districts": ("Ranh giới huyện (trước 07/2025)", "District boundary (pre-July 2025)"),
    "communes": ("Ranh giới xã (trước 07/2025)", "Commune boundary (pre-July 2025)"),
    "rivers": ("Sông chính (sơ đồ)", "Main river (schematic)"),
    "national_roads": ("Quốc lộ", "National road"),
    "settlements": ("Điểm dân cư", "Settlement"),
}
NEIGHBOUR = {"stroke": "#9a9a9a", "width": 0.25, "fill": "#e3e3de"}

WORDS = {
    "sheet": ("Sơ đồ", "Sheet"),
    "map": ("Bản đồ", "Map"),
    "scale": ("Tỉ lệ", "Scale"),
    "fit": ("vừa khổ giấy", "fitted to the paper"),
    "legend": ("Chú giải", "Legend"),
    "grid": (
        "Lưới tọa độ VN-2000, múi chiếu 3°, kinh tuyến trục 106°30′ (EPSG:9213), đơn vị m; "
        "X hướng bắc, Y hướng đông",
        "VN-2000 grid, 3° zone, central meridian 106°30′ (EPSG:9213), metres; X north, Y east",
    ),
    "north": ("Bắc lưới", "Grid north"),
    "convergence_e": (
        "bắc thực lệch {a} về phía đông so với bắc lưới",
        "true north is {a} east of grid north",
    ),
    "convergence_w": (
        "bắc thực lệch {a} về phía tây so với bắc lưới",
        "true north is {a} west of grid north",
    ),
    "source": ("Nguồn", "Source"),
    "boundaries": ("Ranh giới hành chính", "Administrative boundaries"),
    "data_version": ("phiên bản dữ liệu", "data version"),
    "printed": ("In ngày", "Printed"),
    "approx": (
        "Vị trí gần đúng (nét đứt) được suy ra từ tên xã/huyện trong nguồn, không phải ranh giới chính thức.",
        "Approximate places (dashed) are derived from the commune/district named by the sources, "
        "not official boundaries.",
    ),
    "not_official": (
        "Bản đồ tham khảo do planview lập từ dữ liệu công khai; không thay thế bản đồ trong hồ sơ quy hoạch.",
        "Reference map made by planview from public data; it does not replace the plan dossier's maps.",
    ),
    "truncated": ("chỉ vẽ một phần (quá nhiều đối tượng)", "partly drawn (too many features)"),
    "empty": ("không có đối tượng trong khung", "no feature in the frame"),
    "print": ("In", "Print"),
    "pdf": ("Tải PDF", "Download PDF"),
    "back": ("Về bản đồ", "Back to the map"),
    "km": ("km", "km"),
    "landscape": ("khổ ngang", "landscape"),
    "portrait": ("khổ dọc", "portrait"),
}


def word(key: str, lang: str) -> str:
    """A fixed wording of the layout in the page's language."""
    vi, en = WORDS[key]
    return vi if lang == "vi" else en


def format_int(value: float, lang: str) -> str:
    """An integer grouped the Vietnamese way (100.000) or the English way (100,000)."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "vi" else text


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _symbol(layer: dict, feature: dict) -> dict:
    """The paper symbol (mm) of one feature: the base's, or the overlay's style with class colours."""
    key = layer["key"]
    if layer.get("base"):
        if key == "provinces" and feature.get("class") != HOME_PROVINCE_CODE:
            return NEIGHBOUR
        return BASE_SYMBOLS[key]
    style = layer.get("style") or FOCUS_STYLES.get(key) or {}
    colour = style.get("color") or "#3b6ea5"
    fill = style.get("fillColor") or colour
    cls = feature.get("class")
    if key == "conflict" and cls in SEVERITY_COLOURS:
        colour = fill = SEVERITY_COLOURS[cls]
    elif key in ("priority_projects", "site") and cls in PROJECT_STATUS_COLORS:
        colour = fill = PROJECT_STATUS_COLORS[cls]
    elif key in ("industrial_zones", "tourism_areas", "site") and cls in ZONE_KIND_COLORS:
        colour = fill = ZONE_KIND_COLORS[cls]
    else:
        for entry in layer.get("legend") or []:
            if entry.get("code") and entry.get("code") == cls and entry.get("color"):
                fill = entry["color"]
    symbol = {
        "stroke": colour,
        "width": max(float(style.get("weight", 1.5)) * PX_MM, 0.15),
        "fill": fill,
        "fill_opacity": float(style.get("fillOpacity", 0.45)),
        "radius": max(float(style.get("radius", 5)) * 0.25, 0.8),
    }
    if feature.get("approximate") or style.get("dashArray"):
        symbol["dash"] = APPROXIMATE_DASH
    return symbol


def _feature_svg(layer: dict, feature: dict) -> str:
    s = _symbol(layer, feature)
    stroke = f'stroke="{s["stroke"]}" stroke-width="{s["width"]}"'
    if s.get("dash"):
        stroke += f' stroke-dasharray="{s["dash"]}"'
    title = f"<title>{escape(feature['name'])}</title>" if feature.get("name") else ""
    if feature["kind"] == "point":
        # ST_AsSVG gives a point as cx="…" cy="…" (or x/y pairs for multipoints)
        fill = s.get("fill", s["stroke"])
        return f'<circle {feature["svg"]} r="{s.get("radius", 1)}" fill="{fill}" {stroke}>{title}</circle>'
    if feature["kind"] == "line":
        return f'<path d="{feature["svg"]}" fill="none" {stroke} stroke-linejoin="round">{title}</path>'
    fill = s.get("fill")
    fill_attr = f'fill="{fill}" fill-opacity="{s.get("fill_opacity", 1)}"' if fill else 'fill="none"'
    return f'<path d="{feature["svg"]}" {fill_attr} fill-rule="evenodd" {stroke}>{title}</path>'


def _labels(layer: dict) -> str:
    """Settlement names beside their dots (anchored 1.6 mm right of the point)."""
    out = []
    for feature in layer["features"]:
        if feature["kind"] != "point" or not feature.get("name"):
            continue
        attrs = dict(part.split("=", 1) for part in feature["svg"].split() if "=" in part)
        try:
            x, y = float(attrs["cx"].strip('"')), float(attrs["cy"].strip('"'))
        except (KeyError, ValueError):
            continue
        out.append(
            f'<text class="pv-place" x="{x + 1.6:.2f}" y="{y + 1.0:.2f}">{escape(feature["name"])}</text>'
        )
    return "".join(out)


def _map_body(data: dict, width_mm: float, height_mm: float) -> str:
    """Base, overlays, VN-2000 grid lines and place names of a frame, in mm from its top left."""
    body = [f'<rect width="{width_mm}" height="{height_mm}" fill="#ffffff"/>']
    for layer in data["layers"]:
        group = "".join(_feature_svg(layer, f) for f in layer["features"])
        body.append(f'<g data-layer="{escape(layer["key"])}">{group}</g>')
    grid = data["grid"]
    lines = [f'<line x1="{e["x"]}" y1="0" x2="{e["x"]}" y2="{height_mm}"/>' for e in grid["eastings"]] + [
        f'<line x1="0" y1="{n["y"]}" x2="{width_mm}" y2="{n["y"]}"/>' for n in grid["northings"]
    ]
    body.append(
        f'<g class="pv-grid" stroke="#6b6b6b" stroke-width="0.12" stroke-opacity="0.7">{"".join(lines)}</g>'
    )
    for layer in data["layers"]:
        if layer["key"] == "settlements":
            body.append(f'<g class="pv-places">{_labels(layer)}</g>')
    return "".join(body)


def map_svg(data: dict, width_mm: float, height_mm: float, css_class: str = "pv-sheet-map") -> Markup:
    """A standalone map (the printable sheets' small maps): the frame, a scale bar and a north arrow."""
    bar = _scale_bar_parts(data, data.get("lang", "vi"))
    return Markup(
        f'<svg class="{css_class}" xmlns="{SVG_NS}" width="{width_mm}mm" height="{height_mm}mm" '
        f'viewBox="0 0 {width_mm} {height_mm}" role="img" aria-label="map / bản đồ" '
        f'data-scale="{data["scale"]}" style="overflow:hidden">'
        f'<svg width="{width_mm}" height="{height_mm}">{_map_body(data, width_mm, height_mm)}</svg>'
        f'<rect width="{width_mm}" height="{height_mm}" fill="none" stroke="#555" stroke-width="0.3"/>'
        f'<g class="pv-scale" transform="translate(3 {height_mm - 10})" font-size="2.6">'
        f'<rect x="0" y="0" width="{bar["width"] + 4:.2f}" height="9" fill="#fff" fill-opacity="0.85"/>'
        f'<g transform="translate(0 1)">{bar["svg"]}</g></g>'
        f'<g transform="translate({width_mm - 10} 3) scale(0.6)">{NORTH_ARROW}</g></svg>'
    )


def page_svg(data: dict) -> Markup:
    """The whole page as SVG in mm: the clipped map frame, its border and the grid values around it."""
    frame, lang = data["frame"], data["lang"]
    x0, y0, w, h = frame.x, frame.y, frame.w, frame.h
    grid = data["grid"]
    labels = []
    for e in grid["eastings"]:
        if 4 <= e["x"] <= w - 4:
            labels.append(
                f'<text class="pv-grid-e" x="{x0 + e["x"]:.3f}" y="{y0 - 1.4:.3f}">{e["value"]}</text>'
            )
            labels.append(f'<text x="{x0 + e["x"]:.3f}" y="{y0 + h + 3.6:.3f}">{e["value"]}</text>')
    for n in grid["northings"]:
        if 4 <= n["y"] <= h - 4:
            yy = y0 + n["y"]
            labels.append(
                f'<text transform="translate({x0 - 1.4:.3f} {yy:.3f}) rotate(-90)">{n["value"]}</text>'
            )
            labels.append(
                f'<text transform="translate({x0 + w + 1.4:.3f} {yy:.3f}) rotate(90)">{n["value"]}</text>'
            )
    return Markup(
        f'<svg class="pv-page-svg" xmlns="http://www.w3.org/2000/svg" width="{frame.page_w}mm" '
        f'height="{frame.page_h}mm" viewBox="0 0 {frame.page_w} {frame.page_h}" data-scale="{data["scale"]}">'
        f'<svg class="pv-print-map" x="{x0}" y="{y0}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'role="img" aria-label="{escape(word("map", lang))}">{_map_body(data, w, h)}</svg>'
        f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#111" stroke-width="0.35"/>'
        '<g class="pv-grid-labels" font-size="2.3" text-anchor="middle" fill="#333">'
        f"{''.join(labels)}</g></svg>"
    )


def legend_entries(data: dict, lang: str) -> list[dict]:
    """Legend rows of the layers shown: overlays first (by class present), then the base drawn."""
    vi = lang == "vi"
    rows: list[dict] = []
    for layer in data["layers"]:
        if layer.get("base"):
            continue
        title = layer["title_vi"] if vi else layer["title_en"]
        present = {f.get("class") for f in layer["features"]}
        approximate = any(f["approximate"] for f in layer["features"])
        kind = next((f["kind"] for f in layer["features"]), "polygon")
        note = (
            word("truncated", lang)
            if layer["truncated"]
            else (None if layer["features"] else word("empty", lang))
        )
        rows.append({"heading": title, "note": note})
        if layer["key"] == "priority_projects":
            items = [
                (PROJECT_STATUS_LABELS[c][0 if vi else 1], PROJECT_STATUS_COLORS[c])
                for c in PROJECT_STATUS_COLORS
                if c in present
            ]
        elif layer["key"] in ("industrial_zones", "tourism_areas"):
            items = [
                (ZONE_KIND_LABELS[c][0 if vi else 1], ZONE_KIND_COLORS[c])
                for c in ZONE_KIND_COLORS
                if c in present
            ]
        else:
            items = [
                (
                    (e.get("label_vi") if vi else e.get("label_en")) or title,
                    e.get("color") or (layer.get("style") or {}).get("color") or "#3b6ea5",
                )
                for e in (layer.get("legend") or [])
                if not e.get("code") or e.get("code") in present
            ] or [(title, (layer.get("style") or {}).get("color") or "#3b6ea5")]
        for label, colour in items:
            rows.append({"label": label, "color": colour, "kind": kind, "dash": False})
        if approximate:
            rows.append(
                {
                    "label": "vị trí gần đúng" if vi else "approximate place",
                    "color": "#555555",
                    "kind": kind,
                    "dash": True,
                }
            )
    drawn = {layer["key"] for layer in data["layers"] if layer.get("base") and layer["features"]}
    for key, (label_vi, label_en) in BASE_LEGEND.items():
        if key in drawn:
            s = BASE_SYMBOLS[key]
            kind = "point" if key == "settlements" else "line"
            rows.append(
                {
                    "label": label_vi if vi else label_en,
                    "color": s["stroke"],
                    "kind": kind,
                    "dash": bool(s.get("dash")),
                }
            )
    return rows


def _scale_bar_parts(data: dict, lang: str) -> dict:
    """A scale bar of the round length chosen by geo: four alternating segments, labelled in km or m."""
    metres, scale = data["scale_bar_m"], data["scale"]
    length_mm = metres * 1000 / scale
    parts = []
    for i in range(4):
        fill = "#111" if i % 2 == 0 else "#fff"
        parts.append(
            f'<rect x="{2 + i * length_mm / 4:.3f}" y="4.2" width="{length_mm / 4:.3f}" height="1.4" '
            f'fill="{fill}" stroke="#111" stroke-width="0.15"/>'
        )

    def label(m: float) -> str:
        if metres >= 1000:
            return f"{_number(m / 1000).replace('.', ',' if lang == 'vi' else '.')} km"
        return f"{_number(m)} m"

    parts.append('<text x="2" y="3.4" text-anchor="middle">0</text>')
    parts.append(f'<text x="{2 + length_mm / 2:.3f}" y="3.4" text-anchor="middle">{label(metres / 2)}</text>')
    parts.append(f'<text x="{2 + length_mm:.3f}" y="3.4" text-anchor="middle">{label(metres)}</text>')
    return {"svg": "".join(parts), "width": length_mm + 8, "length_mm": length_mm, "label": label(metres)}


def _scale_bar(data: dict, lang: str) -> Markup:
    bar = _scale_bar_parts(data, lang)
    return Markup(
        f'<svg class="pv-scale-bar" xmlns="{SVG_NS}" width="{bar["width"]:.2f}mm" height="7mm" '
        f'viewBox="0 0 {bar["width"]:.2f} 7" font-size="2.6" data-length-m="{data["scale_bar_m"]}" '
        f'data-length-mm="{bar["length_mm"]:.3f}">{bar["svg"]}</svg>'
    )


NORTH_ARROW = (
    '<polygon points="6,1 10,12 6,9.5 2,12" fill="#111"/>'
    '<text x="6" y="15.5" text-anchor="middle" font-size="3.2" font-weight="bold">N</text>'
)


def _north_arrow() -> Markup:
    return Markup(
        f'<svg class="pv-north" xmlns="{SVG_NS}" width="12mm" height="16mm" viewBox="0 0 12 16">'
        f"{NORTH_ARROW}</svg>"
    )


def print_url(request: dict, path: str = "/print", **override) -> str:
    """The layout's (or the PDF's) URL for the same request."""
    params = {**{k: v for k, v in request.items() if v not in (None, [], "")}, **override}
    if isinstance(params.get("layers"), list):
        params["layers"] = ",".join(params["layers"])
    return f"{path}?{urlencode(params)}"


def print_page(data: dict, query: dict, today: str) -> str:
    """The print layout: one CSS page of the paper size with the map frame, grid labels and panel."""
    lang = data["lang"]
    sheet = data["sheet"]
    frame = data["frame"]
    scale_text = f"1:{format_int(data['scale'], lang)}"
    sources: list[str] = []
    for text in [data.get("boundary_source")] + [s["source"] for s in data["sources"]]:
        text = note_vi(text) if lang == "vi" else text
        if text and text not in sources:
            sources.append(text)
    changed = data["data_changed_at"]
    if changed and lang == "vi":
        changed = "/".join(reversed(changed.split("-")))
    return TEMPLATES.get_template("print.html").render(
        d=data,
        lang=lang,
        w=lambda key: word(key, lang),
        fmt=lambda v: format_int(v, lang),
        plan_title=PLAN_TITLE[lang],
        sheet_label=(
            f"{word('sheet', lang)} {sheet['sheet_id']}: {sheet['title_' + lang]}"
            if sheet
            else word("map", lang)
        ),
        scale_text=scale_text,
        frame=frame,
        page_svg=page_svg(data),
        legend=legend_entries(data, lang),
        scale_bar=_scale_bar(data, lang),
        north_arrow=_north_arrow(),
        convergence=word(
            "convergence_e" if data["grid"]["convergence_deg"] >= 0 else "convergence_w", lang
        ).format(a=f"{abs(data['grid']['convergence_deg']):.2f}°".replace(".", "," if lang == "vi" else ".")),
        sources=sources,
        data_changed=changed,
        today=today,
        pdf_url=print_url(query, "/api/print.pdf"),
        view_url=(
            f"/#map=12/{data['grid']['center_lonlat'][1]}/{data['grid']['center_lonlat'][0]}&lang={lang}"
            + (f"&layers={','.join(data['request']['layers'])}" if data["request"]["layers"] else "")
        ),
    )
