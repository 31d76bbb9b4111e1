"""Load the shipped Bắc Kạn dataset (``data/``) into PostGIS: one transaction, idempotent.

Every table is filled through a temporary staging table and synchronised with
``UPDATE … WHERE (row) IS DISTINCT FROM (staged row)`` / ``INSERT`` missing / ``DELETE`` vanished,
so a second load with unchanged files touches no row and does not bump the data version.
"""

import csv
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, text

from geo.analysis.rules import RULES_SIGNATURE_SQL, load_rules
from geo.analysis.screening import screen_all
from geo.ingest import units_2020
from geo.ingest.agencies import link_project_agencies, load_agencies
from geo.ingest.cycle import load_cycle
from geo.ingest.staging import Changes, LoadError, _stage, _sync
from geo.ingest.units_2020 import MERGER_2020_BASIS, MERGER_2020_BASIS_VI, MERGER_2020_END, MERGER_2020_START
from geo.plan.actor import LOAD_ACTOR, Actor
from geo.plan.audit import record_audit_sync
from geo.plan.projects import LOADER_RECORDED_BY
from geo.store.settings import DATA_DIR
from geo.store.tables import (
    LAYER_SCHEMA,
    create_layer_table,
    finish_layer_table,
    swap_layer_table,
)
from geo.store.units import PRE_REFORM_END, REFORM_START
from geo.store.versions import bump

BASE_DIR = DATA_DIR / "base"
PLAN_DIR = DATA_DIR / "plan"
SHEETS_CSV = PLAN_DIR / "sheets.csv"
LAYERS_CSV = PLAN_DIR / "layers.csv"
ZONE_PLACES_CSV = PLAN_DIR / "zone_places.csv"
PROJECT_ZONES_CSV = PLAN_DIR / "project_zones.csv"
STATUS_TEXT_VI_CSV = PLAN_DIR / "status_text_vi.csv"
CATEGORY_MARK = "[category]"

RECORDED_BY = LOADER_RECORDED_BY
# marks a layer table as built by this loader; a table without it was imported over a shipped layer
LAYER_MARK = "planview load: shipped layer"
PROVINCE_CODE = "06"
NEW_PROVINCE_CODE = "19"
REFORM_BASIS = "NQ 202/2025/QH15 (effective 01/07/2025)"
SHEET_COLUMNS = [
    "number",
    "sheet_id",
    "parent_id",
    "is_group",
    "title_vi",
    "title_en",
    "theme",
    "scale",
    "notes",
    "basis",
    "source_url",
]
SHEET_REQUIRED = ["number", "sheet_id", "title_vi", "title_en"]

# status_note of priority_projects.csv → the project status vocabulary of docs/design.md; first match wins.
STATUS_RULES = [
    (re.compile(r"^category", re.I), "category"),
    (re.compile(r"unclear", re.I), "unclear"),
    (re.compile(r"suspend", re.I), "suspended"),
    # ">90% construction volume completed" is a building site, not a finished project
    (re.compile(r"^>?\s*\d+\s*% construction", re.I), "under_construction"),
    (re.compile(r"complet(ed|ion)\b(?!.*planned)", re.I), "completed"),
    (re.compile(r"under construction", re.I), "under_construction"),
    (re.compile(r"site clearance", re.I), "site_clearance"),
    (re.compile(r"preparation|contractor selection|feasibility approved|plan approved", re.I), "preparation"),
    (re.compile(r"^planned|approved scheme|seeking sponsors", re.I), "planned"),
    (re.compile(r"^proposed", re.I), "proposed"),
]


def fold_ascii(value: str) -> str:
    """Vietnamese text without diacritics (đ → d), case kept: the ``name_ascii`` of a name."""
    value = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in value if not unicodedata.combining(c)))


def _fold_key(value: str) -> str:
    return " ".join(fold_ascii(value).lower().split())


def _nfc(value: str | None) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


def _read_csv(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k: _nfc(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _read_features(path: Path) -> list[tuple[dict, str]]:
    with path.open(encoding="utf-8") as fh:
        collection = json.load(fh)
    return [
        (
            {k: _nfc(v) if isinstance(v, str) else v for k, v in f["properties"].items()},
            json.dumps(f["geometry"]),
        )
        for f in collection["features"]
    ]


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _number_vi(value: Decimal) -> str:
    """A number as Vietnamese writes it: decimal comma, no trailing zeros (80.30 → 80,3)."""
    return format(value.normalize(), "f").replace(".", ",")


def _split_type(full_name: str, types: tuple[str, ...]) -> tuple[str | None, str]:
    for unit_type in types:
        if full_name.lower().startswith(unit_type.lower() + " "):
            return unit_type, full_name[len(unit_type) + 1 :]
    return None, full_name


# --------------------------------------------------------------------------- staging and synchronising


# --------------------------------------------------------------------------- the sheet catalog


def read_sheets(path: Path) -> list[dict]:
    """Read and validate a sheet catalog CSV; raise LoadError naming the bad row and column."""
    if not path.is_file():
        raise LoadError(f"sheet catalog {path} does not exist")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in SHEET_COLUMNS if c not in header]
            if missing:
                raise LoadError(
                    f"{path.name}: missing column(s) {', '.join(missing)}; expected {','.join(SHEET_COLUMNS)}"
                )
            raw_rows = list(reader)
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path.name} is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise LoadError(f"{path.name} is not a readable CSV: {exc}") from exc
    if not raw_rows:
        raise LoadError(f"{path.name} has no sheets")
    sheets: list[dict] = []
    ids: dict[str, int] = {}
    numbers: dict[int, int] = {}
    for line, raw in enumerate(raw_rows, start=2):
        row = {c: _nfc(raw.get(c)) for c in SHEET_COLUMNS}
        if None in raw:
            raise LoadError(f"{path.name} line {line}: more fields than columns")
        for column in SHEET_REQUIRED:
            if not row[column]:
                raise LoadError(f"{path.name} line {line}: column {column!r} is empty")
        try:
            number = int(row["number"])
        except ValueError as exc:
            raise LoadError(
                f"{path.name} line {line}: column 'number' is {row['number']!r}, not an integer"
            ) from exc
        if number < 1:
            raise LoadError(f"{path.name} line {line}: column 'number' must be ≥ 1, got {number}")
        sheet_id = row["sheet_id"]
        if sheet_id in ids:
            raise LoadError(f"{path.name} line {line}: sheet_id {sheet_id!r} repeats line {ids[sheet_id]}")
        if number in numbers:
            raise LoadError(f"{path.name} line {line}: number {number} repeats line {numbers[number]}")
        ids[sheet_id] = line
        numbers[number] = line
        group = (row["is_group"] or "false").lower()
        if group not in ("true", "false", "1", "0", "yes", "no"):
            raise LoadError(
                f"{path.name} line {line}: column 'is_group' is {row['is_group']!r}, not true/false"
            )
        row["number"] = number
        row["is_group"] = group in ("true", "1", "yes")
        row["_line"] = line
        sheets.append(row)
    for row in sheets:
        parent = row["parent_id"]
        if parent and parent not in ids:
            raise LoadError(
                f"{path.name} line {row['_line']}: parent_id {parent!r} is not a sheet_id of the file"
            )
        if parent == row["sheet_id"]:
            raise LoadError(f"{path.name} line {row['_line']}: sheet {parent!r} is its own parent")
        del row["_line"]
    return sheets


def _load_sheets(
    conn: Connection, sheets: list[dict], layer_sheets: dict[str, str], changes: Changes
) -> None:
    ids = {s["sheet_id"] for s in sheets}
    orphans = sorted(f"{key} (sheet {sheet})" for key, sheet in layer_sheets.items() if sheet not in ids)
    if orphans:
        raise LoadError("the sheet catalog lacks the sheets of the shipped layers: " + ", ".join(orphans))
    loaded = conn.execute(
        text(
            "SELECT sheet_id, string_agg(layer_key, ', ' ORDER BY layer_key) FROM sheet_layer "
            "WHERE table_name IS NOT NULL AND NOT (sheet_id = ANY(:ids)) GROUP BY sheet_id ORDER BY sheet_id"
        ),
        {"ids": sorted(ids)},
    ).all()
    if loaded:
        raise LoadError(
            "the new sheet catalog drops sheets that still have loaded layers: "
            + "; ".join(f"{sheet_id} ({layers})" for sheet_id, layers in loaded)
        )
    _stage(conn, "map_sheet", SHEET_COLUMNS, sheets)
    # free the numbers that move, so the unique constraint holds row by row
    conn.execute(
        text(
            "UPDATE map_sheet t SET number = -t.number - 1000000 FROM _stage_map_sheet s "
            "WHERE t.sheet_id = s.sheet_id AND t.number <> s.number"
        )
    )
    changes.add("map_sheet", _sync(conn, "map_sheet", ["sheet_id"], SHEET_COLUMNS))


# --------------------------------------------------------------------------- administrative units

