"""The shipped-data loader against the real PostGIS: counts, idempotence, honesty, the sheet catalog."""

import csv
import json
import re
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import text

from geo.ingest.load import SHEET_COLUMNS, SHEETS_CSV, LoadError, load_all, project_status
from geo.store.settings import DATA_DIR

EXPECTED = {
    "provinces": 8,  # Bắc Kạn, 6 regional outlines, Thái Nguyên from 2025-07-01
    "districts": 8,
    "communes": 122,  # the 2009 set
    "communes_2020_2025": 108,  # NQ 855/NQ-UBTVQH14
    "communes_2025": 37,
    "crosswalk_pairs": 108 + 123,  # the 108 → 37, and every 2009 commune through them (Lương Hạ split in two)
    "zones": 30,
    "projects": 12,  # 11 of the plan's list + PRJ-M01 found since (projects_more.csv)
    "project_categories": 4,
    "sheets": 30,
    "layers": 9,
    "targets": 50,
    "land_use_codes": 72,
    "land_use_figures": 8,
    "protected_areas": 4,
}
SHIPPED_LAYER_SHEETS = ["P1", "P2", "P2.b", "P2.đ", "P2.e", "P2.g", "P5", "P12"]


def _counts(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("rows_changed", "rows_changed_by_table")}


