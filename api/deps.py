"""FastAPI dependencies shared by the routers: connections, the collection registry, parameter parsing."""

import hashlib
import hmac
import math
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import urlsplit

import asyncpg
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator

from api.settings import features_settings
from geo.errors import Forbidden, InvalidParameter, Unauthenticated
from geo.plan.accounts import actor_for_session, actor_for_token, csrf_token_for
from geo.plan.actor import ANONYMOUS, Actor
from geo.plan.scope import require_login
from geo.serve.catalog import CatalogCache
from geo.serve.crs import CRS_URIS, OutputCrs, parse_crs
from geo.serve.features import ItemsQuery
from geo.serve.tiles import TileCache
from geo.store.text import BIGINT_MAX, check_text, refused_character

# Query parameters of /items that are not property filters.
RESERVED_ITEM_PARAMS = {"bbox", "limit", "offset", "properties", "sortby", "f", "bbox-crs", "crs", "datetime"}
CACHE_CONTROL = "public, max-age=60"


def _storable(value: str) -> str:
    if why := refused_character(value):
        raise ValueError(why)
    return value


# A body field of text PostgreSQL can store (no NUL, no lone surrogate); use it for every str field.
StoredText = Annotated[str, AfterValidator(_storable)]


async def stored_text_only(request: Request) -> None:
    """Refuse (400, naming it) any path or query parameter holding text PostgreSQL cannot store (NUL, …).

    An app-wide dependency: it runs before each route's own parameters, so no such text reaches SQL.
    """
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(name, value)
    for name, value in request.query_params.multi_items():
        check_text("a query parameter's name", name)
        check_text(name, value)


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection for one request: the read replica's for GET/HEAD when there is one."""
    async with request_pool(request).acquire() as conn:
        yield conn


# The connection goes back to the pool as soon as the route returns, not after the response has been
# sent (FastAPI's default for a dependency with yield): under load no connection waits on a client.
CONNECTION = Depends(connection, scope="function")


def request_pool(request: Request) -> asyncpg.Pool:
    """The request's pool: the read pool (a replica, else the primary) for GET/HEAD; the primary otherwise."""
    if request.method in ("GET", "HEAD"):
        return getattr(request.app.state, "read_pool", None) or request.app.state.pool
    return request.app.state.pool


async def pool(request: Request) -> asyncpg.Pool:
    """The request's pool as a dependency (see ``request_pool``)."""
    return request_pool(request)


async def catalog_cache(request: Request) -> CatalogCache:
    """The app's collection registry cache (one per app, refreshed per data area from the pool)."""
    cache = getattr(request.app.state, "catalog_cache", None)
    if cache is None:
        cache = CatalogCache(features_settings().exact_count_threshold, request.app.state.pool)
        request.app.state.catalog_cache = cache
    return cache


async def tile_cache(request: Request) -> TileCache:
    """The app's cache of recently served tiles (keys carry the data version)."""
    cache = getattr(request.app.state, "tile_cache", None)
    if cache is None:
        cache = TileCache()
        request.app.state.tile_cache = cache
    return cache


def parse_bbox(text: str, crs: OutputCrs | None = None) -> tuple[float, float, float, float]:
    """``w,s,e,n`` in degrees (CRS84), checked: four finite numbers, w < e, s < n, within ±180/±90.

    With another ``bbox-crs`` the four numbers are in that CRS's axis order (lat first for EPSG:4326)."""
    if crs is not None and not crs.is_default:
        return _parse_bbox_in(text, crs)
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidParameter(f"bbox must be 4 comma-separated numbers w,s,e,n (lon/lat); got {text!r}")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter(
            f"bbox must be 4 comma-separated numbers w,s,e,n (lon/lat); got {text!r}"
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise InvalidParameter(f"bbox values must be finite numbers; got {text!r}")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise InvalidParameter(f"bbox longitudes must be within -180..180; got {w}, {e}")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise InvalidParameter(f"bbox latitudes must be within -90..90; got {s}, {n}")
    if not w < e:
        raise InvalidParameter(f"bbox west ({w}) must be less than east ({e})")
    if not s < n:
        raise InvalidParameter(f"bbox south ({s}) must be less than north ({n})")
    return w, s, e, n


def _parse_bbox_in(text: str, crs: OutputCrs) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"bbox must be 4 comma-separated finite numbers in {crs.short}; got {text!r}")
    a, b, c, d = values
    if not (a < c and b < d):
        raise InvalidParameter(
            f"bbox: the lower corner must come first ({crs.short} axis order); got {text!r}"
        )
    if crs.lat_first and not (-90 <= a and c <= 90 and -180 <= b and d <= 180):
        raise InvalidParameter(f"bbox in {crs.short} is lat,lon,lat,lon within ±90/±180; got {text!r}")
    return a, b, c, d


