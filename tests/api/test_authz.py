"""Who may write what: scope, versions (428/412), CSRF, and the role × route matrix from the OpenAPI."""

import pytest

from tests.api.conftest import login

ROLES = ("anonymous", "officer_in", "officer_out", "planner", "admin")
WRITE_METHODS = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def samples(accounts):
    """Objects of the matrix: a Na Rì project, a task and a target with their units."""
    task = accounts.sql("SELECT task_id, lead_unit FROM task ORDER BY task_id LIMIT 1")[0]
    target = accounts.sql(
        "SELECT target_id, responsible_unit FROM plan_target WHERE responsible_unit IS NOT NULL "
        "ORDER BY target_id LIMIT 1"
    )[0]
    units_in = sorted({"066", task["lead_unit"], target["responsible_unit"]})
    out_unit = next(u for u in ("060", "062", "STP") if u not in units_in)
    return {"task": task["task_id"], "target": target["target_id"], "in": units_in, "out": out_unit}


@pytest.fixture(scope="module")
def headers(accounts, samples) -> dict:
    """Authorization headers per role of the matrix (Bearer tokens: no CSRF token needed)."""
    accounts.add("m_officer_in", "officer", samples["in"], name="Cán bộ Na Rì")
    accounts.add("m_officer_out", "officer", [samples["out"]])
    accounts.add("m_planner", "planner")
    accounts.add("m_admin", "admin")
    return {
        "anonymous": {},
        "officer_in": accounts.bearer("m_officer_in"),
        "officer_out": accounts.bearer("m_officer_out"),
        "planner": accounts.bearer("m_planner"),
        "admin": accounts.bearer("m_admin"),
    }


DENY_ALL_BUT = {  # expected: 'ok' = allowed (any answer but 401/403), 401, 403
    "unit": {"anonymous": 401, "officer_in": "ok", "officer_out": 403, "planner": "ok", "admin": "ok"},
    "unit_only": {"anonymous": 401, "officer_in": "ok", "officer_out": 403, "planner": 403, "admin": 403},
    "planning": {"anonymous": 401, "officer_in": 403, "officer_out": 403, "planner": "ok", "admin": "ok"},
    "login": {r: 401 for r in ROLES},  # wrong credentials: the same 401 whoever asks
    "public": {r: "ok" for r in ROLES},
}
FOOTPRINT = {"type": "Point", "coordinates": [105.83, 22.15]}

# (method, OpenAPI path) → (rule, concrete path, JSON body); a write route missing here fails the suite
RULES = {
    ("post", "/api/auth/login"): ("login", "/api/auth/login", {"username": "nobody", "password": "x"}),
    ("post", "/api/auth/logout"): ("public", "/api/auth/logout", None),
    ("post", "/api/screen"): ("public", "/api/screen", {"geometry": FOOTPRINT}),
    ("post", "/api/conformity"): ("public", "/api/conformity", {"geometry": FOOTPRINT}),
    ("post", "/api/projects/{project_id}/status"): (
        "unit",
        "/api/projects/PRJ-06/status",
        {"status": "under_construction", "version": 1},
    ),
    ("put", "/api/projects/{project_id}/geometry"): (
        "planning",  # placing a project is for planners and admins, whatever an officer's scope
        "/api/projects/PRJ-06/geometry",
        {"geometry": FOOTPRINT, "version": 0},  # a stale version: a planner gets 412, nothing is written
    ),
    ("post", "/api/targets/{target_id}/actuals"): (
        "unit",
        "/api/targets/{target}/actuals",
        {"year": 2024, "value": 1, "kind": "estimate", "source": "matrix test"},
    ),
    ("patch", "/api/tasks/{task_id}"): ("unit_only", "/api/tasks/{task}", {"progress_pct": 10, "version": 1}),
    ("put", "/api/reports/{year}/units/{unit_id}"): (
        "unit_only",  # a unit's report is written by its officers only
        "/api/reports/2025/units/066",
        {"difficulties": "matrix", "version": 0},
    ),
    ("post", "/api/reports/{year}/units/{unit_id}/submit"): (
        "unit_only",
        "/api/reports/2025/units/066/submit",
        {"version": 1},
    ),
    ("post", "/api/reports/{year}/units/{unit_id}/return"): (
        "planning",
        "/api/reports/2025/units/066/return",
        {"version": 1, "reason": "matrix"},
    ),
    ("post", "/api/reports/{year}/units/{unit_id}/accept"): (
        "planning",
        "/api/reports/2025/units/066/accept",
        {"version": 1},
    ),
    # private reads
    ("get", "/api/auth/me"): ("login_only", "/api/auth/me", None),
    ("get", "/api/audit"): ("planning", "/api/audit", None),
}
DENY_ALL_BUT["login_only"] = {"anonymous": 401, **{r: "ok" for r in ROLES if r != "anonymous"}}