def _version(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version")).scalar_one()


def _catalog(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM map_sheet ORDER BY sheet_id"))]


def _write_sheets(path: Path, rows: list[dict], columns: list[str] = SHEET_COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _shipped_sheets() -> list[dict]:
    with SHEETS_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_shipped_data_is_loaded_with_the_expected_counts(engine):
    summary = load_all(engine)
    assert {k: summary[k] for k in EXPECTED} == EXPECTED


def test_second_load_changes_nothing_and_keeps_the_data_version(engine):
    version = _version(engine)
    first = load_all(engine)
    second = load_all(engine)
    assert first["rows_changed"] == 0 and second["rows_changed"] == 0
    assert _counts(first) == _counts(second)
    assert _version(engine) == version == second["data_version"]


def test_district_and_commune_areas_match_the_dataset(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT level, code, area_km2, ST_Area(geom::geography) / 1e6 AS km2 FROM admin_unit "
                "WHERE level IN ('district', 'commune') AND valid_from IS NULL"
            )
        ).all()
    by_level = {"district": 0, "commune": 0}
    for row in rows:
        by_level[row.level] += 1
        assert row.km2 == pytest.approx(row.area_km2, rel=0.005), row.code
    assert by_level == {"district": 8, "commune": 122}


def test_communes_keep_their_2025_status_and_the_2020_merger_ends_earlier(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT status_2025, valid_to, count(*) AS n FROM admin_unit "
                "WHERE level = 'commune' AND valid_from IS NULL GROUP BY 1, 2"
            )
        ).all()
    by_status: dict[str, int] = {}
    ended: dict[str, int] = {}
    for row in rows:
        kind = row.status_2025.split(":")[0]
        by_status[kind] = by_status.get(kind, 0) + row.n
        ended[str(row.valid_to)] = ended.get(str(row.valid_to), 0) + row.n
        if kind in ("abolished (merged 2020)", "renamed/merged"):
            assert str(row.valid_to) == "2020-01-31"
    assert by_status == {"unchanged": 96, "renamed/merged": 12, "abolished (merged 2020)": 14}
    # the 29 communes NQ 855 re-arranged end on 31/01/2020 (the 14 abolished, the 12 whose code passed on,
    # and Thượng Giáo, Phủ Thông, Cường Lợi which kept their name but not their land); 93 go on to 2025
    assert ended == {"2020-01-31": 29, "2025-06-30": 93}


def test_2025_units_are_unions_of_their_old_communes_and_say_so(engine):
    with engine.connect() as conn:
        units = conn.execute(
            text(
                "SELECT u.code, u.geometry_quality, u.geometry_note, u.parent_code, "
                "       ST_Area(u.geom::geography) AS area, "
                "       (SELECT sum(ST_Area(o.geom::geography)) FROM admin_crosswalk x JOIN admin_unit o "
                "          ON o.code = x.old_code AND o.level = 'commune' AND o.valid_to = '2025-06-30' "
                "         AND (o.valid_from IS NULL OR o.valid_from < '2025-07-01') "
                "        WHERE x.new_code = u.code AND x.old_period = '2020-2025') AS old_area "
                "FROM admin_unit u WHERE u.level = 'commune' AND u.valid_from = '2025-07-01'"
            )
        ).all()
        pairs = conn.execute(
            text(
                "SELECT count(DISTINCT old_code), count(DISTINCT new_code), min(effective_from) "
                "FROM admin_crosswalk WHERE old_period = '2020-2025'"
            )
        ).one()
        thai_nguyen = conn.execute(
            text(
                "SELECT ST_Covers(ST_Buffer(n.geom, 1e-6), b.geom) FROM admin_unit n, admin_unit b "
                "WHERE n.code = '19' AND n.valid_from = '2025-07-01' "
                "AND b.code = '06' AND b.level = 'province'"
            )
        ).scalar_one()
    assert len(units) == 37
    for unit in units:
        assert unit.geometry_quality == "approximate"
        assert "2020–2025 units" in unit.geometry_note and unit.parent_code == "19"
        assert unit.area == pytest.approx(unit.old_area, rel=1e-3), unit.code
    assert tuple(pairs[:2]) == (108, 37) and str(pairs[2]) == "2025-07-01"
    assert thai_nguyen


def test_every_zone_and_project_has_a_source_and_approximate_places_say_why(engine):
    with engine.connect() as conn:
        zones = conn.execute(text("SELECT * FROM zone")).mappings().all()
        projects = conn.execute(text("SELECT * FROM project")).mappings().all()
    assert len(zones) == 30 and len(projects) == 16  # 15 of the plan's list + PRJ-M01
    for row in [*zones, *projects]:
        assert row["source_url"] and row["source_url"].startswith("http"), row
        if row["geometry_quality"] == "approximate":
            assert row["geometry_note"] and len(row["geometry_note"]) > 30
        if row["geom"] is None:
            assert row["geometry_quality"] == "none"
    for zone in zones:
        # nothing invented: no source gives occupied or available hectares
        assert zone["area_occupied_ha"] is None and zone["area_available_ha"] is None
        if zone["location_level"] == "commune":
            assert zone["geometry_note"].startswith("placed in")
        else:
            assert zone["geom"] is None and zone["location_level"] in ("district", "multi_district")
    kcn01 = next(z for z in zones if z["zone_id"] == "KCN-01")
    assert kcn01["commune_code"] == "02119" and "97%" in kcn01["occupancy_note"]


def test_category_rows_are_flagged_not_named_with_the_csv_marker(engine):
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT project_id, name_vi, is_category, status FROM project")).all()
    categories = [r for r in rows if r.is_category]
    assert len(categories) == 4 and all(r.status == "category" for r in categories)
    assert not [r.name_vi for r in rows if "[" in r.name_vi]
    assert any(r.name_vi.startswith("Kết cấu hạ tầng kết nối vùng") for r in categories)


def test_every_status_text_of_the_sources_has_its_vietnamese_wording(engine):
    with engine.connect() as conn:
        zones = conn.execute(
            text("SELECT zone_id, status, status_vi, occupancy_note, occupancy_note_vi FROM zone")
        ).all()
        projects = conn.execute(text("SELECT project_id, status_note, status_note_vi FROM project")).all()
    for zone in zones:
        assert (zone.status is None) == (zone.status_vi is None), zone
        assert (zone.occupancy_note is None) == (zone.occupancy_note_vi is None), zone
    for project in projects:
        assert project.status_note_vi, project
    by_id = {p.project_id: p for p in projects}
    assert by_id["PRJ-01"].status_note_vi == "đang thi công (từ năm 2022)"
    kcn01 = next(z for z in zones if z.zone_id == "KCN-01")
    assert kcn01.occupancy_note_vi.startswith("tỷ lệ lấp đầy 97%")


def test_a_vietnamese_reader_is_told_why_a_place_is_approximate_in_vietnamese(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT zone_id AS id, geometry_quality, geometry_note_vi FROM zone "
                "UNION ALL SELECT project_id, geometry_quality, geometry_note_vi FROM project "
                "UNION ALL SELECT area_id, geometry_quality, geometry_note_vi FROM protected_area"
            )
        ).all()
    notes = {r.id: r.geometry_note_vi for r in rows}
    for row in rows:
        if row.geometry_quality != "exact":
            note = row.geometry_note_vi
            assert note and unicodedata.is_normalized("NFC", note), row
            # Vietnamese words, not the English note copied over
            assert re.search(r"xã|huyện|vị trí|ranh giới", note) and "placed in" not in note, row
    # the planned 80.3 ha of KCN Thanh Bình phase II written the Vietnamese way
    assert "80,3 ha" in notes["KCN-02"] and "Xã Nông Thịnh" in notes["KCN-02"]
    # a project placed at its zone says so and carries the zone's reason
    assert notes["PRJ-05"].startswith("đặt theo vị trí của khu KCN-02; ranh giới của khu: ")


