"""Conflict screening of projects and drawn footprints against the plan's constraints, in PostGIS.

Rules are data (table ``conflict_rule``, loaded from ``data/plan/conflict_rules.csv``). Constraint
features are copied once into ``screening_part``: transformed to VN-2000 / TM-3 106-30 (EPSG:9213,
metres) and cut with ``ST_Subdivide`` so that a footprint only meets small pieces. A source's
pieces are rebuilt when its signature (table, load time, feature count, data version) changes.
Stored results (``project_conflict``) carry the data version and rule set they were computed on;
a reader that finds them stale recomputes them first.

The same screening logic runs on a SQLAlchemy connection (CLI, loader, benchmark) and on an asyncpg
connection (HTTP): the logic is written once as a generator of SQL steps, and two small drivers run
those steps on either kind of connection.
"""

import csv
import math
import re
import time
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from geo.errors import InvalidParameter, NotFound, PayloadTooLarge, Unprocessable
from geo.store.settings import DATA_DIR

RULES_CSV = DATA_DIR / "plan" / "conflict_rules.csv"
SCREEN_SRID = 9213
SUBDIVIDE_VERTICES = 128
MAX_FOOTPRINT_VERTICES = 10_000
# A drawn footprint must lie within this distance of the province (metres).
PROVINCE_MARGIN_M = 5_000
PROVINCE_CODE = "06"  # Bắc Kạn (pre-2025 GSO code)
SEVERITY_ORDER = {"block": 0, "review": 1, "info": 2}
LOCK_KEY = 5_180_005  # pg advisory lock: one screening refresh at a time

ZONE_SOURCE, PROJECT_SOURCE, DISTRICT_SOURCE = "@zone", "@project", "@district"
# A land-use rule with no layer of its own reads every loaded layer of these sheets that carries
# land-use codes: the land-use plan (P8), current land use (P2.c) and the forest/environment plan (P10).
LANDUSE_SHEETS = ("P8", "P2.c", "P10")
STANDARD_COLUMNS = {"fid", "feature_id", "name", "landuse_code", "landuse_name", "source", "geometry_quality"}
_FILTER_TERM = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(!=|!~|=|~)\s*(.*?)\s*$")
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


# --------------------------------------------------------------------------------------------
# Two drivers for one logic
# --------------------------------------------------------------------------------------------
@dataclass
class Fetch:
    """A query whose rows (as dicts) are sent back into the generator."""

    sql: str
    params: dict


@dataclass
class Execute:
    """A statement whose result is not needed."""

    sql: str
    params: dict


Steps = Generator[Fetch | Execute, list[dict] | None, Any]


def _positional(sql: str, params: dict) -> tuple[str, list]:
    """``:name`` binds → asyncpg's ``$n``."""
    order: dict[str, int] = {}

    def repl(match: re.Match) -> str:
        name = match.group(1)
        if name not in order:
            order[name] = len(order) + 1
        return f"${order[name]}"

    return _BIND.sub(repl, sql), [params[name] for name in order]


def run_sync(steps: Steps, conn) -> Any:
    """Run screening steps on a SQLAlchemy connection."""
    from sqlalchemy import text

    result = None
    while True:
        try:
            step = steps.send(result)
        except StopIteration as stop:
            return stop.value
        cursor = conn.execute(text(step.sql), step.params)
        result = [dict(row._mapping) for row in cursor] if isinstance(step, Fetch) else None


async def run_async(steps: Steps, conn) -> Any:
    """Run screening steps on an asyncpg connection."""
    result = None
    while True:
        try:
            step = steps.send(result)
        except StopIteration as stop:
            return stop.value
        sql, args = _positional(step.sql, step.params)
        if isinstance(step, Fetch):
            result = [dict(row) for row in await conn.fetch(sql, *args)]
        else:
            await conn.execute(sql, *args)
            result = None


def _json(value):
    """jsonb arrives decoded from psycopg and the app's pool, as text from a bare asyncpg connection."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _lit(value: str) -> str:
    """A SQL string literal (rule fields are our own data, still quoted properly)."""
    return "'" + str(value).replace("'", "''") + "'"


def _num(value: float | None) -> str:
    return "NULL" if value is None else repr(float(value))


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------
RULE_COLUMNS = (
    "rule_code",
    "version",
    "valid_from",
    "valid_to",
    "constraint_kind",
    "constraint_layer",
    "constraint_filter",
    "predicate",
    "distance_m",
    "min_overlap_ha",
    "min_overlap_pct",
    "severity",
    "sectors",
    "message_vi",
    "message_en",
    "legal_basis",
    "approving_authority",
    "threshold_verified",
    "notes",
)


def read_rules_csv(path: Path = RULES_CSV) -> list[dict]:
    """Parse the conflict-rule catalog; a bad row raises InvalidParameter naming it."""
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for line_no, raw in enumerate(csv.DictReader(fh), start=2):
            try:
                row = {k: (raw.get(k) or "").strip() or None for k in RULE_COLUMNS}
                row["version"] = int(row["version"] or 1)
                row["valid_from"] = date.fromisoformat(row["valid_from"])
                row["valid_to"] = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
                for key in ("distance_m", "min_overlap_ha", "min_overlap_pct"):
                    row[key] = float(row[key]) if row[key] is not None else None
                row["sectors"] = [s.strip() for s in (row["sectors"] or "").split("|") if s.strip()]
                row["threshold_verified"] = (row["threshold_verified"] or "false").lower() == "true"
                if row["constraint_filter"]:
                    compile_filter(row["constraint_filter"])
            except (ValueError, TypeError) as exc:
                raise InvalidParameter(f"{path.name} line {line_no}: {exc}") from exc
            rows.append(row)
    return rows


def _load_rules_steps(rows: list[dict]) -> Steps:
    keys = [(r["rule_code"], r["version"]) for r in rows]
    existing = yield Fetch("SELECT rule_code, version FROM conflict_rule", {})
    for row in existing:
        if (row["rule_code"], row["version"]) not in keys:
            yield Execute(
                "DELETE FROM conflict_rule WHERE rule_code = :c AND version = :v",
                {"c": row["rule_code"], "v": row["version"]},
            )
    columns = ", ".join(RULE_COLUMNS)
    binds = ", ".join(f":{c}" for c in RULE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in RULE_COLUMNS if c not in ("rule_code", "version"))
    for row in rows:
        yield Execute(
            f"INSERT INTO conflict_rule ({columns}) VALUES ({binds}) "
            f"ON CONFLICT (rule_code, version) DO UPDATE SET {updates}",
            row,
        )
    return len(rows)


def load_rules(conn, path: Path = RULES_CSV) -> int:
    """Replace the rule catalog with the CSV inside the caller's transaction; return the rule count."""
    return run_sync(_load_rules_steps(read_rules_csv(path)), conn)


