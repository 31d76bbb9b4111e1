"""QGIS styles (QML) and a ready QGIS project (.qgz) drawn like the page, from the layer list handed in.

The XML follows what QGIS 3.22 (Debian 12) writes itself: each symbol layer carries its properties
both as an ``Option`` map and as ``prop`` elements, so older and newer QGIS read it alike.
"""

import io
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

from pyproj import CRS

from geo.plan.vocabulary import PROJECT_STATUS_LABELS
from geo.store.crs import VN2000_PROJ4
from maps.styles import BASE_STYLES, ZONE_KIND_COLORS

QGIS_VERSION = "3.22.16-Białowieża"
MM_PER_PX = 0.26  # a Leaflet pixel on a 96-dpi screen
APPROXIMATE_DASHED = "CASE WHEN \"geometry_quality\" = 'approximate' THEN 'dash' ELSE 'solid' END"
DEFAULT_COLOUR = "#3b6ea5"  # the page's default (static/js/layers.js featureStyle)
# The fixed collections are drawn as on the page (BASE_STYLES) or like their sheet counterparts.
FIXED_STYLES = {
    "communes_2025": {"color": "#7b3294", "weight": 0.8, "fill": False, "dashArray": "4 2"},
}
# Bắc Kạn in EPSG:9213 (E, N metres), the project's first view
PROVINCE_EXTENT_9213 = (385_000.0, 2_408_000.0, 478_000.0, 2_520_000.0)


def _rgba(colour: str | None, opacity: float = 1.0) -> str:
    value = (colour or DEFAULT_COLOUR).lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        value = DEFAULT_COLOUR.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(max(0.0, min(opacity, 1.0)) * 255)}"


def _option_map(props: dict[str, str]) -> str:
    options = "".join(f'<Option name="{k}" type="QString" value={quoteattr(v)}/>' for k, v in props.items())
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return f'<Option type="Map">{options}</Option>{legacy}'


def _data_defined(expressions: dict[str, str]) -> str:
    if not expressions:
        inner = '<Option name="properties"/>'
    else:
        inner = (
            '<Option name="properties" type="Map">'
            + "".join(
                f'<Option name="{name}" type="Map"><Option name="active" type="bool" value="true"/>'
                f'<Option name="expression" type="QString" value={quoteattr(expr)}/>'
                '<Option name="type" type="int" value="3"/></Option>'
                for name, expr in expressions.items()
            )
            + "</Option>"
        )
    return (
        '<data_defined_properties><Option type="Map"><Option name="name" type="QString" value=""/>'
        f'{inner}<Option name="type" type="QString" value="collection"/></Option></data_defined_properties>'
    )


def symbol_xml(name: str, kind: str | None, style: dict, approximate: bool) -> str:
    """One QGIS symbol from a Leaflet path style (color, weight, fillColor, fillOpacity, dashArray…)."""
    stroke = style.get("color") or DEFAULT_COLOUR
    width = f"{float(style.get('weight', 1.5)) * MM_PER_PX:.2f}"
    dashed = "dash" if style.get("dashArray") else "solid"
    dd = {"outlineStyle": APPROXIMATE_DASHED} if approximate else {}
    if kind == "line":
        type_, cls = "line", "SimpleLine"
        props = {
            "line_color": _rgba(stroke, style.get("opacity", 1)),
            "line_width": width,
            "line_width_unit": "MM",
            "line_style": dashed,
            "capstyle": "round",
            "joinstyle": "round",
        }
    elif kind == "point":
        type_, cls = "marker", "SimpleMarker"
        fill = style.get("fillColor") or stroke
        radius = float(style.get("radius", 5))
        props = {
            "name": "circle",
            "color": _rgba(fill, style.get("fillOpacity", 0.9)),
            "outline_color": _rgba(stroke),
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "outline_style": "solid",
            "size": f"{2 * radius * MM_PER_PX:.2f}",
            "size_unit": "MM",
        }
    else:
        type_, cls = "fill", "SimpleFill"
        fill_on = style.get("fill", True) and style.get("fillOpacity", 0.45) > 0
        props = {
            "color": _rgba(style.get("fillColor") or stroke, style.get("fillOpacity", 0.45)),
            "style": "solid" if fill_on else "no",
            "outline_color": _rgba(stroke),
            "outline_width": width,
            "outline_width_unit": "MM",
            "outline_style": dashed,
            "joinstyle": "round",
        }
    return (
        f'<symbol name="{name}" type="{type_}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f"{_data_defined({})}"
        f'<layer class="{cls}" enabled="1" locked="0" pass="0">'
        f"{_option_map(props)}{_data_defined(dd)}</layer>"
        "</symbol>"
    )


def _categories(layer, landuse: dict[str, tuple[str, str]]) -> tuple[str, list[tuple[str, str, dict]]] | None:
    """(field, [(value, label, style)]) when the layer is coloured by a property, as on the page."""
    fields = set(layer.fields)
    if "status" in fields and layer.collection in ("projects", "priority_projects"):
        # the one status vocabulary (geo.plan.vocabulary): its colours and Vietnamese labels, as on the page
        return "status", [
            (str(s), vi, {"color": c, "fillColor": c, "fillOpacity": 0.45})
            for s, (vi, _en, c) in PROJECT_STATUS_LABELS.items()
        ]
    if "kind" in fields and layer.collection in ("zones", "industrial_zones", "tourism_areas"):
        return "kind", [
            (k, k, {"color": c, "fillColor": c, "fillOpacity": 0.35}) for k, c in ZONE_KIND_COLORS.items()
        ]
    if layer.landuse_codes and landuse and layer.kind == "polygon":
        # as on the page: the layer's own style, its fill in the land-use code's colour
        return "landuse_code", [
            (code, f"{code} – {landuse[code][1]}", {**layer.style, "fillColor": landuse[code][0]})
            for code in layer.landuse_codes
            if code in landuse
        ]
    return None