ADMIN_COLUMNS = [
    "code",
    "level",
    "name",
    "full_name",
    "unit_type",
    "name_ascii",
    "parent_code",
    "valid_from",
    "valid_to",
    "status_2025",
    "area_km2",
    "source",
    "geometry_quality",
    "geometry_note",
    "geometry_note_vi",
    "area_km2_published",
    "area_published_source",
    "geom",
]
GEOJSON_MULTI = "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:geom), 4326))"


def _admin_row(props: dict, geom: str | None, **overrides: Any) -> dict:
    row = {
        "code": props["code"],
        "level": props["level"],
        "name": props["name"],
        "full_name": props["full_name"],
        "unit_type": props.get("type"),
        "name_ascii": props.get("name_ascii") or fold_ascii(props["name"]),
        "parent_code": props.get("parent_code"),
        "valid_from": None,
        "valid_to": PRE_REFORM_END,
        "status_2025": None,
        "area_km2": props.get("area_km2"),
        "source": props["source"],
        "geometry_quality": "exact",
        "geometry_note": None,
        "geometry_note_vi": None,
        "area_km2_published": None,
        "area_published_source": None,
        "geom": geom,
    }
    row.update(overrides)
    return row


def _load_admin(conn: Connection, changes: Changes) -> dict[str, Any]:
    """Province, districts, 2009 communes, neighbours and the 2025 units; return lookups for later steps."""
    rows: list[dict] = []
    (province_props, province_geom), *_ = _read_features(BASE_DIR / "bac_kan_province.geojson")
    rows.append(
        _admin_row(
            province_props,
            province_geom,
            status_2025=f"merged into Tỉnh Thái Nguyên ({NEW_PROVINCE_CODE}) from {REFORM_START} "
            f"({REFORM_BASIS})",
            geometry_note="generalised outline (gis.chinhphu.vn crawl 2019), not a legal boundary",
        )
    )
    districts = _read_features(BASE_DIR / "bac_kan_districts.geojson")
    for props, geom in districts:
        rows.append(
            _admin_row(
                props, geom, status_2025=f"district level abolished from {REFORM_START} ({REFORM_BASIS})"
            )
        )
    communes = _read_features(BASE_DIR / "bac_kan_communes_2009.geojson")
    commune_rows, units_2020_rows, (changed_units, parts) = _communes_2009_and_2020(communes, districts)
    rows.extend(commune_rows)
    for props, geom in _read_features(BASE_DIR / "region_provinces.geojson"):
        code = props["code"]
        note = "pre-2025 extent, simplified (~55 m) except along Bắc Kạn's borders"
        valid_to = None
        status = None
        if code == "02":
            valid_to = PRE_REFORM_END
            status = f"merged into Tỉnh Tuyên Quang (08) from {REFORM_START} ({REFORM_BASIS})"
        elif code == "08":
            status = f"absorbed Hà Giang from {REFORM_START} ({REFORM_BASIS}); no post-2025 polygon made"
        elif code == NEW_PROVINCE_CODE:
            # its successor (the 2025 province below) has a polygon, so the old extent must end
            valid_to = PRE_REFORM_END
            status = (
                f"absorbed Bắc Kạn from {REFORM_START} ({REFORM_BASIS}); "
                f"see the unit valid from {REFORM_START}"
            )
        rows.append(_admin_row(props, geom, valid_to=valid_to, status_2025=status, geometry_note=note))
    thai_nguyen = next(
        p for p, _ in _read_features(BASE_DIR / "region_provinces.geojson") if p["code"] == "19"
    )
    rows.append(
        _admin_row(
            thai_nguyen,
            None,
            valid_from=REFORM_START,
            valid_to=None,
            area_km2=None,
            status_2025=f"province from {REFORM_START}",
            source=f"{REFORM_BASIS}; outline = union of dvhcvn 19.json and 06.json (gis.chinhphu.vn 2019)",
            geometry_note=(
                "union of the pre-2025 outlines of Thái Nguyên (simplified away from Bắc Kạn) and Bắc Kạn: "
                "the 2025 province is exactly these two (NQ 202/2025/QH15); no official 2025 polygon used"
            ),
        )
    )
    new_units = _read_csv(PLAN_DIR / "admin_units_2025_ex_backan.csv")
    crosswalk: list[dict] = []
    district_by_short = {_fold_key(p["name"]): p["code"] for p, _ in districts}
    commune_codes = {p["code"]: p for p, _ in communes}
    codes_2020 = {r["code"] for r in units_2020_rows}
    members: dict[str, list[str]] = {}
    pair = re.compile(r"^(\d{5}) (.+?) \((.+?)\)$")
    for unit in new_units:
        unit_type, name = _split_type(unit["new_name"], ("Phường", "Xã", "Thị trấn"))
        codes: list[str] = []
        for part in (unit["old_units_merged"] or "").split(";"):
            m = pair.match(part.strip())
            if not m:
                raise LoadError(
                    f"admin_units_2025_ex_backan.csv {unit['new_code']}: cannot read old unit {part!r}"
                )
            old_code, old_name, old_district = m.groups()
            if old_code not in codes_2020:
                raise LoadError(
                    f"admin_units_2025_ex_backan.csv: old unit {old_code} is not a unit of 2020–2025"
                )
            codes.append(old_code)
            crosswalk.append(
                {
                    "old_code": old_code,
                    "old_period": "2020-2025",
                    "old_name": old_name,
                    "old_district": old_district,
                    "via_code": None,
                    "via_name": None,
                    "new_code": unit["new_code"],
                    "new_name": unit["new_name"],
                    "new_type": unit["new_type"],
                    "new_province": unit["new_province"],
                    "effective_from": REFORM_START,
                    "source": unit["source_url"],
                    "confidence": unit["confidence"],
                }
            )
        members[unit["new_code"]] = codes
        rows.append(
            {
                "code": unit["new_code"],
                "level": "commune",
                "name": name,
                "full_name": unit["new_name"],
                "unit_type": unit_type or unit["new_type"],
                "name_ascii": fold_ascii(name),
                "parent_code": NEW_PROVINCE_CODE,
                "valid_from": REFORM_START,
                "valid_to": None,
                "status_2025": f"new unit from {REFORM_START}",
                "area_km2": None,
                "source": unit["source_url"],
                "geometry_quality": "approximate",
                "geometry_note": (
                    "union of the outlines of the 2020–2025 units merged into it "
                    f"({', '.join(codes)}); approximate: no official 2025 boundary is public, the "
                    "outlines are the 2009 generalised boundaries (~1:250k) as NQ 855/NQ-UBTVQH14 "
                    "re-arranged them in 2020"
                ),
                "geometry_note_vi": (
                    f"hợp ranh giới các đơn vị 2020–2025 được sáp nhập ({', '.join(codes)}); gần đúng: "
                    "chưa có ranh giới chính thức năm 2025, ranh giới là ranh giới năm 2009 đã khái quát "
                    "(~1:250.000) theo sắp xếp năm 2020 của NQ 855/NQ-UBTVQH14"
                ),
                "area_km2_published": None,
                "area_published_source": None,
                "geom": None,
            }
        )
    crosswalk.extend(_crosswalk_2009(communes, changed_units, crosswalk))
    _stage(conn, "admin_unit", ADMIN_COLUMNS, rows, {"geom": GEOJSON_MULTI})
    conn.execute(
        text(
            "UPDATE _stage_admin_unit s SET geom = ("
            "  SELECT ST_Multi(ST_Union(o.geom ORDER BY o.code)) FROM _stage_admin_unit o"
            "  WHERE o.level = 'province' AND o.valid_from IS NULL AND o.code IN (:bk, :tn))"
            " WHERE s.level = 'province' AND s.code = :tn AND s.valid_from = :reform"
        ),
        {"bk": PROVINCE_CODE, "tn": NEW_PROVINCE_CODE, "reform": REFORM_START},
    )
    _stage_units_2020_geometry(conn, *parts)
    staged_members = [{"code": c, "codes": m} for c, m in members.items()]
    conn.execute(
        text(
            "UPDATE _stage_admin_unit s SET geom = ("
            f"  SELECT {units_2020.without_pinholes('ST_Union(o.geom ORDER BY o.code)')}"
            "  FROM _stage_admin_unit o"
            "  WHERE o.level = 'commune' AND o.valid_to = :pre_end"
            "    AND (o.valid_from IS NULL OR o.valid_from < :reform) AND o.code = ANY(:codes))"
            " WHERE s.level = 'commune' AND s.code = :code AND s.valid_from = :reform"
        ),
        [dict(m, reform=REFORM_START, pre_end=PRE_REFORM_END) for m in staged_members],
    )
    conn.execute(
        text(
            "UPDATE _stage_admin_unit SET area_km2 = round((ST_Area(geom::geography) / 1e6)::numeric, 2) "
            "WHERE level = 'commune' AND area_km2 IS NULL AND geom IS NOT NULL"
        )
    )
    changes.add("admin_unit", _sync(conn, "admin_unit", ["code", "level", "valid_from"], ADMIN_COLUMNS))
    crosswalk_columns = list(crosswalk[0])
    _stage(conn, "admin_crosswalk", crosswalk_columns, crosswalk)
    changes.add(
        "admin_crosswalk",
        _sync(conn, "admin_crosswalk", ["old_code", "old_period", "new_code"], crosswalk_columns),
    )
    return {
        "district_by_short": district_by_short,
        "district_names": {p["code"]: p["full_name"] for p, _ in districts},
        "communes": commune_codes,
    }


