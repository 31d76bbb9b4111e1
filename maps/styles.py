"""Colours of the overlays and of the drawn base map, shared with the JS through the page config."""

# One colour per project status (geo/store/models.py project.status); the legend is built from this.
PROJECT_STATUS_COLORS: dict[str, str] = {
    "proposed": "#9e9ac8",
    "planned": "#3182bd",
    "preparation": "#6baed6",
    "site_clearance": "#fd8d3c",
    "under_construction": "#e6550d",
    "completed": "#31a354",
    "suspended": "#636363",
    "unclear": "#bdbdbd",
    "category": "#8c6d31",
}

# Legend wording (vi, en) of the statuses for printed maps; the page takes its wording from i18n.js.
PROJECT_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "proposed": ("Đề xuất", "Proposed"),
    "planned": ("Đã quy hoạch", "Planned"),
    "preparation": ("Chuẩn bị đầu tư", "Preparation"),
    "site_clearance": ("Giải phóng mặt bằng", "Site clearance"),
    "under_construction": ("Đang thi công", "Under construction"),
    "completed": ("Hoàn thành", "Completed"),
    "suspended": ("Tạm dừng", "Suspended"),
    "unclear": ("Chưa rõ", "Unclear"),
    "category": ("Danh mục (nhóm dự án)", "Category (group of projects)"),
}

ZONE_KIND_LABELS: dict[str, tuple[str, str]] = {
    "KCN": ("Khu công nghiệp", "Industrial park"),
    "CCN": ("Cụm công nghiệp", "Industrial cluster"),
    "tourism": ("Khu, điểm du lịch", "Tourism area or site"),
}

ZONE_KIND_COLORS: dict[str, str] = {
    "KCN": "#6a3d9a",
    "CCN": "#b15928",
    "tourism": "#1b9e77",
}

# The light base drawn from our own layers (collection id → Leaflet path style).
BASE_STYLES: dict[str, dict] = {
    "provinces": {"color": "#555555", "weight": 2.5, "fill": True, "fillColor": "#fbfaf4", "fillOpacity": 1},
    "districts": {"color": "#8a8a8a", "weight": 1.4, "fill": False, "dashArray": "6 3"},
    "communes": {"color": "#c4c4c4", "weight": 0.6, "fill": False},
    "rivers": {"color": "#6fa8dc", "weight": 1.5},
    "national_roads": {"color": "#e69138", "weight": 2},
    "settlements": {"color": "#777777", "radius": 2.5},
}

# Conflict severities (screening rules) on the sheets and their small maps.
SEVERITY_COLOURS: dict[str, str] = {"block": "#b2182b", "review": "#e66101", "info": "#2166ac"}

# The subject of a printable sheet's small map (maps/print_sheet.py), as Leaflet-like styles.
FOCUS_STYLES: dict[str, dict] = {
    "footprint": {"color": "#08519c", "fillColor": "#6baed6", "fillOpacity": 0.4, "weight": 2.5, "radius": 9},
    "conflict": {"weight": 2, "fillOpacity": 0.45, "radius": 7},
    "site": {"weight": 2.5, "fillOpacity": 0.45, "radius": 9},
}
