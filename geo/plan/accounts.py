"""Accounts: argon2id passwords, server-side sessions, API tokens, the login lock-out."""

import hashlib
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.errors import Conflict, InvalidParameter, NotFound, TooManyRequests, Unauthenticated
from geo.plan.actor import Actor, Role
from geo.store.settings import DATA_DIR

COMMON_PASSWORDS_FILE = DATA_DIR / "security" / "common-passwords.txt"
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_DISPLAY_NAME_CHARS = 200
# one message for an unknown user, a wrong password and a disabled account: nothing to enumerate
LOGIN_REFUSED = "unknown user or wrong password"
STORED_ROLES = tuple(r.value for r in Role if r is not Role.anonymous)


class AuthSettings(BaseSettings):
    """Sessions, tokens, the lock-out and the argon2id cost (prefix ``PLANVIEW_``)."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    session_idle_minutes: int = 120
    session_max_hours: int = 12
    token_default_days: int = 90
    lockout_failures: int = 10
    lockout_minutes: int = 15
    # argon2id, RFC 9106's second recommended option (64 MiB, 3 passes), one lane: the server has 2 cores
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 1


@lru_cache
def auth_settings() -> AuthSettings:
    """The process-wide auth settings."""
    return AuthSettings()


@lru_cache
def password_hasher() -> PasswordHasher:
    """The argon2id hasher with the configured cost."""
    s = auth_settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib, parallelism=s.argon2_parallelism
    )


@lru_cache
def _dummy_hash() -> str:
    # verified against when the user is unknown, so both refusals cost the same time
    return password_hasher().hash(secrets.token_urlsafe(16))


@lru_cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (data/security/common-passwords.txt)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, username: str | None = None) -> str:
    """The password if it is acceptable; 400 saying why not (length, common, equals the username)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidParameter(f"password: at least {MIN_PASSWORD_CHARS} characters, got {len(password)}")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidParameter(f"password: at most {MAX_PASSWORD_CHARS} characters")
    lowered = password.lower()
    # "password1234!" is "password" with a tail: the list's words with digits or symbols appended count too
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in common_passwords() or (len(stem) >= 4 and stem in common_passwords()):
        raise InvalidParameter("password: it is (or starts with) a common password; choose another")
    if len(set(lowered)) < 4:
        raise InvalidParameter("password: uses fewer than 4 different characters")
    if username and username.lower() in password.lower():
        raise InvalidParameter("password: must not contain the username")
    return password


def generate_password() -> str:
    """A random password of 20 URL-safe characters (printed once by the CLI)."""
    return secrets.token_urlsafe(15)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return password_hasher().hash(password)


def _digest(secret: str) -> str:
    # session ids and tokens are 256-bit random: a plain SHA-256 is enough to make a stolen table useless
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(session_id: str) -> str:
    """The CSRF token of a session (derived, so nothing more is stored): the page sends it back."""
    return hashlib.sha256(b"planview-csrf:" + session_id.encode()).hexdigest()[:43]