def _communes_2009_and_2020(
    communes: list[tuple[dict, str]], districts: list[tuple[dict, str]]
) -> tuple[list[dict], list[dict], tuple[list[units_2020.Unit2020], tuple]]:
    """The 122 communes of 2009 (those NQ 855 changed end 2020-01-31) and the 2020 units replacing them.

    Returns every commune row, the rows of the 108 units in force from 2020-02-01 to the reform
    (unchanged 2009 communes and the new rows) and the changed units (geometry built once staged).
    """
    _, changed = units_2020.read_units()
    parts = units_2020.plan_parts(changed)  # also says why a unit is approximate
    district_code = {p["name"]: p["code"] for p, _ in districts}
    by_code = {p["code"]: p for p, _ in communes}
    gave_to: dict[str, list[units_2020.Unit2020]] = {}
    published: dict[str, tuple[Decimal, str]] = {}
    for unit in changed:
        for part in unit.parts:
            if part.source_code not in by_code:
                raise LoadError(f"NQ 855 constituent {part.source_code} of {unit.name} is not a 2009 commune")
            gave_to.setdefault(part.source_code, []).append(unit)
            if part.whole and part.area_km2 is not None:
                published[part.source_code] = (part.area_km2, part.source_url)
    rows: list[dict] = []
    rows_2020: list[dict] = []
    for props, geom in communes:
        code = props["code"]
        status = props.get("gso_2025_status")
        takers = gave_to.get(code, [])
        area = published.get(code)
        extra = {
            "status_2025": status,
            "area_km2_published": float(area[0]) if area else None,
            "area_published_source": area[1] if area else None,
        }
        if not takers:
            row = _admin_row(
                props,
                geom,
                geometry_note="2009 commune polygon (~1:250k), clipped to its district; unchanged by the "
                f"2020 re-arrangement ({MERGER_2020_BASIS})",
                geometry_note_vi="ranh giới xã năm 2009 (~1:250.000), cắt theo ranh giới huyện; không đổi "
                f"khi sắp xếp năm 2020 ({MERGER_2020_BASIS_VI})",
                **extra,
            )
            rows.append(row)
            rows_2020.append(row)
            continue
        into = ", ".join(f"{u.name} ({u.code})" for u in takers)
        abolished = status == "abolished (merged 2020)"
        rows.append(
            _admin_row(
                props,
                geom,
                valid_to=MERGER_2020_END,
                geometry_note="2009 commune polygon (~1:250k), clipped to its district; "
                + ("abolished" if abolished else "re-arranged")
                + f" in 2020 ({MERGER_2020_BASIS}): its land went to {into}",
                geometry_note_vi="ranh giới xã năm 2009 (~1:250.000), cắt theo ranh giới huyện; "
                + ("giải thể" if abolished else "sắp xếp lại")
                + f" năm 2020 ({MERGER_2020_BASIS_VI}): đất của xã thuộc {into}",
                **extra,
            )
        )
    for unit in changed:
        exact = not unit.approximate_en
        made_of = "; ".join(
            f"{p.source_name} ({p.source_code}, {'whole' if p.whole else 'part'})" for p in unit.parts
        )
        made_of_vi = "; ".join(
            f"{p.source_name} ({p.source_code}, {'toàn bộ' if p.whole else 'một phần'})" for p in unit.parts
        )
        if exact:
            note = (
                f"union of the 2009 polygons of {made_of}, merged whole by {MERGER_2020_BASIS}; "
                "as good as the 2009 source (~1:250k)"
            )
            note_vi = (
                f"hợp ranh giới năm 2009 của {made_of_vi}, nhập nguyên trạng theo {MERGER_2020_BASIS_VI}; "
                "độ chính xác như nguồn năm 2009 (~1:250.000)"
            )
        else:
            note = f"approximate: made of {made_of} ({MERGER_2020_BASIS}); "
            note += "; ".join(unit.approximate_en)
            note_vi = f"gần đúng: gồm {made_of_vi} ({MERGER_2020_BASIS_VI}); "
            note_vi += "; ".join(unit.approximate_vi)
        kind = units_2020.unit_type(unit.kind)
        district = district_code[unit.district]
        row = {
            "code": unit.code,
            "level": "commune",
            "name": unit.name,
            "full_name": f"{kind} {unit.name}",
            "unit_type": kind,
            "name_ascii": fold_ascii(unit.name),
            "parent_code": district,
            "valid_from": MERGER_2020_START,
            "valid_to": PRE_REFORM_END,
            "status_2025": f"unit of 2020-02-01 – {PRE_REFORM_END.isoformat()} ({MERGER_2020_BASIS})",
            "area_km2": None,
            "source": unit.source_url,
            "geometry_quality": "exact" if exact else "approximate",
            "geometry_note": note,
            "geometry_note_vi": note_vi,
            "area_km2_published": float(unit.area_published) if unit.area_published is not None else None,
            "area_published_source": unit.source_url if unit.area_published is not None else None,
            "geom": None,
        }
        rows.append(row)
        rows_2020.append(row)
    if len(rows_2020) != 108:
        raise LoadError(f"NQ 855/NQ-UBTVQH14 made 108 commune-level units; the data give {len(rows_2020)}")
    return rows, rows_2020, (changed, parts)


def _stage_units_2020_geometry(conn: Connection, wholes: list, carves: list) -> None:
    """Outlines of the changed 2020–2025 units from the staged 2009 communes (see geo.ingest.units_2020)."""
    units_2020.build_pieces(conn, wholes, carves)
    conn.execute(
        text(
            f"UPDATE _stage_admin_unit s SET geom = {units_2020.union_sql('unit_code = s.code')} "
            "WHERE s.level = 'commune' AND s.valid_from = :start"
        ),
        {"start": MERGER_2020_START},
    )


def _crosswalk_2009(
    communes: list[tuple[dict, str]], changed: list[units_2020.Unit2020], crosswalk_2020: list[dict]
) -> list[dict]:
    """Every 2009 commune → its 2025 unit(s), through the 2020–2025 unit(s) its land went to."""
    by_old: dict[str, list[dict]] = {}
    for row in crosswalk_2020:
        by_old.setdefault(row["old_code"], []).append(row)
    via: dict[str, list[tuple[str, str, str | None]]] = {}
    for unit in changed:
        for part in unit.parts:
            via.setdefault(part.source_code, []).append((unit.code, unit.name, unit.confidence))
    rows: dict[tuple[str, str], dict] = {}
    for props, _ in communes:
        code = props["code"]
        for via_code, via_name, confidence in via.get(code, [(code, props["name"], None)]):
            for target in by_old.get(via_code, []):
                key = (code, target["new_code"])
                if key in rows:
                    continue
                rows[key] = dict(
                    target,
                    old_code=code,
                    old_period="2009",
                    old_name=props["full_name"],
                    via_code=via_code,
                    via_name=via_name,
                    confidence=units_2020.lower_confidence(target["confidence"], confidence),
                )
    missing = sorted(p["code"] for p, _ in communes if not any(k[0] == p["code"] for k in rows))
    if missing:
        raise LoadError(f"2009 communes with no 2025 unit through the 2020 units: {', '.join(missing)}")
    return list(rows.values())


# --------------------------------------------------------------------------- plan facts


def _load_facts(conn: Connection, changes: Changes) -> None:
    codes = [
        {
            "code": r["code"],
            "name_vi": r["name_vi"],
            "name_en": r["name_en"],
            "parent_code": r["parent_code"],
            "top_group": r["top_group"],
            "fill_color": r["fill_color_hex"],
            "basis": r["basis"],
            "tt08_2024_status": r["tt08_2024_status"],
            "tt08_2024_name_vi": r["tt08_2024_name_vi"],
            "source_url": r["source_url"],
            "confidence": r["confidence"],
            "notes": "; ".join(
                x
                for x in (r["notes"], r["source_url_tt08"] and f"TT 08/2024 source: {r['source_url_tt08']}")
                if x
            )
            or None,
        }
        for r in _read_csv(PLAN_DIR / "land_use_codes.csv")
    ]
    _sync_rows(conn, "land_use_code", ["code"], codes, changes)
    targets = []
    for r in _read_csv(PLAN_DIR / "targets.csv"):
        value = _decimal(r["value"])
        targets.append(
            {
                "target_id": r["target_id"],
                "indicator_vi": r["indicator_vi"],
                "indicator_en": r["indicator_en"],
                "comparator": r["comparator"],
                "value": value,
                "value_text": None if value is not None else r["value"],
                "unit": r["unit"],
                "period": r["year_or_period"],
                "kind": r["kind"],
                "source_url": r["source_url"],
                "source_url_2": r["source_url_2"],
                "confidence": r["confidence"],
                "notes": r["notes"],
            }
        )
    _sync_rows(conn, "plan_target", ["target_id"], targets, changes)
    figures = [
        {
            "lu_id": r["lu_id"],
            "land_code": r["land_code"],
            "indicator_vi": r["indicator_vi"],
            "indicator_en": r["indicator_en"],
            "value_ha": _decimal(r["value_ha"]),
            "year": r["year"],
            "scope": r["scope"],
            "kind": r["kind"],
            "source_url": r["source_url"],
            "confidence": r["confidence"],
            "notes": r["notes"],
        }
        for r in _read_csv(PLAN_DIR / "land_use.csv")
    ]
    _sync_rows(conn, "land_use_figure", ["lu_id"], figures, changes)


