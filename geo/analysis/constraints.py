"""Constraint sources of the rules and their subdivided copy in ``screening_part``.

Constraint features are copied once into ``screening_part``: transformed to VN-2000 / TM-3 106-30
(EPSG:9213, metres) and cut with ``ST_Subdivide`` so that a footprint only meets small pieces. A
source's pieces are rebuilt when its signature (table, load time, feature count, content) changes.
"""

import json
from dataclasses import dataclass
from datetime import date

from geo.analysis.rules import ACTIVE_RULES_SQL, RULES_SIGNATURE_SQL, compile_filter
from geo.analysis.steps import Execute, Fetch, Steps
from geo.store.units import PRE_REFORM_END_SQL

SCREEN_SRID = 9213
SUBDIVIDE_VERTICES = 128

ZONE_SOURCE, PROJECT_SOURCE, DISTRICT_SOURCE = "@zone", "@project", "@district"
# A land-use rule with no layer of its own reads every loaded layer of these sheets that carries
# land-use codes: the land-use plan (P8), current land use (P2.c) and the forest/environment plan (P10).
# The data areas screening reads (geo.store.versions.Area): a write to any of them may change the
# results; a project's status (area ``projects``) does not.
SCREENING_AREAS = ("admin_units", "catalog", "plan_layers", "zones", "project_places", "rules")
INPUTS_VERSION_SQL = (
    "SELECT coalesce(max(version), 0) AS version FROM data_area_version "
    "WHERE area IN (" + ", ".join(f"'{a}'" for a in SCREENING_AREAS) + ")"
)
LANDUSE_SHEETS = ("P8", "P2.c", "P10")


# --------------------------------------------------------------------------------------------
# Constraint sources: which relation feeds each rule, and the subdivided copy of it
# --------------------------------------------------------------------------------------------
@dataclass
class Source:
    """One constraint source: a loaded layer or one of the plan tables (zones, projects, districts)."""

    key: str
    relation: str | None  # layers."<table>" for layers
    signature: str
    is_synthetic: bool = False
    filter_sql: str = "TRUE"  # union of the filters of the rules reading it: only those features are kept


def _layer_catalog_steps(tables: dict[str, str]) -> Steps:
    rows = yield Fetch(
        """
        SELECT l.layer_key, l.sheet_id, l.table_name, l.geometry_type, l.is_synthetic,
               coalesce(l.loaded_at::text, '') || '/' || coalesce(l.feature_count, -1)::text AS stamp,
               c.relkind::text AS relkind
        FROM sheet_layer l
        LEFT JOIN pg_class c ON c.relname = coalesce(CAST(:tables AS jsonb) ->> l.table_name, l.table_name)
             AND c.relnamespace = 'layers'::regnamespace
        """,
        {"tables": json.dumps(tables)},
    )
    return {r["layer_key"]: r for r in rows}


def _has_landuse_codes_steps(table: str) -> Steps:
    rows = yield Fetch(
        f'SELECT EXISTS (SELECT 1 FROM layers."{table}" WHERE landuse_code IS NOT NULL) AS has_codes', {}
    )
    return rows[0]["has_codes"]