def _operations(client) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [(m, p) for p, ops in spec["paths"].items() for m in ops if m in WRITE_METHODS or m == "get"]


def test_every_write_route_has_a_rule(client):
    writes = [(m, p) for m, p in _operations(client) if m in WRITE_METHODS]
    assert writes, "the OpenAPI lists the write routes"
    missing = [op for op in writes if op not in RULES]
    assert missing == [], f"write routes without an authorisation rule in the matrix: {missing}"


def test_every_private_read_has_a_rule(client):
    """A GET that refuses an anonymous caller (401) is private: it must be in the matrix."""
    private = []
    for method, path in _operations(client):
        if method != "get" or "{" in path or path.startswith("/api/reports"):
            continue
        if client.get(path).status_code == 401:
            private.append((method, path))
    assert ("get", "/api/auth/me") in private
    assert [op for op in private if op not in RULES] == []


def _cases():
    return [(op, role) for op in RULES for role in ROLES]


@pytest.mark.parametrize(
    ("operation", "role"), _cases(), ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_role_route_matrix(client, headers, samples, operation, role):
    rule, path, body = RULES[operation]
    path = path.format(task=samples["task"], target=samples["target"])
    client.cookies.clear()
    method = operation[0]
    kwargs = {"headers": headers[role]}
    if body is not None:
        kwargs["json"] = body
    response = client.request(method.upper(), path, **kwargs)
    expected = DENY_ALL_BUT[rule][role]
    if expected == "ok":
        assert response.status_code not in (401, 403), (role, path, response.text)
    else:
        assert response.status_code == expected, (role, path, response.text)
        assert response.json()["description"]
    if expected == 403:
        assert "needs" in response.json()["description"] or "planner" in response.json()["description"]


# --------------------------------------------------------------------------- scope, versions, CSRF


def _etag(client, project_id):
    return client.get(f"/api/projects/{project_id}").headers["etag"]


def test_an_officer_changes_only_projects_of_their_unit(client, headers):
    ok = client.post(
        "/api/projects/PRJ-06/status",
        json={"status": "under_construction", "progress_pct": 40},
        headers={**headers["officer_in"], "If-Match": _etag(client, "PRJ-06")},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["history"][0]["recorded_by"] == "Cán bộ Na Rì"
    refused = client.post(
        "/api/projects/PRJ-08/status",
        json={"status": "completed"},
        headers={**headers["officer_in"], "If-Match": _etag(client, "PRJ-08")},
    )
    assert refused.status_code == 403
    assert "061" in refused.json()["description"]  # names the scope it would need (Ba Bể)


def test_a_2025_unit_officer_acts_on_projects_in_the_communes_that_form_it(client, accounts):
    # CCN Vằng Mười (PRJ-06) lies in Trần Phú (02176), which the crosswalk puts into a 2025 unit
    new_code = accounts.sql("SELECT new_code FROM admin_crosswalk WHERE old_code = '02176'")[0]["new_code"]
    accounts.add("officer2025", "officer", [new_code])
    me = client.get("/api/auth/me", headers=accounts.bearer("officer2025")).json()
    assert "PRJ-06" in me["editable_projects"] and "PRJ-08" not in me["editable_projects"]


def test_an_agency_officer_acts_on_its_projects(client, accounts):
    accounts.add("sct_officer", "officer", ["SCT"])
    me = client.get("/api/auth/me", headers=accounts.bearer("sct_officer")).json()
    assert me["editable_projects"] == ["PRJ-06", "PRJ-07"]


def test_a_write_without_a_version_is_428_and_a_stale_one_412(client, headers, accounts):
    def events():
        return accounts.sql("SELECT count(*) AS n FROM project_status_event WHERE project_id = 'PRJ-06'")[0][
            "n"
        ]

    before = events()
    missing = client.post(
        "/api/projects/PRJ-06/status", json={"status": "planned"}, headers=headers["planner"]
    )
    assert missing.status_code == 428
    etag = _etag(client, "PRJ-06")
    first = client.post(
        "/api/projects/PRJ-06/status",
        json={"status": "planned"},
        headers={**headers["planner"], "If-Match": etag},
    )
    assert first.status_code == 200
    stale = client.post(
        "/api/projects/PRJ-06/status",
        json={"status": "completed"},
        headers={**headers["officer_in"], "If-Match": etag},
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["current"]["status"] == "planned" and body["current"]["version"] == first.json()["version"]
    assert "m_planner" in body["description"] or "since you read it" in body["description"]
    assert events() == before + 1  # the stale write wrote nothing
    in_body = client.post(
        "/api/projects/PRJ-06/status",
        json={"status": "preparation", "version": first.json()["version"]},
        headers=headers["officer_in"],
    )
    assert in_body.status_code == 200


def test_cookie_writes_need_the_csrf_token(client, accounts):
    accounts.add("csrf_planner", "planner")
    me = login(client, "csrf_planner")
    etag = _etag(client, "PRJ-10")
    foreign = client.post(
        "/api/projects/PRJ-10/status",
        json={"status": "planned"},
        headers={"If-Match": etag, "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403 and "CSRF" in foreign.json()["description"]
    wrong = client.post(
        "/api/projects/PRJ-10/status",
        json={"status": "planned"},
        headers={"If-Match": etag, "X-CSRF-Token": "x"},
    )
    assert wrong.status_code == 403
    right = client.post(
        "/api/projects/PRJ-10/status",
        json={"status": "planned"},
        headers={"If-Match": etag, "X-CSRF-Token": me["csrf_token"]},
    )
    assert right.status_code == 200, right.text
    client.cookies.clear()


def test_editable_projects_is_the_per_project_rule_in_one_query(accounts):
    """/api/auth/me's one statement gives what the per-project scope rule gives, actor by actor."""
    from geo.plan.actor import Actor, Role
    from geo.plan.scope import editable_projects, project_scope_missing, project_units

    unit_2025 = accounts.sql("SELECT new_code FROM admin_crosswalk WHERE old_code = '02176'")[0]["new_code"]
    actors = [
        Actor("na_ri", Role.officer, ("066",)),
        Actor("sct", Role.officer, ("SCT",)),
        Actor("unit_2025", Role.officer, (unit_2025,)),
        Actor("several", Role.officer, ("061", "SKHDT", unit_2025)),
        Actor("nobody", Role.officer, ("STP",)),
    ]

    async def both(conn):
        ids = await conn.fetchval("SELECT array_agg(project_id ORDER BY project_id) FROM project")
        units = [await project_units(conn, pid) for pid in ids]
        return [
            (
                await editable_projects(conn, a),
                [u["project_id"] for u in units if not project_scope_missing(a, u)],
            )
            for a in actors
        ]

    results = accounts.run(both)
    for actor, (one_query, per_project) in zip(actors, results, strict=True):
        assert one_query == per_project, actor.units
    assert results[0][0] and results[2][0] and results[4][0] == []
    assert len(results[3][0]) > len(results[2][0])
