"""OGC API – Features over the loaded plan: conformance, collections, paging, filters, CSV, errors, ETags."""

import csv
import io

import pytest
from shapely import wkt
from sqlalchemy import text

from geo.store.versions import Area, bump

GEOJSON = "application/geo+json"
BA_BE_BBOX = (105.6, 22.3, 105.85, 22.55)


def get_json(client, url, **params):
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def sql_codes(engine, sql, **params):
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text(sql), params))


PRE_REFORM_COMMUNES = (
    "SELECT code FROM admin_unit WHERE level = 'commune' "
    "AND (valid_from IS NULL OR valid_from < DATE '2025-07-01') "
    "AND (valid_to IS NULL OR valid_to >= DATE '2025-06-30')"
)


def test_landing_links_and_conformance(client):
    landing = get_json(client, "/api")
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert rels["service-desc"].endswith("/openapi.json")
    assert rels["service-doc"].endswith("/docs")
    assert rels["conformance"].endswith("/api/conformance")
    assert rels["data"].endswith("/api/collections")
    classes = get_json(client, "/api/conformance")["conformsTo"]
    for part in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in classes


def test_collections_list_every_loaded_layer_and_the_fixed_ones(client, engine):
    body = get_json(client, "/api/collections")
    ids = [c["id"] for c in body["collections"]]
    with engine.connect() as conn:
        loaded = {
            r[0] for r in conn.execute(text("SELECT layer_key FROM sheet_layer WHERE table_name IS NOT NULL"))
        }
        declared = {
            r[0] for r in conn.execute(text("SELECT layer_key FROM sheet_layer WHERE table_name IS NULL"))
        }
    assert loaded, "the shipped data has loaded layers"
    assert set(ids) >= loaded | {"provinces", "districts", "communes", "communes_2025", "zones", "projects"}
    assert not (set(ids) & declared), "a layer with no data is no collection"
    assert len(ids) == len(set(ids))
    for c in body["collections"]:
        assert c["itemType"] == "feature"
        assert c["title"] and c["title_en"]
        item_links = [link for link in c["links"] if link["rel"] == "items"]
        assert {link["type"] for link in item_links} == {GEOJSON, "text/csv"}
        if c["id"] in loaded:
            assert c["sheet"], c["id"]
    districts = next(c for c in body["collections"] if c["id"] == "districts")
    w, s, e, n = districts["extent"]["spatial"]["bbox"][0]
    # Bắc Kạn lies around 105.4–106.3 E, 21.8–22.8 N
    assert 105.2 < w < e < 106.5 and 21.7 < s < n < 23.0


def test_queryables_describe_the_properties(client):
    schema = get_json(client, "/api/collections/communes/queryables")
    assert schema["properties"]["name"]["type"] == "string"
    assert schema["properties"]["area_km2"]["type"] == "number"
    assert "geom" not in schema["properties"]


