"""The FastAPI application factory."""

from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api.deps import stored_text_only
from api.errors import document_errors, error_responses, register_error_handlers
from api.gzip import FastGZipMiddleware
from api.logs import RequestContextMiddleware, configure_logging
from api.responses import OrjsonResponse
from api.security import SecurityMiddleware
from api.settings import api_settings
from geo.store.database import create_pool
from geo.store.settings import REPO_ROOT, database_settings

# Routers in the order they are mounted; each module exposes ``router``.
ROUTER_MODULES = (
    "api.routes.health",
    "api.routes.auth",
    "api.routes.audit",
    "api.routes.features",
    "api.routes.catalog",
    "api.routes.lookup",
    "api.routes.vocabularies",
    "api.routes.projects",
    "api.routes.screening",
    "api.routes.targets",
    "api.routes.tasks",
    "api.routes.reports",
    "api.routes.printing",
    "api.routes.monitoring",
    "api.routes.downloads",
    "api.routes.pages",
    "api.routes.docs",
)


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Open the connection pool for the app's lifetime."""
    settings = api_settings()
    app.state.pool = await create_pool(min_size=settings.pool_min_size, max_size=settings.pool_max_size)
    # GET routes read from PLANVIEW_READ_DATABASE_URL (a replica) when it is set, else the primary
    read_url = database_settings().read_url
    app.state.read_pool = app.state.pool
    if read_url:
        app.state.read_pool = await create_pool(
            min_size=settings.pool_min_size, max_size=settings.pool_max_size, url=read_url
        )
    try:
        yield
    finally:
        if app.state.read_pool is not app.state.pool:
            await app.state.read_pool.close()
        await app.state.pool.close()


def create_app() -> FastAPI:
    """Build the planview app: API under /api, the map at /, static assets at /static."""
    configure_logging(api_settings().log_level)
    app = FastAPI(
        title="planview — Quy hoạch tỉnh Bắc Kạn 2021–2030",
        description="OGC API – Features, vector tiles and planning tools over the Bắc Kạn provincial plan.",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        # /docs is served from the vendored Swagger UI (api.routes.docs); FastAPI's own pages load a CDN
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(stored_text_only)],
        responses=error_responses(400),
    )
    register_error_handlers(app)
    document_errors(app)
    # every response of 1 KB or more to a client that accepts gzip (ISA-L level 1, in the event loop)
    app.add_middleware(FastGZipMiddleware, minimum_size=1024)
    # headers on every response (errors included), bodies over the limit refused unread
    app.add_middleware(SecurityMiddleware)
    # outermost: the request id and the access line cover everything inside, gzip included
    app.add_middleware(RequestContextMiddleware)
    for name in ROUTER_MODULES:
        app.include_router(import_module(name).router)
    app.mount("/static", StaticFiles(directory=REPO_ROOT / "static"), name="static")
    return app