def _ensure_rules_steps() -> Steps:
    """A database whose catalog was never loaded gets the shipped one (never an empty rule set)."""
    rows = yield Fetch("SELECT EXISTS (SELECT 1 FROM conflict_rule) AS loaded", {})
    if not rows[0]["loaded"]:
        yield from _load_rules_steps(read_rules_csv())


def compile_filter(expr: str | None) -> str:
    """Turn ``field=a|b;field~regex;field!=x`` into SQL over a ``screening_part`` row ``p``.

    Terms joined by ``;`` must all hold. ``=``/``!=`` compare case-insensitively with any of the
    ``|``-separated values; ``~``/``!~`` match a regular expression case- and accent-insensitively.
    Standard layer columns are used directly, anything else is read from ``properties``.
    """
    if not expr:
        return "TRUE"
    terms = []
    for term in expr.split(";"):
        if not term.strip():
            continue
        match = _FILTER_TERM.match(term)
        if not match:
            raise ValueError(f"constraint filter term {term!r} is not field=value, field~regex, != or !~")
        field, op, value = match.groups()
        column = f"p.{field}" if field in STANDARD_COLUMNS else f"(p.properties->>{_lit(field)})"
        folded = f"fold_vi(coalesce({column}, ''))"
        if op in ("=", "!="):
            # codes and kinds: a plain case-insensitive comparison is enough and cheap on big layers
            values = ", ".join(_lit(v.strip().lower()) for v in value.split("|"))
            sql = f"lower(coalesce({column}, '')) IN ({values})"
        else:
            sql = f"{folded} ~ fold_vi({_lit(value)})"
        terms.append(f"NOT ({sql})" if op.startswith("!") else f"({sql})")
    return " AND ".join(terms) or "TRUE"


ACTIVE_RULES_SQL = """
SELECT DISTINCT ON (rule_code) *
FROM conflict_rule
WHERE valid_from <= CAST(:on_date AS date) AND (valid_to IS NULL OR valid_to > CAST(:on_date AS date))
ORDER BY rule_code, version DESC
"""

RULES_SIGNATURE_SQL = """
SELECT md5(coalesce(string_agg(row_to_json(r)::text, '|' ORDER BY r.rule_code, r.version), ''))
       || ':' || CAST(current_date AS text) AS signature
FROM conflict_rule r
"""


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


def _layer_catalog_steps() -> Steps:
    rows = yield Fetch(
        """
        SELECT l.layer_key, l.sheet_id, l.table_name, l.geometry_type, l.is_synthetic,
               coalesce(l.loaded_at::text, '') || '/' || coalesce(l.feature_count, -1)::text AS stamp,
               c.relkind::text AS relkind,
               (SELECT version FROM data_version WHERE id = 1) AS data_version
        FROM sheet_layer l
        LEFT JOIN pg_class c ON c.relname = l.table_name
             AND c.relnamespace = 'layers'::regnamespace
        """,
        {},
    )
    return {r["layer_key"]: r for r in rows}


def _has_landuse_codes_steps(table: str) -> Steps:
    rows = yield Fetch(
        f'SELECT EXISTS (SELECT 1 FROM layers."{table}" WHERE landuse_code IS NOT NULL) AS has_codes', {}
    )
    return rows[0]["has_codes"]


def _plan_sources_steps(rules: list[dict]) -> Steps:
    """Decide each rule's sources; rules without one are inactive with the reason."""
    catalog = yield from _layer_catalog_steps()
    version = yield Fetch("SELECT version FROM data_version WHERE id = 1", {})
    data_version = version[0]["version"]
    sources: dict[str, Source] = {}
    rule_sources: dict[str, list[str]] = {}
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
        if layer["relkind"] == "v":  # views over zones/projects change with every edit
            stamp += f"/v{data_version}"
        return Source(layer_key, f'layers."{layer["table_name"]}"', stamp, bool(layer["is_synthetic"]))

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
                    has_codes = yield from _has_landuse_codes_steps(layer["table_name"])
                    if has_codes:
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
                sources.setdefault(key, Source(key, None, f"v{data_version}"))
            filters.setdefault(key, []).append(compile_filter(rule["constraint_filter"]))
        rule_sources[code] = keys

    for key, source in sources.items():
        if key.startswith("@"):
            # the plan tables change with every edit of any of them: a content hash (a few ms over
            # these small tables) spares rebuilding the pieces of those that did not change
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
               jsonb_build_object('sector', sector, 'zone_id', zone_id, 'status', status) AS properties,
               geometry_quality, is_synthetic, geom
        FROM project WHERE geom IS NOT NULL
        """
    if source.key == DISTRICT_SOURCE:
        return """
        SELECT DISTINCT ON (code) code AS fid, NULL::text AS feature_id, name, NULL::text AS landuse_code,
               NULL::text AS landuse_name, source, jsonb_build_object('code', code) AS properties,
               geometry_quality, false AS is_synthetic, geom
        FROM admin_unit
        WHERE level = 'district' AND geom IS NOT NULL
          AND (valid_to IS NULL OR valid_to >= DATE '2025-06-30')
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
# a source with at most this many pieces is joined by scanning its pieces, not the spatial index
SMALL_SOURCE_PARTS = 500
_prepared: dict[tuple, tuple[list[dict], list[dict]]] = {}

PREPARED_KEY_SQL = f"""
SELECT current_database() AS db, inet_server_port() AS port,
       (SELECT version FROM data_version WHERE id = 1) AS data_version,
       ({RULES_SIGNATURE_SQL}) AS rules,
       (SELECT string_agg(source_key || '=' || md5(signature), ';' ORDER BY source_key)
        FROM screening_source_state) AS sources
"""


def _prepare_steps(on_date: date | None = None) -> Steps:
    """Active rules, their fresh constraint pieces, and the inactive rules with reasons.

    The answer only changes with the data version, the rules and the built pieces, so it is kept
    per process under that key (the pieces' state is part of it: a rolled-back build is not reused).
    """
    on_date = on_date or date.today()
    key_row = yield Fetch(PREPARED_KEY_SQL, {})
    key = (*key_row[0].values(), on_date)
    if key in _prepared:
        active, inactive = _prepared[key]
        return [dict(r) for r in active], [dict(r) for r in inactive]
    result = yield from _prepare_uncached_steps(on_date)
    key_row = yield Fetch(PREPARED_KEY_SQL, {})
    if len(_prepared) >= PREPARED_CACHE_SIZE:
        _prepared.clear()
    _prepared[(*key_row[0].values(), on_date)] = result
    return result


