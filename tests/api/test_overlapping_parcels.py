"""An imported land-use layer whose parcels overlap: the importer warns, screening counts the land once."""

import geopandas as gpd
import pytest
from shapely.geometry import box
from sqlalchemy import text

from geo.analysis import screening
from geo.ingest.importer import import_any
from geo.store.versions import Area, bump

# 0.01° squares near Bắc Kạn town; a parcel and a second one shifted by half its width overlap by half
LON, LAT, SIZE = 105.80, 22.10, 0.01


def parcel(dx: float = 0.0):
    return box(LON + dx, LAT, LON + dx + SIZE, LAT + SIZE)


@pytest.fixture(scope="module")
def imported(engine, tmp_path_factory):
    folder = tmp_path_factory.mktemp("overlap")
    overlapping = folder / "rice_overlapping.geojson"
    gpd.GeoDataFrame(
        {"ten": ["Thửa A", "Thửa B"], "maLoaiDat": ["LUC", "LUC"]},
        geometry=[parcel(), parcel(SIZE / 2)],
        crs="EPSG:4326",
    ).to_file(overlapping, driver="GeoJSON")
    second = folder / "rice_second.geojson"
    frame = gpd.GeoDataFrame({"ten": ["Thửa A'"], "maLoaiDat": ["LUC"]}, geometry=[parcel()], crs="EPSG:4326")
    frame.to_file(second, driver="GeoJSON")
    first_result = import_any(engine, overlapping, sheet_id="P8", layer_key="rice_overlapping")
    import_any(engine, second, sheet_id="P8", layer_key="rice_second")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project (project_id, name_vi, name_ascii, sector, district_codes, source_url, "
                "geometry_quality, location_level, geom, status) VALUES ('TEST-RICE', 'thử', 'thu', "
                "'công nghiệp', ARRAY['058'], 'test', 'exact', 'site', "
                "ST_GeomFromText(:wkt, 4326), 'proposed')"
            ),
            {"wkt": parcel().wkt},
        )
        bump(conn, (Area.projects, Area.project_places), "test project TEST-RICE")
    screening.screen_all(engine)
    return first_result


def test_the_importer_reports_overlapping_polygons_in_its_summary(imported):
    layer = imported.layers[0]
    assert layer.overlapping_polygons == 2
    overlap_ha = layer.overlap_ha
    assert 50 < overlap_ha < 60  # half a 0.01° square at 22° N: ~57 ha


def test_the_layers_collection_carries_the_warning(client, imported):
    body = client.get("/api/collections/rice_overlapping").json()
    quality = body["data_quality"]
    assert quality["overlapping_polygons"] == 2 and quality["overlap_ha"] == imported.layers[0].overlap_ha
    assert "not clean" in quality["warning"] and "chưa sạch" in quality["warning_vi"]
    clean = client.get("/api/collections/rice_second").json()
    assert "data_quality" not in clean


def test_one_rule_row_measured_on_the_union_never_over_100_percent(client, imported):
    report = client.get("/api/projects/TEST-RICE/conflicts").json()
    rice = [c for c in report["conflicts"] if c["rule_code"] == "LU-RICE"]
    # three parcels of two layers, 250 % of the footprint if summed: the footprint itself is all rice land
    assert len(rice) == 1
    assert rice[0]["overlap_pct"] == pytest.approx(100.0, abs=0.1)
    footprint_ha = rice[0]["overlap_ha"]
    assert footprint_ha == pytest.approx(imported.layers[0].overlap_ha * 2, rel=0.01)
    for conflict in report["conflicts"]:
        assert conflict["overlap_pct"] is None or conflict["overlap_pct"] <= 100.0


@pytest.fixture(scope="module")
def tiled(engine, imported, tmp_path_factory):
    # four rice tiles sharing edges (a clean layer) and a project over exactly the two on the left
    folder = tmp_path_factory.mktemp("tiles")
    west, half = LON + 0.05, SIZE / 2
    tiles = [
        box(west + i * half, LAT + j * half, west + (i + 1) * half, LAT + (j + 1) * half)
        for i in (0, 1)
        for j in (0, 1)
    ]
    path = folder / "rice_tiles.geojson"
    gpd.GeoDataFrame(
        {"ten": ["T1", "T2", "T3", "T4"], "maLoaiDat": ["LUC"] * 4}, geometry=tiles, crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    result = import_any(engine, path, sheet_id="P8", layer_key="rice_tiles")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO project (project_id, name_vi, name_ascii, sector, district_codes, source_url, "
                "geometry_quality, location_level, geom, status) VALUES ('TEST-TILES', 'thử', 'thu', "
                "'công nghiệp', ARRAY['058'], 'test', 'exact', 'site', "
                "ST_GeomFromText(:wkt, 4326), 'proposed')"
            ),
            {"wkt": box(west, LAT, west + half, LAT + SIZE).wkt},
        )
        bump(conn, (Area.projects, Area.project_places), "test project TEST-TILES")
    screening.screen_all(engine)
    return result


def test_adjacent_parcels_of_a_clean_layer_add_up_to_the_footprint(client, engine, tiled):
    assert tiled.layers[0].overlapping_polygons == 0
    report = client.get("/api/projects/TEST-TILES/conflicts").json()
    rice = [c for c in report["conflicts"] if c["rule_code"] == "LU-RICE"]
    # the two tiles under it, not the two it only touches, and their shared edge counted once
    assert len(rice) == 1
    assert rice[0]["overlap_pct"] == pytest.approx(100.0, abs=0.01)
    with engine.connect() as conn:
        footprint_ha = conn.execute(
            text(
                "SELECT ST_Area(ST_Transform(geom, 9213)) / 10000 FROM project "
                "WHERE project_id = 'TEST-TILES'"
            )
        ).scalar_one()
    assert rice[0]["overlap_ha"] == pytest.approx(footprint_ha, abs=0.0001)
