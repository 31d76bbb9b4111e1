"""Plan-conformity sheet: what each map sheet designates at a footprint, its conflicts and a verdict."""

import orjson

from geo.analysis.constraints import SCREEN_SRID
from geo.analysis.footprint import footprint_geometry
from geo.analysis.screening import project_conflicts, screen_footprint
from geo.errors import NotFound
from geo.serve.catalog import Catalog
from geo.serve.printmap import context_map

NEARBY_M = 5_000  # features within this distance are listed as "nearby"
PER_LAYER = 8

LAYERS_SQL = """
SELECT s.sheet_id, s.number, s.title_vi, s.title_en, s.is_group,
       l.layer_key, l.title_vi AS layer_title_vi, l.title_en AS layer_title_en, l.table_name,
       l.is_official, l.is_synthetic, l.source, l.notes,
       (c.oid IS NOT NULL) AS present
FROM map_sheet s
LEFT JOIN sheet_layer l ON l.sheet_id = s.sheet_id
LEFT JOIN pg_class c ON c.relname = l.table_name AND c.relnamespace = 'layers'::regnamespace
ORDER BY s.number, l.sort_order, l.layer_key
"""


def _features_sql(table: str) -> str:
    # the bbox prefilter (about NEARBY_M at this latitude) lets the GiST index do the work
    return f"""
    WITH fp AS (SELECT g AS g4326, ST_Transform(g, {SCREEN_SRID}) AS geom
                FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326) AS g) x)
    SELECT t.fid::text AS fid, t.name, t.landuse_code, t.landuse_name, t.geometry_quality, t.source,
           round(ST_Distance(ST_Transform(t.geom, {SCREEN_SRID}), fp.geom)::numeric, 0)::float8 AS distance_m
    FROM layers."{table}" t, fp
    WHERE t.geom && ST_Expand(fp.g4326, {NEARBY_M / 100_000 * 1.2})
      AND ST_DWithin(ST_Transform(t.geom, {SCREEN_SRID}), fp.geom, {NEARBY_M})
    ORDER BY distance_m, t.name
    LIMIT {PER_LAYER}
    """


async def designations(conn, geometry_json: str | None, subject_id: str | None = None) -> list[dict]:
    """For every map sheet: the features of each loaded layer at/near the footprint, or why none."""
    sheets: dict[str, dict] = {}
    for row in await conn.fetch(LAYERS_SQL):
        sheet = sheets.setdefault(
            row["sheet_id"],
            {
                "sheet_id": row["sheet_id"],
                "title_vi": row["title_vi"],
                "title_en": row["title_en"],
                "is_group": row["is_group"],
                "layers": [],
            },
        )
        if row["layer_key"] is None:
            continue
        layer = {
            "layer_key": row["layer_key"],
            "title_vi": row["layer_title_vi"],
            "title_en": row["layer_title_en"],
            "is_official": row["is_official"],
            "is_synthetic": row["is_synthetic"],
            "loaded": bool(row["table_name"] and row["present"]),
            "at": [],
            "nearby": [],
        }
        if layer["loaded"] and geometry_json:
            for f in await conn.fetch(_features_sql(row["table_name"]), geometry_json):
                item = dict(f)
                if subject_id and item["fid"] == subject_id:
                    continue  # the project itself, as drawn on the projects sheet
                (layer["at"] if item["distance_m"] == 0 else layer["nearby"]).append(item)
        sheet["layers"].append(layer)
    out = []
    for sheet in sheets.values():
        if sheet["is_group"]:
            continue
        loaded = [layer for layer in sheet["layers"] if layer["loaded"]]
        if not loaded:
            sheet["status"] = "no_data"
            sheet["summary_vi"], sheet["summary_en"] = "chưa có dữ liệu", "no data loaded"
        elif not geometry_json:
            sheet["status"] = "not_screened"
            sheet["summary_vi"], sheet["summary_en"] = (
                "không có vị trí để đối chiếu",
                "no footprint to compare",
            )
        elif any(layer["at"] for layer in loaded):
            sheet["status"] = "designated"
            names = [f["name"] or f["landuse_code"] or f["fid"] for layer in loaded for f in layer["at"]]
            sheet["summary_vi"] = sheet["summary_en"] = "; ".join(dict.fromkeys(n for n in names if n))
        elif any(layer["nearby"] for layer in loaded):
            sheet["status"] = "nearby"
            sheet["summary_vi"] = f"không có đối tượng tại vị trí; có đối tượng trong {NEARBY_M // 1000} km"
            sheet["summary_en"] = f"nothing at the footprint; features within {NEARBY_M // 1000} km"
        else:
            sheet["status"] = "nothing"
            sheet["summary_vi"] = f"không có đối tượng trong {NEARBY_M // 1000} km"
            sheet["summary_en"] = f"no feature within {NEARBY_M // 1000} km"
        out.append(sheet)
    return out


