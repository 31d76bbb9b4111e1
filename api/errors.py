"""One place that turns typed errors into HTTP responses with a JSON message."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

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
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _body(400, "InvalidParameter", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> OrjsonResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return _body(exc.status_code, code, str(exc.detail))
