"""Conflict screening of projects and drawn footprints against the plan's constraints, in PostGIS.

Rules come from ``geo.analysis.rules``, the subdivided constraint pieces from
``geo.analysis.constraints``; this module evaluates every active rule over a set of footprints in one
statement, stores the results of projects (``project_conflict``, with the data version and rule set
they were computed on) and reports them. The same logic runs on a SQLAlchemy or an asyncpg
connection (``geo.analysis.steps``).
"""

import time
from datetime import date
from typing import Any

import orjson

from geo.analysis.constraints import INPUTS_VERSION_SQL, NO_JIT, SCREEN_SRID, prepare_steps
from geo.analysis.footprint import footprint_geometry
from geo.analysis.rules import (
    ACTIVE_RULES_SQL,
    RULE_COLUMNS,
    RULES_SIGNATURE_SQL,
    SEVERITY_ORDER,
    compile_filter,
    ensure_rules_steps,
)
from geo.analysis.steps import Execute, Fetch, Steps, fetch_steps, json_value, lit, num, run_async, run_sync
from geo.errors import InvalidParameter, NotFound, Unprocessable
from geo.store.units import resolve_district

# A drawn footprint must lie within this distance of the province (metres).
PROVINCE_MARGIN_M = 5_000
PROVINCE_CODE = "06"  # Bắc Kạn (pre-2025 GSO code)
# a source with at most this many pieces is joined by scanning its pieces, not the spatial index
SMALL_SOURCE_PARTS = 500
LOCK_KEY = 5_180_005  # pg advisory lock: one screening refresh at a time