def test_commune_footprints_are_circles_of_the_planned_area_inside_the_commune(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT z.zone_id, z.area_planned_ha, ST_Area(z.geom::geography) / 1e4 AS ha, "
                "       ST_Area(ST_Difference(z.geom, ST_Buffer(c.geom, 1e-6))::geography) AS outside_m2 "
                "FROM zone z JOIN admin_unit c ON c.code = z.commune_code AND c.level = 'commune' "
                "     AND c.valid_from IS NULL "
                "WHERE z.location_level = 'commune'"
            )
        ).all()
    circles = {r.zone_id: r for r in rows if r.area_planned_ha is not None}
    assert {"KCN-01", "KCN-03", "CCN-04", "TOUR-01", "TOUR-03"} <= set(circles)
    for row in rows:
        assert row.outside_m2 < 1.0, row.zone_id
    assert circles["KCN-03"].ha == pytest.approx(300, rel=0.01)
    assert circles["CCN-04"].ha == pytest.approx(15, rel=0.01)


def test_projects_take_their_zone_footprint_and_roads_only_a_schematic_line(engine):
    with engine.connect() as conn:
        rows = {
            r.project_id: r
            for r in conn.execute(
                text(
                    "SELECT p.project_id, p.status, p.location_level, p.district_codes, p.is_category, "
                    "p.zone_id, p.geometry_quality, p.geom IS NOT NULL AS located, "
                    "ST_Equals(p.geom, z.geom) AS same FROM project p LEFT JOIN zone z USING (zone_id)"
                )
            )
        }
    assert rows["PRJ-04"].zone_id == "KCN-01" and rows["PRJ-04"].same
    assert rows["PRJ-06"].zone_id == "CCN-04" and rows["PRJ-06"].location_level == "zone"
    assert rows["PRJ-10"].zone_id == "TOUR-03" and rows["PRJ-11"].zone_id == "TOUR-01"
    # a road known by its two named ends: a schematic line, never a surveyed route
    assert rows["PRJ-01"].location_level == "multi_district"
    assert rows["PRJ-01"].geometry_quality == "schematic"
    assert rows["PRJ-01"].district_codes == ["058", "063", "064", "061"]
    assert rows["PRJ-01"].status == "under_construction"
    categories = [r for r in rows.values() if r.is_category]
    assert len(categories) == 4
    assert all(r.status == "category" and len(r.district_codes) == 8 and not r.located for r in categories)


