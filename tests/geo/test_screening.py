"""Conflict screening against hand-built geometries whose answer is known, and on the shipped data."""

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy import Engine, text

from geo.analysis import constraints, footprint, rules, screening, steps
from geo.errors import PayloadTooLarge, Unprocessable
from geo.store.tables import create_layer_table, finish_layer_table
from geo.store.versions import Area, bump

# A point in Bắc Kạn city; squares are built around it in EPSG:9213 metres.
CITY = (105.8348, 22.1470)


def square_wkt_sql(dx: float, dy: float, size: float) -> str:
    """SQL for a size×size metre square offset (dx, dy) metres from CITY, in 4326."""
    city = f"ST_Transform(ST_SetSRID(ST_MakePoint({CITY[0]}, {CITY[1]}), 4326), 9213)"
    return f"""ST_Transform(ST_Translate(ST_MakeEnvelope(0, 0, {size}, {size}, 9213),
                ST_X({city}) + {dx}, ST_Y({city}) + {dy}), 4326)"""


def register_layer(conn, key: str, sheet: str, rows: list[tuple[str, str, str]]) -> None:
    """Create layers.<key> with (name, landuse_code, geometry SQL) rows and list it in the catalog."""
    conn.execute(text(f'DROP TABLE IF EXISTS layers."{key}"'))
    create_layer_table(conn, key)
    for name, code, geom_sql in rows:
        conn.execute(
            text(
                f'INSERT INTO layers."{key}" (name, landuse_code, source, geom) '
                f"VALUES (:n, :c, 'hand-built test geometry', {geom_sql})"
            ),
            {"n": name, "c": code},
        )
    finish_layer_table(conn, key)
    conn.execute(
        text(
            """
            INSERT INTO sheet_layer (layer_key, sheet_id, title_vi, title_en, geometry_type, table_name,
                                     feature_count, loaded_at, is_synthetic)
            VALUES (:k, :s, :k, :k, 'polygon', :k, :n, clock_timestamp(), false)
            ON CONFLICT (layer_key) DO UPDATE SET table_name = :k, feature_count = :n,
                loaded_at = clock_timestamp()
            """
        ),
        {"k": key, "s": sheet, "n": len(rows)},
    )
    bump(conn, (Area.catalog, Area.plan_layers), f"test layer {key}")


def add_project(conn, project_id: str, sector: str, districts: list[str], geom_sql: str, quality="exact"):
    conn.execute(
        text(
            f"""
            INSERT INTO project (project_id, name_vi, name_ascii, sector, district_codes, source_url,
                                 geometry_quality, location_level, geom, status)
            VALUES (:id, :id, :id, :sector, :d, 'test', :q, 'site', {geom_sql}, 'proposed')
            """
        ),
        {"id": project_id, "sector": sector, "d": districts, "q": quality},
    )
    bump(conn, (Area.projects, Area.project_places), f"test project {project_id}")


@pytest.fixture
def database_url(own_database_url) -> str:
    """Each test screens its own copy of the loaded database: they add layers and projects, so no test
    may see another's (whatever order they run in)."""
    return own_database_url


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    """A SQLAlchemy engine on this test's database."""
    from geo.store.database import make_engine
    from geo.store.settings import DatabaseSettings

    engine = make_engine(DatabaseSettings(database_url=database_url))
    yield engine
    engine.dispose()


def add_forest_lake_and_test_a(engine) -> dict:
    """100 ha of special-use forest (RDD), a lake 60 m east of TEST-A, and TEST-A: a 100 ha industrial
    footprint overlapping exactly 25 ha (500 m × 500 m) of the forest; screened. Returns the summary."""
    with engine.begin() as conn:
        register_layer(conn, "test_landuse", "P8", [("rừng đặc dụng thử", "RDD", square_wkt_sql(0, 0, 1000))])
        register_layer(conn, "lakes", "P2.e", [("hồ thử", None, square_wkt_sql(1560, 500, 200))])
        add_project(conn, "TEST-A", "công nghiệp", ["058"], square_wkt_sql(500, 500, 1000))
    return screening.screen_all(engine)