def _sync_rows(conn: Connection, table: str, key: list[str], rows: list[dict], changes: Changes) -> None:
    columns = list(rows[0])
    _stage(conn, table, columns, rows)
    changes.add(table, _sync(conn, table, key, columns))


# --------------------------------------------------------------------------- zones and projects

ZONE_COLUMNS = [
    "zone_id",
    "kind",
    "type_detail",
    "name_vi",
    "name_ascii",
    "plan_role",
    "area_planned_ha",
    "area_other_ha",
    "area_occupied_ha",
    "area_available_ha",
    "area_notes",
    "occupancy_note",
    "occupancy_note_vi",
    "status",
    "status_vi",
    "status_source",
    "plan_horizon",
    "district_code",
    "district_name",
    "commune_code",
    "commune_name",
    "commune_new_2025",
    "decisions",
    "investor",
    "capex_vnd_billion",
    "source_url",
    "source_url_2",
    "confidence",
    "notes",
    "geometry_quality",
    "location_level",
    "geometry_note",
    "geometry_note_vi",
]

# A circle of ``area`` hectares on the communes' point on surface, clipped to them, built in
# EPSG:3405 (VN-2000 / UTM 48N) so the radius is in metres. The aggregates take the communes in code
# order: in scan order a reload could give the same places in another order, i.e. a "changed" row.
FOOTPRINT_SQL = """
WITH c AS (
    SELECT ST_Union(geom ORDER BY code) AS g, ST_Collect(ST_PointOnSurface(geom) ORDER BY code) AS points,
           count(*) AS n
    FROM admin_unit
    WHERE level = 'commune' AND valid_from IS NULL AND code = ANY(:codes)
), f AS (
SELECT CASE
    WHEN n = 0 THEN NULL
    WHEN CAST(:area_ha AS numeric) IS NULL AND n = 1 THEN ST_PointOnSurface(g)
    WHEN CAST(:area_ha AS numeric) IS NULL THEN points
    ELSE ST_Multi(ST_CollectionExtract(ST_Transform(ST_Intersection(
        ST_Buffer(ST_Transform(ST_PointOnSurface(g), 3405), sqrt(CAST(:area_ha AS float8) * 10000 / pi()),
                  'quad_segs=16'),
        ST_Transform(g, 3405)), 4326), 3))
END AS geom
FROM c
)
SELECT geom, ST_Area(geom::geography) / 10000 AS footprint_ha FROM f
"""


def status_texts_vi() -> dict[str, str]:
    """The Vietnamese wording of the sources' English status texts (data/plan/status_text_vi.csv)."""
    return {r["text_en"]: r["text_vi"] for r in _read_csv(STATUS_TEXT_VI_CSV)}


def _zone_rows(lookups: dict) -> tuple[list[dict], dict[str, list[dict]]]:
    vi = status_texts_vi()
    places: dict[str, list[dict]] = {}
    for r in _read_csv(ZONE_PLACES_CSV):
        places.setdefault(r["zone_id"], []).append(r)
    rows = []
    for r in _read_csv(PLAN_DIR / "industrial_zones.csv"):
        occupancy = "; ".join(
            p.strip() for p in (r["notes"] or "").split(";") if re.search(r"occupancy|phủ kín", p, re.I)
        )
        rows.append(
            {
                "zone_id": r["zone_id"],
                "kind": r["type"],
                "type_detail": r["type"],
                "name_vi": r["name_vi"],
                "plan_role": None,
                "area_planned_ha": _decimal(r["area_ha_planned"]),
                "area_other_ha": _decimal(r["area_ha_other"]),
                "area_notes": r["area_notes"],
                "occupancy_note": occupancy or None,
                "occupancy_note_vi": vi.get(occupancy),
                "status": r["status"],
                "status_vi": vi.get(r["status"]),
                "status_source": r["source_url"],
                "plan_horizon": r["plan_horizon"],
                "commune_name": r["commune_2020_2025"],
                "districts_text": r["district_2020_2025"],
                "commune_new_2025": r["commune_new_2025"],
                "decisions": r["decisions"],
                "investor": r["investor"],
                "capex_vnd_billion": r["capex_vnd_billion"],
                "source_url": r["source_url"],
                "source_url_2": r["source_url_2"],
                "confidence": r["confidence"],
                "notes": r["notes"],
            }
        )
    for r in _read_csv(PLAN_DIR / "tourism_areas.csv"):
        rows.append(
            {
                "zone_id": r["site_id"],
                "kind": "tourism",
                "type_detail": r["type"],
                "name_vi": r["name_vi"],
                "plan_role": r["plan_role"],
                "area_planned_ha": _decimal(r["area_ha"]),
                "area_other_ha": None,
                "area_notes": r["area_notes"],
                "occupancy_note": None,
                "occupancy_note_vi": None,
                "status": None,
                "status_vi": None,
                "status_source": None,
                "plan_horizon": None,
                "commune_name": r["commune_2020_2025"],
                "districts_text": r["district_2020_2025"],
                "commune_new_2025": r["commune_new_2025"],
                "decisions": r["decisions"],
                "investor": None,
                "capex_vnd_billion": None,
                "source_url": r["source_url"],
                "source_url_2": r["source_url_2"],
                "confidence": r["confidence"],
                "notes": r["notes"],
            }
        )
    for row in rows:
        zone_id = row["zone_id"]
        if zone_id not in places:
            raise LoadError(f"zone_places.csv has no row for {zone_id}")
        if not row["source_url"]:
            raise LoadError(f"zone {zone_id} has no source_url")
        row["name_ascii"] = fold_ascii(row["name_vi"])
        row["area_occupied_ha"] = None
        row["area_available_ha"] = None
        own = places[zone_id]
        district_codes = sorted({p["district_code"] for p in own})
        for code in district_codes:
            if code not in lookups["district_names"]:
                raise LoadError(f"zone_places.csv: {zone_id} names unknown district {code}")
        commune_codes = [p["commune_code_2009"] for p in own if p["commune_code_2009"]]
        for code in commune_codes:
            if code not in lookups["communes"]:
                raise LoadError(f"zone_places.csv: {zone_id} names unknown 2009 commune {code}")
        row["district_code"] = district_codes[0] if len(district_codes) == 1 else None
        row["district_name"] = "; ".join(lookups["district_names"][c] for c in district_codes)
        row["commune_code"] = commune_codes[0] if len(commune_codes) == 1 else None
        row["_communes"] = commune_codes
        row["_how"] = "; ".join(p["how_matched"] for p in own if p["how_matched"])
        del row["districts_text"]
    return rows, places


def _load_zones(conn: Connection, lookups: dict, changes: Changes) -> None:
    rows, _ = _zone_rows(lookups)
    geoms: list[dict] = []
    for row in rows:
        communes = row.pop("_communes")
        how = row.pop("_how")
        names = ", ".join(lookups["communes"][c]["full_name"] for c in communes)
        if communes:
            area = row["area_planned_ha"]
            found = conn.execute(text(FOOTPRINT_SQL), {"codes": communes, "area_ha": area}).one()
            row["geometry_quality"] = "approximate"
            row["location_level"] = "commune"
            if area is None:
                shape = "the commune's point on surface" if len(communes) == 1 else "one point per commune"
                shape_vi = "một điểm trong xã" if len(communes) == 1 else "mỗi xã một điểm"
                row["geometry_note"] = (
                    f"placed in {names} (2009 polygons) from the plan's list; no area published, so {shape}; "
                    f"{how}"
                )
                row["geometry_note_vi"] = (
                    f"đặt trong {names} (ranh giới xã 2009) theo danh mục của quy hoạch; chưa công bố diện "
                    f"tích nên chỉ là {shape_vi}; không phải vị trí khảo sát"
                )
            else:
                where = "commune" if len(communes) == 1 else "communes"
                kept = found.footprint_ha or 0
                clipped = f" ({kept:.0f} ha of the circle lie inside)" if kept < 0.99 * float(area) else ""
                clipped_vi = f" (còn {kept:.0f} ha nằm trong)" if clipped else ""
                row["geometry_note"] = (
                    f"placed in {names} (2009 polygons) from the plan's list: a circle of the planned "
                    f"{area} ha on the point on surface, clipped to the {where}{clipped}; not a surveyed "
                    f"boundary; {how}"
                )
                row["geometry_note_vi"] = (
                    f"đặt trong {names} (ranh giới xã 2009) theo danh mục của quy hoạch: hình tròn bằng diện "
                    f"tích quy hoạch {_number_vi(area)} ha, cắt theo ranh giới "
                    f"{'xã' if len(communes) == 1 else 'các xã'}{clipped_vi}; không phải ranh giới khảo sát"
                )
            geoms.append({"zone_id": row["zone_id"], "geom": found.geom})
        else:
            row["geometry_quality"] = "none"
            row["location_level"] = "district" if row["district_code"] else "multi_district"
            row["geometry_note"] = (
                f"the sources name only {'the district' if row['district_code'] else 'the districts'} "
                f"({row['district_name']}); no site is published, so no geometry; {how}"
            )
            row["geometry_note_vi"] = (
                f"nguồn chỉ nêu {'huyện' if row['district_code'] else 'các huyện'} ({row['district_name']}); "
                "chưa công bố địa điểm nên không có vị trí trên bản đồ"
            )
    events = _apply_zone_status_updates(rows)
    _stage(conn, "zone", ZONE_COLUMNS, rows)
    conn.execute(text("ALTER TABLE _stage_zone ADD COLUMN geom geometry(Geometry, 4326)"))
    if geoms:
        conn.execute(
            text("UPDATE _stage_zone SET geom = CAST(:geom AS geometry) WHERE zone_id = :zone_id"), geoms
        )
    # stale zones are deleted after the projects that may reference them
    changes.add("zone", _sync(conn, "zone", ["zone_id"], [*ZONE_COLUMNS, "geom"], delete=False))
    _sync_zone_events(conn, events, changes)