def test_status_notes_map_to_the_design_vocabulary():
    assert project_status("under construction (2022-)") == "under_construction"
    assert project_status("site clearance (11/2023)") == "site_clearance"
    assert project_status("status unclear") == "unclear"
    assert project_status("category") == "category"
    with pytest.raises(LoadError, match="no status rule"):
        project_status("abandoned by the investor")


def test_layers_are_loaded_with_counts_and_honest_labels(engine):
    with engine.connect() as conn:
        layers = {r.layer_key: r for r in conn.execute(text("SELECT * FROM sheet_layer"))}
        counts = {
            key: conn.execute(text(f'SELECT count(*) FROM layers."{key}"')).scalar_one() for key in layers
        }
        roads = conn.execute(text("SELECT name, properties FROM layers.national_roads")).all()
        protected = conn.execute(
            text("SELECT name, geometry_quality, properties, landuse_code FROM layers.protected_areas")
        ).all()
        rivers = conn.execute(text("SELECT DISTINCT geometry_quality FROM layers.rivers")).scalars().all()
    assert set(layers) >= {
        "province_outline",
        "neighbour_provinces",
        "settlements",
        "national_roads",
        "rivers",
        "protected_areas",
        "industrial_zones",
        "tourism_areas",
        "priority_projects",
    }
    for key, layer in layers.items():
        if key in counts and layer.table_name:
            assert layer.feature_count == counts[key], key
            assert layer.loaded_at is not None and layer.source and layer.licence
            assert all({"label_vi", "label_en", "color"} <= set(item) for item in layer.legend)
    assert counts["settlements"] == 11 and counts["national_roads"] == 4 and counts["rivers"] == 12
    assert counts["industrial_zones"] == 14 and counts["tourism_areas"] == 16
    # the projects placed at a located zone (PRJ-M01 at CCN Huyền Tụng among them) and PRJ-01's schematic line
    assert counts["priority_projects"] == 8
    unverified = [r for r in roads if not r.properties["label_checked"]]
    assert len(unverified) == 1 and "34" not in unverified[0].name
    assert rivers == ["approximate"] and "reference only" in layers["rivers"].licence
    assert len(protected) == 3
    for row in protected:
        assert row.geometry_quality == "approximate" and row.landuse_code == "RDD"
        assert row.properties["category"] == "rdd" and row.properties["geometry_note"]


def test_ba_be_national_park_lies_inside_its_published_bounding_box(engine):
    with engine.connect() as conn:
        inside = conn.execute(
            text(
                "SELECT ST_CoveredBy(geom, ST_Buffer(ST_MakeEnvelope("
                "105.54722, 22.38611, 105.69583, 22.48194, 4326), 1e-9)) FROM layers.protected_areas "
                "WHERE properties->>'area_id' = 'PA-01'"
            )
        ).scalar_one()
    assert inside


@pytest.fixture
def own_engine(own_database_url):
    """An engine on a copy of the loaded database of this test alone (for a test that changes records
    other tests read as shipped)."""
    from geo.store.database import make_engine
    from geo.store.settings import DatabaseSettings

    engine = make_engine(DatabaseSettings(database_url=own_database_url))
    yield engine
    engine.dispose()