def stored(engine, project_id: str) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM project_conflict WHERE project_id = :p ORDER BY rule_code"), {"p": project_id}
        ).mappings()
        out: dict[str, list[dict]] = {}
        for row in rows:
            out.setdefault(row["rule_code"], []).append(dict(row))
        return out


def test_an_unloaded_rule_catalog_is_loaded_by_the_first_screening(engine):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM conflict_rule"))
    summary = screening.screen_all(engine)
    with engine.connect() as conn:
        codes = set(conn.execute(text("SELECT rule_code FROM conflict_rule")).scalars())
    assert codes == {r["rule_code"] for r in rules.read_rules_csv()}
    assert summary["active_rules"] + len(summary["inactive_rules"]) == len(codes)


@pytest.fixture
def rules_loaded(engine):
    with engine.begin() as conn:
        count = rules.load_rules(conn)
    assert count >= 12
    return count


def inactive_reasons(engine) -> dict[str, str]:
    with engine.begin() as conn:
        _, inactive = steps.run_sync(constraints.prepare_steps(), conn)
    return {r["rule_code"]: r["reason"] for r in inactive}


def test_rules_without_data_are_listed_inactive_with_why(engine, rules_loaded):
    reasons = inactive_reasons(engine)
    assert "no loaded land-use layer" in reasons["LU-RDD"]
    assert "no loaded land-use layer" in reasons["LU-RICE"]
    assert reasons["WATER-LAKE"] == "layer 'lakes' is not declared in the sheet catalog"
    assert "match 'zone~buffer|đệm'" in reasons["PA-BUFFER"]
    # the protected areas, zones, projects, districts and rivers are loaded: those rules run
    for code in ("PA-CORE", "PRJ-OVERLAP", "DISTRICT-OUTSIDE", "WATER-RIVER"):
        assert code not in reasons


def test_known_overlap_distance_severity_and_legal_basis(engine, rules_loaded):
    summary = add_forest_lake_and_test_a(engine)
    assert summary["recomputed"] is True

    conflicts = stored(engine, "TEST-A")
    (rdd,) = conflicts["LU-RDD"]
    assert rdd["severity"] == "block"
    assert rdd["overlap_ha"] == pytest.approx(25.0, rel=0.01)
    assert rdd["overlap_pct"] == pytest.approx(25.0, rel=0.01)
    assert rdd["constraint_name"] == "rừng đặc dụng thử"
    assert rdd["constraint_geometry_quality"] == "exact"
    assert rdd["evidence"]["approximate"] is False
    with engine.connect() as conn:
        basis = conn.execute(
            text("SELECT legal_basis FROM conflict_rule WHERE rule_code = 'LU-RDD'")
        ).scalar_one()
        highlighted_ha = conn.execute(
            text(
                "SELECT ST_Area(ST_Transform(geom, 4326)::geography) / 1e4 "
                "FROM project_conflict WHERE id = :i"
            ),
            {"i": rdd["id"]},
        ).scalar_one()
    assert "16/2017/QH14" in basis
    assert highlighted_ha == pytest.approx(25.0, rel=0.01)  # the stored highlight is the overlapping part

    (lake,) = conflicts["WATER-LAKE"]
    assert lake["severity"] == "info"
    assert lake["distance_m"] == pytest.approx(60.0, abs=1.0)
    assert lake["overlap_ha"] == 0

    # rules whose constraint is absent at this place do not fire
    assert "LU-RICE" not in conflicts and "PA-CORE" not in conflicts
    assert "DISTRICT-OUTSIDE" not in conflicts  # the square lies inside Bắc Kạn city (058)
    reasons = inactive_reasons(engine)
    assert "LU-RDD" not in reasons and "WATER-LAKE" not in reasons
    assert reasons["LU-RICE"] == "no feature of test_landuse does match 'landuse_code=LUA|LUC|LUK'"


