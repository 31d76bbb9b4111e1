"""The commune-level units in force at each date cover Bắc Kạn once: 2009, 2020–2025 (NQ 855), 2025."""

import csv

import pytest
from sqlalchemy import text

from geo.store.settings import DATA_DIR

TOLERANCE_SHARE = 0.005  # of the province's area, for gaps and for overlaps
# Published areas are official survey figures; ours come from ~1:250k generalised outlines: a boundary
# drawn at 1:250,000 is good to about 0.5 mm on the map, 125 m on the ground, along the whole perimeter.
BOUNDARY_PRECISION_KM = 0.125
PROVINCE = "SELECT geom FROM admin_unit WHERE level = 'province' AND code = '06' AND valid_from IS NULL"
# every commune-level row is Bắc Kạn's (2009, 2020–2025) or on former Bắc Kạn land (the 37 of 2025)
IN_FORCE = """
    SELECT code, name, geom FROM admin_unit
    WHERE level = 'commune' AND (valid_from IS NULL OR valid_from <= CAST(:day AS date))
      AND (valid_to IS NULL OR valid_to >= CAST(:day AS date))
"""


@pytest.mark.parametrize(("day", "count"), [("2019-12-31", 122), ("2020-02-01", 108), ("2025-07-01", 37)])
def test_the_units_in_force_cover_the_province_once(engine, day, count):
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"""
                WITH u AS ({IN_FORCE}),
                     p AS ({PROVINCE})
                SELECT (SELECT count(*) FROM u) AS n,
                       ST_Area(p.geom::geography) / 1e6 AS province_km2,
                       (SELECT sum(ST_Area(u.geom::geography)) FROM u) / 1e6 AS sum_km2,
                       ST_Area(ST_Difference(p.geom, (SELECT ST_Union(u.geom) FROM u))::geography) / 1e6
                           AS gap_km2,
                       ((SELECT sum(ST_Area(u.geom::geography)) FROM u)
                        - ST_Area((SELECT ST_Union(u.geom) FROM u)::geography)) / 1e6 AS overlap_km2
                FROM p
                """
            ),
            {"day": day},
        ).one()
    assert row.n == count
    assert row.gap_km2 < TOLERANCE_SHARE * row.province_km2, f"gap {row.gap_km2:.2f} km² on {day}"
    assert row.overlap_km2 < TOLERANCE_SHARE * row.province_km2, f"overlap {row.overlap_km2:.2f} km² on {day}"
    assert row.sum_km2 == pytest.approx(row.province_km2, rel=TOLERANCE_SHARE)


def test_108_units_with_the_resolutions_count_per_district(engine):
    with (DATA_DIR / "base" / "district_totals_2020_check.csv").open(encoding="utf-8") as fh:
        stated = {r["district"]: int(r["units_2020_stated"]) for r in csv.DictReader(fh)}
    with engine.connect() as conn:
        counted = dict(
            conn.execute(
                text(
                    "SELECT d.name, count(*) FROM admin_unit c JOIN admin_unit d "
                    "  ON d.level = 'district' AND d.code = c.parent_code "
                    "WHERE c.level = 'commune' AND c.valid_to = '2025-06-30' "
                    "  AND (c.valid_from IS NULL OR c.valid_from < '2025-07-01') GROUP BY d.name"
                )
            ).all()
        )
    province = stated.pop("Province (all 8 district-level units)")
    assert sum(counted.values()) == province == 108
    assert {d: counted[d] for d in stated} == stated
    # the two districts NQ 855 did not touch keep their 2009 communes
    assert counted["Bắc Kạn"] == 8 and counted["Pác Nặm"] == 10


def test_published_areas_agree_with_computed_ones_within_the_sources_precision(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT code, name, valid_from, area_km2, area_km2_published, area_published_source, "
                "       ST_Perimeter(geom::geography) / 1000 AS perimeter_km "
                "FROM admin_unit WHERE level = 'commune' AND area_km2_published IS NOT NULL ORDER BY code"
            )
        ).all()
    assert len(rows) >= 9
    differ = []
    for r in rows:
        assert r.area_published_source.startswith("http"), r.code
        difference = r.area_km2 - r.area_km2_published
        if abs(difference) > 0.01:
            published = r.area_km2_published
            differ.append(f"{r.code} {r.name}: {r.area_km2} vs {published} km² ({difference:+.2f})")
        assert abs(difference) <= BOUNDARY_PRECISION_KM * r.perimeter_km, differ[-1]
    print("published vs computed:", *differ, sep="\n  ")


def test_part_moves_and_unstated_make_up_are_approximate_and_say_why(engine):
    with engine.connect() as conn:
        rows = {
            r.name: r
            for r in conn.execute(
                text(
                    "SELECT name, geometry_quality, geometry_note, geometry_note_vi FROM admin_unit "
                    "WHERE level = 'commune' AND valid_from = '2020-02-01'"
                )
            )
        }
    assert len(rows) == 15
    approximate = {n for n, r in rows.items() if r.geometry_quality == "approximate"}
    assert approximate == {"Yến Lạc", "Cường Lợi", "Văn Vũ", "Yên Phong"}
    assert "4.40 km² of Lương Hạ" in rows["Cường Lợi"].geometry_note
    assert "3.94 km² của xã Văn Học" in rows["Cường Lợi"].geometry_note_vi
    assert "not stated" in rows["Yên Phong"].geometry_note
    assert "Phong Huân" in rows["Yên Phong"].geometry_note_vi
    assert "rest of Lương Hạ" in rows["Yến Lạc"].geometry_note
    for name in set(rows) - approximate:
        assert rows[name].geometry_quality == "exact" and "merged whole" in rows[name].geometry_note
        assert "nhập nguyên trạng" in rows[name].geometry_note_vi


def test_the_crosswalk_reaches_2025_from_every_2009_and_2020_commune(engine):
    with engine.connect() as conn:
        missing = conn.execute(
            text(
                "SELECT u.code, u.valid_from FROM admin_unit u WHERE u.level = 'commune' "
                "AND (u.valid_from IS NULL OR u.valid_from < '2025-07-01') AND NOT EXISTS ("
                "  SELECT 1 FROM admin_crosswalk x WHERE x.old_code = u.code AND x.old_period = "
                "  CASE WHEN u.valid_from IS NULL THEN '2009' ELSE '2020-2025' END)"
            )
        ).all()
        cao_tri = conn.execute(
            text(
                "SELECT via_name, new_name FROM admin_crosswalk "
                "WHERE old_code = '01903' AND old_period = '2009'"
            )
        ).all()
    assert missing == []
    assert [tuple(r) for r in cao_tri] == [("Thượng Giáo", "Xã Chợ Rã")]
