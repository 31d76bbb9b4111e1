"""The read path's per-request machinery: no worker-thread hops, gzip for big bodies, headers kept."""

import gzip
import inspect

import orjson
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import stored_text_only


def _dependencies(dependant) -> list:
    found = []
    for sub in dependant.dependencies:
        found.append(sub.call)
        found += _dependencies(sub)
    return found


def test_no_dependency_of_an_api_route_runs_in_a_worker_thread(client):
    # FastAPI runs a plain ``def`` dependency in a worker thread on every request (a thread hop each);
    # the HTML page's own parser is the one exception (tests call it directly)
    from api.routes.pages import page_request

    blocking = set()
    routes = 0
    for context in iter_route_contexts(client.app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.path_format.startswith("/api"):
            continue
        routes += 1
        assert inspect.iscoroutinefunction(route.dependant.call), context.path_format
        for call in _dependencies(route.dependant):
            if not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
                blocking.add(f"{context.path_format}: {getattr(call, '__qualname__', call)}")
    assert routes > 40
    assert inspect.iscoroutinefunction(stored_text_only)
    assert page_request.__module__ == "api.routes.pages"
    assert not blocking


def test_a_page_is_gzipped_for_a_client_that_accepts_it_with_every_header_kept(client):
    url = "/api/collections/communes/items?limit=100"
    packed = client.get(url, headers={"Accept-Encoding": "gzip", "X-Request-ID": "gz-1"})
    plain = client.get(url, headers={"Accept-Encoding": "identity", "X-Request-ID": "gz-2"})
    assert packed.status_code == plain.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    # httpx unpacks the gzip: the same page either way, the wire size much smaller
    assert packed.content == plain.content
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert orjson.loads(packed.content)["numberReturned"] == 100
    for response, request_id in ((packed, "gz-1"), (plain, "gz-2")):
        assert response.headers["x-request-id"] == request_id
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["etag"] == packed.headers["etag"]
        assert response.headers["content-type"] == "application/geo+json"
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert "x-request-id" in again.headers


def test_a_streamed_page_is_gzipped_whole_and_a_small_body_is_sent_as_it_is(client):
    streamed = client.get("/api/collections/communes/items?limit=5000", headers={"Accept-Encoding": "gzip"})
    assert streamed.status_code == 200 and streamed.headers["content-encoding"] == "gzip"
    page = orjson.loads(streamed.content)
    assert page["numberReturned"] == len(page["features"]) > 100
    small = client.get("/api/conformance", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 1024 and "content-encoding" not in small.headers


def test_the_gzip_stream_is_standard_gzip(client):
    # what a browser or curl --compressed unpacks, checked without httpx's own decoder
    import httpx

    with httpx.Client(transport=client._transport, base_url="http://testserver") as raw:
        with raw.stream("GET", "/api/collections/districts/items", headers={"Accept-Encoding": "gzip"}) as r:
            wire = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(wire))["type"] == "FeatureCollection"


def _layer(engine, name: str, rows: int) -> None:
    from sqlalchemy import text

    from geo.store.tables import create_layer_table, finish_layer_table
    from geo.store.versions import Area, bump

    with engine.begin() as conn:
        create_layer_table(conn, name)
        conn.execute(
            text(
                f"INSERT INTO layers.{name} (name, landuse_code, properties, source, geom) "
                "SELECT 'lot ' || i, 'LUC', '{}', 'test', ST_SetSRID(ST_MakePoint(105.8 + i * 0.001, 22.1), "
                f"4326) FROM generate_series(1, {rows}) i"
            )
        )
        finish_layer_table(conn, name)
        sheet = conn.execute(text("SELECT sheet_id FROM map_sheet ORDER BY number LIMIT 1")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO sheet_layer (layer_key, sheet_id, title_vi, title_en, geometry_type, "
                "table_name) "
                "VALUES (:k, :s, 'Lớp thử', 'Test layer', 'point', :k)"
            ),
            {"k": name, "s": sheet},
        )
        bump(conn, (Area.catalog, Area.plan_layers), "test: new layer")


def test_a_page_follows_every_kind_of_write_at_once(client, engine):
    # pages are read together with the versions of their ETag (one round trip, from the cached
    # catalog); whatever the write, the next page shows it
    from sqlalchemy import text

    from geo.store.versions import Area, bump

    _layer(engine, "rp_lots", 3)
    url = "/api/collections/rp_lots/items"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.headers["etag"] == second.headers["etag"] and first.content == second.content

    # contents of an area the catalog only refreshes in the background
    districts = "/api/collections/districts/items?limit=20"
    before = client.get(districts)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE admin_unit SET name = 'Ba Bể (đổi)' WHERE code = '061' AND level = 'district'")
        )
        bump(conn, Area.admin_units, "test: rename")
    after = client.get(districts)
    assert after.headers["etag"] != before.headers["etag"]
    assert "Ba Bể (đổi)" in [f["properties"]["name"] for f in after.json()["features"]]

    # a new column: shown and filterable at once
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE layers.rp_lots ADD COLUMN lot_note text DEFAULT 'mới'"))
        bump(conn, Area.plan_layers, "test: a column more")
    added = client.get(url)
    assert added.headers["etag"] != second.headers["etag"]
    assert {f["properties"]["lot_note"] for f in added.json()["features"]} == {"mới"}
    assert client.get(url + "?lot_note=mới").json()["numberReturned"] == 3

    # a column dropped under the cached catalog (the statement built from it names the column)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE layers.rp_lots DROP COLUMN lot_note"))
        bump(conn, Area.plan_layers, "test: a column less")
    dropped = client.get(url)
    assert dropped.status_code == 200, dropped.text
    assert "lot_note" not in dropped.json()["features"][0]["properties"]
    assert client.get(url + "?lot_note=x").status_code == 400


def test_an_unknown_collection_or_property_is_still_named(client):
    missing = client.get("/api/collections/no_such_layer/items")
    assert missing.status_code == 404 and "no_such_layer" in missing.json()["description"]
    unknown = client.get("/api/collections/districts/items?colour=red")
    assert unknown.status_code == 400 and "colour" in unknown.json()["description"]


def test_a_routes_connection_is_back_in_the_pool_before_its_response_goes_out(database_url):
    # under load a connection must not wait on a client reading its response
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app()
    held = []

    async def spy(scope, receive, send):
        async def watch(message):
            if message["type"] == "http.response.start":
                pool = app.state.pool
                held.append((scope["path"], pool.get_size() - pool.get_idle_size()))
            await send(message)

        await app(scope, receive, watch)

    with TestClient(spy) as client:
        for url in (
            "/api/here?lon=105.83&lat=22.15",
            "/api/search?q=ba",
            "/api/projects",
            "/api/collections",
            "/api/collections/districts/items",
            "/api/collections/districts/tiles/WebMercatorQuad/8/207/112",
        ):
            assert client.get(url).status_code == 200, url
    assert held and all(n == 0 for _, n in held), held


def test_every_route_takes_its_connection_for_the_route_only(client):
    from api.deps import connection

    found = []

    def walk(dependant):
        for sub in dependant.dependencies:
            if sub.call is connection:
                found.append(sub.scope)
            walk(sub)

    for context in iter_route_contexts(client.app.routes):
        if isinstance(context.original_route, APIRoute):
            walk(context.original_route.dependant)
    assert len(found) > 30 and set(found) == {"function"}
