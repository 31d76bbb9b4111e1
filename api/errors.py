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


def register_error_handlers(app: FastAPI) -> None:
    """Map typed errors, validation errors and HTTP errors to ``{"code", "description"}`` JSON."""

    @app.exception_handler(PlanviewError)
    async def planview_error(request: Request, exc: PlanviewError) -> OrjsonResponse:
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
