"""Request ids, JSON log lines, the access log, and JSON bodies for errors nobody foresaw."""

import json
import os

import pytest
from fastapi import Request
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app_client(database_url):
    """The app as `planview serve` runs it by default (PLANVIEW_LOG_LEVEL=INFO: one access line per
    request); the rest of the suite runs at WARNING, quietly. Back to the suite's level afterwards."""
    from api.logs import configure_logging
    from api.main import create_app
    from api.settings import api_settings

    suite_level = os.environ.get("PLANVIEW_LOG_LEVEL")
    os.environ["PLANVIEW_LOG_LEVEL"] = "INFO"
    api_settings.cache_clear()
    try:
        app = create_app()
    finally:
        if suite_level is None:
            os.environ.pop("PLANVIEW_LOG_LEVEL")
        else:
            os.environ["PLANVIEW_LOG_LEVEL"] = suite_level
        api_settings.cache_clear()

    async def explode(request: Request):
        raise RuntimeError(f"boom in {request.state.request_id}")

    async def request_id(request: Request):
        return {"request_id": request.state.request_id}

    app.add_api_route("/test/explode", explode)
    app.add_api_route("/test/request-id", request_id)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    configure_logging(api_settings().log_level)


def _log_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_request_id_is_made_and_echoed(app_client):
    first = app_client.get("/test/request-id")
    second = app_client.get("/test/request-id")
    assert first.headers["x-request-id"] == first.json()["request_id"]
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_a_callers_request_id_is_kept_and_a_malformed_one_replaced(app_client):
    kept = app_client.get("/test/request-id", headers={"X-Request-ID": "proxy-42.a:b"})
    assert kept.headers["x-request-id"] == "proxy-42.a:b" == kept.json()["request_id"]
    replaced = app_client.get("/test/request-id", headers={"X-Request-ID": "bad id\t<script>"})
    assert replaced.headers["x-request-id"] != "bad id\t<script>"
    assert len(replaced.json()["request_id"]) == 32


def test_every_request_gets_one_json_access_line(app_client, capsys):
    capsys.readouterr()
    response = app_client.get("/api/collections?f=json", headers={"X-Request-ID": "access-1"})
    assert response.status_code == 200
    lines = [entry for entry in _log_lines(capsys.readouterr().err) if entry["logger"] == "planview.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "access-1"
    assert (line["method"], line["path"], line["query"], line["status"]) == (
        "GET",
        "/api/collections",
        "f=json",
        200,
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["level"] == "INFO" and line["ts"].endswith("+00:00")


def test_an_unforeseen_error_is_a_json_500_logged_with_its_id_and_traceback(app_client, capsys):
    capsys.readouterr()
    response = app_client.get("/test/explode", headers={"X-Request-ID": "crash-7"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "crash-7"
    body = response.json()
    assert body["code"] == "InternalError"
    assert "crash-7" in body["description"]
    assert "boom" not in body["description"]  # the details are in the log, not in the answer
    entries = _log_lines(capsys.readouterr().err)
    error = next(e for e in entries if e["logger"] == "planview.error")
    assert error["request_id"] == "crash-7" and error["level"] == "ERROR"
    assert "RuntimeError: boom in crash-7" in error["traceback"]
    access = next(e for e in entries if e["logger"] == "planview.access")
    assert access["status"] == 500 and access["request_id"] == "crash-7"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/nowhere", 404, "NotFound"),
        ("/api/collections/no_such_layer/items", 404, "NotFound"),
        ("/api/collections/projects/items?limit=abc", 400, "InvalidParameter"),
    ],
)
def test_error_bodies_are_json_with_code_and_description(app_client, path, status, code):
    response = app_client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == code and response.json()["description"]
    assert response.headers["x-request-id"]


def test_the_log_level_setting_is_checked(monkeypatch):
    from pydantic import ValidationError

    from api.settings import APISettings

    monkeypatch.setenv("PLANVIEW_LOG_LEVEL", "warning")
    assert APISettings().log_level == "WARNING"
    monkeypatch.setenv("PLANVIEW_LOG_LEVEL", "chatty")
    with pytest.raises(ValidationError, match="PLANVIEW_LOG_LEVEL"):
        APISettings()


def test_at_warning_there_is_no_access_line_but_errors_are_still_logged(app_client, capsys):
    from api.logs import configure_logging

    configure_logging("WARNING")  # what the test suite runs at (tests/conftest.py)
    try:
        capsys.readouterr()
        assert app_client.get("/test/request-id", headers={"X-Request-ID": "quiet-1"}).status_code == 200
        assert _log_lines(capsys.readouterr().err) == []
        assert app_client.get("/test/explode", headers={"X-Request-ID": "quiet-2"}).status_code == 500
        entries = _log_lines(capsys.readouterr().err)
        assert [(e["logger"], e["request_id"]) for e in entries] == [("planview.error", "quiet-2")]
    finally:
        configure_logging("INFO")
