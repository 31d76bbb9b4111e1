"""Bad input gets a 400 JSON error naming the parameter, never a 5xx: NUL and lone surrogates in any text,
integers past PostgreSQL's bigint, non-finite numbers; 405 says what is allowed."""

import pytest

NUL_REQUESTS = [
    ("/api/search?q=%00", "q"),
    ("/api/search?q=Ba%00B%E1%BB%83", "q"),
    ("/api/projects/PRJ%00", "project_id"),
    ("/api/projects/PRJ%00/history", "project_id"),
    ("/api/projects/PRJ-05%00/conflicts", "project_id"),
    ("/api/projects?q=a%00", "q"),
    ("/api/projects?district=06%005", "district"),
    ("/api/projects?sector=x%00", "sector"),
    ("/api/conflicts?district=%00", "district"),
    ("/api/sites?district=%00", "district"),
    ("/api/sites/KCN%00", "zone_id"),
    ("/api/collections/zo%00nes", "collection_id"),
    ("/api/collections/zones/items/KCN%00", "fid"),
    ("/api/collections/zones/items?name=%00", "name"),
    ("/api/collections/zones/items?na%00me=x", "a query parameter's name"),
    ("/api/collections/zones/items?sortby=na%00me", "sortby"),
    ("/api/tiles/WebMercatorQuad/8/203/113?collections=zones%00", "collections"),
    ("/api/reports/implementation?year=2024&district=%00", "district"),
]


@pytest.mark.parametrize(("path", "name"), NUL_REQUESTS)
def test_nul_in_any_text_parameter_is_a_400_naming_it(client, path, name):
    response = client.get(path)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "InvalidParameter"
    assert body["description"].startswith(f"{name}: contains a NUL character")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/screen?district=%00", "district"),
        ("/api/screen?sector=a%00", "sector"),
    ],
)
def test_nul_in_the_query_of_a_post_is_a_400(client, path, name):
    footprint = {"type": "Point", "coordinates": [105.83, 22.15]}
    response = client.post(path, json=footprint)
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith(f"{name}: contains a NUL")


def test_nul_inside_a_posted_footprint_is_a_400_naming_where(client):
    feature = {
        "type": "Feature",
        "properties": {"sector": "công\u0000nghiệp"},
        "geometry": {"type": "Point", "coordinates": [105.83, 22.15]},
    }
    response = client.post("/api/screen", json=feature)
    assert response.status_code == 400
    assert response.json()["description"].startswith("body.properties.sector: contains a NUL")


@pytest.mark.parametrize(
    ("field", "raw", "why"),
    [
        ("note", '"a\\u0000b"', "contains a NUL character"),
        ("note", '"a\\ud800b"', "contains U+D800, a lone surrogate"),
        ("progress_pct", "NaN", "Input should be a finite number"),
        ("progress_pct", "Infinity", "Input should be a finite number"),
    ],
)
def test_unstorable_status_change_fields_are_a_400_naming_the_field(client, accounts, field, raw, why):
    # recorded_by is no longer a field: the event names the logged-in account (tests/api/test_authz.py)
    accounts.add("bad_input_planner", "planner")
    before = len(client.get("/api/projects/PRJ-05/history").json()["history"])
    fields = {"status": '"planned"', "version": "1", field: raw}
    body = "{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"
    response = client.post(
        "/api/projects/PRJ-05/status",
        content=body,
        headers={"Content-Type": "application/json", **accounts.bearer("bad_input_planner")},
    )
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith(f"{field}: {why}")
    assert len(client.get("/api/projects/PRJ-05/history").json()["history"]) == before


@pytest.mark.parametrize(
    ("path", "name", "why"),
    [
        ("/api/collections/zones/items?offset=9223372036854775808", "offset", "must be between 0 and"),
        ("/api/collections/zones/items?limit=99999999999999999999999", "limit", "must be between 1 and"),
        ("/api/reports/implementation?year=99999999999999999999", "year", "less than or equal to 2100"),
        ("/api/tiles/WebMercatorQuad/99999999999999999999/0/0?collections=zones", "zoom", "out of range"),
        ("/api/sites?min_available_ha=inf", "min_available_ha", "Input should be a finite number"),
        ("/api/sites?max_road_km=nan", "max_road_km", "Input should be a finite number"),
        ("/api/sites?max_city_km=-inf", "max_city_km", "Input should be a finite number"),
        ("/api/here?lon=nan&lat=22.1", "lon", "Input should be a finite number"),
        ("/api/here?lon=105.8&lat=inf", "lat", "Input should be a finite number"),
        ("/api/collections/zones/items?bbox=0,0,inf,1", "bbox", "finite"),
    ],
)
def test_numbers_out_of_range_or_not_finite_are_a_400_naming_them(client, path, name, why):
    response = client.get(path)
    assert response.status_code == 400, response.text
    description = response.json()["description"]
    assert description.startswith(name) and why in description


def test_a_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/projects/PRJ-05")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["code"] == "MethodNotAllowed"
    assert client.get("/api/projects/PRJ-05/status").headers["Allow"] == "POST"


def test_openapi_documents_the_errors_each_route_sends_and_no_422_it_never_sends(client):
    spec = client.get("/openapi.json").json()
    operations = {(m.upper(), p): op for p, item in spec["paths"].items() for m, op in item.items()}
    assert all("422" not in op["responses"] for key, op in operations.items() if key[0] == "GET")
    assert all("400" in op["responses"] for op in operations.values())
    assert set(operations["POST", "/api/screen"]["responses"]) >= {"200", "400", "413", "422"}
    assert "404" in operations["GET", "/api/projects/{project_id}"]["responses"]
    assert "404" in operations["GET", "/api/collections/{collection_id}/items"]["responses"]
    error = operations["GET", "/api/projects/{project_id}"]["responses"]["404"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "HTTPValidationError" not in spec["components"]["schemas"]
