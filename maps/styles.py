"""Colours of the overlays and of the drawn base map, shared with the JS through the page config."""

from geo.plan.vocabulary import PROJECT_STATUS_LABELS as _STATUSES

# Project statuses: colours and wording come from their one home (geo.plan.vocabulary, served to the
# page by GET /api/vocabularies); printed maps and server-built pages read them here.
PROJECT_STATUS_COLORS: dict[str, str] = {s.value: color for s, (_, _, color) in _STATUSES.items()}
PROJECT_STATUS_LABELS: dict[str, tuple[str, str]] = {
    s.value: (vi, en) for s, (vi, en, _) in _STATUSES.items()
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
