"""``planview user …`` and ``planview token …``: accounts and API tokens (passwords never on argv)."""

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
import typer

from cli.common import CommandError, console, ensure_database
from geo.errors import PlanviewError
from geo.plan import accounts

user_app = typer.Typer(help="Accounts: add, list, disable, set password or role.")
token_app = typer.Typer(help="API tokens for scripts (Authorization: Bearer …).")


def _run(action: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    """Run ``action`` on one database connection; typed errors become a red message and exit 1."""
    url = ensure_database()

    async def main() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await action(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except PlanviewError as exc:
        raise CommandError(str(exc)) from exc


def _read_password(password_stdin: bool, generate: bool, username: str) -> tuple[str, bool]:
    """The new password from stdin, a generated one, or an interactive prompt (twice)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("no password on stdin")
        return password, False
    if generate:
        return accounts.generate_password(), True
    if not sys.stdin.isatty():
        raise CommandError("no terminal to prompt on: use --password-stdin or --generate-password")
    password = getpass.getpass(f"new password for {username}: ")
    if getpass.getpass("again: ") != password:
        raise CommandError("the two passwords differ")
    return password, False


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="login name: a–z, 0–9, '.', '_', '-'")],
    role: Annotated[str, typer.Option(help="officer, planner or admin")],
    unit: Annotated[list[str] | None, typer.Option(help="reporting unit: 066, a 2025 unit code")] = None,
    agency: Annotated[list[str] | None, typer.Option(help="agency id, e.g. SKHDT (agencies.csv)")] = None,
    name: Annotated[str | None, typer.Option(help="display name (default: the username)")] = None,
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
    generate_password: Annotated[bool, typer.Option(help="generate a password and print it once")] = False,
) -> None:
    """Add an account (the password is prompted for, read from stdin, or generated)."""
    password, generated = _read_password(password_stdin, generate_password, username)
    units = [*(unit or ()), *(agency or ())]
    row = _run(lambda c: accounts.create_user(c, username, role, password, units, name, email))
    console.print(f"user {row['username']} added: {row['role']} {', '.join(row['units'])}".rstrip())
    if generated:
        print(password)
        console.print("(the password above is shown once; it is stored only as an argon2id hash)")


@user_app.command("list")
def user_list() -> None:
    """List the accounts (never their passwords)."""
    for u in _run(accounts.list_users):
        state = "active" if u["active"] else "disabled"
        last = u["last_login_at"].isoformat(timespec="minutes") if u["last_login_at"] else "never"
        print(
            f"{u['username']:<20} {u['role']:<8} {state:<8} units={','.join(u['units']) or '-':<14} "
            f"sessions={u['sessions']} tokens={u['tokens']} last_login={last}  {u['display_name']}"
        )


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account: it can no longer log in; its sessions and tokens are revoked."""
    result = _run(lambda c: accounts.disable_user(c, username))
    console.print(f"user {username} disabled; {result['revoked']} session(s)/token(s) revoked")


@user_app.command("password")
def user_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
    generate_password: Annotated[bool, typer.Option(help="generate a password and print it once")] = False,
) -> None:
    """Set a new password; the account's sessions and tokens are revoked."""
    password, generated = _read_password(password_stdin, generate_password, username)
    result = _run(lambda c: accounts.set_password(c, username, password))
    console.print(f"password of {username} changed; {result['revoked']} session(s)/token(s) revoked")
    if generated:
        print(password)


@user_app.command("role")
def user_role(
    username: str,
    role: Annotated[str, typer.Argument(help="officer, planner or admin")],
    unit: Annotated[list[str] | None, typer.Option(help="replace the units with these")] = None,
    agency: Annotated[list[str] | None, typer.Option(help="agency ids (added to --unit)")] = None,
) -> None:
    """Change an account's role (and units); its sessions and tokens are revoked."""
    units = [*(unit or ()), *(agency or ())] or None
    result = _run(lambda c: accounts.set_role(c, username, role, units))
    console.print(f"{username} is now {result['role']} {', '.join(result['units'])}".rstrip())


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option(help="what the token is for")] = "script",
    days: Annotated[int | None, typer.Option(help="valid for this many days (default 90)")] = None,
) -> None:
    """Create an API token for USERNAME and print it once (stored hashed)."""
    result = _run(lambda c: accounts.create_token(c, username, name, days))
    print(result["token"])
    console.print(
        f"token {result['token_id']} ({name}) for {username}, valid until "
        f"{result['expires_at'].isoformat(timespec='minutes')}; shown once: use it as "
        "'Authorization: Bearer <token>'"
    )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="the id `planview token list` shows")]) -> None:
    """Revoke an API token."""
    result = _run(lambda c: accounts.revoke_token(c, token_id))
    console.print(f"token {token_id} ({result['name']}) revoked")


@token_app.command("list")
def token_list() -> None:
    """List the tokens (ids, owners, expiry; never the secrets)."""
    for t in _run(accounts.list_tokens):
        state = "revoked" if t["revoked_at"] else "live"
        print(
            f"{t['token_id']:>4} {t['username']:<20} {state:<8} expires={t['expires_at']:%Y-%m-%d} "
            f"last_used={t['last_used_at'] or 'never'}  {t['name']}"
        )