def _prepare_uncached_steps(on_date: date) -> Steps:
    rules = yield Fetch(ACTIVE_RULES_SQL, {"on_date": on_date})
    sources, rule_sources, inactive = yield from _plan_sources_steps(rules)
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


# --------------------------------------------------------------------------------------------
# The evaluation: one statement for all rules over a set of footprints
# --------------------------------------------------------------------------------------------
# Footprints are rows (fid, sector, zone_id, district_codes, geometry_quality, geom in 9213).
PROJECT_FOOTPRINTS = f"""
SELECT project_id AS fid, sector, zone_id, district_codes, geometry_quality,
       ST_Transform(ST_CollectionExtract(ST_MakeValid(geom)), {SCREEN_SRID}) AS geom
FROM project
WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
  AND (CAST(:project_id AS text) IS NULL OR project_id = CAST(:project_id AS text))
"""

ZONE_FOOTPRINTS = f"""
SELECT zone_id AS fid, NULL::text AS sector, zone_id, '{{}}'::text[] AS district_codes, geometry_quality,
       ST_Transform(ST_CollectionExtract(ST_MakeValid(geom)), {SCREEN_SRID}) AS geom
FROM zone
WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
  AND (CAST(:zone_id AS text) IS NULL OR zone_id = CAST(:zone_id AS text))
"""

DRAWN_FOOTPRINT = f"""
SELECT 'footprint'::text AS fid, CAST(:sector AS text) AS sector, NULL::text AS zone_id,
       CAST(:districts AS text[]) AS district_codes, 'exact'::text AS geometry_quality,
       ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(CAST(:geojson AS text)), 4326), {SCREEN_SRID}) AS geom
"""


def _sector_sql(rule: dict) -> str:
    if not rule["sectors"]:
        return "TRUE"
    keywords = ", ".join(_lit(s) for s in rule["sectors"])
    return (
        f"EXISTS (SELECT 1 FROM unnest(ARRAY[{keywords}]) kw "
        f"WHERE fold_vi(coalesce(f.sector, '')) LIKE '%' || fold_vi(kw) || '%')"
    )


def _outside_branch(rule: dict) -> str:
    """The SELECT of an ``outside`` rule: the part of each footprint outside its assigned districts."""
    head = f"""
        {_lit(rule["rule_code"])}::text AS rule_code, {int(rule["version"])} AS rule_version,
        {_lit(rule["severity"])}::text AS severity"""
    min_ha, min_pct = _num(rule["min_overlap_ha"]), _num(rule["min_overlap_pct"])
    empty = f"ST_SetSRID('GEOMETRYCOLLECTION EMPTY'::geometry, {SCREEN_SRID})"
    # the district pieces (a few dozen) come from the materialized CTE ``district_parts``: one pass
    # per footprint over them by bounding box is cheaper than probing the shared spatial index
    return f"""
        SELECT o.fid AS subject_id, {head}, o.source_key, NULL::text AS constraint_fid,
               NULL::text AS constraint_name,
               (SELECT min(p.geometry_quality) FROM district_parts p WHERE p.fid = ANY(o.district_codes))
                   AS constraint_geometry_quality,
               o.fq AS subject_geometry_quality,
               false AS constraint_synthetic,
               ST_Area(o.outside) AS overlap_m2, ST_Length(o.outside) AS overlap_length_m,
               NULL::double precision AS distance_m, o.outside AS hit_geom,
               jsonb_build_object(
                   'assigned_districts', to_jsonb(o.district_codes),
                   'found_in_districts', to_jsonb(
                       (SELECT coalesce(array_agg(DISTINCT p.fid ORDER BY p.fid), '{{}}')
                        FROM district_parts p
                        WHERE p.geom && o.geom AND ST_Intersects(p.geom, o.geom)
                          AND NOT ST_Touches(p.geom, o.geom)))) AS extra,
               o.farea AS footprint_m2, o.fdim AS footprint_dim
        FROM (
            SELECT f.fid, f.district_codes, f.geometry_quality AS fq, '@district'::text AS source_key,
                   f.geom, f.farea, f.fdim,
                   CASE WHEN d.covered THEN {empty}
                        ELSE ST_Difference(f.geom, coalesce(ST_Union(d.pieces), {empty}))
                   END AS outside
            FROM f
            CROSS JOIN LATERAL (
                SELECT coalesce(bool_or(ST_CoveredBy(f.geom, p.geom)), false) AS covered,
                       array_agg(p.geom) AS pieces
                FROM district_parts p
                WHERE p.fid = ANY(f.district_codes) AND p.geom && f.geom AND ST_Intersects(p.geom, f.geom)
            ) d
            WHERE cardinality(f.district_codes) > 0 AND ({_sector_sql(rule)})
            OFFSET 0  -- computed once: inlined, the difference was recomputed for each use of o.outside
        ) o
        WHERE NOT ST_IsEmpty(o.outside)
          AND (o.fdim < 2 OR ST_Area(o.outside) > 0)
          AND ({min_ha} IS NULL OR o.fdim < 2 OR ST_Area(o.outside) >= {min_ha} * 10000)
          AND ({min_pct} IS NULL OR o.fdim < 2 OR ST_Area(o.outside) * 100 >= {min_pct} * o.farea)
        """


def _group_key(rule: dict) -> tuple:
    """Rules that read the same pieces the same way share one join (e.g. the land-use rules)."""
    if rule["predicate"] == "outside":
        return ("outside", rule["rule_code"])
    return (tuple(rule["source_keys"]), rule["predicate"], rule["distance_m"], rule["constraint_kind"])