def check_username(username: str) -> str:
    """A lower-case simple username; 400 otherwise."""
    if not USERNAME_PATTERN.match(username or ""):
        raise InvalidParameter(
            f"username {username!r}: 2–64 characters of a–z, 0–9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


async def check_units(conn: asyncpg.Connection, units: list[str]) -> list[str]:
    """Reporting units that exist: an admin_unit code or an agency id; 400 otherwise."""
    known = await conn.fetch(
        """SELECT u FROM unnest($1::text[]) AS u
           WHERE EXISTS (SELECT 1 FROM admin_unit a WHERE a.code = u)
              OR EXISTS (SELECT 1 FROM agency g WHERE g.agency_id = u)
              OR EXISTS (SELECT 1 FROM reporting_unit r WHERE r.unit_id = u)""",
        units,
    )
    unknown = sorted(set(units) - {r["u"] for r in known})
    if unknown:
        raise InvalidParameter(
            f"unknown reporting unit(s): {', '.join(unknown)} (use a district code such as 066, a 2025 unit "
            "code, or an agency id from data/plan/agencies.csv)"
        )
    return sorted(set(units))


def check_role(role: str, units: list[str]) -> str:
    """A stored role; an officer needs at least one unit."""
    if role not in STORED_ROLES:
        raise InvalidParameter(f"role {role!r}: use one of {', '.join(STORED_ROLES)}")
    if role == Role.officer and not units:
        raise InvalidParameter("an officer needs at least one reporting unit (--unit CODE or --agency ID)")
    return role


async def create_user(
    conn: asyncpg.Connection,
    username: str,
    role: str,
    password: str,
    units: list[str] = (),
    display_name: str | None = None,
    email: str | None = None,
) -> dict:
    """Add an account; 409 when the username is taken."""
    username = check_username(username)
    units = await check_units(conn, list(units))
    check_role(role, units)
    check_password_policy(password, username)
    display_name = unicodedata.normalize("NFC", (display_name or username).strip())[:MAX_DISPLAY_NAME_CHARS]
    try:
        row = await conn.fetchrow(
            """INSERT INTO app_user (username, display_name, email, password_hash, role, units)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING user_id, username, display_name, role, units""",
            username,
            display_name,
            email,
            hash_password(password),
            role,
            units,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"user {username!r} already exists") from None
    return dict(row)


async def _user(conn: asyncpg.Connection, username: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM app_user WHERE username = $1", username)
    if row is None:
        raise NotFound(f"user {username!r} does not exist")
    return row


async def list_users(conn: asyncpg.Connection) -> list[dict]:
    """Every account without its hash, with how many live sessions and tokens it has."""
    rows = await conn.fetch(
        """SELECT u.user_id, u.username, u.display_name, u.email, u.role, u.units, u.active, u.created_at,
                  u.last_login_at,
                  (SELECT count(*) FROM user_session s WHERE s.user_id = u.user_id AND s.revoked_at IS NULL
                     AND s.expires_at > now()) AS sessions,
                  (SELECT count(*) FROM api_token t WHERE t.user_id = u.user_id AND t.revoked_at IS NULL
                     AND t.expires_at > now()) AS tokens
           FROM app_user u ORDER BY u.username"""
    )
    return [dict(r) for r in rows]


async def revoke_all(conn: asyncpg.Connection, user_id: int) -> int:
    """Revoke every session and token of a user; returns how many."""
    n = await conn.fetchval(
        """WITH s AS (UPDATE user_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
                      RETURNING 1),
                t AS (UPDATE api_token SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
                      RETURNING 1)
           SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM t)""",
        user_id,
    )
    return n


async def disable_user(conn: asyncpg.Connection, username: str) -> dict:
    """Deactivate an account and revoke its sessions and tokens."""
    async with conn.transaction():
        user = await _user(conn, username)
        await conn.execute("UPDATE app_user SET active = false WHERE user_id = $1", user["user_id"])
        revoked = await revoke_all(conn, user["user_id"])
    return {"username": username, "active": False, "revoked": revoked}


async def set_password(conn: asyncpg.Connection, username: str, password: str) -> dict:
    """Set a new password and revoke the account's sessions and tokens."""
    check_password_policy(password, username)
    async with conn.transaction():
        user = await _user(conn, username)
        await conn.execute(
            "UPDATE app_user SET password_hash = $2, password_changed_at = now() WHERE user_id = $1",
            user["user_id"],
            hash_password(password),
        )
        revoked = await revoke_all(conn, user["user_id"])
    return {"username": username, "revoked": revoked}


async def set_role(
    conn: asyncpg.Connection, username: str, role: str, units: list[str] | None = None
) -> dict:
    """Change an account's role (and units when given); its sessions and tokens are revoked."""
    async with conn.transaction():
        user = await _user(conn, username)
        units = await check_units(conn, units) if units is not None else list(user["units"])
        check_role(role, units)
        await conn.execute(
            "UPDATE app_user SET role = $2, units = $3 WHERE user_id = $1", user["user_id"], role, units
        )
        revoked = await revoke_all(conn, user["user_id"])
    return {"username": username, "role": role, "units": units, "revoked": revoked}


def _actor(row: asyncpg.Record, request_id: str | None = None, client_address: str | None = None) -> Actor:
    return Actor(
        username=row["username"],
        role=Role(row["role"]),
        units=tuple(row["units"]),
        user_id=row["user_id"],
        display_name=row["display_name"],
        request_id=request_id,
        client_address=client_address,
    )


async def _check_lockout(conn: asyncpg.Connection, username: str, client_address: str | None) -> None:
    s = auth_settings()
    row = await conn.fetchrow(
        """SELECT
               (SELECT count(*) FROM login_failure WHERE username = $1 AND failed_at > now() - $3::interval)
                   AS by_user,
               (SELECT min(failed_at) FROM (SELECT failed_at FROM login_failure
                    WHERE username = $1 AND failed_at > now() - $3::interval
                    ORDER BY failed_at DESC LIMIT $4) f) AS user_oldest,
               (SELECT count(*) FROM login_failure
                 WHERE client_address = $2 AND failed_at > now() - $3::interval) AS by_address,
               (SELECT min(failed_at) FROM (SELECT failed_at FROM login_failure
                    WHERE client_address = $2 AND failed_at > now() - $3::interval
                    ORDER BY failed_at DESC LIMIT $4) f) AS address_oldest,
               now() AS now""",
        username,
        client_address,
        timedelta(minutes=s.lockout_minutes),
        s.lockout_failures,
    )
    window = timedelta(minutes=s.lockout_minutes)
    for count, oldest, what in (
        (row["by_user"], row["user_oldest"], "this account"),
        (row["by_address"], row["address_oldest"], "this address"),
    ):
        if count >= s.lockout_failures:
            retry = max(1, int((oldest + window - row["now"]).total_seconds()) + 1)
            raise TooManyRequests(
                f"{s.lockout_failures} failed logins in {s.lockout_minutes} minutes for {what}; "
                f"try again in {retry} s",
                retry_after=retry,
            )


async def authenticate(
    conn: asyncpg.Connection, username: str, password: str, client_address: str | None = None
) -> Actor:
    """The actor of a correct username and password; 401 (same message for every refusal) or 429."""
    username = (username or "").strip().lower()[:64]
    await _check_lockout(conn, username, client_address)
    row = await conn.fetchrow("SELECT * FROM app_user WHERE username = $1", username)
    try:
        ok = password_hasher().verify(row["password_hash"] if row else _dummy_hash(), password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None or not row["active"]:
        await conn.execute(
            "INSERT INTO login_failure (username, client_address) VALUES ($1, $2)", username, client_address
        )
        raise Unauthenticated(LOGIN_REFUSED)
    if password_hasher().check_needs_rehash(row["password_hash"]):
        await conn.execute(
            "UPDATE app_user SET password_hash = $2 WHERE user_id = $1",
            row["user_id"],
            hash_password(password),
        )
    await conn.execute("UPDATE app_user SET last_login_at = now() WHERE user_id = $1", row["user_id"])
    await conn.execute("DELETE FROM login_failure WHERE username = $1", username)
    return _actor(row, client_address=client_address)


async def create_session(conn: asyncpg.Connection, actor: Actor) -> tuple[str, datetime]:
    """A new session for ``actor``: the random id for the cookie (stored hashed) and its absolute expiry."""
    session_id = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=auth_settings().session_max_hours)
    await conn.execute(
        """INSERT INTO user_session (session_hash, user_id, expires_at, client_address)
           VALUES ($1, $2, $3, $4)""",
        _digest(session_id),
        actor.user_id,
        expires,
        actor.client_address,
    )
    return session_id, expires


async def revoke_session(conn: asyncpg.Connection, session_id: str) -> bool:
    """Revoke one session (logout); True when it was live."""
    status = await conn.execute(
        "UPDATE user_session SET revoked_at = now() WHERE session_hash = $1 AND revoked_at IS NULL",
        _digest(session_id),
    )
    return status.endswith(" 1")


# a session's last_seen_at is written at most once a minute: idle expiry needs it, every read must not
_TOUCH_AFTER = timedelta(minutes=1)


async def actor_for_session(
    conn: asyncpg.Connection,
    session_id: str,
    request_id: str | None = None,
    client_address: str | None = None,
) -> Actor | None:
    """The actor of a live session (not revoked, not idle too long, before its absolute expiry); else None."""
    if not session_id or len(session_id) > 100:
        return None
    idle = timedelta(minutes=auth_settings().session_idle_minutes)
    row = await conn.fetchrow(
        """SELECT u.*, s.last_seen_at, now() AS now FROM user_session s JOIN app_user u USING (user_id)
           WHERE s.session_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
             AND s.last_seen_at > now() - $2::interval AND u.active""",
        _digest(session_id),
        idle,
    )
    if row is None:
        return None
    if row["now"] - row["last_seen_at"] > _TOUCH_AFTER:
        await conn.execute(
            "UPDATE user_session SET last_seen_at = now() WHERE session_hash = $1", _digest(session_id)
        )
    return _actor(row, request_id, client_address)


TOKEN_PREFIX = "pv_"


async def create_token(conn: asyncpg.Connection, username: str, name: str, days: int | None = None) -> dict:
    """A new API token for ``username``: the secret is returned once and stored hashed."""
    days = days or auth_settings().token_default_days
    if not 1 <= days <= 3650:
        raise InvalidParameter(f"days must be between 1 and 3650, got {days}")
    user = await _user(conn, username)
    if not user["active"]:
        raise Conflict(f"user {username!r} is disabled")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await conn.fetchrow(
        """INSERT INTO api_token (token_hash, user_id, name, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(days => $4)) RETURNING token_id, expires_at""",
        _digest(secret),
        user["user_id"],
        name[:200],
        days,
    )
    return {
        "token_id": row["token_id"],
        "token": secret,
        "username": username,
        "name": name,
        "expires_at": row["expires_at"],
    }


async def revoke_token(conn: asyncpg.Connection, token_id: int) -> dict:
    """Revoke a token by its id (``planview token list`` shows the ids)."""
    row = await conn.fetchrow(
        "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE token_id = $1 RETURNING name",
        token_id,
    )
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    return {"token_id": token_id, "name": row["name"], "revoked": True}


async def list_tokens(conn: asyncpg.Connection) -> list[dict]:
    """Every token (never its secret) with its owner and state."""
    rows = await conn.fetch(
        """SELECT t.token_id, u.username, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
           FROM api_token t JOIN app_user u USING (user_id) ORDER BY t.token_id"""
    )
    return [dict(r) for r in rows]


async def actor_for_token(
    conn: asyncpg.Connection, token: str, request_id: str | None = None, client_address: str | None = None
) -> Actor | None:
    """The actor of a live API token; None when unknown, revoked, expired or its user is disabled."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = await conn.fetchrow(
        """SELECT u.*, t.token_id, t.last_used_at, now() AS now
           FROM api_token t JOIN app_user u USING (user_id)
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active""",
        _digest(token),
    )
    if row is None:
        return None
    if row["last_used_at"] is None or row["now"] - row["last_used_at"] > _TOUCH_AFTER:
        await conn.execute("UPDATE api_token SET last_used_at = now() WHERE token_id = $1", row["token_id"])
    return _actor(row, request_id, client_address)
