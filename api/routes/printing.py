"""Maps on paper: the print layout page and its server-rendered vector PDF."""

import datetime as dt
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import CONNECTION, catalog_cache, pool
from api.errors import error_responses
from api.settings import print_settings
from geo.serve.catalog import CatalogCache
from geo.serve.printmap import PrintRequest, print_map
from maps.pdf import PdfRenderer
from maps.print_sheet import print_page

router = APIRouter(tags=["print"])
Conn = Annotated[asyncpg.Connection, CONNECTION]
Cache = Annotated[CatalogCache, Depends(catalog_cache)]


async def print_query(
    sheet: Annotated[str | None, Query(max_length=20, description="map sheet id, e.g. P12")] = None,
    paper: Annotated[str | None, Query(max_length=4, description="A4 or A3")] = None,
    orientation: Annotated[str | None, Query(max_length=10, description="portrait or landscape")] = None,
    scale: Annotated[
        str | None, Query(max_length=12, description="10000, 25000, 50000, 100000, 250000 or fit")
    ] = None,
    center: Annotated[str | None, Query(max_length=60, description="lon,lat of the map's centre")] = None,
    bbox: Annotated[str | None, Query(max_length=120, description="w,s,e,n (lon/lat) to show")] = None,
    layers: Annotated[
        str | None, Query(max_length=1000, description="layer ids, comma-separated (as in the viewer)")
    ] = None,
    lang: Annotated[str | None, Query(max_length=5, description="vi or en")] = None,
) -> tuple[PrintRequest, dict]:
    """The print parameters, checked, and as given (for the layout's PDF link)."""
    given = {
        "sheet": sheet,
        "paper": paper,
        "orientation": orientation,
        "scale": scale,
        "center": center,
        "bbox": bbox,
        "layers": layers,
        "lang": lang,
    }
    return PrintRequest.parse(**given), {k: v for k, v in given.items() if v}


Query_ = Annotated[tuple[PrintRequest, dict], Depends(print_query)]


async def pdf_renderer(request: Request) -> PdfRenderer:
    """The app's PDF printer (one per app: its semaphore bounds the Chromium processes)."""
    renderer = getattr(request.app.state, "pdf_renderer", None)
    if renderer is None:
        s = print_settings()
        renderer = PdfRenderer(s.chromium, s.timeout_s, s.concurrency, s.queue_wait_s)
        request.app.state.pdf_renderer = renderer
    return renderer


def _today(lang: str) -> str:
    today = dt.date.today()
    return today.strftime("%d/%m/%Y") if lang == "vi" else today.isoformat()


async def _layout(conn: asyncpg.Connection, cache: CatalogCache, parsed: tuple[PrintRequest, dict]) -> str:
    request, given = parsed
    data = await print_map(conn, await cache.get(conn), request)
    return print_page(data, given, _today(request.lang))


@router.get(
    "/print",
    response_class=HTMLResponse,
    summary="Print layout (HTML, one CSS page)",
    responses=error_responses(404),
)
async def print_layout(parsed: Query_, conn: Conn, cache: Cache) -> HTMLResponse:
    """A map sheet on A4/A3 at a stated scale in VN-2000 (TM-3 106°30′), ready for the browser's print."""
    return HTMLResponse(await _layout(conn, cache, parsed), headers={"Cache-Control": "no-cache"})


@router.get(
    "/api/print.pdf",
    response_class=Response,
    summary="Print layout as a vector PDF",
    responses={
        200: {"content": {"application/pdf": {}}},
        503: {"description": "the printer is busy or not installed (Retry-After)"},
        504: {"description": "the PDF was not ready in time"},
        **error_responses(404),
    },
)
async def print_pdf(
    parsed: Query_,
    db: Annotated[asyncpg.Pool, Depends(pool)],
    cache: Cache,
    renderer: Annotated[PdfRenderer, Depends(pdf_renderer)],
) -> Response:
    """The same layout printed on the server by headless Chromium: vector, text selectable, true to scale."""
    async with db.acquire() as conn:  # released before Chromium runs: printing holds no connection
        html = await _layout(conn, cache, parsed)
    pdf = await renderer.render(html)
    request = parsed[0]
    name = f"planview-{request.sheet or 'map'}-{request.paper}-{request.scale or 'fit'}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-cache"},
    )