def _group_branch(rules: list[dict]) -> str:
    """One SELECT evaluating rules that share sources, predicate and kind over the footprints ``f``."""
    first = rules[0]
    keys = "ARRAY[" + ", ".join(_lit(k) for k in first["source_keys"]) + "]::text[]"
    dwithin = first["predicate"] == "dwithin"
    join = (
        f"ST_DWithin(f.geom, p.geom, {_num(first['distance_m'])})"
        if dwithin
        else "ST_Intersects(f.geom, p.geom)"
    )
    pair = "TRUE"
    if first["constraint_kind"] in ("project", "zone_type"):
        # two approximate footprints say nothing about each other
        pair = "NOT (f.geometry_quality = 'approximate' AND p.geometry_quality = 'approximate')"
        pair += " AND p.fid <> f.fid" if first["constraint_kind"] == "project" else ""
        pair += " AND p.fid IS DISTINCT FROM f.zone_id" if first["constraint_kind"] == "zone_type" else ""
    values = ", ".join(
        f"({_lit(r['rule_code'])}, {int(r['version'])}, {_lit(r['severity'])}, "
        f"{_num(r['min_overlap_ha'])}::float8, {_num(r['min_overlap_pct'])}::float8)"
        for r in rules
    )
    match = (
        "CASE r.rule_code "
        + " ".join(
            f"WHEN {_lit(r['rule_code'])} THEN ({compile_filter(r['constraint_filter'])})"
            f" AND ({_sector_sql(r)})"
            for r in rules
        )
        + " END"
    )
    # one intersection per (footprint, piece); a piece covered by the footprint (or covering it) is
    # its own intersection, which spares GEOS most of the work on small parcels
    # (the repeated footprint first: PostGIS caches it as a prepared geometry); OFFSET 0 keeps the
    # planner from inlining the piece into each of its uses, which recomputed the intersection 2–3 times
    piece = """CASE WHEN f.fdim = 2 AND ST_Covers(f.geom, p.geom) THEN p.geom
                    WHEN ST_CoveredBy(f.geom, p.geom) THEN f.geom
                    ELSE ST_Intersection(f.geom, p.geom) END"""
    touching = "ST_Intersects(f.geom, p.geom)" if dwithin else "TRUE"
    # land-use rules report per layer ("12.3 ha of rice land in 5 parcels"), not one row per parcel
    per_feature = first["constraint_kind"] != "landuse"
    if per_feature:
        constraint = "p.fid AS constraint_fid, min(p.name) AS constraint_name, '{}'::jsonb AS extra"
        group = ", p.fid"
    else:
        constraint = """CASE WHEN count(DISTINCT p.fid) = 1 THEN min(p.fid) END AS constraint_fid,
                   CASE WHEN count(DISTINCT p.fid) = 1 THEN min(p.name)
                        ELSE string_agg(DISTINCT p.landuse_code, ', ') || ' (' || count(DISTINCT p.fid) || ')'
                   END AS constraint_name,
                   jsonb_build_object(
                       'features', count(DISTINCT p.fid),
                       'landuse_codes', to_jsonb(array_agg(DISTINCT p.landuse_code))) AS extra"""
        group = ""
    hit = (
        "CASE WHEN g.distance_m > 0 THEN ST_ShortestLine(g.fgeom, g.cgeom) ELSE g.hit END"
        if dwithin
        else "g.hit"
    )
    pieces = "screening_part"
    if first.get("source_parts", SMALL_SOURCE_PARTS + 1) <= SMALL_SOURCE_PARTS:
        # a few pieces are scanned once and compared with every footprint by bounding box: cheaper than
        # probing the shared spatial index (mostly land parcels) once per footprint; OFFSET 0 keeps
        # the planner from going back to that index
        pieces = f"(SELECT * FROM screening_part WHERE source_key = ANY({keys}) OFFSET 0)"
        if dwithin:  # ST_DWithin measures the distance before looking at the boxes
            join = f"f.geom && ST_Expand(p.geom, {_num(first['distance_m'])}) AND {join}"
    return f"""
        SELECT g.subject_id, g.rule_code, g.rule_version, g.severity, g.source_key, g.constraint_fid,
               g.constraint_name, g.cq AS constraint_geometry_quality, g.fq AS subject_geometry_quality,
               g.constraint_synthetic, g.overlap_m2, g.overlap_length_m, g.distance_m, {hit} AS hit_geom,
               g.extra, g.farea AS footprint_m2, g.fdim AS footprint_dim
        FROM (
            SELECT f.fid AS subject_id, r.rule_code, r.rule_version, r.severity, r.min_ha, r.min_pct,
                   p.source_key, {constraint},
                   min(p.geometry_quality) AS cq, min(f.geometry_quality) AS fq,
                   bool_or(p.is_synthetic) AS constraint_synthetic,
                   coalesce(sum(ST_Area(x.piece)), 0) AS overlap_m2,
                   sum(CASE WHEN f.fdim = 1 THEN ST_Length(ST_CollectionExtract(x.piece, 2)) END)
                       AS overlap_length_m,
                   {"min(ST_Distance(f.geom, p.geom))" if dwithin else "0::float8"} AS distance_m,
                   max(ST_Dimension(p.geom)) AS cdim,
                   ST_Collect(x.piece) AS hit,
                   {"ST_Collect(p.geom)" if dwithin else "NULL::geometry"} AS cgeom,
                   {"(array_agg(f.geom))[1]" if dwithin else "NULL::geometry"} AS fgeom,
                   min(f.farea) AS farea, min(f.fdim) AS fdim
            FROM f
            JOIN {pieces} p ON p.source_key = ANY({keys}) AND {join}
            JOIN (VALUES {values}) AS r(rule_code, rule_version, severity, min_ha, min_pct) ON {match}
            CROSS JOIN LATERAL (SELECT CASE WHEN {touching} THEN {piece} END AS piece OFFSET 0) x
            WHERE {pair}
            GROUP BY f.fid, r.rule_code, r.rule_version, r.severity, r.min_ha, r.min_pct, p.source_key{group}
        ) g
        WHERE ({dwithin} OR NOT (g.fdim = 2 AND g.cdim = 2 AND g.overlap_m2 <= 0))
          AND (g.min_ha IS NULL OR g.fdim < 2 OR g.overlap_m2 >= g.min_ha * 10000)
          AND (g.min_pct IS NULL OR g.fdim < 2 OR g.overlap_m2 * 100 >= g.min_pct * g.farea)
        """


