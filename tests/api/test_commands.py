"""The command layer: a write checks, writes, appends its audit row and bumps its area in one transaction."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import exc, text

from geo.plan.actor import Actor, Role
from geo.plan.projects import record_status


def audit_rows(engine, object_id):
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT * FROM audit_event WHERE object_id = :o ORDER BY id"), {"o": object_id})
            .mappings()
            .all()
        )


def project_state(engine, project_id):
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT status, progress_pct FROM project WHERE project_id = :p"), {"p": project_id}
            ).one(),
            conn.execute(
                text("SELECT count(*) FROM project_status_event WHERE project_id = :p"), {"p": project_id}
            ).scalar_one(),
            conn.execute(text("SELECT version FROM data_area_version WHERE area = 'projects'")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one(),
        )


@pytest.fixture(scope="module")
def project_id(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT min(project_id) FROM project WHERE NOT is_category")).scalar_one()


def test_a_status_change_writes_one_audit_row_with_its_actor(client, engine, project_id, accounts):
    old_status = project_state(engine, project_id)[0].status
    accounts.add("audit_planner", "planner", name="UBND huyện")
    etag = client.get(f"/api/projects/{project_id}").headers["etag"]
    response = client.post(
        f"/api/projects/{project_id}/status",
        json={"status": "site_clearance", "progress_pct": 10},
        headers={"X-Request-ID": "req-audit-1", "If-Match": etag, **accounts.bearer("audit_planner")},
    )
    assert response.status_code == 200, response.text
    (row,) = [r for r in audit_rows(engine, project_id) if r["request_id"] == "req-audit-1"]
    assert (row["username"], row["role"], row["action"], row["object_type"]) == (
        "audit_planner",
        "planner",
        "project.status",
        "project",
    )
    assert row["before"]["status"] == old_status
    assert row["after"]["status"] == "site_clearance" and row["after"]["progress_pct"] == 10
    assert row["after"]["recorded_by"] == "UBND huyện"
    assert row["after"]["data_version"] == response.json()["history"][0]["data_version"]
    assert row["client_address"]


def test_a_failure_after_the_change_leaves_neither_change_nor_audit(engine, database_url, project_id):
    before = project_state(engine, project_id)
    # an actor the audit table refuses (no name): the insert of the audit row fails after the change
    nameless = Actor(username=None, role=Role.planner)  # type: ignore[arg-type]

    async def change():
        conn = await asyncpg.connect(database_url)
        try:
            await record_status(conn, nameless, project_id, "completed", recorded_by="x")
        finally:
            await conn.close()

    with pytest.raises(asyncpg.NotNullViolationError):
        asyncio.run(change())
    assert project_state(engine, project_id) == before


def test_an_anonymous_actor_cannot_change_a_status(engine, database_url, project_id):
    from geo.errors import Unauthenticated
    from geo.plan.actor import ANONYMOUS

    before = project_state(engine, project_id)

    async def change():
        conn = await asyncpg.connect(database_url)
        try:
            await record_status(conn, ANONYMOUS, project_id, "completed", recorded_by="x")
        finally:
            await conn.close()

    with pytest.raises(Unauthenticated):
        asyncio.run(change())
    assert project_state(engine, project_id) == before


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET username = 'someone else'", "DELETE FROM audit_event", "TRUNCATE audit_event"],
)
def test_the_audit_trail_refuses_changes(engine, statement):
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    assert count > 0
    with pytest.raises(exc.DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == count


def test_the_load_recorded_its_actor(engine):
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT username, role, action FROM audit_event WHERE action = 'dataset.load' "
                "ORDER BY id LIMIT 1"
            )
        ).one()
    assert tuple(row) == ("planview load", "admin", "dataset.load")


@pytest.mark.parametrize("table", ["project", "project_status_event"])
def test_the_database_refuses_an_unknown_status(engine, table, project_id):
    statement = {
        "project": "UPDATE project SET status = 'finished' WHERE project_id = :p",
        "project_status_event": "INSERT INTO project_status_event (project_id, status, recorded_by) "
        "VALUES (:p, 'finished', 'test')",
    }[table]
    with pytest.raises(exc.IntegrityError, match="status_known"):
        with engine.begin() as conn:
            conn.execute(text(statement), {"p": project_id})


def test_a_monitoring_write_is_audited_and_bumps_its_area(engine, database_url):
    from geo.plan.targets import add_actual

    planner = Actor(username="skhdt.test", role=Role.planner, units=("SKHDT",), request_id="req-actual")
    with engine.connect() as conn:
        target_id = conn.execute(text("SELECT min(target_id) FROM plan_target")).scalar_one()
        area_before = conn.execute(
            text("SELECT version FROM data_area_version WHERE area = 'projects'")
        ).scalar_one()

    async def record():
        from geo.store.database import _init_connection  # the pool's JSON codecs

        conn = await asyncpg.connect(database_url)
        await _init_connection(conn)
        try:
            await add_actual(conn, planner, target_id, 2024, 1.5, "estimate", "test source")
        finally:
            await conn.close()

    asyncio.run(record())
    (row,) = [r for r in audit_rows(engine, target_id) if r["request_id"] == "req-actual"]
    assert (row["username"], row["role"], row["action"]) == ("skhdt.test", "planner", "target.actual")
    assert row["after"]["value"] == 1.5 and row["after"]["year"] == 2024
    with engine.connect() as conn:
        versions = dict(conn.execute(text("SELECT area, version FROM data_area_version")).all())
        overall = conn.execute(text("SELECT version FROM data_version")).scalar_one()
    assert versions["monitoring"] == overall
    assert versions["projects"] == area_before  # an actual value is not a project edit