def _plan_sources_steps(rules: list[dict], tables: dict[str, str]) -> Steps:
    """Decide each rule's sources; rules without one are inactive with the reason.

    ``tables`` maps a layer's table to the one to read instead (an import's staging table).
    """
    catalog = yield from _layer_catalog_steps(tables)
    sources: dict[str, Source] = {}
    rule_sources: dict[str, list[str]] = {}
    has_codes_of: dict[str, bool] = {}  # asked once per table, not once per land-use rule
    inactive: dict[str, tuple[str, str]] = {}  # rule code → why, in English and in Vietnamese
    filters: dict[str, list[str]] = {}

    def layer_source(layer_key: str) -> Source | tuple[str, str]:
        layer = catalog.get(layer_key)
        if layer is None:
            return (
                f"layer '{layer_key}' is not declared in the sheet catalog",
                f"lớp '{layer_key}' chưa có trong danh mục sơ đồ",
            )
        if not layer["table_name"] or not layer["relkind"]:
            return (
                f"layer '{layer_key}' (sheet {layer['sheet_id']}) has no data loaded",
                f"lớp '{layer_key}' (sơ đồ {layer['sheet_id']}) chưa có dữ liệu",
            )
        stamp = f"{layer['table_name']}/{layer['stamp']}"
        relation = f'layers."{tables.get(layer["table_name"], layer["table_name"])}"'
        return Source(layer_key, relation, stamp, bool(layer["is_synthetic"]))

    for rule in rules:
        code, kind = rule["rule_code"], rule["constraint_kind"]
        keys: list[str] = []
        if kind in ("layer", "protected_area") or (kind == "landuse" and rule["constraint_layer"]):
            found = layer_source(rule["constraint_layer"] or "")
            if isinstance(found, tuple):
                inactive[code] = found
                continue
            sources.setdefault(found.key, found)
            keys = [found.key]
        elif kind == "landuse":
            for key, layer in sorted(catalog.items()):
                if (
                    layer["relkind"] == "r"
                    and layer["sheet_id"] in LANDUSE_SHEETS
                    and layer["geometry_type"] in ("polygon", "mixed")
                ):
                    table = tables.get(layer["table_name"], layer["table_name"])
                    if table not in has_codes_of:
                        has_codes_of[table] = yield from _has_landuse_codes_steps(table)
                    if has_codes_of[table]:
                        found = layer_source(key)
                        sources.setdefault(key, found)
                        keys.append(key)
            if not keys:
                inactive[code] = (
                    "no loaded land-use layer (sheets P8, P2.c, P10) carries land-use codes: "
                    "the land-use plan has no data loaded",
                    "chưa có lớp sử dụng đất nào (sơ đồ P8, P2.c, P10) mang mã loại đất: "
                    "quy hoạch sử dụng đất chưa có dữ liệu",
                )
                continue
        elif kind == "zone_type":
            keys = [ZONE_SOURCE]
        elif kind == "project":
            keys = [PROJECT_SOURCE]
        elif kind == "district":
            keys = [DISTRICT_SOURCE]
        for key in keys:
            if key.startswith("@"):
                sources.setdefault(key, Source(key, None, ""))
            filters.setdefault(key, []).append(compile_filter(rule["constraint_filter"]))
        rule_sources[code] = keys

    for key, source in sources.items():
        if key.startswith("@") or catalog.get(key, {}).get("relkind") == "v":
            # the plan tables (and the layer views over them) change with edits of their records: a
            # content hash (a few ms over these small tables) spares rebuilding unchanged pieces
            rows = yield Fetch(
                f"SELECT md5(coalesce(string_agg(md5(CAST(p AS text)), '' ORDER BY p.fid), '')) AS h "
                f"FROM ({_source_select(source)}) p",
                {},
            )
            source.signature = f"content:{rows[0]['h']}"
        parts = filters.get(key, ["TRUE"])
        source.filter_sql = "TRUE" if "TRUE" in parts else " OR ".join(f"({p})" for p in sorted(set(parts)))
        source.signature += "/" + source.filter_sql
    return sources, rule_sources, inactive


def _source_select(source: Source) -> str:
    """The rows of a source shaped like ``screening_part`` (before subdividing), as ``p``."""
    if source.key == ZONE_SOURCE:
        return """
        SELECT zone_id AS fid, NULL::text AS feature_id, name_vi AS name, NULL::text AS landuse_code,
               NULL::text AS landuse_name, source_url AS source,
               jsonb_build_object('kind', kind, 'type_detail', type_detail, 'district_code', district_code,
                                  'status', status) AS properties,
               geometry_quality, false AS is_synthetic, geom
        FROM zone WHERE geom IS NOT NULL
        """
    if source.key == PROJECT_SOURCE:
        return """
        SELECT project_id AS fid, NULL::text AS feature_id, name_vi AS name, NULL::text AS landuse_code,
               NULL::text AS landuse_name, source_url AS source,
               jsonb_build_object('sector', sector, 'zone_id', zone_id) AS properties,
               geometry_quality, is_synthetic, geom
        FROM project WHERE geom IS NOT NULL AND geometry_quality <> 'schematic'
        """
    if source.key == DISTRICT_SOURCE:
        return f"""
        SELECT DISTINCT ON (code) code AS fid, NULL::text AS feature_id, name, NULL::text AS landuse_code,
               NULL::text AS landuse_name, source, jsonb_build_object('code', code) AS properties,
               geometry_quality, false AS is_synthetic, geom
        FROM admin_unit
        WHERE level = 'district' AND geom IS NOT NULL
          AND (valid_to IS NULL OR valid_to >= {PRE_REFORM_END_SQL})
        ORDER BY code, valid_from DESC NULLS LAST
        """
    return f"""
        SELECT fid::text AS fid, feature_id, name, landuse_code, landuse_name, source, properties,
               geometry_quality, {str(source.is_synthetic).lower()} AS is_synthetic, geom
        FROM {source.relation} WHERE geom IS NOT NULL
        """


