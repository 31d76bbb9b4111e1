"""/api/sheets: every sheet with its layers, legends, loaded flags, big flag and the data version."""

import re

from sqlalchemy import text

from geo.store.versions import Area, bump

COLOUR = re.compile(r"^#[0-9A-Fa-f]{3,8}$")


def test_sheets_follow_the_catalog_tables(client, engine):
    response = client.get("/api/sheets")
    assert response.status_code == 200
    body = response.json()
    with engine.connect() as conn:
        sheet_ids = [r[0] for r in conn.execute(text("SELECT sheet_id FROM map_sheet ORDER BY number"))]
        layers = {r[0]: r[1] for r in conn.execute(text("SELECT layer_key, table_name FROM sheet_layer"))}
        version = conn.execute(text("SELECT version FROM data_version")).scalar_one()
    assert [s["sheet_id"] for s in body["sheets"]] == sheet_ids
    assert body["data_version"] == version
    served = {layer["layer_key"]: layer for s in body["sheets"] for layer in s["layers"]}
    assert set(served) == set(layers)
    for key, layer in served.items():
        assert layer["loaded"] == (layers[key] is not None), key
        assert layer["collection"] == (key if layer["loaded"] else None)
        assert layer["title_vi"] and layer["title_en"]
        assert layer["legend"], key
        for entry in layer["legend"]:
            assert entry["label_vi"] and entry["label_en"]
            assert entry["color"] is None or COLOUR.match(entry["color"]), entry
        assert layer["big"] == bool(layer["feature_count"] and layer["feature_count"] > 5000)
    for sheet in body["sheets"]:
        assert sheet["loaded"] == any(layer["loaded"] for layer in sheet["layers"])
    assert any(s["loaded"] for s in body["sheets"]) and not all(s["loaded"] for s in body["sheets"])
    # the collections named by the sheets exist
    collections = {c["id"] for c in client.get("/api/collections").json()["collections"]}
    assert {layer["collection"] for layer in served.values() if layer["loaded"]} <= collections


def test_land_use_legend_and_big_flag_of_a_land_use_layer(client, engine):
    from geo.store.tables import create_layer_table, finish_layer_table

    with engine.begin() as conn:
        codes = [r[0] for r in conn.execute(text("SELECT code FROM land_use_code ORDER BY code LIMIT 2"))]
        create_layer_table(conn, "test_land_use")
        conn.execute(
            text(
                "INSERT INTO layers.test_land_use (name, landuse_code, source, geom) "
                "SELECT 'p' || i, (CAST(:codes AS text[]))[1 + i % 2], 'test', "
                "ST_Buffer(ST_SetSRID(ST_MakePoint(105.8 + (i % 80) * 0.001, 22.1 + (i / 80) * 0.001), "
                "4326), 0.0004, 1) FROM generate_series(1, 5001) i"
            ),
            {"codes": codes},
        )
        finish_layer_table(conn, "test_land_use")
        sheet = conn.execute(text("SELECT sheet_id FROM map_sheet ORDER BY number DESC LIMIT 1")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO sheet_layer (layer_key, sheet_id, title_vi, title_en, geometry_type, "
                "table_name, is_synthetic) VALUES ('test_land_use', :s, 'Đất thử', 'Test land use', "
                "'polygon', 'test_land_use', true)"
            ),
            {"s": sheet},
        )
        bump(conn, (Area.catalog, Area.plan_layers), "test: land-use layer")
        colours = dict(
            conn.execute(
                text("SELECT code, fill_color FROM land_use_code WHERE code = ANY(:c)"), {"c": codes}
            ).all()
        )
    body = client.get("/api/sheets").json()
    layer = next(x for s in body["sheets"] for x in s["layers"] if x["layer_key"] == "test_land_use")
    assert layer["loaded"] and layer["big"] and layer["feature_count"] == 5001
    assert {e["code"]: e["color"] for e in layer["legend"] if "code" in e} == colours


def test_sheets_etag_304_and_change(client, engine):
    first = client.get("/api/sheets")
    etag = first.headers["etag"]
    assert client.get("/api/sheets", headers={"If-None-Match": etag}).status_code == 304
    with engine.begin() as conn:
        bump(conn, Area.catalog, "test: bump")
    second = client.get("/api/sheets", headers={"If-None-Match": etag})
    assert second.status_code == 200
    assert second.json()["data_version"] == first.json()["data_version"] + 1
