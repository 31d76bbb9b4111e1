"""The 108 commune-level units of 2020–2025 as NQ 855/NQ-UBTVQH14 made them, rebuilt from the 2009 communes.

Where the resolution moved whole communes, a unit is the union of their 2009 polygons (as good as the
2009 source). Where only part of a commune moved, the part is carved out of the giving commune as the
band next to the receiving unit whose area is the published one (bisection on the band's width, in
metres, so the result is deterministic); the rest goes to the other receiver. Where the make-up is not
stated (Phong Huân → Yên Phong), the whole commune goes to its one named receiver. Either way the land
is covered once, and the unit is flagged ``approximate`` with the reason in English and Vietnamese.
"""

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, text

from geo.store.settings import DATA_DIR

BASE_DIR = DATA_DIR / "base"
UNITS_CSV = BASE_DIR / "units_2020_2025_changed_districts.csv"
CHANGES_CSV = BASE_DIR / "commune_changes_2020.csv"
DISTRICT_CHECK_CSV = BASE_DIR / "district_totals_2020_check.csv"
MERGER_2020_START = date(2020, 2, 1)
MERGER_2020_END = date(2020, 1, 31)
MERGER_2020_BASIS = "NQ 855/NQ-UBTVQH14 (10/01/2020, effective 01/02/2020)"
MERGER_2020_BASIS_VI = "NQ 855/NQ-UBTVQH14 (10/01/2020, hiệu lực 01/02/2020)"
METRIC_SRID = 9213  # VN-2000 / TM-3 106-30: the carving band is measured in metres
BISECTION_STEPS = 40
MAX_BAND_M = 30_000.0
_CONFIDENCE_RANK = {"low": 0, "medium": 1, "high": 2}


class Units2020Error(Exception):
    """The 2020 re-arrangement files disagree with each other or with the 2009 communes."""


@dataclass
class Part:
    """What one 2009 commune gives to one 2020–2025 unit."""

    source_code: str
    source_name: str
    whole: bool
    area_km2: Decimal | None  # published area of the part, when the source gives one
    remainder: bool  # the source calls this part the rest of the commune
    source_url: str


@dataclass
class Unit2020:
    """A 2020–2025 unit whose make-up changed in 2020."""

    code: str
    name: str
    kind: str
    district: str
    area_published: Decimal | None
    source_url: str
    confidence: str
    parts: list[Part] = field(default_factory=list)
    approximate_en: list[str] = field(default_factory=list)
    approximate_vi: list[str] = field(default_factory=list)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value and value.strip() else None


def unit_type(kind: str) -> str:
    """'thị trấn' → 'Thị trấn', as the 2009 data writes the type."""
    return kind[:1].upper() + kind[1:]


def read_units() -> tuple[list[dict[str, str]], list[Unit2020]]:
    """All rows of the six changed districts, and the units whose make-up changed (with their parts)."""
    rows = _read(UNITS_CSV)
    changes = _read(CHANGES_CSV)
    changed: dict[tuple[str, str], Unit2020] = {}
    for r in rows:
        if r["status_2020"] == "unchanged":
            continue
        changed[(r["district"], r["unit_name_2020_2025"])] = Unit2020(
            code=r["gso_code_2020_2025"],
            name=r["unit_name_2020_2025"],
            kind=r["unit_kind"],
            district=r["district"],
            area_published=_decimal(r["area_km2_stated"]),
            source_url=r["source_url"],
            confidence=r["confidence"],
        )
    for c in changes:
        unit = changed.get((c["district"], c["into_unit_name"]))
        if unit is None:
            raise Units2020Error(
                f"{CHANGES_CSV.name} {c['row_id']}: {c['into_unit_name']} ({c['district']}) is not a changed "
                f"unit of {UNITS_CSV.name}"
            )
        share = c["share"] or ""
        unit.parts.append(
            Part(
                source_code=c["old_code_2009"],
                source_name=c["old_commune_name"],
                whole=c["change"] != "part_moved",
                area_km2=_decimal(c["area_moved_km2"]),
                remainder="remainder" in share,
                source_url=c["source_url"],
            )
        )
    for unit in changed.values():
        if not unit.parts:
            raise Units2020Error(f"{unit.name} ({unit.district}) has no constituent in {CHANGES_CSV.name}")
    return rows, list(changed.values())


@dataclass
class Carve:
    """A part of a split commune to cut out for one receiving unit."""

    unit: Unit2020
    part: Part
    target_km2: float | None  # None = the rest of the commune