def live_view_url(centroid: list[float] | None, zoom: int = 13) -> str:
    """A link back to the planner view centred on the footprint."""
    if not centroid:
        return "/?view=planner#tab=tools"
    return f"/?view=planner#map={zoom}/{centroid[1]:.5f}/{centroid[0]:.5f}&tab=tools"


async def project_conformity(conn, project_id: str) -> dict:
    """The conformity sheet of a stored project (its conflicts refreshed if stale)."""
    report = await project_conflicts(conn, project_id)
    row = await conn.fetchrow(
        """
        SELECT ST_AsGeoJSON(geom, 7) AS geometry, ST_AsGeoJSON(ST_PointOnSurface(geom), 6) AS centroid,
               decisions, source_url, responsible_agency, scale, period
        FROM project WHERE project_id = $1
        """,
        project_id,
    )
    if row is None:  # pragma: no cover - project_conflicts raised already
        raise NotFound(f"project {project_id!r} does not exist")
    centroid = orjson.loads(row["centroid"])["coordinates"] if row["centroid"] else None
    report["subject"].update(
        {k: row[k] for k in ("decisions", "source_url", "responsible_agency", "scale", "period")}
    )
    return {
        **report,
        "footprint": orjson.loads(row["geometry"]) if row["geometry"] else None,
        "sheets": await designations(conn, row["geometry"], subject_id=project_id),
        "live_view_url": live_view_url(centroid),
    }


async def footprint_conformity(conn, geojson, sector: str | None = None, district: str | None = None) -> dict:
    """The conformity sheet of a drawn/uploaded footprint; nothing is stored."""
    report = await screen_footprint(conn, geojson, sector=sector, district=district)
    geometry = footprint_geometry(geojson if not isinstance(geojson, str | bytes) else orjson.loads(geojson))
    geometry_json = orjson.dumps(geometry).decode()
    centroid = await conn.fetchval(
        "SELECT ST_AsGeoJSON(ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326)), 6)",
        geometry_json,
    )
    return {
        **report,
        "footprint": geometry,
        "sheets": await designations(conn, geometry_json),
        "live_view_url": live_view_url(orjson.loads(centroid)["coordinates"]),
    }


def _focus(sheet: dict) -> list[tuple[dict | None, dict]]:
    subject = sheet.get("subject") or {}
    out = [
        (
            sheet.get("footprint"),
            {
                "key": "footprint",
                "name": subject.get("id") or "footprint",
                "approximate": subject.get("geometry_quality") == "approximate",
            },
        )
    ]
    for c in sheet.get("conflicts", []):
        meta = {
            "key": "conflict",
            "class": c["severity"],
            "name": c["rule_code"],
            "approximate": c["approximate"],
        }
        out.append((c.get("geometry"), meta))
    return out


async def project_conformity_sheet(conn, catalog: Catalog, project_id: str, lang: str = "vi") -> dict:
    """The printable sheet's data of a project: the conformity sheet and a small map in context."""
    sheet = await project_conformity(conn, project_id)
    sheet["context_map"] = await context_map(conn, catalog, _focus(sheet), lang=lang)
    return sheet


async def footprint_conformity_sheet(
    conn, catalog: Catalog, geojson, sector: str | None = None, district: str | None = None, lang: str = "vi"
) -> dict:
    """The printable sheet's data of a drawn/uploaded footprint, with its small map; nothing is stored."""
    sheet = await footprint_conformity(conn, geojson, sector=sector, district=district)
    sheet["context_map"] = await context_map(conn, catalog, _focus(sheet), lang=lang)
    return sheet