ZONE_UPDATES_CSV = PLAN_DIR / "zone_status_updates.csv"
ZONE_EVENT_KEY = ["zone_id", "status", "source"]


def _apply_zone_status_updates(rows: list[dict]) -> list[dict]:
    """Newest status news onto the zones (status, status_vi, status_source); return every status event.

    A zone's history: what the zone list says (its source), then each update in file order (its source).
    Rows of ``zone_status_updates.csv`` with ``update_type = pointer`` point to a document, not a zone.
    """
    vi = status_texts_vi()
    by_id = {r["zone_id"]: r for r in rows}
    events = [
        {
            "zone_id": r["zone_id"],
            "status": r["status"],
            "status_vi": r["status_vi"],
            "note": "status as given in the plan's zone list",
            "source": r["source_url"],
        }
        for r in rows
        if r["status"]
    ]
    for update in _read_csv(ZONE_UPDATES_CSV):
        if update["update_type"] == "pointer":
            continue
        if update["update_type"] != "status_update":
            raise LoadError(
                f"{ZONE_UPDATES_CSV.name} {update['zone_id']}: unknown update_type {update['update_type']}"
            )
        zone = by_id.get(update["zone_id"])
        if zone is None:
            raise LoadError(f"{ZONE_UPDATES_CSV.name}: unknown zone {update['zone_id']}")
        if not update["status"] or not update["source_url"]:
            raise LoadError(
                f"{ZONE_UPDATES_CSV.name} {update['zone_id']}: a status update needs a status and a source"
            )
        zone["status"] = update["status"]
        zone["status_vi"] = vi.get(update["status"])
        zone["status_source"] = update["source_url"]
        events.append(
            {
                "zone_id": zone["zone_id"],
                "status": update["status"],
                "status_vi": zone["status_vi"],
                "note": update["notes"],
                "source": update["source_url"],
            }
        )
    return events


def _sync_zone_events(conn: Connection, events: list[dict], changes: Changes) -> None:
    """The loader's zone status events equal ``events``; events recorded by others are kept."""
    columns = [*ZONE_EVENT_KEY, "status_vi", "note"]
    _stage(conn, "zone_status_event", columns, events)
    match = " AND ".join(f"e.{k} IS NOT DISTINCT FROM s.{k}" for k in ZONE_EVENT_KEY)
    changed = conn.execute(
        text(
            "DELETE FROM zone_status_event e WHERE e.recorded_by = :by "
            f"AND NOT EXISTS (SELECT 1 FROM _stage_zone_status_event s WHERE {match} "
            "AND s.status_vi IS NOT DISTINCT FROM e.status_vi AND s.note IS NOT DISTINCT FROM e.note)"
        ),
        {"by": RECORDED_BY},
    ).rowcount
    changed += conn.execute(
        text(
            f"INSERT INTO zone_status_event ({', '.join(columns)}, recorded_by) "
            f"SELECT {', '.join('s.' + c for c in columns)}, :by FROM _stage_zone_status_event s "
            f"WHERE NOT EXISTS (SELECT 1 FROM zone_status_event e WHERE e.recorded_by = :by AND {match}) "
            "ORDER BY s.ctid"
        ),
        {"by": RECORDED_BY},
    ).rowcount
    changes.add("zone_status_event", changed)


PROJECT_COLUMNS = [
    "project_id",
    "name_vi",
    "name_ascii",
    "sector",
    "is_category",
    "district_codes",
    "districts_text",
    "commune_code",
    "commune_name",
    "zone_id",
    "responsible_agency",
    "capital_source",
    "period",
    "scale",
    "decisions",
    "status",
    "status_note",
    "status_note_vi",
    "progress_pct",
    "in_qd1288_appendix",
    "source_url",
    "source_url_2",
    "confidence",
    "notes",
    "is_synthetic",
    "geometry_quality",
    "location_level",
    "geometry_note",
    "geometry_note_vi",
]


def project_status(status_note: str | None) -> str:
    """The design.md status of a project from the source's status text."""
    for pattern, status in STATUS_RULES:
        if status_note and pattern.search(status_note):
            return status
    raise LoadError(
        f"no status rule matches the project status note {status_note!r}; add one to STATUS_RULES"
    )


def _district_codes(text_value: str | None, lookups: dict) -> list[str]:
    if not text_value:
        return []
    if _fold_key(text_value) == "toan tinh":
        return sorted(lookups["district_names"])
    codes = []
    for part in text_value.split(";"):
        name = re.sub(r"\(.*?\)", "", part)
        name = re.sub(r"^\s*(TP|Thành phố|Huyện)\s+", "", name.strip())
        key = _fold_key(name)
        if not key:
            continue
        if key not in lookups["district_by_short"]:
            raise LoadError(f"priority_projects.csv: unknown district {part.strip()!r}")
        codes.append(lookups["district_by_short"][key])
    return codes


PROJECTS_MORE_CSV = PLAN_DIR / "projects_more.csv"
# a row of projects_more.csv whose notes start so points to a list whose projects were not found
POINTER_MARK = "pointer only"


def _project_rows() -> list[dict]:
    """The plan's priority projects and the projects found since (pointer rows left out: not projects)."""
    rows = _read_csv(PLAN_DIR / "priority_projects.csv")
    seen = {r["project_id"] for r in rows}
    for r in _read_csv(PROJECTS_MORE_CSV):
        if (r["notes"] or "").startswith(POINTER_MARK):
            continue
        if r["project_id"] in seen:
            raise LoadError(f"{PROJECTS_MORE_CSV.name}: {r['project_id']} is already a priority project")
        rows.append(r)
    return rows


SCHEMATIC_CSV = PLAN_DIR / "project_schematic_lines.csv"


def _schematic_point(conn: Connection, ref: str) -> str:
    """A named point as WKT: ``settlement:<GeoNames id>`` or ``commune_2009:<code>`` (point on surface)."""
    kind, _, key = ref.strip().partition(":")
    if kind == "settlement":
        for props, geom in _read_features(BASE_DIR / "bac_kan_settlements_geonames.geojson"):
            if str(props["geonameid"]) == key:
                lon, lat = json.loads(geom)["coordinates"]
                return f"POINT({lon} {lat})"
    elif kind == "commune_2009":
        found = conn.execute(
            text(
                "SELECT ST_AsText(ST_PointOnSurface(geom)) FROM admin_unit "
                "WHERE level = 'commune' AND valid_from IS NULL AND code = :code"
            ),
            {"code": key},
        ).scalar_one_or_none()
        if found:
            return found
    raise LoadError(f"{SCHEMATIC_CSV.name}: no point for {ref!r} in the shipped data")


def _schematic_lines(conn: Connection) -> None:
    """Road projects whose source names their ends: a line through only those points, labelled schematic."""
    for r in _read_csv(SCHEMATIC_CSV):
        points = [_schematic_point(conn, ref) for ref in (r["points"] or "").split(";")]
        if len(points) < 2:
            raise LoadError(f"{SCHEMATIC_CSV.name} {r['project_id']}: a line needs two named points")
        found = conn.execute(
            text(
                "UPDATE _stage_project SET geom = ST_MakeLine(ARRAY(SELECT ST_GeomFromText(p, 4326) "
                "  FROM unnest(CAST(:points AS text[])) WITH ORDINALITY AS t(p, n) ORDER BY n)), "
                "geometry_quality = 'schematic', geometry_note = :note, geometry_note_vi = :note_vi "
                "WHERE project_id = :pid AND geom IS NULL"
            ),
            {"points": points, "note": r["note_en"], "note_vi": r["note_vi"], "pid": r["project_id"]},
        ).rowcount
        if not found:
            raise LoadError(f"{SCHEMATIC_CSV.name}: {r['project_id']} is not a project without a place")


