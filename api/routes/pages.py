"""The map page at ``/`` (``?view=planner|investor``, ``?district=<code|name>``, ``?lang=vi|en``)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.security import with_nonce
from api.settings import api_settings
from maps.page import LANGUAGES, VIEWS, PageRequest, build_page

router = APIRouter(tags=["pages"])


def page_request(
    view: Annotated[str | None, Query(max_length=40, description="default, planner or investor")] = None,
    district: Annotated[str | None, Query(max_length=80, description="district code or name")] = None,
    lang: Annotated[str | None, Query(max_length=10, description="vi or en")] = None,
) -> tuple[PageRequest, list[str]]:
    """Read the way in; a value we do not know becomes a notice on the page, never an error page."""
    notices = []
    if view and view not in VIEWS:
        notices.append("unknown_view")
        view = None
    if lang and lang not in LANGUAGES:
        notices.append("unknown_lang")
        lang = None
    district = district.strip() if district and district.strip() else None
    return PageRequest(view=view or "default", district=district, lang=lang or "vi"), notices


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def map_page(
    http: Request, parsed: Annotated[tuple[PageRequest, list[str]], Depends(page_request)]
) -> HTMLResponse:
    """The Folium/Leaflet viewer."""
    request, notices = parsed
    settings = api_settings()
    page = build_page(request, settings.base_tiles_url, settings.base_tiles_attribution, notices=notices)
    return HTMLResponse(with_nonce(http, page), headers={"Cache-Control": "no-cache"})
