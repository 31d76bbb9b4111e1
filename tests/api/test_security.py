"""Security baseline: headers and CSP, vendored /docs, /healthz for anonymous callers, body limits,
CSV cells that are never formulas."""

import csv
import io
import re

import pytest

from api.settings import api_settings


def test_every_response_has_the_security_headers(client):
    for path in ("/", "/api/collections", "/api/projects/PRJ-01", "/api/nowhere", "/docs", "/healthz"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"], path
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", path


def test_the_page_runs_only_scripts_with_its_nonce(client):
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    tags = re.findall(r"<script\b[^>]*>", response.text)
    assert len(tags) >= 3  # Folium's inline scripts, the config, the modules
    assert all(f'nonce="{nonce}"' in tag for tag in tags)
    assert not re.search(r"\son[a-z]+\s*=", response.text)  # no inline event handlers
    assert client.get("/").headers["content-security-policy"] != policy  # a new nonce per response


def test_docs_come_from_the_vendored_swagger_ui(client):
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    for path in sources:
        assert client.get(path).status_code == 200, path
    assert client.get("/static/vendor/swagger-ui-dist/LICENSE").status_code == 200
    assert client.get("/redoc").status_code == 404  # FastAPI's redoc loads a CDN: off


def test_healthz_tells_anonymous_callers_no_editor_and_no_exact_builds(client, accounts):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert "data_note" not in body
    assert body["postgres"].count(".") <= 1 and "Debian" not in body["postgres"]
    assert body["postgis"].count(".") <= 1
    accounts.add("health_planner", "planner")
    full = client.get("/healthz", headers=accounts.bearer("health_planner")).json()
    assert "data_note" in full


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    limit = api_settings().max_body_bytes
    declared = client.post(
        "/api/screen",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(limit + 1)},
    )
    assert declared.status_code == 413 and declared.json()["code"] == "PayloadTooLarge"

    def chunks():  # no Content-Length: chunked transfer
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = client.post("/api/screen", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_text_fields_have_limits(client):
    too_long = client.post("/api/auth/login", json={"username": "x" * 65, "password": "p"})
    assert too_long.status_code == 400 and "username" in too_long.json()["description"]


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


@pytest.fixture(scope="module")
def hostile_rows(accounts):
    accounts.sql("UPDATE project SET name_vi = '=HYPERLINK(\"http://x\",\"ok\")' WHERE project_id = 'PRJ-06'")
    accounts.sql("UPDATE project SET sector = '@SUM(1+1)' WHERE project_id = 'PRJ-06'")
    accounts.sql("UPDATE layers.settlements SET name = '+cmd|'' /C calc''!A0'")
    accounts.sql("UPDATE plan_target SET indicator_vi = '-2+3' WHERE target_id = 'T-24'")
    accounts.sql("UPDATE data_version SET version = version + 1")


@pytest.mark.parametrize(
    "path",
    [
        "/api/reports/implementation?year=2025&f=csv",
        "/api/collections/projects/items?f=csv",
        "/api/collections/settlements/items?f=csv",
        "/api/targets?f=csv",
    ],
)
def test_no_csv_cell_is_a_formula(client, hostile_rows, path):
    response = client.get(path)
    assert response.status_code == 200, response.text
    cells = _cells(response.text)
    hostile = [c for c in cells if c.lstrip("'").startswith(FORMULA) and not re.fullmatch(r"-?[\d.]+", c)]
    assert hostile, "the hostile text should be in this CSV"
    assert all(c.startswith("'") for c in hostile), hostile


def test_numbers_written_as_text_stay_numbers():
    from geo.store.cells import safe_cell

    assert safe_cell("-5.25") == "-5.25" and safe_cell(-3) == -3
    assert safe_cell("-5+cmd") == "'-5+cmd" and safe_cell("\tx") == "'\tx" and safe_cell("@x") == "'@x"