def _load_projects(conn: Connection, lookups: dict, changes: Changes) -> list[str]:
    """Sync projects; return the ids of projects new in this load."""
    links = {r["project_id"]: r for r in _read_csv(PROJECT_ZONES_CSV)}
    vi = status_texts_vi()
    zones = {z for (z,) in conn.execute(text("SELECT zone_id FROM zone"))}
    rows = []
    for r in _project_rows():
        pid = r["project_id"]
        if not r["source_url"]:
            raise LoadError(f"project {pid} has no source_url")
        # "[category]" marks a category row in the CSV; it is not part of the name (is_category keeps it)
        is_category = r["name_vi"].startswith(CATEGORY_MARK)
        name_vi = r["name_vi"].removeprefix(CATEGORY_MARK).strip()
        codes = _district_codes(r["districts_2020_2025"], lookups)
        link = links.get(pid)
        zone_id = link["zone_id"] if link else None
        if zone_id and zone_id not in zones:
            raise LoadError(f"project_zones.csv: {pid} links unknown zone {zone_id}")
        if zone_id:
            level, note = "zone", f"located at zone {zone_id}: {link['how_linked']}"
            note_vi = f"đặt theo vị trí của khu {zone_id}"
        elif is_category:
            level, note = "province", "a category of the plan's priority list, not one site: no geometry"
            note_vi = "một nhóm trong danh mục dự án ưu tiên, không phải một địa điểm: không có vị trí"
        elif len(codes) > 1:
            level, note = "multi_district", "spans several districts and no route is published: no geometry"
            note_vi = "trải trên nhiều huyện, chưa công bố hướng tuyến: không có vị trí"
        else:
            level, note = "district", "the sources name only the district: no geometry"
            note_vi = "nguồn chỉ nêu huyện: không có vị trí"
        rows.append(
            {
                "project_id": pid,
                "name_vi": name_vi,
                "name_ascii": fold_ascii(name_vi),
                "sector": r["sector"],
                "is_category": is_category,
                "district_codes": codes,
                "districts_text": r["districts_2020_2025"],
                "commune_code": None,
                "commune_name": None,
                "zone_id": zone_id,
                "responsible_agency": None,
                "capital_source": r["capital_source"],
                "period": r["period"],
                "scale": r["scale"],
                "decisions": r["decisions"],
                "status": project_status(r["status_note"]),
                "status_note": r["status_note"],
                "status_note_vi": vi.get(r["status_note"]),
                "progress_pct": None,
                "in_qd1288_appendix": r["in_qd1288_priority_appendix"],
                "source_url": r["source_url"],
                "source_url_2": r["source_url_2"],
                "confidence": r["confidence"],
                "notes": r["notes"],
                "is_synthetic": False,
                "geometry_quality": "none",
                "location_level": level,
                "geometry_note": note,
                "geometry_note_vi": note_vi,
            }
        )
    unknown = sorted(set(links) - {r["project_id"] for r in rows})
    if unknown:
        raise LoadError(f"project_zones.csv links unknown project(s): {', '.join(unknown)}")
    _stage(conn, "project", PROJECT_COLUMNS, rows)
    conn.execute(text("ALTER TABLE _stage_project ADD COLUMN geom geometry(Geometry, 4326)"))
    conn.execute(
        text(
            "UPDATE _stage_project s SET geom = z.geom, geometry_quality = z.geometry_quality, "
            "geometry_note = s.geometry_note || '; footprint of the zone: ' "
            "|| coalesce(z.geometry_note, 'none'), "
            "geometry_note_vi = s.geometry_note_vi || '; ranh giới của khu: ' "
            "|| coalesce(z.geometry_note_vi, 'không có') "
            "FROM zone z WHERE z.zone_id = s.zone_id"
        )
    )
    _schematic_lines(conn)
    # a place a planner digitised (PUT /api/projects/{id}/geometry) outlives reloads: the shipped data
    # knows no better one, and the audit trail keeps who placed it, when, and the place before
    conn.execute(
        text(
            "UPDATE _stage_project s SET geom = p.geom, geometry_quality = p.geometry_quality, "
            "location_level = p.location_level, geometry_note = p.geometry_note, "
            "geometry_note_vi = p.geometry_note_vi FROM project p "
            "WHERE p.project_id = s.project_id AND p.geometry_quality = 'digitised'"
        )
    )
    # status, progress and the status note belong to the history once someone has recorded an event
    conn.execute(
        text(
            "UPDATE _stage_project s SET status = p.status, progress_pct = p.progress_pct, "
            "status_note = p.status_note, status_note_vi = p.status_note_vi FROM project p "
            "WHERE p.project_id = s.project_id AND EXISTS (SELECT 1 FROM project_status_event e "
            "WHERE e.project_id = p.project_id AND e.recorded_by <> :loader)"
        ),
        {"loader": RECORDED_BY},
    )
    new_ids = [
        pid
        for (pid,) in conn.execute(
            text(
                "SELECT s.project_id FROM _stage_project s WHERE NOT EXISTS "
                "(SELECT 1 FROM project p WHERE p.project_id = s.project_id) ORDER BY s.project_id"
            )
        )
    ]
    changes.add(
        "project",
        _sync(conn, "project", ["project_id"], [*PROJECT_COLUMNS, "geom"], touch="updated_at = now()"),
    )
    changes.add(
        "zone",
        conn.execute(
            text(
                "DELETE FROM zone t "
                "WHERE NOT EXISTS (SELECT 1 FROM _stage_zone s WHERE s.zone_id = t.zone_id)"
            )
        ).rowcount,
    )
    return new_ids


def _add_initial_events(conn: Connection, project_ids: list[str], version: int) -> None:
    conn.execute(
        text(
            "INSERT INTO project_status_event (project_id, status, progress_pct, note, recorded_by, source, "
            "data_version) SELECT project_id, status, progress_pct, coalesce(status_note_vi, status_note), "
            ":by, source_url, :version "
            "FROM project WHERE project_id = ANY(:ids)"
        ),
        {"by": RECORDED_BY, "version": version, "ids": project_ids},
    )


# --------------------------------------------------------------------------- protected areas


def _protected_areas(conn: Connection, lookups: dict, changes: Changes) -> list[dict]:
    """Sync ``protected_area`` and return the approximate footprints for the layer."""
    facts = []
    features = []
    for r in _read_csv(PLAN_DIR / "protected_areas.csv"):
        districts = _district_codes(r["districts"], lookups)
        hosts: list[str] = []
        for part in (r["host_communes_pre2020"] or "").split(";"):
            name = re.sub(r"\(.*?\)|một phần|toàn bộ", "", part).strip()
            matches = [
                code
                for code, c in lookups["communes"].items()
                if c["parent_code"] in districts and _fold_key(c["name"]) == _fold_key(name)
            ]
            if len(matches) != 1:
                raise LoadError(
                    f"protected_areas.csv {r['area_id']}: host commune {part.strip()!r} not found once"
                )
            hosts.append(matches[0])
        names = ", ".join(lookups["communes"][c]["full_name"] for c in hosts)
        is_forest = "(RDD)" in (r["category"] or "")
        geom = None
        quality, note = "none", "no public polygon and no honest way to place it (a lake is not a circle)"
        note_vi = "chưa có ranh giới công khai và không có cách đặt trung thực (hồ không phải hình tròn)"
        core = _decimal(r["core_ha"])
        if is_forest and r["lat_min"] and hosts:
            geom = conn.execute(
                text(
                    "SELECT ST_Multi(ST_CollectionExtract(ST_Intersection("
                    "ST_MakeEnvelope(:w, :s, :e, :n, 4326), ST_Union(geom ORDER BY code)), 3)) "
                    "FROM admin_unit "
                    "WHERE level = 'commune' AND valid_from IS NULL AND code = ANY(:codes)"
                ),
                {
                    "w": float(r["lon_min"]),
                    "s": float(r["lat_min"]),
                    "e": float(r["lon_max"]),
                    "n": float(r["lat_max"]),
                    "codes": hosts,
                },
            ).scalar_one()
            quality = "approximate"
            note = (
                "published bounding coordinates intersected with the host communes "
                f"({names}, 2009 polygons); no official polygon is public, so this over-covers the park"
            )
            note_vi = (
                f"khung tọa độ đã công bố giao với các xã có khu bảo tồn ({names}, ranh giới 2009); "
                "chưa có ranh giới chính thức công khai nên vùng vẽ rộng hơn thực tế"
            )
        elif is_forest and hosts and core is not None:
            geom = conn.execute(text(FOOTPRINT_SQL), {"codes": hosts, "area_ha": core}).one().geom
            quality = "approximate"
            note = (
                f"a circle of the published core area {core} ha on the host communes "
                f"({names}, 2009 polygons), clipped to them; no official polygon is public"
            )
            note_vi = (
                f"hình tròn bằng diện tích vùng lõi đã công bố {_number_vi(core)} ha đặt trong các xã có "
                f"khu bảo tồn ({names}, ranh giới 2009), cắt theo ranh giới xã; "
                "chưa có ranh giới chính thức công khai"
            )
        facts.append(
            {
                "area_id": r["area_id"],
                "name_vi": r["name_vi"],
                "name_en": r["name_en"],
                "category": r["category"],
                "host_communes": r["host_communes_pre2020"],
                "districts": r["districts"],
                "bbox_lat_min": _decimal(r["lat_min"]),
                "bbox_lat_max": _decimal(r["lat_max"]),
                "bbox_lon_min": _decimal(r["lon_min"]),
                "bbox_lon_max": _decimal(r["lon_max"]),
                "core_ha": core,
                "zones": r["zones"],
                "established": r["established"],
                "source_url": r["source_url"],
                "source_url_2": r["source_url_2"],
                "confidence": r["confidence"],
                "notes": r["notes"],
                "geometry_quality": quality,
                "geometry_note": note,
                "geometry_note_vi": note_vi,
            }
        )
        if geom is not None:
            features.append(
                {
                    "name": r["name_vi"],
                    "landuse_code": "RDD",
                    "properties": {
                        "area_id": r["area_id"],
                        "name_en": r["name_en"],
                        "category": "rdd",
                        "source": r["source_url"],
                        "category_text": r["category"],
                        "core_ha": float(core) if core is not None else None,
                        "zones": r["zones"],
                        "established": r["established"],
                        "host_communes": r["host_communes_pre2020"],
                        "host_commune_codes_2009": hosts,
                        "districts": r["districts"],
                        "confidence": r["confidence"],
                        "geometry_note": note,
                        "geometry_note_vi": note_vi,
                        "source_url_2": r["source_url_2"],
                        "notes": r["notes"],
                    },
                    "source": r["source_url"]
                    or "data/plan/protected_areas.csv (secondary sources, no URL recorded)",
                    "geometry_quality": quality,
                    "geom": geom,
                }
            )
    _sync_rows(conn, "protected_area", ["area_id"], facts, changes)
    return features