def test_user_status_events_survive_a_reload(own_engine):
    engine = own_engine
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project_status_event (project_id, status, progress_pct, note, recorded_by) "
                "VALUES ('PRJ-06', 'completed', 100, 'handed over', 'tester')"
            )
        )
        conn.execute(
            text(
                "UPDATE project SET status = 'completed', progress_pct = 100, status_note = 'handed over', "
                "status_note_vi = NULL WHERE project_id = 'PRJ-06'"
            )
        )
        events = conn.execute(text("SELECT count(*) FROM project_status_event")).scalar_one()
    summary = load_all(engine)
    with engine.connect() as conn:
        status = conn.execute(
            text(
                "SELECT status, progress_pct, status_note, status_note_vi FROM project "
                "WHERE project_id = 'PRJ-06'"
            )
        ).one()
        after = conn.execute(text("SELECT count(*) FROM project_status_event")).scalar_one()
    assert summary["rows_changed"] == 0, summary["rows_changed_by_table"]
    assert (status.status, float(status.progress_pct)) == ("completed", 100.0)
    # the user's note stays; the source's note and its Vietnamese wording do not come back
    assert (status.status_note, status.status_note_vi) == ("handed over", None)
    assert after == events


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows, cols: (rows, [c for c in cols if c != "title_en"]), "missing column"),
        (lambda rows, cols: ([*rows, dict(rows[0], number="99")], cols), "sheet_id 'P1' repeats line 2"),
        (lambda rows, cols: ([dict(rows[0], number="2"), *rows[1:]], cols), "number 2 repeats"),
        (lambda rows, cols: ([dict(rows[0], parent_id="P99"), *rows[1:]], cols), "parent_id 'P99'"),
        (lambda rows, cols: ([dict(rows[0], number="one"), *rows[1:]], cols), "line 2: column 'number'"),
        (
            lambda rows, cols: ([dict(rows[0], title_vi=""), *rows[1:]], cols),
            "line 2: column 'title_vi' is empty",
        ),
        (
            lambda rows, cols: ([r for r in rows if r["sheet_id"] != "P12"], cols),
            r"priority_projects \(sheet P12\)",
        ),
    ],
)
def test_a_bad_sheet_catalog_is_refused_and_leaves_the_catalog_unchanged(engine, tmp_path, mutate, message):
    before, version = _catalog(engine), _version(engine)
    rows, columns = mutate(_shipped_sheets(), list(SHEET_COLUMNS))
    path = _write_sheets(tmp_path / "sheets.csv", rows, columns)
    with pytest.raises(LoadError, match=message):
        load_all(engine, sheets_csv=path)
    assert _catalog(engine) == before and _version(engine) == version


def test_a_sheet_with_an_imported_layer_cannot_vanish(engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sheet_layer (layer_key, sheet_id, title_vi, title_en, geometry_type, "
                "table_name) VALUES ('land_use_2030', 'P8', 'Quy hoạch sử dụng đất', 'Land-use plan', "
                "'polygon', 'land_use_2030')"
            )
        )
    try:
        rows = [r for r in _shipped_sheets() if r["sheet_id"] != "P8"]
        with pytest.raises(LoadError, match=r"P8 \(land_use_2030\)"):
            load_all(engine, sheets_csv=_write_sheets(tmp_path / "sheets.csv", rows))
        assert "P8" in {row[0] for row in _catalog(engine)}
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sheet_layer WHERE layer_key = 'land_use_2030'"))


def test_a_valid_30_sheet_catalog_replaces_the_shipped_one(engine, tmp_path):
    version = _version(engine)
    shipped = {r["sheet_id"]: r for r in _shipped_sheets()}
    rows = []
    # the province's own order: the sheets of our layers keep their ids, the rest are its own
    for sheet_id in reversed(SHIPPED_LAYER_SHEETS):
        rows.append(dict(shipped[sheet_id], number=str(len(rows) + 1)))
    while len(rows) < 30:
        n = len(rows) + 1
        rows.append(
            {
                "number": str(n),
                "sheet_id": f"BK-{n:02d}",
                "parent_id": "",
                "is_group": "false",
                "title_vi": f"Bản đồ số {n}",
                "title_en": f"Map {n}",
            }
        )
    summary = load_all(engine, sheets_csv=_write_sheets(tmp_path / "province.csv", rows))
    catalog = {row[0]: row for row in _catalog(engine)}
    assert summary["sheets"] == 30 and len(catalog) == 30
    assert "BK-30" in catalog and "P8" not in catalog
    assert catalog["P12"][1] == 1  # renumbered in place
    assert _version(engine) == version + 1
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM sheet_layer WHERE table_name IS NOT NULL")).scalar_one()
            == 9
        )
    # a plain load (make run does one at every start) keeps the province's catalog
    again = load_all(engine)
    assert "BK-30" in {row[0] for row in _catalog(engine)} and "P8" not in {
        row[0] for row in _catalog(engine)
    }
    assert again["rows_changed"] == 0 and _version(engine) == version + 1
    # the shipped catalog comes back only when asked for by name
    restored = load_all(engine, sheets_csv=DATA_DIR / "plan" / "sheets.csv")
    assert restored["sheets"] == 30 and "P8" in {row[0] for row in _catalog(engine)}
    assert _version(engine) == version + 2
    assert "BK-30" not in {row[0] for row in _catalog(engine)} and load_all(engine)["rows_changed"] == 0