def test_paging_returns_every_feature_exactly_once(client, engine):
    expected = sql_codes(engine, PRE_REFORM_COMMUNES)
    assert len(expected) > 50
    url, seen, pages = "/api/collections/communes/items?limit=17", [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == GEOJSON
        page = response.json()
        assert page["numberMatched"] == len(expected)
        assert page["numberReturned"] == len(page["features"]) <= 17
        seen += [f["id"] for f in page["features"]]
        pages += 1
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if pages > 1:
            assert any(link["rel"] == "prev" for link in page["links"])
        url = nxt[0] if nxt else None
    assert sorted(seen) == expected
    assert len(seen) == len(set(seen))
    assert pages == -(-len(expected) // 17)


def test_bbox_equals_an_st_intersects_query(client, engine):
    w, s, e, n = BA_BE_BBOX
    expected = sql_codes(
        engine,
        PRE_REFORM_COMMUNES + " AND ST_Intersects(geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326))",
        w=w,
        s=s,
        e=e,
        n=n,
    )
    assert 0 < len(expected) < 100
    page = get_json(
        client, "/api/collections/communes/items", bbox=",".join(map(str, BA_BE_BBOX)), limit=1000
    )
    assert sorted(f["id"] for f in page["features"]) == expected
    assert page["numberMatched"] == len(expected)


def test_property_filters_properties_and_sortby(client, engine):
    expected = sql_codes(engine, PRE_REFORM_COMMUNES + " AND parent_code = '065'")
    page = get_json(
        client, "/api/collections/communes/items", district="065", properties="name,code", sortby="-name"
    )
    assert sorted(f["id"] for f in page["features"]) == expected
    assert all(set(f["properties"]) == {"name", "code"} for f in page["features"])
    with engine.connect() as conn:
        order = [
            r[0]
            for r in conn.execute(
                text(PRE_REFORM_COMMUNES + " AND parent_code = '065' ORDER BY name DESC, code"),
            )
        ]
    assert [f["id"] for f in page["features"]] == order
    # a plain column filter on a numeric column compares as text
    one = page["features"][0]["id"]
    area = get_json(client, f"/api/collections/communes/items/{one}")["properties"]["area_km2"]
    if area is not None:
        same = get_json(client, "/api/collections/communes/items", area_km2=str(area), code=one)
        assert [f["id"] for f in same["features"]] == [one]


def test_projects_district_matches_any_of_district_codes(client, engine):
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT project_id, district_codes FROM project")).all()
    multi = [codes for _, codes in rows if len(codes) > 1]
    code = (multi[0] if multi else next(codes for _, codes in rows if codes))[-1]
    expected = sorted(pid for pid, codes in rows if code in codes)
    page = get_json(client, "/api/collections/projects/items", district=code, limit=1000)
    assert sorted(f["id"] for f in page["features"]) == expected
    # provenance travels with every feature
    assert all(
        "geometry_quality" in f["properties"] and "source_url" in f["properties"] for f in page["features"]
    )


def test_csv_parses_with_the_right_rows(client, engine):
    expected = sql_codes(engine, PRE_REFORM_COMMUNES + " AND parent_code = '061'")
    response = client.get(
        "/api/collections/communes/items", params={"f": "csv", "district": "061", "limit": 1000}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert sorted(r["id"] for r in rows) == expected
    assert {"name", "code", "geometry_wkt"} <= set(rows[0])
    assert all(wkt.loads(r["geometry_wkt"]).geom_type in ("Polygon", "MultiPolygon") for r in rows)
    assert any(r["name"] == "Chợ Rã" or "ợ" in r["name"] or "ể" in r["name"] for r in rows)


def test_one_feature_and_unknown_ids(client):
    response = client.get("/api/collections/districts/items/061")
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == "061"
    assert feature["properties"]["name"] == "Ba Bể"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    for url in ("/api/collections/districts/items/999", "/api/collections/settlements/items/987654"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "NotFound"
    assert client.get("/api/collections/settlements/items/abc").status_code == 404


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/collections/nowhere/items", 404, ["nowhere", "communes"]),
        ("/api/collections/nowhere", 404, ["nowhere"]),
        ("/api/collections/communes/items?bbox=1,2,3", 400, ["bbox", "4"]),
        ("/api/collections/communes/items?bbox=a,b,c,d", 400, ["bbox"]),
        ("/api/collections/communes/items?bbox=106,22,105,23", 400, ["west", "east"]),
        ("/api/collections/communes/items?bbox=105,23,106,22", 400, ["south", "north"]),
        ("/api/collections/communes/items?bbox=105,22,200,23", 400, ["longitude"]),
        ("/api/collections/communes/items?bbox=105,-95,106,23", 400, ["latitude"]),
        ("/api/collections/communes/items?limit=0", 400, ["limit", "10000"]),
        ("/api/collections/communes/items?limit=10001", 400, ["limit", "10000"]),
        ("/api/collections/communes/items?limit=ten", 400, ["limit"]),
        ("/api/collections/communes/items?offset=-1", 400, ["offset"]),
        ("/api/collections/communes/items?colour=red", 400, ["colour", "name", "district"]),
        ("/api/collections/communes/items?properties=name,colour", 400, ["colour"]),
        ("/api/collections/communes/items?sortby=-colour", 400, ["sortby", "colour"]),
        ("/api/collections/communes/items?f=xml", 400, ["f", "csv"]),
        ("/api/collections/communes/items?crs=EPSG:3857", 400, ["crs"]),
    ],
)
def test_bad_input_is_a_4xx_naming_the_problem(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "description"}
    for word in words:
        assert word in body["description"], (word, body)


def test_etag_304_and_change_after_a_data_change(client, engine):
    url = "/api/collections/districts/items?limit=3"
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "public" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url + "&offset=1").headers["etag"] != etag
    with engine.begin() as conn:
        conn.execute(text("UPDATE admin_unit SET name = name WHERE code = '061' AND level = 'district'"))
        bump(conn, Area.admin_units, "test: touch Ba Bể")
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag


def test_a_new_layer_shows_up_at_once_and_big_pages_stream(client, engine):
    from geo.store.tables import create_layer_table, finish_layer_table

    with engine.begin() as conn:
        create_layer_table(conn, "test_parcels")
        conn.execute(
            text(
                "INSERT INTO layers.test_parcels (name, landuse_code, properties, source, geom) "
                "SELECT 'parcel ' || i, 'LUC', jsonb_build_object('owner_kind', 'test', 'lot', i), 'test', "
                "ST_Buffer(ST_SetSRID(ST_MakePoint(105.8 + (i % 60) * 0.002, 22.1 + (i / 60) * 0.002), "
                "4326), 0.0008, 2) FROM generate_series(1, 2600) i"
            )
        )
        finish_layer_table(conn, "test_parcels")
        sheet = conn.execute(text("SELECT sheet_id FROM map_sheet ORDER BY number LIMIT 1")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO sheet_layer (layer_key, sheet_id, title_vi, title_en, geometry_type, "
                "table_name, is_synthetic) VALUES ('test_parcels', :s, 'Thửa thử', 'Test parcels', "
                "'polygon', 'test_parcels', true)"
            ),
            {"s": sheet},
        )
        bump(conn, (Area.catalog, Area.plan_layers), "test: new layer")
    ids = [c["id"] for c in get_json(client, "/api/collections")["collections"]]
    assert "test_parcels" in ids
    big = get_json(client, "/api/collections/test_parcels/items", limit=2500)
    assert big["numberReturned"] == len(big["features"]) == 2500
    assert [f["id"] for f in big["features"]] == list(range(1, 2501))
    nxt = [link["href"] for link in big["links"] if link["rel"] == "next"]
    rest = client.get(nxt[0]).json()
    assert [f["id"] for f in rest["features"]] == list(range(2501, 2601))
    assert not [link for link in rest["links"] if link["rel"] == "next"]
    # a big page is gzipped (level 1) when the client accepts it, and stays plain otherwise
    zipped = client.get("/api/collections/test_parcels/items?limit=1000", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert len(zipped.json()["features"]) == 1000
    plain = client.get(
        "/api/collections/test_parcels/items?limit=1000", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and plain.json() == zipped.json()
    # free-form JSONB keys are flattened into the properties and can be filtered on
    one = get_json(client, "/api/collections/test_parcels/items", lot="7")
    assert [f["properties"]["name"] for f in one["features"]] == ["parcel 7"]
    assert one["features"][0]["properties"]["owner_kind"] == "test"