# --------------------------------------------------------------------------- sheet layers


def _base_features(layer_key: str, path: Path) -> list[dict]:
    features = []
    for props, geom in _read_features(path):
        quality = "exact"
        name = props.get("name") or props.get("full_name")
        landuse = None
        if layer_key == "province_outline" or layer_key == "neighbour_provinces":
            name = props["full_name"]
        elif layer_key == "national_roads":
            if props.get("label_checked"):
                name = props.get("name_source")
            else:
                # the source labels it QL34, which is not known to enter Bắc Kạn: unverified
                name = "Quốc lộ (số hiệu chưa kiểm chứng)"
                props = dict(props, label_note="source label unverified: QL34 is not known to enter Bắc Kạn")
            landuse = "DGT"
        elif layer_key == "rivers":
            name = f"Sông chính, {props.get('sub_basin_vi')}"
            quality = "approximate"
            props = dict(
                props,
                geometry_note="schematic reach (ADB GMS Atlas), position errors of several km",
                geometry_note_vi="đoạn sông vẽ theo sơ đồ (ADB GMS Atlas), sai số vị trí vài km",
            )
            landuse = "SON"
        features.append(
            {
                "name": name,
                "landuse_code": landuse,
                "properties": props,
                "source": props.get("source"),
                "geometry_quality": quality,
                "geojson": geom,
            }
        )
    return features


def _table_digest(conn: Connection, table: str) -> str | None:
    exists = conn.execute(text("SELECT to_regclass(:t)"), {"t": f'{LAYER_SCHEMA}."{table}"'}).scalar()
    if exists is None:
        return None
    return conn.execute(
        text(
            "SELECT md5(coalesce(string_agg(concat_ws('|', feature_id, name, landuse_code, landuse_name, "
            "plan_start, plan_end, properties::text, source, geometry_quality, "
            "encode(ST_AsEWKB(geom), 'hex')), "
            f"E'\\n' ORDER BY fid), '')) FROM {LAYER_SCHEMA}.\"{table}\""
        )
    ).scalar_one()


def _load_layer_table(conn: Connection, table: str, features: list[dict]) -> tuple[int, str]:
    """Rebuild ``layers.<table>`` from ``features`` unless identical or imported over.

    Returns the feature count and what happened: ``same``, ``rebuilt`` or ``kept`` (the table was
    replaced by ``planview import`` and is left as the user made it).
    """
    staging = f"{table}_staging"
    conn.execute(text(f'DROP TABLE IF EXISTS {LAYER_SCHEMA}."{staging}"'))
    create_layer_table(conn, staging)
    rows = [
        {
            "name": f["name"],
            "landuse_code": f.get("landuse_code"),
            "properties": Jsonb(f["properties"]),
            "source": f["source"],
            "geometry_quality": f["geometry_quality"],
            "geojson": f.get("geojson"),
            "geom": f.get("geom"),
        }
        for f in features
    ]
    conn.execute(
        text(
            f'INSERT INTO {LAYER_SCHEMA}."{staging}" (name, landuse_code, landuse_name, properties, source, '
            "geometry_quality, geom) VALUES (:name, :landuse_code, "
            "(SELECT name_vi FROM land_use_code WHERE code = :landuse_code), :properties, :source, "
            "CAST(:geometry_quality AS text), "
            "coalesce(ST_SetSRID(ST_GeomFromGeoJSON(CAST(:geojson AS text)), 4326), CAST(:geom AS geometry)))"
        ),
        rows,
    )
    relation = f'{LAYER_SCHEMA}."{table}"'
    current = _table_digest(conn, table)
    if current == _table_digest(conn, staging):
        conn.execute(text(f'DROP TABLE {LAYER_SCHEMA}."{staging}"'))
        conn.execute(text(f"COMMENT ON TABLE {relation} IS '{LAYER_MARK}'"))
        return len(rows), "same"
    if current is not None:
        mark = conn.execute(
            text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": relation}
        ).scalar()
        if mark != LAYER_MARK:
            # an import replaced the shipped layer: official data wins over ours
            conn.execute(text(f'DROP TABLE {LAYER_SCHEMA}."{staging}"'))
            count = conn.execute(text(f"SELECT count(*) FROM {relation}")).scalar_one()
            return count, "kept"
    finish_layer_table(conn, staging)
    swap_layer_table(conn, staging, table)
    conn.execute(text(f"COMMENT ON TABLE {relation} IS '{LAYER_MARK}'"))
    return len(rows), "rebuilt"


# the view's `name` column already carries name_vi; name_ascii is for search only
ZONE_PROPERTIES = ", ".join(f"'{c}', z.{c}" for c in ZONE_COLUMNS if c not in ("name_vi", "name_ascii"))
PROJECT_PROPERTIES = ", ".join(
    f"'{c}', p.{c}"
    for c in PROJECT_COLUMNS
    if c not in ("name_vi", "name_ascii", "is_synthetic", "geom", "updated_at")
)
VIEWS = {
    "industrial_zones": f"""
        SELECT z.zone_id AS fid, NULL::text AS feature_id, z.name_vi AS name,
               CASE z.kind WHEN 'KCN' THEN 'SKK' WHEN 'CCN' THEN 'SKN' END AS landuse_code,
               lu.name_vi AS landuse_name, NULL::date AS plan_start, NULL::date AS plan_end,
               jsonb_build_object('source', z.source_url, {ZONE_PROPERTIES}) AS properties,
               z.source_url AS source, z.geometry_quality, z.geom
        FROM public.zone z
        LEFT JOIN public.land_use_code lu
               ON lu.code = CASE z.kind WHEN 'KCN' THEN 'SKK' WHEN 'CCN' THEN 'SKN' END
        WHERE z.kind IN ('KCN', 'CCN')""",
    "tourism_areas": f"""
        SELECT z.zone_id AS fid, NULL::text AS feature_id, z.name_vi AS name,
               NULL::text AS landuse_code, NULL::text AS landuse_name,
               NULL::date AS plan_start, NULL::date AS plan_end,
               jsonb_build_object('source', z.source_url, {ZONE_PROPERTIES}) AS properties,
               z.source_url AS source, z.geometry_quality, z.geom
        FROM public.zone z
        WHERE z.kind = 'tourism'""",
    "priority_projects": f"""
        SELECT p.project_id AS fid, NULL::text AS feature_id, p.name_vi AS name,
               NULL::text AS landuse_code, NULL::text AS landuse_name,
               NULL::date AS plan_start, NULL::date AS plan_end,
               jsonb_build_object('source', p.source_url, {PROJECT_PROPERTIES}) AS properties,
               p.source_url AS source, p.geometry_quality, p.geom
        FROM public.project p
        WHERE p.geom IS NOT NULL""",
}


def create_derived_view(conn: Connection, key: str) -> int:
    """Create or replace the view ``layers.<key>`` over zone/project (``VIEWS``); return its row count.

    The one place the derived layer views are made: they are views, not copies, so an edit of a zone or
    project is seen at once; they are declared migration-owned in ``geo.store.models.include_object``.
    """
    conn.execute(text(f'CREATE OR REPLACE VIEW {LAYER_SCHEMA}."{key}" AS {VIEWS[key]}'))
    return conn.execute(text(f'SELECT count(*) FROM {LAYER_SCHEMA}."{key}"')).scalar_one()


