"""One place that turns typed errors into HTTP responses with a JSON message."""

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.responses import OrjsonResponse
from geo.errors import (
    Conflict,
    Forbidden,
    GatewayTimeout,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    PlanviewError,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)
from geo.store.database import CONNECTION_ERRORS, database_unavailable

STATUS_BY_ERROR: dict[type[PlanviewError], int] = {
    NotFound: 404,
    InvalidParameter: 400,
    Conflict: 409,
    PayloadTooLarge: 413,
    Unprocessable: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    PreconditionRequired: 428,
    PreconditionFailed: 412,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
    GatewayTimeout: 504,
}


class ErrorBody(BaseModel):
    """Every error the API sends: a machine-readable code and a sentence naming what is wrong."""

    code: str
    description: str


ERROR_DESCRIPTIONS = {
    400: "A parameter or body field is malformed or out of range (named in the description)",
    401: "Not logged in",
    403: "The actor lacks the role or scope",
    404: "The thing asked for does not exist",
    405: "Method not allowed (the Allow header lists the allowed ones)",
    409: "The request contradicts the current state",
    412: "The record changed since it was read",
    413: "The request body is too large",
    422: "Well-formed but unusable input (e.g. an invalid geometry)",
    428: "The write must name the version it read (If-Match)",
    429: "Too many requests",
    503: "The database cannot be reached; retry after Retry-After seconds",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the error statuses a route really sends, all with the ErrorBody schema."""
    return {s: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


def _allowed_methods(request: Request) -> str:
    """The methods of the resource the path names: every route with the first matching route's path.

    Starlette names only the first route's methods; a resource served by two routes (GET and PATCH of
    /api/tasks/{id}) needs both. A wider template that happens to match too (…/{unit_id} for
    …/{unit_id}.xlsx) is another resource and is left out, as the OpenAPI documents it.
    """
    methods: set[str] = set()
    resource = None
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)  # PARTIAL: the path matches, the method does not
        if match == Match.NONE or not route.methods:
            continue
        resource = resource or route.path_format
        if route.path_format == resource:
            methods |= route.methods
    return ", ".join(sorted(methods))


def _body(status: int, code: str, description: str) -> OrjsonResponse:
    return OrjsonResponse(status_code=status, content={"code": code, "description": description})


def internal_error_response(request_id: str) -> OrjsonResponse:
    """The 500 for an error nobody foresaw: JSON like every other error, naming the request id."""
    return _body(
        500,
        "InternalError",
        f"an internal error occurred; it is logged under request id {request_id}",
    )


def error_response(exc: PlanviewError) -> OrjsonResponse:
    """The HTTP response of a typed error."""
    status = next((s for t, s in STATUS_BY_ERROR.items() if isinstance(exc, t)), 400)
    response = _body(status, type(exc).__name__, str(exc))
    if isinstance(exc, PreconditionFailed) and exc.current is not None:
        response = OrjsonResponse(
            status_code=status,
            content={"code": "PreconditionFailed", "description": str(exc), "current": exc.current},
        )
    if isinstance(exc, TooManyRequests | ServiceUnavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def register_error_handlers(app: FastAPI) -> None:
    """Map typed errors, validation errors and HTTP errors to ``{"code", "description"}`` JSON.

    A database that cannot be reached becomes ``ServiceUnavailable`` (503 + Retry-After); any other
    exception is logged with its request id and answered by a JSON 500 (``api.logs``).
    """

    for error_class in CONNECTION_ERRORS:

        @app.exception_handler(error_class)
        async def connection_error(request: Request, exc: Exception) -> OrjsonResponse:
            unavailable = database_unavailable(exc)
            if unavailable is None:
                raise exc
            return error_response(unavailable)

    @app.exception_handler(PlanviewError)
    async def planview_error(request: Request, exc: PlanviewError) -> OrjsonResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> OrjsonResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
            msg = str(err.get("msg")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
        return _body(400, "InvalidParameter", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> OrjsonResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        response = _body(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = _allowed_methods(request)
        return response

    # Text PostgreSQL refuses (a NUL, a character the encoding lacks) is the input's fault: a 400, in case
    # one slipped past the checks (geo.store.text) that name the parameter.
    @app.exception_handler(asyncpg.CharacterNotInRepertoireError)
    @app.exception_handler(asyncpg.UntranslatableCharacterError)
    async def refused_text(request: Request, exc: asyncpg.PostgresError) -> OrjsonResponse:
        return _body(400, "InvalidParameter", f"a parameter holds text the database refuses: {exc}")


def _calls(dependant) -> set:
    """Every dependency callable a route resolves, however deep."""
    found = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def _implied_errors(route: APIRoute, methods: set[str]) -> set[int]:
    """Statuses a route sends because of what it depends on: who calls, and which record it names."""
    from api.deps import current_actor, require_actor

    statuses = set()
    if route.dependant.path_params:
        statuses.add(404)  # the record or collection the path names may not exist
    if _calls(route.dependant) & {current_actor, require_actor}:
        statuses |= {401, 403}  # a bad token or an expired session; a role or scope short, no CSRF token
        if methods - {"GET", "HEAD"}:
            statuses |= {404, 409, 412, 428}  # commands: unknown record, wrong state, stale or no version
    return statuses


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI list the errors each route sends, with the ErrorBody schema.

    FastAPI's automatic 422 is dropped (validation errors are sent as 400, above); statuses implied by a
    route's dependencies (an actor, a record named in the path) are added where the route did not say.
    """
    from api.deps import json_or_csv

    generate = app.openapi
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            paths = schema.get("paths", {})
            for path in paths.values():
                for operation in path.values():
                    auto = operation.get("responses", {}).get("422", {})
                    if "HTTPValidationError" in str(auto):
                        del operation["responses"]["422"]
            for context in iter_route_contexts(app.routes):
                route = context.original_route
                if not isinstance(route, APIRoute) or not route.include_in_schema:
                    continue
                for method in context.methods or ():
                    operation = paths.get(context.path_format, {}).get(method.lower())
                    if operation is None:
                        continue
                    for status in sorted(_implied_errors(route, context.methods)):
                        operation["responses"].setdefault(
                            str(status), {"description": ERROR_DESCRIPTIONS[status], "content": error}
                        )
                    if json_or_csv in _calls(route.dependant):  # f=csv answers in CSV
                        ok = operation["responses"].setdefault("200", {"description": "Successful Response"})
                        ok.setdefault("content", {}).setdefault("text/csv", {})
            for path in paths.values():  # errors are JSON, also on routes whose answer is HTML or a file
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        if status[0] in "45" and "ErrorBody" in str(response.get("content", "")):
                            response["content"] = error
            schemas = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
        return app.openapi_schema

    app.openapi = openapi