# --------------------------------------------------------------------------------------------
# The evaluation: one statement for all rules over a set of footprints
# --------------------------------------------------------------------------------------------
# Footprints are rows (fid, sector, zone_id, district_codes, geometry_quality, geom in 9213).
PROJECT_FOOTPRINTS = f"""
SELECT project_id AS fid, sector, zone_id, district_codes, geometry_quality,
       ST_Transform(ST_CollectionExtract(ST_MakeValid(geom)), {SCREEN_SRID}) AS geom
FROM project
-- a schematic line joins the points a source names; it says nothing about the land in between
WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) AND geometry_quality <> 'schematic'
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
    keywords = ", ".join(lit(s) for s in rule["sectors"])
    return (
        f"EXISTS (SELECT 1 FROM unnest(ARRAY[{keywords}]) kw "
        f"WHERE fold_vi(coalesce(f.sector, '')) LIKE '%' || fold_vi(kw) || '%')"
    )


def _outside_branch(rule: dict) -> str:
    """The SELECT of an ``outside`` rule: the part of each footprint outside its assigned districts."""
    head = f"""
        {lit(rule["rule_code"])}::text AS rule_code, {int(rule["version"])} AS rule_version,
        {lit(rule["severity"])}::text AS severity"""
    min_ha, min_pct = num(rule["min_overlap_ha"]), num(rule["min_overlap_pct"])
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


# True when two pieces of different features in the group share area (interiors meet in 2D); the
# pieces of one feature (ST_Subdivide) never do. Aggregates of the enclosing group, unnested in pairs.
_PIECES_OVERLAP = """EXISTS (
    SELECT 1
    FROM unnest(array_agg(x.piece), array_agg(p.source_key || '/' || p.fid)) WITH ORDINALITY a(g, k, i)
    JOIN unnest(array_agg(x.piece), array_agg(p.source_key || '/' || p.fid)) WITH ORDINALITY b(g, k, i)
      ON a.i < b.i AND a.k <> b.k AND a.g && b.g AND ST_Relate(a.g, b.g, '2********'))"""


def _group_branch(rules: list[dict]) -> str:
    """One SELECT evaluating rules that share sources, predicate and kind over the footprints ``f``."""
    first = rules[0]
    keys = "ARRAY[" + ", ".join(lit(k) for k in first["source_keys"]) + "]::text[]"
    dwithin = first["predicate"] == "dwithin"
    # the bounding boxes first (&& reads the box stored with each geometry): where the planner loops
    # over every pair of footprints and pieces (projects against projects), ST_Intersects alone
    # unpacked both geometries of each of the million pairs
    join = (
        f"ST_DWithin(f.geom, p.geom, {num(first['distance_m'])})"
        if dwithin
        else "f.geom && p.geom AND ST_Intersects(f.geom, p.geom)"
    )
    pair = "TRUE"
    if first["constraint_kind"] in ("project", "zone_type"):
        # two approximate footprints say nothing about each other
        pair = "NOT (f.geometry_quality = 'approximate' AND p.geometry_quality = 'approximate')"
        pair += " AND p.fid <> f.fid" if first["constraint_kind"] == "project" else ""
        pair += " AND p.fid IS DISTINCT FROM f.zone_id" if first["constraint_kind"] == "zone_type" else ""
    values = ", ".join(
        f"({lit(r['rule_code'])}, {int(r['version'])}, {lit(r['severity'])}, "
        f"{num(r['min_overlap_ha'])}::float8, {num(r['min_overlap_pct'])}::float8)"
        for r in rules
    )
    match = (
        "CASE r.rule_code "
        + " ".join(
            f"WHEN {lit(r['rule_code'])} THEN ({compile_filter(r['constraint_filter'])})"
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
    # land-use rules report once per rule ("12.3 ha of rice land in 5 parcels of 2 layers"), measured on
    # the union of what they hit: parcels that overlap each other, or several layers feeding the rule,
    # must not count the same land twice (an area over 100 % of the footprint)
    per_feature = first["constraint_kind"] != "landuse"
    source_key = "p.source_key"
    overlap = "coalesce(sum(ST_Area(x.piece)), 0)"
    length = "sum(CASE WHEN f.fdim = 1 THEN ST_Length(ST_CollectionExtract(x.piece, 2)) END)"
    if per_feature:
        constraint = "p.fid AS constraint_fid, min(p.name) AS constraint_name, '{}'::jsonb AS extra"
        group = ", p.source_key, p.fid"
    else:
        source_key = "string_agg(DISTINCT p.source_key, ', ' ORDER BY p.source_key) AS source_key"
        # the union is only needed where two features' pieces share land (a layer whose polygons
        # overlap, or two layers): pieces of disjoint parcels add up exactly, at a fraction of the cost
        # of a union (half the time of screening every project over 200,000 parcels)
        overlap = f"""CASE WHEN count(x.piece) <= 1 OR NOT {_PIECES_OVERLAP}
                          THEN coalesce(sum(ST_Area(x.piece)), 0)
                          ELSE ST_Area(ST_UnaryUnion(ST_Collect(ST_CollectionExtract(x.piece, 3)))) END"""
        length = """CASE WHEN min(f.fdim) = 1 THEN
                        ST_Length(ST_UnaryUnion(ST_Collect(ST_CollectionExtract(x.piece, 2)))) END"""
        group = ""
    if not per_feature:
        constraint = """CASE WHEN count(DISTINCT p.fid) = 1 THEN min(p.fid) END AS constraint_fid,
                   CASE WHEN count(DISTINCT p.fid) = 1 THEN min(p.name)
                        ELSE string_agg(DISTINCT p.landuse_code, ', ') || ' (' || count(DISTINCT p.fid) || ')'
                   END AS constraint_name,
                   jsonb_build_object(
                       'features', count(DISTINCT (p.source_key, p.fid)),
                       'layers', to_jsonb(array_agg(DISTINCT p.source_key)),
                       'landuse_codes', to_jsonb(array_agg(DISTINCT p.landuse_code))) AS extra"""
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
            join = f"f.geom && ST_Expand(p.geom, {num(first['distance_m'])}) AND {join}"
    return f"""
        SELECT g.subject_id, g.rule_code, g.rule_version, g.severity, g.source_key, g.constraint_fid,
               g.constraint_name, g.cq AS constraint_geometry_quality, g.fq AS subject_geometry_quality,
               g.constraint_synthetic, g.overlap_m2, g.overlap_length_m, g.distance_m, {hit} AS hit_geom,
               g.extra, g.farea AS footprint_m2, g.fdim AS footprint_dim
        FROM (
            SELECT f.fid AS subject_id, r.rule_code, r.rule_version, r.severity, r.min_ha, r.min_pct,
                   {source_key}, {constraint},
                   min(p.geometry_quality) AS cq, min(f.geometry_quality) AS fq,
                   bool_or(p.is_synthetic) AS constraint_synthetic,
                   {overlap} AS overlap_m2,
                   {length} AS overlap_length_m,
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
            GROUP BY f.fid, r.rule_code, r.rule_version, r.severity, r.min_ha, r.min_pct{group}
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
# What the stored results were computed from: the built pieces of every source, the rule set and the
# projects' places. Equal signature → the stored results still hold (whatever else changed).
SIGNATURE_SQL = f"""
SELECT md5(coalesce((SELECT string_agg(source_key || '=' || signature, ';' ORDER BY source_key)
                     FROM screening_source_state), '')
           || '|' || ({RULES_SIGNATURE_SQL})
           || '|' || coalesce((SELECT version FROM data_area_version WHERE area = 'project_places'), 0)::text)
       AS signature,
       ({INPUTS_VERSION_SQL}) AS inputs_version
"""


def _state_steps() -> Steps:
    rows = yield Fetch(
        """
        SELECT s.data_version AS screened_version, s.rules_signature AS signature, s.evaluated_at,
               s.projects_screened, s.conflicts_found, s.duration_ms
        FROM screening_state s WHERE s.id = 1
        """,
        {},
    )
    return rows[0]


def _insert_conflicts_steps(active: list[dict], project_id: str | None, version: int) -> Steps:
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
            {"project_id": project_id, "data_version": version},
        )