def _read_layers() -> list[dict]:
    layers = []
    for line, r in enumerate(_read_csv(LAYERS_CSV), start=2):
        try:
            style = json.loads(r["style"] or "{}")
            legend = json.loads(r["legend"] or "[]")
        except json.JSONDecodeError as exc:
            raise LoadError(f"layers.csv line {line}: style/legend is not JSON: {exc}") from exc
        layers.append(dict(r, style=style, legend=legend))
    return layers


def _load_layers(
    conn: Connection, layers: list[dict], protected: list[dict], changes: Changes
) -> tuple[dict[str, int], list[str]]:
    """Fill the shipped layer tables and views and their sheet_layer rows; return counts and kept keys."""
    conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {LAYER_SCHEMA}"))
    counts: dict[str, int] = {}
    changed_tables: set[str] = set()
    kept: list[str] = []
    for layer in layers:
        key = layer["layer_key"]
        source = layer["source_file"] or ""
        if source.startswith("view:"):
            counts[key] = create_derived_view(conn, key)
            continue
        features = protected if key == "protected_areas" else _base_features(key, DATA_DIR / source)
        counts[key], state = _load_layer_table(conn, key, features)
        if state == "rebuilt":
            changed_tables.add(key)
            changes.add(f"layers.{key}", counts[key])
        elif state == "kept":
            kept.append(key)
    rows = [
        {
            "layer_key": layer["layer_key"],
            "sheet_id": layer["sheet_id"],
            "title_vi": layer["title_vi"],
            "title_en": layer["title_en"],
            "geometry_type": layer["geometry_type"],
            "table_name": layer["layer_key"],
            "style": Jsonb(layer["style"]),
            "legend": Jsonb(layer["legend"]),
            "source": layer["source"],
            "licence": layer["licence"],
            "nominal_scale": layer["nominal_scale"],
            "is_official": (layer["is_official"] or "false").lower() == "true",
            "is_synthetic": False,
            "feature_count": counts[layer["layer_key"]],
            "sort_order": int(layer["sort_order"] or 0),
            "notes": layer["notes"],
        }
        for layer in layers
        if layer["layer_key"] not in kept
    ]
    if rows:
        columns = list(rows[0])
        _stage(conn, "sheet_layer", columns, rows)
        changes.add(
            "sheet_layer",
            _sync(conn, "sheet_layer", ["layer_key"], columns, delete=False, touch="loaded_at = now()"),
        )
    # a rebuilt table with unchanged metadata still gets a fresh loaded_at
    if changed_tables:
        conn.execute(
            text("UPDATE sheet_layer SET loaded_at = now() WHERE layer_key = ANY(:keys)"),
            {"keys": sorted(changed_tables)},
        )
    conn.execute(
        text("UPDATE sheet_layer SET loaded_at = now() WHERE loaded_at IS NULL AND layer_key = ANY(:keys)"),
        {"keys": [layer["layer_key"] for layer in layers]},
    )
    return counts, kept


# --------------------------------------------------------------------------- entry point


def _say(console, message: str) -> None:
    if console is not None:
        console.print(message)


def load_all(
    engine: Engine, sheets_csv: Path | None = None, console=None, actor: Actor = LOAD_ACTOR
) -> dict[str, int]:
    """Load the shipped dataset (and the sheet catalog) in one transaction; return the counts.

    A load that changes something writes one audit row (``actor``, the tables and rows changed).
    """
    custom = sheets_csv is not None and Path(sheets_csv).resolve() != SHEETS_CSV.resolve()
    sheets = read_sheets(Path(sheets_csv) if sheets_csv else SHEETS_CSV)
    layers = _read_layers()
    changes = Changes()
    with engine.begin() as conn:
        kept_catalog = None if sheets_csv is not None else _custom_catalog_origin(conn)
        if kept_catalog:
            # `make run` reloads on every start: it must not undo the province's own sheet list
            _say(
                console,
                f"keeping the sheet catalog loaded from {kept_catalog} (`planview load --sheets "
                f"{SHEETS_CSV.relative_to(DATA_DIR.parent)}` restores the shipped one)",
            )
        else:
            _say(console, "loading the sheet catalog …")
            _load_sheets(conn, sheets, {layer["layer_key"]: layer["sheet_id"] for layer in layers}, changes)
            origin = f"{CUSTOM_CATALOG_MARK} {Path(sheets_csv).name}" if custom else "shipped"
            conn.execute(text(f"COMMENT ON TABLE map_sheet IS '{origin.replace(chr(39), chr(39) * 2)}'"))
        _say(console, "loading administrative units and the 2025 crosswalk …")
        lookups = _load_admin(conn, changes)
        _say(console, "loading plan facts, zones and projects …")
        _load_facts(conn, changes)
        changes.add("agency", load_agencies(conn))
        load_cycle(conn, changes)
        rules_before = conn.execute(text(RULES_SIGNATURE_SQL)).scalar_one()
        load_rules(conn)
        if conn.execute(text(RULES_SIGNATURE_SQL)).scalar_one() != rules_before:
            changes.add("conflict_rule", 1)
        _load_zones(conn, lookups, changes)
        new_projects = _load_projects(conn, lookups, changes)
        changes.add("project", link_project_agencies(conn))
        protected = _protected_areas(conn, lookups, changes)
        _say(console, "loading sheet layers …")
        layer_counts, kept = _load_layers(conn, layers, protected, changes)
        for key in kept:
            _say(console, f"layer {key} was replaced by an import: kept as imported, not reloaded")
        if changes.total:
            detail = ", ".join(f"{t} {n}" for t, n in sorted(changes.by_table.items()))
            version = bump(conn, changes.areas(), f"planview load: {detail}")
            record_audit_sync(
                conn,
                actor,
                "dataset.load",
                "dataset",
                Path(sheets_csv).name if sheets_csv else "shipped",
                None,
                {"rows_changed": changes.by_table, "data_version": version},
            )
            if new_projects:
                _add_initial_events(conn, new_projects, version)
            conn.execute(
                text("UPDATE zone_status_event SET data_version = :v WHERE data_version IS NULL"),
                {"v": version},
            )
            _say(console, f"data version {version} ({changes.total} rows changed)")
        else:
            _say(console, "nothing changed: the database already holds the shipped data")
        # the stored screening follows its inputs (reads never screen): kept when they did not change
        screen_all(conn)
        summary = _summary(conn)
    summary["layer_features"] = sum(layer_counts.values())
    summary["rows_changed"] = changes.total
    summary["rows_changed_by_table"] = dict(changes.by_table)
    return summary


CUSTOM_CATALOG_MARK = "planview: sheet catalog from"


def _custom_catalog_origin(conn: Connection) -> str | None:
    """The file name of a province-supplied sheet catalog in the database, if one was loaded."""
    comment = conn.execute(text("SELECT obj_description('map_sheet'::regclass, 'pg_class')")).scalar()
    if comment and comment.startswith(CUSTOM_CATALOG_MARK):
        return comment[len(CUSTOM_CATALOG_MARK) :].strip()
    return None


def _summary(conn: Connection) -> dict[str, int]:
    row = conn.execute(
        text(
            """
            SELECT
              (SELECT count(*) FROM admin_unit WHERE level = 'province') AS provinces,
              (SELECT count(*) FROM admin_unit WHERE level = 'district') AS districts,
              (SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_from IS NULL) AS communes,
              (SELECT count(*) FROM admin_unit
                WHERE level = 'commune' AND valid_from = :reform) AS communes_2025,
              (SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_to = :pre_end
                AND (valid_from IS NULL OR valid_from < :reform)) AS communes_2020_2025,
              (SELECT count(*) FROM admin_crosswalk) AS crosswalk_pairs,
              (SELECT count(*) FROM zone) AS zones,
              (SELECT count(*) FROM project WHERE NOT is_category) AS projects,
              (SELECT count(*) FROM project WHERE is_category) AS project_categories,
              (SELECT count(*) FROM project_status_event) AS project_status_events,
              (SELECT count(*) FROM map_sheet) AS sheets,
              (SELECT count(*) FROM sheet_layer WHERE table_name IS NOT NULL) AS layers,
              (SELECT count(*) FROM plan_target) AS targets,
              (SELECT count(*) FROM reporting_unit) AS reporting_units,
              (SELECT count(*) FROM task) AS tasks,
              (SELECT count(*) FROM target_actual) AS target_actuals,
              (SELECT count(DISTINCT target_id) FROM target_actual) AS targets_with_actuals,
              (SELECT count(*) FROM land_use_code) AS land_use_codes,
              (SELECT count(*) FROM land_use_figure) AS land_use_figures,
              (SELECT count(*) FROM protected_area) AS protected_areas,
              (SELECT version FROM data_version WHERE id = 1) AS data_version
            """
        ),
        {"reform": REFORM_START, "pre_end": PRE_REFORM_END},
    ).one()
    return dict(row._mapping)