def _evaluation_sql(footprints_sql: str, rules: list[dict]) -> str:
    """One statement: every rule over every footprint, one row per (footprint, rule, constraint)."""
    groups: dict[tuple, list[dict]] = {}
    for rule in rules:
        groups.setdefault(_group_key(rule), []).append(rule)
    branches = "\nUNION ALL\n".join(
        _outside_branch(group[0]) if key[0] == "outside" else _group_branch(group)
        for key, group in groups.items()
    )
    return f"""
    WITH f0 AS ({footprints_sql}),
    f AS MATERIALIZED (SELECT f0.*, ST_Area(f0.geom) AS farea, ST_Dimension(f0.geom) AS fdim FROM f0),
    district_parts AS MATERIALIZED (
        SELECT fid, geometry_quality, geom FROM screening_part WHERE source_key = '@district'),
    hits AS ({branches})
    SELECT h.subject_id, h.rule_code, h.rule_version, h.severity,
           round((h.overlap_m2 / 10000.0)::numeric, 4)::double precision AS overlap_ha,
           CASE WHEN h.footprint_m2 > 0
                THEN round((100.0 * h.overlap_m2 / h.footprint_m2)::numeric, 2)::double precision END
               AS overlap_pct,
           round(h.distance_m::numeric, 1)::double precision AS distance_m,
           h.source_key AS constraint_layer, h.constraint_fid, h.constraint_name,
           h.constraint_geometry_quality, h.subject_geometry_quality,
           jsonb_strip_nulls(h.extra || jsonb_build_object(
               'overlap_m2', round(h.overlap_m2::numeric, 1),
               'overlap_length_m',
                   CASE WHEN h.overlap_length_m > 0 THEN round(h.overlap_length_m::numeric, 1) END,
               'footprint_ha', round((h.footprint_m2 / 10000.0)::numeric, 4),
               'constraint_synthetic', h.constraint_synthetic,
               'approximate', (h.constraint_geometry_quality <> 'exact'
                               OR h.subject_geometry_quality <> 'exact'))) AS evidence,
           ST_CollectionHomogenize(h.hit_geom) AS geom
    FROM hits h
    """


# --------------------------------------------------------------------------------------------
# Stored results for projects
# --------------------------------------------------------------------------------------------
def _state_steps() -> Steps:
    rows = yield Fetch(
        f"""
        SELECT s.data_version AS screened_version, s.rules_signature, s.evaluated_at,
               s.projects_screened, s.conflicts_found, s.duration_ms,
               d.version AS data_version, ({RULES_SIGNATURE_SQL}) AS current_rules_signature
        FROM screening_state s, data_version d WHERE s.id = 1 AND d.id = 1
        """,
        {},
    )
    row = rows[0]
    row["stale"] = (
        row["screened_version"] != row["data_version"]
        or row["rules_signature"] != row["current_rules_signature"]
    )
    return row


def _screen_all_steps(force: bool = False) -> Steps:
    """Recompute every project's conflicts unless the stored ones are current; return a summary."""
    started = time.perf_counter()
    yield Execute(NO_JIT, {})
    yield Execute(f"SELECT pg_advisory_xact_lock({LOCK_KEY})", {})
    yield from _ensure_rules_steps()
    state = yield from _state_steps()
    if not state["stale"] and not force:
        return {"recomputed": False, **_summary(state)}
    active, inactive = yield from _prepare_steps()
    yield Execute("DELETE FROM project_conflict", {})
    if active:
        yield Execute(
            f"""
            INSERT INTO project_conflict (project_id, rule_code, rule_version, severity, overlap_ha,
                overlap_pct, distance_m, constraint_layer, constraint_fid, constraint_name,
                constraint_geometry_quality, project_geometry_quality, evidence, geom,
                data_version, evaluated_at)
            SELECT e.subject_id, e.rule_code, e.rule_version, e.severity, e.overlap_ha, e.overlap_pct,
                   e.distance_m, e.constraint_layer, e.constraint_fid, e.constraint_name,
                   e.constraint_geometry_quality, e.subject_geometry_quality, e.evidence, e.geom,
                   CAST(:data_version AS bigint), now()
            FROM ({_evaluation_sql(PROJECT_FOOTPRINTS, active)}) e
            """,
            {"project_id": None, "data_version": state["data_version"]},
        )
    counts = yield Fetch(
        """
        SELECT (SELECT count(*) FROM project WHERE geom IS NOT NULL) AS projects,
               (SELECT count(*) FROM project_conflict) AS conflicts
        """,
        {},
    )
    duration_ms = (time.perf_counter() - started) * 1000
    yield Execute(
        """
        UPDATE screening_state SET data_version = CAST(:v AS bigint), rules_signature = CAST(:r AS text),
               evaluated_at = now(), projects_screened = CAST(:p AS integer),
               conflicts_found = CAST(:c AS integer), duration_ms = CAST(:d AS double precision)
        WHERE id = 1
        """,
        {
            "v": state["data_version"],
            "r": state["current_rules_signature"],
            "p": counts[0]["projects"],
            "c": counts[0]["conflicts"],
            "d": duration_ms,
        },
    )
    state = yield from _state_steps()
    return {"recomputed": True, "active_rules": len(active), "inactive_rules": inactive, **_summary(state)}


def _summary(state: dict) -> dict:
    return {
        "data_version": state["screened_version"],
        "evaluated_at": state["evaluated_at"].isoformat() if state["evaluated_at"] else None,
        "projects_screened": state["projects_screened"],
        "conflicts_found": state["conflicts_found"],
        "duration_ms": round(state["duration_ms"], 1) if state["duration_ms"] is not None else None,
    }


def screen_all(conn_or_engine, force: bool = False) -> dict:
    """Screen every project against every active rule and store the results (sync; one transaction).

    Accepts a SQLAlchemy Engine (a transaction is opened) or Connection (runs in the caller's
    transaction). Returns ``{recomputed, data_version, projects_screened, conflicts_found,
    duration_ms, active_rules, inactive_rules}``; with ``force=False`` current results are kept.
    """
    from sqlalchemy import Engine

    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            return run_sync(_screen_all_steps(force), conn)
    return run_sync(_screen_all_steps(force), conn_or_engine)


def refresh_constraints(conn_or_engine) -> dict:
    """Rebuild the subdivided constraint pieces of every changed layer (call it after an import).

    Screening does this itself when it finds them stale; calling it right after a layer is
    imported moves that cost out of the first screening. Returns ``{active_rules, inactive_rules}``.
    """
    from sqlalchemy import Engine

    def run(conn) -> dict:
        conn.exec_driver_sql(NO_JIT)
        active, inactive = run_sync(_prepare_steps(), conn)
        return {"active_rules": len(active), "inactive_rules": inactive}

    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            return run(conn)
    return run(conn_or_engine)


async def screen_all_async(conn, force: bool = False) -> dict:
    """The same as ``screen_all`` on an asyncpg connection (in its own transaction)."""
    async with conn.transaction():
        return await run_async(_screen_all_steps(force), conn)


async def ensure_fresh(conn) -> dict:
    """Recompute stored results when the data or the rules changed since they were computed."""
    state = await run_async(_state_steps(), conn)
    if not state["stale"]:
        return {"recomputed": False, **_summary(state)}
    return await screen_all_async(conn)


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------
RULE_FIELDS = (
    "r.message_vi, r.message_en, r.legal_basis, r.approving_authority, r.threshold_verified, r.notes"
)


