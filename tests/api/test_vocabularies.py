"""One home per rule: the status vocabulary (enum + CHECK, served to the page), the reform date, f=."""

import re
from pathlib import Path

from sqlalchemy import text

from geo.store.vocabulary import GeometryQuality, ProjectStatus

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_gets_the_statuses_from_the_api(client):
    body = client.get("/api/vocabularies").json()
    statuses = body["project_statuses"]
    assert [s["value"] for s in statuses] == [s.value for s in ProjectStatus]
    by_value = {s["value"]: s for s in statuses}
    assert by_value["under_construction"]["label_vi"] == "Đang thi công"
    assert by_value["under_construction"]["label_en"] == "Under construction"
    assert all(re.fullmatch(r"#[0-9a-f]{6}", s["color"]) for s in statuses)


def test_the_cycles_lists_come_with_both_languages(client):
    body = client.get("/api/vocabularies").json()
    for name in ("target_statuses", "plan_parts", "task_statuses", "report_states"):
        assert body[name] and all(term["label_vi"] and term["label_en"] for term in body[name]), name
    parts = {p["value"]: p for p in body["plan_parts"]}
    assert (parts["economy"]["label_vi"], parts["economy"]["label_en"]) == ("Về kinh tế", "Economy")


def test_the_database_check_lists_the_same_statuses(engine):
    with engine.connect() as conn:
        check = conn.execute(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'project_status_known'")
        ).scalar_one()
    assert set(re.findall(r"'(\w+)'", check)) == {s.value for s in ProjectStatus}


def test_geometry_qualities_are_one_list_checked_by_the_database_and_served(client, engine):
    served = client.get("/api/vocabularies").json()["geometry_qualities"]
    assert [q["value"] for q in served] == [q.value for q in GeometryQuality]
    assert {q["value"]: q["label_en"] for q in served}["digitised"] == "digitised by a planner"
    with engine.connect() as conn:
        checks = conn.execute(
            text(
                "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'geometry_quality_known'"
            )
        ).all()
    assert {table for table, _ in checks} == {"admin_unit", "zone", "project", "protected_area"}
    for _, check in checks:
        assert set(re.findall(r"'(\w+)'", check)) == {q.value for q in GeometryQuality}


def test_the_openapi_names_the_statuses(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["ProjectStatus"]["enum"] == [s.value for s in ProjectStatus]
    assert schemas["StatusChange"]["properties"]["status"]["$ref"].endswith("/ProjectStatus")


def test_no_copy_of_the_statuses_in_the_page_code():
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in [*ROOT.glob("static/js/*.js"), ROOT / "maps" / "styles.py"]
    )
    for status in ProjectStatus:
        assert f"status_{status.value}:" not in code, status
    for quality in GeometryQuality:
        assert f"location_{quality.value}:" not in code, quality
    assert "Đang thi công" not in code and "#e6550d" not in code


def test_the_reform_date_is_written_once():
    found = [
        str(p.relative_to(ROOT))
        for folder in ("geo", "api", "cli", "maps")
        for p in (ROOT / folder).rglob("*.py")
        if re.search(r"2025-0[67]-(01|30)|2025, [67], (1|30)\b", p.read_text(encoding="utf-8"))
    ]
    assert found == ["geo/store/units.py"]


def test_every_f_parameter_lists_its_formats_and_refuses_others_alike(client):
    spec = client.get("/openapi.json").json()
    with_f = [
        path
        for path, methods in spec["paths"].items()
        for operation in methods.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "f" and "json" in parameter["schema"]["enum"]
    ]
    assert len(with_f) >= 4
    for url, params in (
        ("/api/collections/communes/items", {}),
        ("/api/conflicts", {}),
        ("/api/reports/implementation", {"year": 2024}),
        ("/api/targets", {}),
    ):
        response = client.get(url, params={**params, "f": "xml"})
        assert response.status_code == 400, url
        description = response.json()["description"]
        assert description.startswith("f must be json") and "csv" in description, url