def _refresh_sources_steps(sources: dict[str, Source]) -> Steps:
    """Rebuild the subdivided pieces of every source whose signature changed; return rebuilt keys."""
    rows = yield Fetch("SELECT source_key, signature FROM screening_source_state", {})
    built = {r["source_key"]: r["signature"] for r in rows}
    rebuilt = []
    for key in [k for k in built if k not in sources]:
        yield Execute("DELETE FROM screening_part WHERE source_key = :k", {"k": key})
        yield Execute("DELETE FROM screening_source_state WHERE source_key = :k", {"k": key})
    for key, source in sources.items():
        if built.get(key) == source.signature:
            continue
        yield Execute("DELETE FROM screening_part WHERE source_key = :k", {"k": key})
        yield Execute(
            f"""
            INSERT INTO screening_part (source_key, fid, feature_id, name, landuse_code, landuse_name, source,
                                        properties, geometry_quality, is_synthetic, geom)
            SELECT CAST(:k AS text), p.fid, p.feature_id, p.name, p.landuse_code, p.landuse_name, p.source,
                   coalesce(p.properties, '{{}}'::jsonb), p.geometry_quality, p.is_synthetic, s.piece
            FROM ({_source_select(source)}) p,
                 LATERAL (SELECT ST_Transform(CASE WHEN ST_IsValid(p.geom) THEN p.geom
                                                   ELSE ST_CollectionExtract(ST_MakeValid(p.geom)) END,
                                              {SCREEN_SRID}) AS g) t,
                 LATERAL (SELECT t.g AS piece WHERE ST_NPoints(t.g) <= {SUBDIVIDE_VERTICES}
                          UNION ALL
                          SELECT ST_Subdivide(t.g, {SUBDIVIDE_VERTICES})
                          WHERE ST_NPoints(t.g) > {SUBDIVIDE_VERTICES}) s
            WHERE NOT ST_IsEmpty(p.geom) AND ({source.filter_sql})
            """,
            {"k": key},
        )
        yield Execute(
            """
            INSERT INTO screening_source_state (source_key, signature, feature_count, part_count, built_at)
            SELECT CAST(:k AS text), CAST(:s AS text), count(DISTINCT fid), count(*), now()
            FROM screening_part WHERE source_key = :k
            ON CONFLICT (source_key) DO UPDATE SET signature = EXCLUDED.signature,
                feature_count = EXCLUDED.feature_count, part_count = EXCLUDED.part_count, built_at = now()
            """,
            {"k": key, "s": source.signature},
        )
        rebuilt.append(key)
    # statistics matter for the large layers; re-sampling the whole table (~0.6 s with 200,000 parcels)
    # after a small plan table was rebuilt is not worth it, unless the table was never analysed
    analysed = yield Fetch(
        "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL AS done FROM pg_stat_user_tables "
        "WHERE relid = 'screening_part'::regclass",
        {},
    )
    if any(not k.startswith("@") for k in rebuilt) or (rebuilt and not (analysed and analysed[0]["done"])):
        yield Execute("ANALYZE screening_part", {})
    return rebuilt


def _rule_has_features_steps(rule: dict, keys: list[str]) -> Steps:
    rows = yield Fetch(
        f"""
        SELECT EXISTS (SELECT 1 FROM screening_part p
                       WHERE p.source_key = ANY(CAST(:keys AS text[]))
                         AND ({compile_filter(rule["constraint_filter"])})) AS found
        """,
        {"keys": keys},
    )
    return rows[0]["found"]


