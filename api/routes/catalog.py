"""``/api/sheets``: the plan's map sheets with their layers, legends and loaded flags."""

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import CACHE_CONTROL, CONNECTION, catalog_cache, etag_for, not_modified
from api.responses import OrjsonResponse
from geo.serve.catalog import CatalogCache, sheet_catalog

router = APIRouter(prefix="/api", tags=["sheets"])


@router.get("/sheets", summary="Map sheets with their layers and legends")
async def sheets(
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """Sheets by number; each layer with its style, legend, feature count and whether it is loaded."""
    catalog = await cache.get(conn)
    etag = etag_for(request, catalog.sheets_version)
    if cached := not_modified(request, etag):
        return cached
    body = cache.derived.get(("sheets", catalog.sheets_version))
    if body is None:
        body = await sheet_catalog(conn, catalog)
        cache.derived[("sheets", catalog.sheets_version)] = body
    return OrjsonResponse(body, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
