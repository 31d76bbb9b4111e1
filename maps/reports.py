"""Printable A4 sheets (plan conformity, site fact sheet) rendered with Jinja2; small maps as inline SVG."""

from markupsafe import Markup

from maps.print_sheet import format_int, map_svg
from maps.styles import SEVERITY_COLOURS
from maps.templating import TEMPLATES

SEVERITY_TEXT = {
    "block": ("chặn", "block"),
    "review": ("cần xem xét", "review"),
    "info": ("thông tin", "info"),
}
QUALITY_TEXT = {
    "exact": ("chính xác", "exact"),
    "approximate": ("gần đúng", "approximate"),
    "schematic": ("sơ đồ", "schematic"),
    "none": ("chưa có vị trí", "no location"),
}
VERDICT_TEXT = {
    "consistent": ("Phù hợp quy hoạch", "Consistent with the plan"),
    "needs_review": ("Cần xem xét", "Needs review"),
    "conflicts": ("Xung đột với quy hoạch", "Conflicts with the plan"),
    "not_screened": ("Chưa đối chiếu được (không có vị trí)", "Not screened (no location)"),
}


CONTEXT_MAP_MM = (180, 100)  # width, height of the sheets' small maps (true to scale when printed)


def context_map_svg(data: dict | None, lang: str) -> Markup:
    """The sheet's small map (drawn by the print map builder), or a notice when the place is unknown."""
    width, height = CONTEXT_MAP_MM
    if not data:
        text = "không có vị trí để vẽ" if lang == "vi" else "no location to draw"
        return Markup(
            f'<svg class="pv-sheet-map" width="{width}mm" height="{height / 3:.0f}mm" '
            f'viewBox="0 0 {width} {height / 3:.0f}" role="img" aria-label="{text}">'
            f'<text x="{width / 2}" y="{height / 6:.0f}" text-anchor="middle" font-size="4">{text}</text>'
            "</svg>"
        )
    caption = (
        f"Tỉ lệ 1:{format_int(data['scale'], 'vi')} khi in khổ A4 · lưới VN-2000 (TM-3 106°30′) "
        f"{format_int(data['grid']['interval_m'], 'vi')} m"
        if lang == "vi"
        else f"Scale 1:{format_int(data['scale'], 'en')} printed on A4 · VN-2000 grid (TM-3 106°30′) "
        f"{format_int(data['grid']['interval_m'], 'en')} m"
    )
    return Markup(
        f'<figure class="pv-context">{map_svg(data, width, height)}'
        f'<figcaption class="pv-meta" data-scale="{data["scale"]}">{caption}</figcaption></figure>'
    )


def conformity_page(sheet: dict, lang: str = "vi") -> str:
    """The A4 plan-conformity sheet of a project or a footprint."""
    return TEMPLATES.get_template("conformity.html").render(
        sheet=sheet,
        lang=lang,
        map_svg=context_map_svg(sheet.get("context_map"), lang),
        verdict_text=VERDICT_TEXT[sheet["verdict"]],
        severity_text={k: v[0 if lang == "vi" else 1] for k, v in SEVERITY_TEXT.items()},
        quality_text={k: v[0 if lang == "vi" else 1] for k, v in QUALITY_TEXT.items()},
        colours=SEVERITY_COLOURS,
    )


def site_page(site: dict, lang: str = "vi") -> str:
    """The A4 fact sheet of an industrial park, cluster or tourism area."""
    return TEMPLATES.get_template("site.html").render(
        site=site,
        lang=lang,
        map_svg=context_map_svg(site.get("context_map"), lang),
        quality_text={k: v[0 if lang == "vi" else 1] for k, v in QUALITY_TEXT.items()},
    )