def test_layers_csv_is_well_formed():
    with (DATA_DIR / "plan" / "layers.csv").open(encoding="utf-8") as fh:
        layers = list(csv.DictReader(fh))
    sheets = {r["sheet_id"] for r in _shipped_sheets()}
    for layer in layers:
        assert layer["sheet_id"] in sheets
        assert isinstance(json.loads(layer["style"]), dict)
        assert all({"label_vi", "label_en", "color"} <= set(i) for i in json.loads(layer["legend"]))


def test_a_drifted_row_is_restored_with_one_version_bump(engine):
    version = _version(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE zone SET area_planned_ha = 1, geom = NULL WHERE zone_id = 'KCN-03'"))
        conn.execute(text("DELETE FROM layers.settlements WHERE name = 'Bắc Kạn'"))
    summary = load_all(engine)
    with engine.connect() as conn:
        zone = conn.execute(
            text(
                "SELECT area_planned_ha, ST_Area(geom::geography) / 1e4 AS ha FROM zone "
                "WHERE zone_id = 'KCN-03'"
            )
        ).one()
        settlements = conn.execute(text("SELECT count(*) FROM layers.settlements")).scalar_one()
    assert summary["rows_changed"] >= 2
    assert _version(engine) == version + 1
    assert float(zone.area_planned_ha) == 300 and zone.ha == pytest.approx(300, rel=0.01)
    assert settlements == 11


def test_a_shipped_layer_replaced_by_an_import_is_kept_on_reload(engine):
    from geo.store.tables import create_layer_table, finish_layer_table, swap_layer_table

    with engine.begin() as conn:
        # what `planview import … --layer rivers --replace` leaves behind
        create_layer_table(conn, "rivers_import")
        conn.execute(
            text(
                "INSERT INTO layers.rivers_import (name, source, geom) VALUES "
                "('Sông Cầu', 'Sở TN&MT', ST_GeomFromText('LINESTRING(105.8 22.1, 105.85 22.2)', 4326))"
            )
        )
        finish_layer_table(conn, "rivers_import")
        swap_layer_table(conn, "rivers_import", "rivers")
        conn.execute(
            text("UPDATE sheet_layer SET source = 'Sở TN&MT', feature_count = 1 WHERE layer_key = 'rivers'")
        )
    try:
        summary = load_all(engine)
        with engine.connect() as conn:
            names = conn.execute(text("SELECT name FROM layers.rivers")).scalars().all()
            layer = conn.execute(
                text("SELECT source, feature_count FROM sheet_layer WHERE layer_key = 'rivers'")
            ).one()
        assert summary["rows_changed"] == 0
        assert names == ["Sông Cầu"] and tuple(layer) == ("Sở TN&MT", 1)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE layers.rivers"))
        load_all(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM layers.rivers")).scalar_one() == 12


def test_planview_load_prints_its_summary(own_database_url, monkeypatch):
    # what `make run` shows: a summary line that could not be printed stopped `make run` (a dict value)
    from typer.testing import CliRunner

    from cli.main import app
    from geo.store.settings import database_settings

    monkeypatch.setenv("PLANVIEW_DATABASE_URL", own_database_url)
    database_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["load"])
    finally:
        database_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["rows_changed", "0"] for line in lines), result.output
    assert any(line.split() == ["rows_changed_by_table", "none"] for line in lines), result.output