# The evaluation is one long UNION: JIT-compiling it costs seconds and saves nothing on these joins.
# work_mem: the land-use pairs (with their intersection pieces) are sorted for grouping in memory, not on disk
NO_JIT = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'"
PREPARED_CACHE_SIZE = 16
_prepared: dict[tuple, tuple[bool, tuple[list[dict], list[dict]]]] = {}

PREPARED_KEY_SQL = f"""
SELECT current_database() AS db, inet_server_port() AS port,
       ({INPUTS_VERSION_SQL}) AS inputs_version,
       ({RULES_SIGNATURE_SQL}) AS rules,
       (SELECT string_agg(source_key || '=' || md5(signature), ';' ORDER BY source_key)
        FROM screening_source_state) AS sources
"""


def prepare_steps(
    on_date: date | None = None, refresh: bool = True, tables: dict[str, str] | None = None
) -> Steps:
    """Active rules, their constraint pieces, and the inactive rules with reasons.

    With ``refresh`` (the write path: load, import, commands) the pieces of changed sources are
    rebuilt first; without it (reads) the pieces are used as the last write left them and nothing
    is written. The answer only changes with the screening inputs' version, the rules and the built
    pieces, so it is kept per process under that key (a rolled-back build is not reused). ``tables``
    (layer table → table to read instead) lets an import screen its staging table before the swap;
    the pieces' signatures name the layer's own table, so they hold once the staging table is renamed.
    """
    on_date = on_date or date.today()
    key_row = yield Fetch(PREPARED_KEY_SQL, {})
    key = (*key_row[0].values(), on_date)
    # an answer computed without refreshing serves reads only: a write must check the pieces itself
    if key in _prepared and (_prepared[key][0] or not refresh):
        _, (active, inactive) = _prepared[key]
        return [dict(r) for r in active], [dict(r) for r in inactive]
    result = yield from _prepare_uncached_steps(on_date, refresh, tables or {})
    key_row = yield Fetch(PREPARED_KEY_SQL, {})
    if len(_prepared) >= PREPARED_CACHE_SIZE:
        _prepared.clear()
    _prepared[(*key_row[0].values(), on_date)] = (refresh, result)
    return result


def _prepare_uncached_steps(
    on_date: date, refresh: bool = True, tables: dict[str, str] | None = None
) -> Steps:
    rules = yield Fetch(ACTIVE_RULES_SQL, {"on_date": on_date})
    sources, rule_sources, inactive = yield from _plan_sources_steps(rules, tables or {})
    if refresh:
        yield from _refresh_sources_steps(sources)
    counts = yield Fetch("SELECT source_key, part_count FROM screening_source_state", {})
    part_counts = {r["source_key"]: r["part_count"] or 0 for r in counts}
    active = []
    for rule in rules:
        code = rule["rule_code"]
        if code in inactive:
            continue
        keys = rule_sources[code]
        if not (yield from _rule_has_features_steps(rule, keys)):
            where = ", ".join(k.lstrip("@") for k in keys)
            condition = (
                f" match '{rule['constraint_filter']}'" if rule["constraint_filter"] else " have a geometry"
            )
            condition_vi = (
                f" khớp '{rule['constraint_filter']}'" if rule["constraint_filter"] else " có hình học"
            )
            inactive[code] = (
                f"no feature of {where} does{condition}",
                f"không đối tượng nào của {where}{condition_vi}",
            )
            continue
        active.append({**rule, "source_keys": keys, "source_parts": sum(part_counts.get(k, 0) for k in keys)})
    inactive_rules = [
        {
            "rule_code": r["rule_code"],
            "version": r["version"],
            "severity": r["severity"],
            "message_vi": r["message_vi"],
            "message_en": r["message_en"],
            "reason": inactive[r["rule_code"]][0],
            "reason_vi": inactive[r["rule_code"]][1],
        }
        for r in rules
        if r["rule_code"] in inactive
    ]
    return active, inactive_rules