def test_outside_assigned_district_and_project_overlap(engine, rules_loaded):
    add_forest_lake_and_test_a(engine)
    with engine.begin() as conn:
        # the same place, but assigned to Pác Nặm (060) and overlapping TEST-A by 100 × 1000 m = 10 ha
        add_project(conn, "TEST-B", "du lịch", ["060"], square_wkt_sql(1400, 500, 1000))
    screening.screen_all(engine)
    conflicts = stored(engine, "TEST-B")
    (outside,) = conflicts["DISTRICT-OUTSIDE"]
    assert outside["severity"] == "review"
    assert outside["overlap_pct"] == pytest.approx(100.0, rel=0.01)
    assert outside["evidence"]["assigned_districts"] == ["060"]
    assert "058" in outside["evidence"]["found_in_districts"]
    (overlap,) = conflicts["PRJ-OVERLAP"]
    assert overlap["constraint_fid"] == "TEST-A"
    assert overlap["overlap_ha"] == pytest.approx(10.0, rel=0.01)
    # and the reverse is stored for TEST-A
    assert [c["constraint_fid"] for c in stored(engine, "TEST-A")["PRJ-OVERLAP"]] == ["TEST-B"]


def test_approximate_footprints_never_conflict_with_each_other(engine, rules_loaded):
    with engine.begin() as conn:
        add_project(conn, "TEST-C", "xây dựng", [], square_wkt_sql(5500, 5500, 300), quality="approximate")
        add_project(conn, "TEST-D", "xây dựng", [], square_wkt_sql(5600, 5600, 300), quality="approximate")
    screening.screen_all(engine)
    assert "PRJ-OVERLAP" not in stored(engine, "TEST-C")
    with engine.connect() as conn:
        both_approx = conn.execute(
            text(
                """
                SELECT count(*) FROM project_conflict
                WHERE rule_code IN ('PRJ-OVERLAP', 'ZONE-IND-IN-TOURISM', 'ZONE-TOURISM-IN-IND')
                  AND project_geometry_quality = 'approximate' AND constraint_geometry_quality = 'approximate'
                """
            )
        ).scalar_one()
    assert both_approx == 0


def test_approximate_protected_area_says_so(engine, rules_loaded):
    with engine.begin() as conn:
        inside = conn.execute(
            text(
                "SELECT ST_AsText(ST_PointOnSurface(geom)) FROM layers.protected_areas "
                "WHERE name LIKE 'Vườn%'"
            )
        ).scalar_one()
        add_project(
            conn,
            "TEST-E",
            "du lịch",
            [],
            f"ST_Transform(ST_Buffer(ST_Transform(ST_GeomFromText('{inside}', 4326), 9213), 100, 32), 4326)",
        )
    screening.screen_all(engine)
    (core,) = stored(engine, "TEST-E")["PA-CORE"]
    assert core["severity"] == "block"
    assert core["constraint_geometry_quality"] == "approximate"
    assert core["evidence"]["approximate"] is True
    assert core["overlap_pct"] == pytest.approx(100.0, rel=0.01)


