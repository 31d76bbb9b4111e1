"""Logging in and out: a server-side session in an HttpOnly cookie; who am I."""

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CONNECTION, SESSION_COOKIE, client_address, current_actor, require_actor, same_origin
from api.errors import error_responses
from api.responses import OrjsonResponse
from api.settings import api_settings
from geo.errors import Forbidden
from geo.plan.accounts import (
    MAX_PASSWORD_CHARS,
    auth_settings,
    authenticate,
    create_session,
    csrf_token_for,
    revoke_session,
)
from geo.plan.actor import Actor
from geo.plan.scope import editable_projects, may_place_projects, role_labels

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Login(BaseModel):
    """A username and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


async def _me(conn: asyncpg.Connection, actor: Actor, auth: str, session_id: str | None) -> dict:
    labels = role_labels()[actor.role.value]
    return {
        "username": actor.username,
        "display_name": actor.display_name,
        "role": actor.role.value,
        "role_label_vi": labels["vi"],
        "role_label_en": labels["en"],
        "units": list(actor.units),
        "auth": auth,
        # sent back in X-CSRF-Token by the page with every write (cookie sessions only)
        "csrf_token": csrf_token_for(session_id) if session_id else None,
        "editable_projects": await editable_projects(conn, actor),
        # drawing, editing or uploading a project's place (PUT /api/projects/{id}/geometry)
        "may_place_projects": may_place_projects(actor),
    }


def _secure(request: Request) -> bool:
    return api_settings().cookie_secure or request.url.scheme == "https"


@router.post(
    "/login",
    summary="Log in with a username and password (sets an HttpOnly session cookie)",
    responses=error_responses(401, 403, 429),
)
async def login(body: Login, request: Request, conn: asyncpg.Connection = CONNECTION) -> OrjsonResponse:
    """401 with one message for an unknown user or a wrong password; 429 after repeated failures."""
    if request.headers.get("origin") and not same_origin(request):
        raise Forbidden("log in from this site's own page (the Origin header names another site)")
    actor = await authenticate(conn, body.username, body.password, client_address(request))
    session_id, _ = await create_session(conn, actor)
    response = OrjsonResponse(await _me(conn, actor, "cookie", session_id))
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=auth_settings().session_max_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout", status_code=204, summary="Log out: the session is revoked on the server")
async def logout(request: Request, conn: asyncpg.Connection = CONNECTION) -> Response:
    """Revoke the cookie's session (if any) and clear the cookie; always 204."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await revoke_session(conn, session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/me", summary="The logged-in user: name, role, units, the projects they may change")
async def me(
    request: Request,
    actor: Actor = Depends(require_actor),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """401 when anonymous (or the session expired)."""
    auth = request.state.auth_method
    session_id = request.cookies.get(SESSION_COOKIE) if auth == "cookie" else None
    response = OrjsonResponse(await _me(conn, actor, auth, session_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/session", summary="The logged-in user as /me gives it, or null (200 either way, for the page)")
async def session(
    request: Request,
    actor: Actor = Depends(current_actor),
    conn: asyncpg.Connection = CONNECTION,
) -> OrjsonResponse:
    """Like /me, but an anonymous caller gets ``{"user": null}`` (a page asks on every load)."""
    auth = getattr(request.state, "auth_method", None)
    if actor.is_anonymous:
        user = None
    else:
        session_id = request.cookies.get(SESSION_COOKIE) if auth == "cookie" else None
        user = await _me(conn, actor, auth, session_id)
    response = OrjsonResponse({"user": user, "expired": getattr(request.state, "session_expired", False)})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/roles", summary="The roles, in Vietnamese and English, with what each may do")
async def roles(actor: Actor = Depends(current_actor)) -> OrjsonResponse:
    """The role vocabulary (the database CHECK and geo.plan.actor.Role hold the same values)."""
    return OrjsonResponse(role_labels())