def _save_state_steps(signature: str, version: int, started: float) -> Steps:
    counts = yield Fetch(
        """
        SELECT (SELECT count(*) FROM project WHERE geom IS NOT NULL) AS projects,
               (SELECT count(*) FROM project_conflict) AS conflicts
        """,
        {},
    )
    yield Execute(
        """
        UPDATE screening_state SET data_version = CAST(:v AS bigint), rules_signature = CAST(:r AS text),
               evaluated_at = now(), projects_screened = CAST(:p AS integer),
               conflicts_found = CAST(:c AS integer), duration_ms = CAST(:d AS double precision)
        WHERE id = 1
        """,
        {
            "v": version,
            "r": signature,
            "p": counts[0]["projects"],
            "c": counts[0]["conflicts"],
            "d": (time.perf_counter() - started) * 1000,
        },
    )


def _screen_all_steps(force: bool = False, tables: dict[str, str] | None = None) -> Steps:
    """Refresh the constraint pieces, then recompute every project's conflicts unless they still hold.

    The write path calls this after changing an input (load, import, rules): pieces of unchanged
    sources are kept, and when no piece, rule or project place changed the stored results are kept.
    """
    started = time.perf_counter()
    yield Execute(NO_JIT, {})
    yield Execute(f"SELECT pg_advisory_xact_lock({LOCK_KEY})", {})
    yield from ensure_rules_steps()
    active, inactive = yield from prepare_steps(tables=tables)
    state = yield from _state_steps()
    current = (yield Fetch(SIGNATURE_SQL, {}))[0]
    if not force and state["signature"] == current["signature"]:
        if state["screened_version"] != current["inputs_version"]:
            yield Execute(
                "UPDATE screening_state SET data_version = CAST(:v AS bigint) WHERE id = 1",
                {"v": current["inputs_version"]},
            )
            state["screened_version"] = current["inputs_version"]
        summary = _summary(state)
        return {"recomputed": False, "active_rules": len(active), "inactive_rules": inactive, **summary}
    yield Execute("DELETE FROM project_conflict", {})
    yield from _insert_conflicts_steps(active, None, current["inputs_version"])
    yield from _save_state_steps(current["signature"], current["inputs_version"], started)
    state = yield from _state_steps()
    return {"recomputed": True, "active_rules": len(active), "inactive_rules": inactive, **_summary(state)}