def plan_parts(units: list[Unit2020]) -> tuple[list[tuple[Unit2020, Part]], list[Carve]]:
    """Whole parts, and for each split commune its carved parts (published area) then its remainder."""
    by_source: dict[str, list[tuple[Unit2020, Part]]] = {}
    for unit in units:
        for part in unit.parts:
            by_source.setdefault(part.source_code, []).append((unit, part))
    wholes: list[tuple[Unit2020, Part]] = []
    carves: list[Carve] = []
    for source in sorted(by_source):
        takers = by_source[source]
        partial = [(u, p) for u, p in takers if not p.whole]
        if not partial:
            wholes.extend(takers)
            continue
        if len(takers) == 1:
            # the make-up is not stated (Phong Huân): its one named receiver takes it all, so no land is lost
            unit, part = takers[0]
            wholes.append((unit, part))
            unit.approximate_en.append(
                f"whether all of {part.source_name} ({source}) went to {unit.name} is not stated by any "
                "source found; the whole 2009 commune is given to it here so that the land is covered once"
            )
            unit.approximate_vi.append(
                f"không nguồn nào nêu toàn bộ hay một phần xã {part.source_name} ({source}) nhập vào "
                f"{unit.name}; ở đây gán toàn bộ xã năm 2009 để vùng đất được phủ đúng một lần"
            )
            continue
        rest = [t for t in takers if t[1].area_km2 is None] or [t for t in takers if t[1].remainder]
        if len(rest) != 1:
            raise Units2020Error(f"split commune {source}: cannot tell which unit takes the rest")
        rest_unit, rest_part = rest[0]
        for unit, part in takers:
            if part is rest_part:
                continue
            carves.append(Carve(unit, part, float(part.area_km2)))
            unit.approximate_en.append(
                f"{part.area_km2} km² of {part.source_name} ({source}) moved to it by area only (no boundary "
                f"published): drawn as the band of the 2009 commune next to {unit.name} with that area"
            )
            unit.approximate_vi.append(
                f"{part.area_km2} km² của xã {part.source_name} ({source}) chuyển sang chỉ được nêu bằng "
                "diện tích (không có ranh giới công bố): vẽ thành dải của xã năm 2009 giáp "
                f"{unit.name} có diện tích đó"
            )
        carves.append(Carve(rest_unit, rest_part, None))
        given = " and ".join(c.unit.name for c in carves if c.part.source_code == source and c.target_km2)
        rest_unit.approximate_en.append(
            f"the rest of {rest_part.source_name} ({source}) after the part moved to {given}: its boundary "
            "follows that approximate part"
        )
        rest_unit.approximate_vi.append(
            f"phần còn lại của xã {rest_part.source_name} ({source}) sau phần chuyển sang {given}: ranh giới "
            "theo phần gần đúng đó"
        )
    return wholes, carves


_PIECES = "_piece_2020"
_SOURCE = """(SELECT geom FROM _stage_admin_unit
               WHERE level = 'commune' AND valid_from IS NULL AND code = :source)"""
_SEED = f"""(SELECT ST_Transform(ST_Union(geom), {METRIC_SRID}) FROM {_PIECES} WHERE unit_code = :unit)"""
_TAKEN = f"""(SELECT ST_Union(geom) FROM {_PIECES} WHERE source_code = :source AND NOT whole)"""
_LEFT = f"COALESCE(ST_Difference({_SOURCE}, {_TAKEN}), {_SOURCE})"
_BAND = f"ST_Transform(ST_Buffer({_SEED}, :d), 4326)"


def _area_km2(conn: Connection, params: dict) -> float:
    return conn.execute(
        text(f"SELECT ST_Area(ST_Intersection({_LEFT}, {_BAND})::geography) / 1e6"), params
    ).scalar_one()


def build_pieces(conn: Connection, wholes: list[tuple[Unit2020, Part]], carves: list[Carve]) -> None:
    """Fill the temporary table of pieces (unit, 2009 commune, geometry) from the staged 2009 communes."""
    conn.execute(text(f"DROP TABLE IF EXISTS {_PIECES}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {_PIECES} (unit_code text, source_code text, whole boolean, "
            "geom geometry(Geometry, 4326)) ON COMMIT DROP"
        )
    )
    for unit, part in wholes:
        conn.execute(
            text(f"INSERT INTO {_PIECES} SELECT :unit, :source, true, {_SOURCE}"),
            {"unit": unit.code, "source": part.source_code},
        )
    for carve in carves:
        params = {"unit": carve.unit.code, "source": carve.part.source_code}
        if carve.target_km2 is None:
            conn.execute(text(f"INSERT INTO {_PIECES} SELECT :unit, :source, false, {_LEFT}"), params)
            continue
        low, high = 0.0, MAX_BAND_M
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            if _area_km2(conn, dict(params, d=middle)) < carve.target_km2:
                low = middle
            else:
                high = middle
        conn.execute(
            text(f"INSERT INTO {_PIECES} SELECT :unit, :source, false, ST_Intersection({_LEFT}, {_BAND})"),
            dict(params, d=round(high, 3)),
        )


SLIVER_M2 = 100.0  # the 2009 source dropped fragments under 100 m², leaving pinholes between communes


def without_pinholes(geom_sql: str) -> str:
    """``geom_sql`` as a MultiPolygon without interior rings under SLIVER_M2 (gaps of the 2009 tiling)."""
    return f"""(SELECT ST_Multi(ST_Collect(ARRAY(
        SELECT ST_MakePolygon(ST_ExteriorRing(d.geom), ARRAY(
                   SELECT ST_InteriorRingN(d.geom, n) FROM generate_series(1, ST_NumInteriorRings(d.geom)) n
                   WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(d.geom, n))::geography) >= {SLIVER_M2}))
        FROM ST_Dump(ST_CollectionExtract(ST_MakeValid({geom_sql}), 3)) d ORDER BY d.path))))"""


def union_sql(where: str) -> str:
    """The polygonal union of the pieces matching ``where``, as a MultiPolygon without pinholes."""
    return without_pinholes(f"(SELECT ST_Union(geom) FROM {_PIECES} WHERE {where})")


def lower_confidence(a: str | None, b: str | None) -> str | None:
    """The weaker of two confidence words."""
    if a is None or b is None:
        return a or b
    return a if _CONFIDENCE_RANK.get(a, 0) <= _CONFIDENCE_RANK.get(b, 0) else b