def _conflict_dict(row: dict) -> dict:
    evidence = _json(row["evidence"]) or {}
    return {
        "rule_code": row["rule_code"],
        "rule_version": row["rule_version"],
        "severity": row["severity"],
        "message_vi": row["message_vi"],
        "message_en": row["message_en"],
        "legal_basis": row["legal_basis"],
        "approving_authority": row["approving_authority"],
        "threshold_verified": row["threshold_verified"],
        "overlap_ha": row["overlap_ha"],
        "overlap_pct": row["overlap_pct"],
        "distance_m": row["distance_m"],
        "constraint": {
            "layer": row["constraint_layer"].lstrip("@") if row["constraint_layer"] else None,
            "fid": row["constraint_fid"],
            "name": row["constraint_name"],
            "geometry_quality": row["constraint_geometry_quality"],
        },
        "approximate": bool(evidence.get("approximate")),
        "evidence": evidence,
        "geometry": _json(row.get("geometry")),
    }


def verdict(conflicts: list[dict], screened: bool = True) -> str:
    """consistent / needs_review / conflicts (or not_screened when there is no footprint)."""
    if not screened:
        return "not_screened"
    severities = {c["severity"] for c in conflicts}
    if "block" in severities:
        return "conflicts"
    if "review" in severities:
        return "needs_review"
    return "consistent"


def _counts(conflicts: list[dict]) -> dict:
    return {s: sum(1 for c in conflicts if c["severity"] == s) for s in SEVERITY_ORDER}


def _sort(conflicts: list[dict]) -> list[dict]:
    return sorted(
        conflicts, key=lambda c: (SEVERITY_ORDER[c["severity"]], c["rule_code"], -(c["overlap_ha"] or 0))
    )


async def inactive_rules(conn) -> list[dict]:
    """The active-dated rules that cannot be evaluated on the loaded data, each with why."""
    async with conn.transaction():
        _, inactive = await run_async(_prepare_steps(), conn)
    return inactive


async def rule_catalog(conn) -> dict:
    """Every rule in force with its status (active / inactive and why)."""
    async with conn.transaction():
        active, inactive = await run_async(_prepare_steps(), conn)
    why = {r["rule_code"]: r["reason"] for r in inactive}
    rows = await run_async(_fetch_steps(ACTIVE_RULES_SQL, {"on_date": date.today()}), conn)
    rules = []
    for r in rows:
        rule = {k: r[k] for k in RULE_COLUMNS}
        rule["valid_from"] = r["valid_from"].isoformat()
        rule["valid_to"] = r["valid_to"].isoformat() if r["valid_to"] else None
        rule["status"] = "inactive" if r["rule_code"] in why else "active"
        rule["inactive_reason"] = why.get(r["rule_code"])
        rules.append(rule)
    return {"rules": rules, "active": len(active), "inactive": len(inactive)}


def _fetch_steps(sql: str, params: dict) -> Steps:
    rows = yield Fetch(sql, params)
    return rows


async def project_conflicts(conn, project_id: str) -> dict:
    """The stored (refreshed if stale) conflict report of one project."""
    project = await conn.fetchrow(
        """
        SELECT project_id, name_vi, name_ascii, sector, district_codes, districts_text, zone_id, status,
               geometry_quality, location_level, geometry_note, geometry_note_vi,
               geom IS NOT NULL AS has_geometry,
               round((ST_Area(geom::geography) / 10000.0)::numeric, 4)::double precision AS area_ha
        FROM project WHERE project_id = $1
        """,
        project_id,
    )
    if project is None:
        raise NotFound(f"project {project_id!r} does not exist")
    freshness = await ensure_fresh(conn)
    rows = await conn.fetch(
        f"""
        SELECT c.*, {RULE_FIELDS}, ST_AsGeoJSON(ST_Transform(c.geom, 4326), 6) AS geometry
        FROM project_conflict c
        JOIN conflict_rule r ON r.rule_code = c.rule_code AND r.version = c.rule_version
        WHERE c.project_id = $1
        """,
        project_id,
    )
    conflicts = _sort([_conflict_dict(dict(r)) for r in rows])
    inactive = await inactive_rules(conn)
    subject = dict(project)
    subject["district_codes"] = list(subject["district_codes"] or [])
    screened = subject.pop("has_geometry")
    return {
        "subject": {"kind": "project", "id": subject.pop("project_id"), **subject},
        "verdict": verdict(conflicts, screened),
        "not_screened_reason": None
        if screened
        else (project["geometry_note"] or "the project has no published location, so it cannot be screened"),
        "not_screened_reason_vi": None
        if screened
        else (project["geometry_note_vi"] or "dự án chưa có vị trí công bố nên không thể đối chiếu"),
        "counts": _counts(conflicts),
        "conflicts": conflicts,
        "inactive_rules": inactive,
        "data_version": freshness["data_version"],
        "evaluated_at": freshness["evaluated_at"],
        "recomputed": freshness["recomputed"],
    }


async def list_conflicts(conn, district: str | None = None, severity: str | None = None) -> dict:
    """All stored conflicts (refreshed if stale), filterable by district code and severity."""
    if severity is not None and severity not in SEVERITY_ORDER:
        raise InvalidParameter(f"severity must be one of block, review, info (got {severity!r})")
    district_code = await resolve_district(conn, district) if district else None
    freshness = await ensure_fresh(conn)
    rows = await conn.fetch(
        f"""
        SELECT c.*, {RULE_FIELDS}, p.name_vi AS project_name, p.district_codes, p.sector,
               ST_AsGeoJSON(ST_Transform(c.geom, 4326), 6) AS geometry
        FROM project_conflict c
        JOIN conflict_rule r ON r.rule_code = c.rule_code AND r.version = c.rule_version
        JOIN project p ON p.project_id = c.project_id
        WHERE ($1::text IS NULL OR $1 = ANY(p.district_codes)) AND ($2::text IS NULL OR c.severity = $2)
        ORDER BY array_position(ARRAY['block', 'review', 'info'], c.severity), c.project_id, c.rule_code
        """,
        district_code,
        severity,
    )
    conflicts = []
    for row in rows:
        item = _conflict_dict(dict(row))
        item["project"] = {
            "id": row["project_id"],
            "name": row["project_name"],
            "sector": row["sector"],
            "district_codes": list(row["district_codes"] or []),
            "geometry_quality": row["project_geometry_quality"],
        }
        conflicts.append(item)
    return {
        "conflicts": conflicts,
        "counts": _counts(conflicts),
        "projects": len({c["project"]["id"] for c in conflicts}),
        "filters": {"district": district_code, "severity": severity},
        "inactive_rules": await inactive_rules(conn),
        "data_version": freshness["data_version"],
        "evaluated_at": freshness["evaluated_at"],
    }