def _screen_project_steps(project_id: str) -> Steps:
    """Re-screen one project whose place changed (the only input that changed); return its conflict count."""
    started = time.perf_counter()
    yield Execute(NO_JIT, {})
    yield Execute(f"SELECT pg_advisory_xact_lock({LOCK_KEY})", {})
    active, _ = yield from prepare_steps()
    current = (yield Fetch(SIGNATURE_SQL, {}))[0]
    yield Execute("DELETE FROM project_conflict WHERE project_id = :p", {"p": project_id})
    yield from _insert_conflicts_steps(active, project_id, current["inputs_version"])
    yield from _save_state_steps(current["signature"], current["inputs_version"], started)
    rows = yield Fetch("SELECT count(*) AS n FROM project_conflict WHERE project_id = :p", {"p": project_id})
    return rows[0]["n"]


def _summary(state: dict) -> dict:
    return {
        "data_version": state["screened_version"],
        "evaluated_at": state["evaluated_at"].isoformat() if state["evaluated_at"] else None,
        "projects_screened": state["projects_screened"],
        "conflicts_found": state["conflicts_found"],
        "duration_ms": round(state["duration_ms"], 1) if state["duration_ms"] is not None else None,
    }


def _stamp_steps(version: int, recomputed: bool) -> Steps:
    yield Execute("UPDATE screening_state SET data_version = CAST(:v AS bigint) WHERE id = 1", {"v": version})
    if recomputed:
        yield Execute("UPDATE project_conflict SET data_version = CAST(:v AS bigint)", {"v": version})


def stamp_screening(conn, version: int, recomputed: bool) -> None:
    """The results screened earlier in this transaction hold at ``version``, bumped after the screening.

    An import screens before it bumps the version (so the version row stays locked only for its last
    milliseconds); the stored state, and the conflicts it recomputed, then name the version it commits.
    """
    run_sync(_stamp_steps(version, recomputed), conn)


def screen_all(conn_or_engine, force: bool = False, tables: dict[str, str] | None = None) -> dict:
    """Screen every project against every active rule and store the results (sync; one transaction).

    Accepts a SQLAlchemy Engine (a transaction is opened) or Connection (runs in the caller's
    transaction). Returns ``{recomputed, data_version, projects_screened, conflicts_found,
    duration_ms, active_rules, inactive_rules}``; with ``force=False`` results that still hold are kept.
    ``tables`` maps a layer's table to the table to read instead (an import screens its staging
    tables before swapping them in, so the live tables are never locked while screening runs).
    """
    from sqlalchemy import Engine

    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            return run_sync(_screen_all_steps(force, tables), conn)
    return run_sync(_screen_all_steps(force, tables), conn_or_engine)


async def screen_all_async(conn, force: bool = False) -> dict:
    """The same as ``screen_all`` on an asyncpg connection (in its own transaction, or the caller's)."""
    async with conn.transaction():
        return await run_async(_screen_all_steps(force), conn)


def screen_project(conn, project_id: str) -> int:
    """Re-screen one project after its place changed, in the caller's transaction (SQLAlchemy)."""
    return run_sync(_screen_project_steps(project_id), conn)


async def screen_project_async(conn, project_id: str) -> int:
    """``screen_project`` on an asyncpg connection (inside the command's transaction)."""
    async with conn.transaction():
        return await run_async(_screen_project_steps(project_id), conn)