def _names(text: str, what: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        raise InvalidParameter(f"{what} must list at least one property name")
    return names


async def items_query(
    request: Request,
    bbox: str | None = Query(None, description="w,s,e,n in degrees (CRS84)"),
    limit: int | None = Query(None, description="features per page, 1..10000 (default 100)"),
    offset: int = Query(0, description=f"features to skip, 0..{BIGINT_MAX}"),
    properties: str | None = Query(None, description="comma-separated property names to return"),
    sortby: str | None = Query(None, description="e.g. +name,-status"),
    bbox_crs: str | None = Query(
        None, alias="bbox-crs", description="CRS of bbox (default CRS84); one of " + ", ".join(CRS_URIS)
    ),
    crs: str | None = Query(
        None, description="CRS of the geometries returned (default CRS84); one of " + ", ".join(CRS_URIS)
    ),
    datetime: str | None = Query(None, description="not supported: the layers have no time axis"),
) -> ItemsQuery:
    """Parse the /items parameters; property filters are all the other query parameters."""
    settings = features_settings()
    if limit is None:
        limit = settings.default_limit
    if not 1 <= limit <= settings.max_limit:
        raise InvalidParameter(f"limit must be between 1 and {settings.max_limit}; got {limit}")
    if not 0 <= offset <= BIGINT_MAX:
        raise InvalidParameter(f"offset must be between 0 and {BIGINT_MAX}; got {offset}")
    output_crs = parse_crs(crs, "crs")
    box_crs = parse_crs(bbox_crs, "bbox-crs")
    if datetime is not None:
        raise InvalidParameter("datetime is not supported: the plan layers have no time axis")
    sort_terms = []
    for term in _names(sortby, "sortby") if sortby is not None else ():
        desc = term.startswith("-")
        name = term.lstrip("+-").strip()
        if not name:
            raise InvalidParameter(f"sortby term {term!r} names no property")
        sort_terms.append((name, desc))
    filters: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in RESERVED_ITEM_PARAMS:
            continue
        if key in filters:
            raise InvalidParameter(f"property filter {key!r} given twice")
        filters[key] = value
    return ItemsQuery(
        limit=limit,
        offset=offset,
        bbox=parse_bbox(bbox, box_crs) if bbox is not None else None,
        filters=filters,
        properties=_names(properties, "properties") if properties is not None else None,
        sortby=tuple(sort_terms),
        crs=output_crs,
        bbox_crs=box_crs,
    )


async def output_crs(
    crs: str | None = Query(
        None, description="CRS of the geometry returned (default CRS84); one of " + ", ".join(CRS_URIS)
    ),
) -> OutputCrs:
    """The ``crs=`` of a single feature."""
    return parse_crs(crs, "crs")


def format_parameter(*formats: str, aliases: dict[str, str] | None = None, description: str = ""):
    """The one ``f=`` parser: a dependency accepting ``formats`` (the first is the default).

    ``aliases`` are other names accepted for a format (``geojson`` → ``json``). Anything else is a 400
    naming the accepted values; the OpenAPI lists them as the parameter's enum.
    """
    aliases = aliases or {}
    accepted = [*formats, *aliases]
    listing = ", ".join(accepted[:-1]) + f" or {accepted[-1]}" if len(accepted) > 1 else accepted[0]

    async def parse(
        f: str | None = Query(
            None,
            description=description or f"{listing} (default {formats[0]})",
            json_schema_extra={"enum": accepted},
        ),
    ) -> str:
        if f is None:
            return formats[0]
        f = aliases.get(f, f)
        if f not in formats:
            raise InvalidParameter(f"f must be {listing}; got {f!r}")
        return f

    parse.__doc__ = f"The requested output format: {', '.join(formats)}."
    return parse


# /items: GeoJSON by default, CSV, or a file (gpkg, zipped shp, kml)
output_format = format_parameter(
    "json",
    "csv",
    "gpkg",
    "shp",
    "kml",
    aliases={"geojson": "json"},
    description="json (GeoJSON, default), geojson, csv, or a file: gpkg, shp (zipped), kml",
)
json_or_csv = format_parameter("json", "csv")


def etag_for(request: Request, data_version: int) -> str:
    """A weak ETag naming the data version and the exact request (path and query)."""
    digest = hashlib.blake2b(f"{request.url.path}?{request.url.query}".encode(), digest_size=8).hexdigest()
    return f'W/"{data_version}-{digest}"'


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 response when the client already holds ``etag``; None otherwise."""
    match = request.headers.get("if-none-match")
    if match and (match.strip() == "*" or etag in (m.strip() for m in match.split(","))):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return None


def if_match_version(request: Request, body_version: int | None = None) -> int | None:
    """The version a write names: ``If-Match: "<n>"`` (weak or strong) or ``version`` in the body."""
    header = request.headers.get("if-match")
    if header is None:
        return body_version
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidParameter(f'If-Match must be the ETag you read, e.g. "3"; got {header!r}')
    return int(value)


def version_etag(version: int) -> str:
    """The ETag of a versioned record."""
    return f'"{version}"'


# --------------------------------------------------------------------------- who is calling

SESSION_COOKIE = "planview_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def client_address(request: Request) -> str | None:
    """The caller's address as the server sees it (behind a proxy: run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else None


def request_id(request: Request) -> str | None:
    """The request id the logging middleware set, or the caller's X-Request-ID."""
    return getattr(request.state, "request_id", None) or request.headers.get("x-request-id")


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def current_actor(request: Request, conn: asyncpg.Connection = CONNECTION) -> Actor:
    """Who calls: a Bearer token's or a session cookie's user, or ANONYMOUS; a bad token is 401."""
    if hasattr(request.state, "actor"):
        return request.state.actor
    state = request.app.state
    credentials = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if credentials and getattr(state, "read_pool", state.pool) is not state.pool:
        # sessions and tokens live on the primary: a replica may lag a log-in and cannot note last use
        async with state.pool.acquire() as primary:
            return await _resolve_actor(request, primary)
    return await _resolve_actor(request, conn)


async def _resolve_actor(request: Request, conn: asyncpg.Connection) -> Actor:
    actor, method = ANONYMOUS, None
    token = bearer_token(request)
    if token is not None:
        actor = await actor_for_token(conn, token, request_id(request), client_address(request))
        if actor is None:
            raise Unauthenticated("the Bearer token is unknown, expired or revoked")
        method = "bearer"
    elif session_id := request.cookies.get(SESSION_COOKIE):
        found = await actor_for_session(conn, session_id, request_id(request), client_address(request))
        if found is not None:
            actor, method = found, "cookie"
        else:
            request.state.session_expired = True
    request.state.actor, request.state.auth_method = actor, method
    # every write that a cookie authenticates is CSRF-checked here, whichever route it reaches
    check_csrf(request)
    return actor


def same_origin(request: Request) -> bool:
    """True when the request's Origin (or Referer) names this server's own host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def check_csrf(request: Request) -> None:
    """A cookie-authenticated write carries the session's CSRF token, or comes from our own origin."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth_method", None) != "cookie":
        return
    sent = request.headers.get(CSRF_HEADER.lower())
    expected = csrf_token_for(request.cookies.get(SESSION_COOKIE, ""))
    if sent is not None and hmac.compare_digest(sent, expected):
        return
    if sent is None and same_origin(request):
        return
    raise Forbidden(
        f"needs a CSRF token: a write with the session cookie must send the {CSRF_HEADER} header "
        "(GET /api/auth/me gives it) or come from this site; scripts use a Bearer token"
    )


async def require_actor(request: Request, actor: Actor = Depends(current_actor)) -> Actor:
    """A logged-in actor (401 otherwise; "log in again" when the session cookie has expired)."""
    if actor.is_anonymous:
        if getattr(request.state, "session_expired", False):
            raise Unauthenticated("your session has expired or was ended; log in again")
        require_login(actor)
    return actor