# One row per conflict in the CSV export (what a planner takes to a meeting or a report).
CONFLICT_CSV_COLUMNS = [
    "project_id",
    "project_name",
    "district_codes",
    "severity",
    "rule_code",
    "message_vi",
    "message_en",
    "constraint_layer",
    "constraint_name",
    "overlap_ha",
    "overlap_pct",
    "distance_m",
    "approximate",
    "legal_basis",
    "approving_authority",
    "threshold_verified",
    "data_version",
    "evaluated_at",
]


def conflict_csv_rows(report: dict) -> list[dict]:
    """The conflicts of a ``list_conflicts`` report as flat rows of CONFLICT_CSV_COLUMNS."""
    return [
        {
            **c,
            "project_id": c["project"]["id"],
            "project_name": c["project"]["name"],
            "district_codes": " ".join(c["project"]["district_codes"]),
            "constraint_layer": (c.get("constraint") or {}).get("layer"),
            "constraint_name": (c.get("constraint") or {}).get("name"),
            "data_version": report["data_version"],
            "evaluated_at": report["evaluated_at"],
        }
        for c in report["conflicts"]
    ]


async def resolve_district(conn, district: str) -> str:
    """A district code from a code or a name (with or without diacritics); unknown → 400."""
    code = await conn.fetchval(
        """
        SELECT code FROM admin_unit
        WHERE level = 'district'
          AND (code = $1 OR fold_vi(name) = fold_vi($1) OR fold_vi(full_name) = fold_vi($1))
        ORDER BY valid_to DESC NULLS FIRST LIMIT 1
        """,
        district.strip(),
    )
    if code is None:
        raise InvalidParameter(f"unknown district {district!r}: give a district code such as '058' or a name")
    return code


def _zone_blocks_steps(zone_id: str | None) -> Steps:
    yield Execute(NO_JIT, {})
    active, _ = yield from _prepare_steps()
    rules = [r for r in active if r["severity"] == "block"]
    if not rules:
        return {}
    rows = yield Fetch(
        f"""
        SELECT e.subject_id, e.rule_code, e.constraint_name, e.overlap_ha, e.constraint_geometry_quality,
               e.evidence
        FROM ({_evaluation_sql(ZONE_FOOTPRINTS, rules)}) e ORDER BY e.subject_id, e.rule_code
        """,
        {"zone_id": zone_id},
    )
    blocks: dict[str, list[dict]] = {}
    for row in rows:
        blocks.setdefault(row["subject_id"], []).append(
            {
                "rule_code": row["rule_code"],
                "constraint_name": row["constraint_name"],
                "overlap_ha": row["overlap_ha"],
                "approximate": bool((_json(row["evidence"]) or {}).get("approximate")),
            }
        )
    return blocks


async def zone_blocking_conflicts(conn, zone_id: str | None = None) -> dict[str, list[dict]]:
    """Block-severity conflicts of zone footprints (computed on the fly, not stored), by zone id."""
    async with conn.transaction():
        return await run_async(_zone_blocks_steps(zone_id), conn)


# --------------------------------------------------------------------------------------------
# Drawn / uploaded footprints: validated, screened, nothing stored
# --------------------------------------------------------------------------------------------
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
WGS84_NAMES = {
    "EPSG:4326",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "CRS84",
    "OGC:CRS84",
}


def _positions(coords, depth: int) -> Iterable:
    if depth == 0:
        yield coords
        return
    if not isinstance(coords, list):
        raise Unprocessable("coordinates must be nested arrays of [lon, lat] positions")
    for item in coords:
        yield from _positions(item, depth - 1)


def footprint_geometry(payload: Any) -> dict:
    """Check a GeoJSON Feature/Geometry (WGS 84 lon/lat) and return its geometry; typed errors say why."""
    if not isinstance(payload, dict):
        raise Unprocessable("the body must be a GeoJSON Feature or Geometry object")
    crs = payload.get("crs")
    if crs is not None:
        name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
        if name not in WGS84_NAMES:
            raise Unprocessable(f"the footprint must be in WGS 84 lon/lat (SRID 4326); crs {name!r} is not")
    kind = payload.get("type")
    if kind == "FeatureCollection":
        features = payload.get("features") or []
        if len(features) != 1:
            raise Unprocessable(f"send one footprint: the FeatureCollection has {len(features)} features")
        return footprint_geometry(features[0])
    if kind == "Feature":
        geometry = payload.get("geometry")
        if not isinstance(geometry, dict):
            raise Unprocessable("the Feature has no geometry")
        return footprint_geometry(geometry)
    if kind not in GEOMETRY_TYPES:
        raise Unprocessable(
            f"unsupported GeoJSON type {kind!r}: "
            "send a Feature or a Polygon, MultiPolygon, LineString or Point"
        )
    depth = {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }[kind]
    coords = payload.get("coordinates")
    if coords is None:
        raise Unprocessable(f"the {kind} has no coordinates")
    count = 0
    for pos in _positions(coords, depth):
        count += 1
        if count > MAX_FOOTPRINT_VERTICES:
            raise PayloadTooLarge(
                f"the footprint has more than {MAX_FOOTPRINT_VERTICES} vertices; simplify it"
            )
        if not (
            isinstance(pos, list) and len(pos) in (2, 3) and all(isinstance(v, int | float) for v in pos)
        ):
            raise Unprocessable(f"position {pos!r} is not [lon, lat]")
        if not all(math.isfinite(v) for v in pos):
            raise Unprocessable("coordinates must be finite numbers")
        if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
            raise Unprocessable(
                f"position {pos[:2]} is not WGS 84 lon/lat (SRID 4326); projected metres are not accepted"
            )
    if count == 0:
        raise Unprocessable(f"the {kind} is empty")
    rings = []
    if kind == "Polygon":
        rings = [(0, i, r) for i, r in enumerate(coords)]
    elif kind == "MultiPolygon":
        rings = [(p, i, r) for p, poly in enumerate(coords) for i, r in enumerate(poly)]
    for poly, index, ring in rings:
        where = f"ring {index}" + (f" of polygon {poly}" if kind == "MultiPolygon" else "")
        if len(ring) < 4:
            raise Unprocessable(f"{where} has {len(ring)} positions; a closed ring needs at least 4")
        if ring[0][:2] != ring[-1][:2]:
            raise Unprocessable(f"{where} is not closed: its first and last positions differ")
    return {"type": kind, "coordinates": coords}