async def screening_state(conn) -> dict:
    """When and on which inputs the stored results were computed (read only)."""
    return _summary(await run_async(_state_steps(), conn))


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------
RULE_FIELDS = (
    "r.message_vi, r.message_en, r.legal_basis, r.approving_authority, r.threshold_verified, r.notes"
)


def _conflict_dict(row: dict) -> dict:
    evidence = json_value(row["evidence"]) or {}
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
        "geometry": json_value(row.get("geometry")),
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
        _, inactive = await run_async(prepare_steps(refresh=False), conn)
    return inactive


async def rule_catalog(conn) -> dict:
    """Every rule in force with its status (active / inactive and why)."""
    async with conn.transaction():
        active, inactive = await run_async(prepare_steps(refresh=False), conn)
    why = {r["rule_code"]: r["reason"] for r in inactive}
    rows = await run_async(fetch_steps(ACTIVE_RULES_SQL, {"on_date": date.today()}), conn)
    rules = []
    for r in rows:
        rule = {k: r[k] for k in RULE_COLUMNS}
        rule["valid_from"] = r["valid_from"].isoformat()
        rule["valid_to"] = r["valid_to"].isoformat() if r["valid_to"] else None
        rule["status"] = "inactive" if r["rule_code"] in why else "active"
        rule["inactive_reason"] = why.get(r["rule_code"])
        rules.append(rule)
    return {"rules": rules, "active": len(active), "inactive": len(inactive)}


async def project_conflicts(conn, project_id: str) -> dict:
    """The stored conflict report of one project (as the last write left it; reads never screen)."""
    project = await conn.fetchrow(
        """
        SELECT project_id, name_vi, name_ascii, sector, district_codes, districts_text, zone_id, status,
               geometry_quality, location_level, geometry_note, geometry_note_vi,
               geom IS NOT NULL AND geometry_quality <> 'schematic' AS has_geometry,
               round((ST_Area(geom::geography) / 10000.0)::numeric, 4)::double precision AS area_ha
        FROM project WHERE project_id = $1
        """,
        project_id,
    )
    if project is None:
        raise NotFound(f"project {project_id!r} does not exist")
    freshness = await screening_state(conn)
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
    }


async def list_conflicts(conn, district: str | None = None, severity: str | None = None) -> dict:
    """All stored conflicts, filterable by district code and severity (read only)."""
    if severity is not None and severity not in SEVERITY_ORDER:
        raise InvalidParameter(f"severity must be one of block, review, info (got {severity!r})")
    district_code = await resolve_district(conn, district) if district else None
    freshness = await screening_state(conn)
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


def _zone_blocks_steps(zone_id: str | None) -> Steps:
    yield Execute(NO_JIT, {})
    active, _ = yield from prepare_steps(refresh=False)
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
                "approximate": bool((json_value(row["evidence"]) or {}).get("approximate")),
            }
        )
    return blocks


async def zone_blocking_conflicts(conn, zone_id: str | None = None) -> dict[str, list[dict]]:
    """Block-severity conflicts of zone footprints (computed on the fly, not stored), by zone id."""
    async with conn.transaction():
        return await run_async(_zone_blocks_steps(zone_id), conn)


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
    active, inactive = yield from prepare_steps(refresh=False)
    version = yield Fetch(INPUTS_VERSION_SQL, {})
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
    (413) for too many vertices, InvalidParameter (400) for an unknown district (geo.store.units).
    """
    if isinstance(geojson, str | bytes):
        try:
            geojson = orjson.loads(geojson)
        except orjson.JSONDecodeError as exc:
            raise InvalidParameter(f"the body is not JSON: {exc}") from exc
    geometry = footprint_geometry(geojson)
    districts = [await resolve_district(conn, district)] if district else []
    sector = sector.strip() if sector and sector.strip() else None
    # a transaction that is always rolled back: the screening must not leave anything behind
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