def renderer_xml(layer, landuse: dict[str, tuple[str, str]]) -> str:
    """The ``renderer-v2`` of a layer: categorised by status, zone kind or land-use code, else single."""
    approximate = "geometry_quality" in layer.fields
    kind = layer.kind
    if kind is None:
        return '<renderer-v2 type="nullSymbol"/>'
    categorised = _categories(layer, landuse)
    if categorised:
        field, categories = categorised
        cats = "".join(
            f'<category render="true" value={quoteattr(v)} label={quoteattr(label)} symbol="{i}"/>'
            for i, (v, label, _) in enumerate(categories)
        )
        symbols = "".join(
            symbol_xml(str(i), kind, style, approximate) for i, (_, _, style) in enumerate(categories)
        )
        return (
            f'<renderer-v2 type="categorizedSymbol" attr="{field}" forceraster="0" symbollevels="0" '
            f'enableorderby="0" referencescale="-1"><categories>{cats}</categories>'
            f"<symbols>{symbols}</symbols><rotation/><sizescale/></renderer-v2>"
        )
    style = layer.style or BASE_STYLES.get(layer.collection) or FIXED_STYLES.get(layer.collection) or {}
    return (
        '<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0" '
        f'referencescale="-1"><symbols>{symbol_xml("0", kind, style, approximate)}</symbols>'
        "<rotation/><sizescale/></renderer-v2>"
    )


def layer_qml(layer, landuse: dict[str, tuple[str, str]]) -> str:
    """A QML style document for one layer (what goes into a GeoPackage's ``layer_styles``)."""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories">'
        f"{renderer_xml(layer, landuse)}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerOpacity>1</layerOpacity></qgis>\n"
    )


def _spatialrefsys(authid: str, proj4: str, description: str, geographic: bool) -> str:
    # QGIS reads the WKT first; without it the CRS stays empty
    wkt = CRS.from_user_input(authid).to_wkt()
    return (
        f"<spatialrefsys><wkt>{escape(wkt)}</wkt><proj4>{proj4}</proj4><authid>{authid}</authid>"
        f"<description>{escape(description)}</description>"
        f"<geographicflag>{'true' if geographic else 'false'}</geographicflag></spatialrefsys>"
    )


_WGS84_SRS = _spatialrefsys("EPSG:4326", "+proj=longlat +datum=WGS84 +no_defs", "WGS 84", True)
_VN2000_SRS = _spatialrefsys("EPSG:9213", VN2000_PROJ4, "VN-2000 / TM-3 106-30", False)
_WKB = {
    "point": ("Point", "MultiPoint"),
    "line": ("Line", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
}


def _oapif_source(api_url: str, layer) -> str:
    # QGIS keeps the landing URL's query on every items request: a mixed collection is split by kind
    url = (
        api_url
        if layer.name == layer.collection or layer.kind is None
        else f"{api_url}?geometry_kind={layer.kind}"
    )
    return f"url='{url}' typename='{layer.collection}'"


def qgis_project(plan, api_url: str, title: str) -> bytes:
    """A .qgz (zip of one .qgs): the plan's groups in order, every layer live from ``api_url`` (OAPIF)."""
    tree, maplayers = [], []
    for group in plan.groups:
        entries = []
        for layer in group.layers:
            layer_id = f"{layer.name}_planview"
            source = _oapif_source(api_url, layer)
            entries.append(
                f'<layer-tree-layer id="{layer_id}" name={quoteattr(layer.title_vi)} '
                f"source={quoteattr(source)} "
                'providerKey="OAPIF" checked="Qt::Checked" expanded="0"><customproperties><Option/>'
                "</customproperties></layer-tree-layer>"
            )
            geometry, wkb = _WKB.get(layer.kind or "", ("No geometry", "NoGeometry"))
            maplayers.append(
                f'<maplayer type="vector" geometry="{geometry}" wkbType="{wkb}" '
                'styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" '
                f'maxScale="0" readOnly="1"><id>{layer_id}</id><datasource>{escape(source)}</datasource>'
                f"<layername>{escape(layer.title_vi)}</layername><srs>{_WGS84_SRS}</srs>"
                f'<provider encoding="">OAPIF</provider>{renderer_xml(layer, plan.landuse_colours)}'
                "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerOpacity>1</layerOpacity>"
                "</maplayer>"
            )
        tree.append(
            f'<layer-tree-group name={quoteattr(group.title_vi)} checked="Qt::Checked" expanded="1">'
            f"<customproperties><Option/></customproperties>{''.join(entries)}</layer-tree-group>"
        )
    xmin, ymin, xmax, ymax = PROVINCE_EXTENT_9213
    qgs = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">'
        f'<homePath path=""/><title>{escape(title)}</title>'
        f"<projectCrs>{_VN2000_SRS}</projectCrs>"
        f"<layer-tree-group><customproperties><Option/></customproperties>{''.join(tree)}</layer-tree-group>"
        f"<projectlayers>{''.join(maplayers)}</projectlayers>"
        '<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units>'
        f"<extent><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></extent>"
        f"<rotation>0</rotation><destinationsrs>{_VN2000_SRS}</destinationsrs></mapcanvas>"
        # without this flag QGIS ignores <projectCrs>
        '<properties><SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        "</properties>"
        "</qgis>\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("planview.qgs", qgs.encode())
    return out.getvalue()
