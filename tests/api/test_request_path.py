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