def _check_footprint_steps(geojson: str) -> Steps:
    rows = yield Fetch(
        f"""
        WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(CAST(:geojson AS text)), 4326) AS geom),
        province AS (SELECT geom FROM admin_unit WHERE level = 'province' AND code = '{PROVINCE_CODE}')
        SELECT ST_IsValid(g.geom) AS valid, ST_IsValidReason(g.geom) AS reason,
               ST_Area(g.geom::geography) / 10000.0 AS area_ha,
               ST_Length(g.geom::geography) AS length_m,
               EXISTS (SELECT 1 FROM province a
                       WHERE ST_DWithin(a.geom::geography, g.geom::geography, {PROVINCE_MARGIN_M}))
                   AS near_province,
               EXISTS (SELECT 1 FROM province) AS has_province
        FROM g
        """,
        {"geojson": geojson},
    )
    return rows[0]


def _screen_footprint_steps(geojson: str, sector: str | None, districts: list[str]) -> Steps:
    yield Execute(NO_JIT, {})
    check = yield from _check_footprint_steps(geojson)
    if not check["valid"]:
        raise Unprocessable(f"the footprint is not a valid geometry: {check['reason']}")
    if check["has_province"] and not check["near_province"]:
        raise Unprocessable(
            f"the footprint is not in or within {PROVINCE_MARGIN_M / 1000:g} km of Bắc Kạn province"
        )
    active, inactive = yield from _prepare_steps()
    version = yield Fetch("SELECT version FROM data_version WHERE id = 1", {})
    rows = []
    if active:
        rows = yield Fetch(
            f"""
            SELECT e.*, {RULE_FIELDS}, ST_AsGeoJSON(ST_Transform(e.geom, 4326), 6) AS geometry
            FROM ({_evaluation_sql(DRAWN_FOOTPRINT, active)}) e
            JOIN conflict_rule r ON r.rule_code = e.rule_code AND r.version = e.rule_version
            """,
            {"geojson": geojson, "sector": sector, "districts": districts},
        )
    conflicts = _sort([_conflict_dict(r) for r in rows])
    not_applicable = []
    for rule in active:
        if rule["sectors"] and not sector:
            not_applicable.append(
                {
                    "rule_code": rule["rule_code"],
                    "reason": "applies to sectors; none given",
                    "reason_vi": "áp dụng theo lĩnh vực; chưa nêu lĩnh vực",
                }
            )
        if rule["constraint_kind"] == "district" and not districts:
            not_applicable.append(
                {
                    "rule_code": rule["rule_code"],
                    "reason": "no assigned district given",
                    "reason_vi": "chưa nêu huyện được giao",
                }
            )
    return {
        "subject": {
            "kind": "footprint",
            "sector": sector,
            "district_codes": districts,
            "geometry_quality": "exact",
            "area_ha": round(check["area_ha"], 4),
            "length_m": round(check["length_m"], 1),
        },
        "verdict": verdict(conflicts),
        "counts": _counts(conflicts),
        "conflicts": conflicts,
        "inactive_rules": inactive,
        "not_applicable_rules": not_applicable,
        "data_version": version[0]["version"],
        "stored": False,
    }


async def screen_footprint(
    conn, geojson: Any, sector: str | None = None, district: str | None = None
) -> dict:
    """Screen a GeoJSON footprint (dict or text) on an asyncpg connection; nothing is stored.

    Raises Unprocessable (422) for a malformed/invalid/out-of-province footprint, PayloadTooLarge
    (413) for too many vertices, InvalidParameter (400) for an unknown district.
    """
    if isinstance(geojson, str | bytes):
        try:
            geojson = orjson.loads(geojson)
        except orjson.JSONDecodeError as exc:
            raise InvalidParameter(f"the body is not JSON: {exc}") from exc
    geometry = footprint_geometry(geojson)
    districts = [await resolve_district(conn, district)] if district else []
    sector = sector.strip() if sector and sector.strip() else None
    await ensure_fresh(conn)  # constraint pieces rebuilt (and kept) before the throwaway transaction
    # a transaction that is always rolled back: the screening must not leave anything behind,
    # and the constraint pieces it may rebuild are only an optimisation
    tx = conn.transaction()
    await tx.start()
    try:
        return await run_async(
            _screen_footprint_steps(orjson.dumps(geometry).decode(), sector, districts), conn
        )
    finally:
        await tx.rollback()


def screen_footprint_sync(
    conn, geojson: Any, sector: str | None = None, districts: list[str] | None = None
) -> dict:
    """The same as ``screen_footprint`` on a SQLAlchemy connection (districts given as codes)."""
    if isinstance(geojson, str | bytes):
        geojson = orjson.loads(geojson)
    geometry = footprint_geometry(geojson)
    return run_sync(_screen_footprint_steps(orjson.dumps(geometry).decode(), sector, districts or []), conn)


def print_screening(engine, project: str | None = None, force: bool = False, console=None) -> dict:
    """The ``planview screen`` command: load the rules, screen all projects, print the conflicts."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import text

    console = console or Console(stderr=True)
    with engine.begin() as conn:
        load_rules(conn)
        summary = screen_all(conn, force=force)
        if (
            project
            and conn.execute(text("SELECT 1 FROM project WHERE project_id = :p"), {"p": project}).first()
            is None
        ):
            raise NotFound(f"project {project!r} does not exist")
        rows = conn.execute(
            text(
                """
                SELECT c.project_id, c.rule_code, c.severity, c.overlap_ha, c.overlap_pct, c.distance_m,
                       c.constraint_name, (c.evidence->>'approximate')::boolean AS approximate
                FROM project_conflict c
                WHERE CAST(:p AS text) IS NULL OR c.project_id = CAST(:p AS text)
                ORDER BY array_position(ARRAY['block', 'review', 'info'], c.severity),
                         c.project_id, c.rule_code
                """
            ),
            {"p": project},
        ).all()
    state = "recomputed" if summary["recomputed"] else "current (not recomputed)"
    console.print(
        f"data version {summary['data_version']}: {summary['projects_screened']} projects with a footprint, "
        f"{summary['conflicts_found']} conflicts, {state}, {summary['duration_ms']} ms"
    )
    table = Table("project", "rule", "severity", "overlap ha", "%", "distance m", "constraint", "approx.")
    for r in rows:
        table.add_row(
            r.project_id,
            r.rule_code,
            r.severity,
            f"{r.overlap_ha:g}" if r.overlap_ha is not None else "",
            f"{r.overlap_pct:g}" if r.overlap_pct is not None else "",
            f"{r.distance_m:g}" if r.distance_m is not None else "",
            r.constraint_name or "",
            "yes" if r.approximate else "",
        )
    console.print(table)
    for rule in summary.get("inactive_rules", []):
        console.print(f"[yellow]inactive[/] {rule['rule_code']}: {rule['reason']}")
    return summary
