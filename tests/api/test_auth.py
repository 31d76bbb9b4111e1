"""Logging in and out, sessions, tokens, expiry, revocation, lock-out, the password policy, the CLI."""

import os
import subprocess
import sys

import pytest

from geo.plan.actor import Role
from tests.api.conftest import PASSWORD, login


@pytest.fixture(scope="module", autouse=True)
def users(accounts):
    accounts.add("nari", "officer", ["066"], name="Cán bộ Na Rì")
    accounts.add("planner1", "planner", name="Chuyên viên Sở KH&ĐT")
    accounts.add("gone", "officer", ["061"])
    accounts.add("changer", "officer", ["061"])


def test_login_sets_an_httponly_lax_cookie_and_me_names_the_user(client):
    client.cookies.clear()
    response = client.post("/api/auth/login", json={"username": "nari", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("planview_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http and PLANVIEW_COOKIE_SECURE unset
    body = response.json()
    assert body["display_name"] == "Cán bộ Na Rì" and body["role"] == "officer" and body["units"] == ["066"]
    assert "PRJ-06" in body["editable_projects"] and "PRJ-08" not in body["editable_projects"]
    me = client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "nari"
    assert me.json()["csrf_token"] == body["csrf_token"]
    # the cookie's id is stored only hashed
    session_id = client.cookies.get("planview_session")
    assert session_id and len(session_id) >= 40


def test_me_is_401_when_anonymous(client):
    client.cookies.clear()
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthenticated"


def test_unknown_user_and_wrong_password_get_the_same_answer(client, accounts):
    client.cookies.clear()
    wrong = client.post("/api/auth/login", json={"username": "nari", "password": "not the password!"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "not the password!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers
    accounts.sql("DELETE FROM login_failure")


def test_logout_revokes_the_session_on_the_server(client):
    login(client, "nari")
    stolen = client.cookies.get("planview_session")
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    client.cookies.set("planview_session", stolen)  # replaying the old cookie does not help
    assert client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize(
    "aging",
    [
        "UPDATE user_session SET expires_at = now() - interval '1 second'",  # absolute expiry
        "UPDATE user_session SET last_seen_at = now() - interval '3 hours'",  # idle for longer than 120 min
    ],
)
def test_an_expired_session_asks_to_log_in_again(client, accounts, aging):
    login(client, "nari")
    accounts.sql(aging)
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert "log in again" in response.json()["description"]


def test_bearer_token_and_its_revocation(client, accounts):
    from geo.plan.accounts import revoke_token

    client.cookies.clear()
    token = accounts.token("planner1")
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["auth"] == "bearer" and me.json()["csrf_token"] is None
    token_id = accounts.sql("SELECT max(token_id) AS id FROM api_token")[0]["id"]
    accounts.run(lambda conn: revoke_token(conn, token_id))
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    bogus = client.get("/api/auth/roles", headers={"Authorization": "Bearer pv_nonsense"})
    assert bogus.status_code == 401  # a bad token is an error, not a silent anonymous read


def test_disabling_a_user_revokes_sessions_and_tokens(client, accounts):
    from geo.plan.accounts import disable_user

    login(client, "gone")
    headers = accounts.bearer("gone")
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    accounts.run(lambda conn: disable_user(conn, "gone"))
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    client.cookies.clear()
    again = client.post("/api/auth/login", json={"username": "gone", "password": PASSWORD})
    assert again.status_code == 401
    accounts.sql("DELETE FROM login_failure")


def test_a_password_change_revokes_sessions(client, accounts):
    from geo.plan.accounts import set_password

    login(client, "changer")
    accounts.run(lambda conn: set_password(conn, "changer", "a new long passphrase 7"))
    assert client.get("/api/auth/me").status_code == 401
    login(client, "changer", "a new long passphrase 7")
    assert client.get("/api/auth/me").status_code == 200


def test_ten_failures_lock_the_account_with_retry_after(client, accounts):
    client.cookies.clear()
    try:
        for _ in range(10):
            r = client.post("/api/auth/login", json={"username": "planner1", "password": "wrong password!!"})
            assert r.status_code == 401
        locked = client.post("/api/auth/login", json={"username": "planner1", "password": PASSWORD})
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
        assert "this account" in locked.json()["description"]
    finally:
        accounts.sql("DELETE FROM login_failure")
    assert (
        client.post("/api/auth/login", json={"username": "planner1", "password": PASSWORD}).status_code == 200
    )


def test_ten_failures_from_one_address_lock_that_address(client, accounts):
    client.cookies.clear()
    try:
        for i in range(10):
            r = client.post("/api/auth/login", json={"username": f"guess{i}", "password": "wrong password!!"})
            assert r.status_code == 401
        locked = client.post("/api/auth/login", json={"username": "nari", "password": PASSWORD})
        assert locked.status_code == 429 and "this address" in locked.json()["description"]
        assert int(locked.headers["Retry-After"]) > 0
    finally:
        accounts.sql("DELETE FROM login_failure")


def test_login_from_another_site_is_refused(client):
    client.cookies.clear()
    response = client.post(
        "/api/auth/login",
        json={"username": "nari", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pw-1", "at least 12"),
        ("baseball12345", "common"),  # 'baseball' from the shipped list with digits appended
        ("1qaz2wsx3edc", "common"),
        ("abababababab1", "different"),
        ("nari-is-my-password", "username"),
    ],
)
def test_password_policy(password, why):
    from geo.errors import InvalidParameter
    from geo.plan.accounts import check_password_policy

    with pytest.raises(InvalidParameter, match=why):
        check_password_policy(password, "nari")


def test_stored_roles_are_the_role_enum(accounts):
    check = accounts.sql(
        "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'role_known'"
    )[0]["d"]
    stored = {r.value for r in Role} - {"anonymous"}
    assert all(f"'{r}'" in check for r in stored) and check.count("'") == 2 * len(stored)
    hashed = accounts.sql("SELECT password_hash FROM app_user WHERE username = 'nari'")[0]["password_hash"]
    assert hashed.startswith("$argon2id$")


def _cli(*args, stdin: str = "", database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLANVIEW_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], input=stdin, capture_output=True, text=True, env=env
    )


def test_cli_user_and_token_commands(database_url, client):
    added = _cli(
        "user",
        "add",
        "sct1",
        "--role",
        "officer",
        "--agency",
        "SCT",
        "--password-stdin",
        stdin="one long enough passphrase\n",
        database_url=database_url,
    )
    assert added.returncode == 0, added.stderr
    generated = _cli(
        "user", "add", "admin9", "--role", "admin", "--generate-password", database_url=database_url
    )
    assert generated.returncode == 0, generated.stderr
    password = generated.stdout.strip()
    assert len(password) >= 20
    client.cookies.clear()
    assert (
        client.post("/api/auth/login", json={"username": "admin9", "password": password}).status_code == 200
    )
    # no way to put a password on the command line
    argv = _cli(
        "user", "add", "x1", "--role", "planner", "--password", "secret secret 1", database_url=database_url
    )
    assert argv.returncode != 0
    listing = _cli("user", "list", database_url=database_url)
    assert "sct1" in listing.stdout and "SCT" in listing.stdout and password not in listing.stdout
    unknown_unit = _cli(
        "user",
        "add",
        "bad1",
        "--role",
        "officer",
        "--unit",
        "999",
        "--generate-password",
        database_url=database_url,
    )
    assert unknown_unit.returncode == 1 and "999" in unknown_unit.stderr
    token = _cli("token", "create", "sct1", "--name", "nightly", database_url=database_url).stdout.strip()
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["units"] == ["SCT"]
    assert me.json()["editable_projects"] == ["PRJ-06", "PRJ-07"]
    role = _cli("user", "role", "sct1", "planner", database_url=database_url)
    assert role.returncode == 0
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
