"""Items as files: f=gpkg, f=shp (zipped, .prj and UTF-8 .cpg), f=kml — filters and crs= kept."""

import io
import zipfile
from xml.etree import ElementTree

import pyogrio
import pytest

from geo.serve.downloads import download_settings, shapefile_names

KML = "{http://www.opengis.net/kml/2.2}"


def items(client, collection, **params):
    response = client.get(f"/api/collections/{collection}/items", params=params)
    assert response.status_code == 200, response.text
    return response


def test_geopackage_keeps_filters_crs_and_vietnamese_names(client, tmp_path):
    expected = items(client, "communes", district="066", limit=1000).json()["features"]
    response = items(client, "communes", district="066", crs="EPSG:9213", f="gpkg")
    assert response.headers["content-type"] == "application/geopackage+sqlite3"
    assert response.headers["content-disposition"] == 'attachment; filename="communes_EPSG9213.gpkg"'
    path = tmp_path / "communes.gpkg"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == 9213
    assert sorted(frame["name"]) == sorted(f["properties"]["name"] for f in expected)
    assert any(n != n.encode("ascii", "ignore").decode() for n in frame["name"]), "diacritics kept"
    west, south, east, north = frame.total_bounds
    assert 300_000 < west < east < 700_000 and 2_400_000 < south < north < 2_550_000


def test_geopackage_splits_mixed_geometries_and_keeps_places_without_one(client, tmp_path):
    total = items(client, "projects", limit=1000).json()["numberMatched"]
    path = tmp_path / "projects.gpkg"
    path.write_bytes(items(client, "projects", f="gpkg").content)
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert all(name.startswith("projects") for name in layers)
    frames = [pyogrio.read_dataframe(path, layer=name) for name in layers]
    assert sum(len(f) for f in frames) == total, "district-only projects (no geometry) are in the file"
    assert sum(int(f.geometry.isna().sum()) for f in frames) > 0
    # PRJ-01 is a schematic line between the two ends its source names
    kinds = {str(t) for f in frames for t in f.geometry.dropna().geom_type}
    assert kinds <= {"MultiPoint", "MultiLineString", "MultiPolygon"}


def test_zipped_shapefile_has_prj_utf8_cpg_and_the_field_map(client, tmp_path):
    response = items(client, "communes", district="066", crs="EPSG:9213", f="shp")
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="communes_EPSG9213.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"communes.shp", "communes.shx", "communes.dbf", "communes.prj", "communes.cpg"} <= names
    assert archive.read("communes.cpg").decode().strip() == "UTF-8"
    archive.extractall(tmp_path)
    frame = pyogrio.read_dataframe(tmp_path / "communes.shp")
    assert frame.crs.to_epsg() == 9213
    expected = items(client, "communes", district="066", limit=1000).json()["features"]
    assert sorted(frame["name"]) == sorted(f["properties"]["name"] for f in expected)
    assert all(len(c) <= 10 for c in frame.columns)
    mapping = archive.read("communes_fields.csv").decode().splitlines()
    assert mapping[0] == "dbf_field,property"
    pairs = dict(line.split(",") for line in mapping[1:])
    assert pairs["valid_from"] == "valid_from" and all(len(k) <= 10 for k in pairs)


def test_shapefile_names_are_unique_and_short():
    short = shapefile_names(["geometry_note", "geometry_note_vi", "geometry_quality", "name"])
    assert short["name"] == "name"
    assert len(set(short.values())) == 4 and all(len(v) <= 10 for v in short.values())


def test_kml_is_wgs84_lon_lat_with_the_filter_kept(client):
    expected = items(client, "districts", district="066").json()["features"]
    response = items(client, "districts", district="066", f="kml")
    assert response.headers["content-type"].startswith("application/vnd.google-earth.kml+xml")
    assert response.headers["content-disposition"] == 'attachment; filename="districts.kml"'
    root = ElementTree.fromstring(response.content)
    placemarks = root.findall(f".//{KML}Placemark")
    assert len(placemarks) == len(expected) == 1
    assert placemarks[0].find(f"{KML}name").text == expected[0]["properties"]["name"]
    lon, lat = (float(v) for v in root.find(f".//{KML}coordinates").text.split()[0].split(",")[:2])
    assert 105 < lon < 107 and 21 < lat < 23


def test_kml_refuses_a_projected_crs(client):
    response = client.get("/api/collections/districts/items", params={"f": "kml", "crs": "EPSG:9213"})
    assert response.status_code == 400
    assert response.json()["description"].startswith("crs")


def test_downloads_over_the_limit_are_refused_naming_the_way_out(client, monkeypatch):
    monkeypatch.setenv("PLANVIEW_DOWNLOAD_MAX_FEATURES", "10")
    download_settings.cache_clear()
    try:
        response = client.get("/api/collections/communes/items", params={"f": "gpkg"})
        assert response.status_code == 413
        assert "bbox" in response.json()["description"]
        paged = client.get("/api/collections/communes/items", params={"f": "gpkg", "limit": 10})
        assert paged.status_code == 200
    finally:
        monkeypatch.delenv("PLANVIEW_DOWNLOAD_MAX_FEATURES")
        download_settings.cache_clear()


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "kml"])
def test_an_unknown_filter_is_still_a_400(client, fmt):
    response = client.get("/api/collections/communes/items", params={"f": fmt, "colour": "red"})
    assert response.status_code == 400