def test_reads_never_screen_and_the_write_path_does(engine, database_url, rules_loaded):
    add_forest_lake_and_test_a(engine)
    screening.screen_all(engine)
    assert screening.screen_all(engine)["recomputed"] is False  # nothing changed → kept
    before = stored(engine, "TEST-A")
    # re-import the land-use layer: the RDD square now covers 50 ha of TEST-A
    with engine.begin() as conn:
        register_layer(conn, "test_landuse", "P8", [("rừng đặc dụng thử", "RDD", square_wkt_sql(0, 0, 1500))])

    async def read():
        conn = await asyncpg.connect(database_url)
        try:
            return await screening.project_conflicts(conn, "TEST-A")
        finally:
            await conn.close()

    # a read shows what the last write stored: it never screens (the importer re-screens in its transaction)
    unchanged = asyncio.run(read())
    assert "LU-RDD" in before and stored(engine, "TEST-A") == before
    (old,) = [c for c in unchanged["conflicts"] if c["rule_code"] == "LU-RDD"]
    assert old["overlap_ha"] != pytest.approx(100.0, rel=0.01)
    with engine.begin() as conn:
        summary = screening.screen_all(conn)
        version = conn.execute(text(constraints.INPUTS_VERSION_SQL)).scalar_one()
    assert summary["recomputed"] is True
    report = asyncio.run(read())
    assert report["data_version"] == version
    assert report["verdict"] == "conflicts"
    (rdd,) = [c for c in report["conflicts"] if c["rule_code"] == "LU-RDD"]
    assert rdd["overlap_ha"] == pytest.approx(100.0, rel=0.01)
    assert rdd["legal_basis"].startswith("Luật Lâm nghiệp")
    assert rdd["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert stored(engine, "TEST-A")["LU-RDD"][0]["overlap_ha"] == pytest.approx(100.0, rel=0.01)


def test_screen_footprint_reports_and_stores_nothing(engine, rules_loaded):
    add_forest_lake_and_test_a(engine)
    with engine.connect() as conn:
        footprint = conn.execute(
            text(f"SELECT ST_AsGeoJSON({square_wkt_sql(500, 500, 1000)}, 9)")
        ).scalar_one()
        before = conn.execute(text("SELECT count(*), max(id) FROM project_conflict")).one()
        report = screening.screen_footprint_sync(conn, footprint, sector="khu công nghiệp", districts=["058"])
        conn.rollback()
        after = conn.execute(text("SELECT count(*), max(id) FROM project_conflict")).one()
    assert before == after
    assert report["stored"] is False
    assert report["verdict"] == "conflicts"
    assert report["subject"]["area_ha"] == pytest.approx(100.0, rel=0.01)
    codes = {c["rule_code"] for c in report["conflicts"]}
    assert {"LU-RDD", "PRJ-OVERLAP", "WATER-LAKE"} <= codes


@pytest.mark.parametrize(
    ("payload", "error", "words"),
    [
        (
            {"type": "Polygon", "coordinates": [[[105.8, 22.1], [105.9, 22.1], [105.9, 22.2]]]},
            Unprocessable,
            "4",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[105.8, 22.1], [105.9, 22.1], [105.9, 22.2], [105.8, 22.15]]],
            },
            Unprocessable,
            "not closed",
        ),
        ({"type": "Polygon", "coordinates": [[[580000, 2450000], [1, 2]]]}, Unprocessable, "lon/lat"),
        ({"type": "Circle", "coordinates": [105.8, 22.1]}, Unprocessable, "unsupported"),
        (
            {"type": "Point", "coordinates": [105.8, 22.1], "crs": {"properties": {"name": "EPSG:9213"}}},
            Unprocessable,
            "4326",
        ),
        ({"type": "LineString", "coordinates": [[105.8, 22.1]] * 10_001}, PayloadTooLarge, "vertices"),
    ],
)
def test_footprint_structure_is_checked(payload, error, words):
    with pytest.raises(error, match=words):
        footprint.footprint_geometry(payload)


def test_self_intersecting_and_far_away_footprints_are_refused(engine, rules_loaded):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[105.80, 22.10], [105.85, 22.15], [105.85, 22.10], [105.80, 22.15], [105.80, 22.10]]
        ],
    }
    hanoi = {"type": "Point", "coordinates": [105.85, 21.03]}
    with engine.connect() as conn:
        with pytest.raises(Unprocessable, match="Self-intersection"):
            screening.screen_footprint_sync(conn, bowtie)
        conn.rollback()
        with pytest.raises(Unprocessable, match="Bắc Kạn"):
            screening.screen_footprint_sync(conn, hanoi)


def test_cli_screen_prints_the_conflicts(engine, rules_loaded):
    from typer.testing import CliRunner

    from cli.main import app

    add_forest_lake_and_test_a(engine)
    result = CliRunner().invoke(app, ["screen", "--project", "TEST-A", "--force"])
    assert result.exit_code == 0, result.output
    assert "LU-RDD" in result.output and "block" in result.output
    assert "recomputed" in result.output
