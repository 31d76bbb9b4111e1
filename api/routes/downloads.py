"""``/api/download``: the whole plan as a styled GeoPackage, and a ready QGIS project."""

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from api.deps import CONNECTION, catalog_cache, etag_for, not_modified, pool
from geo.serve.catalog import CatalogCache
from geo.serve.plan_package import PACKAGE_AREAS, PlanPackage, plan_layers
from maps.qgis import layer_qml, qgis_project

router = APIRouter(prefix="/api/download", tags=["Downloads"])

GEOPACKAGE = "application/geopackage+sqlite3"
QGZ = "application/zip"
TITLE = "Quy hoạch tỉnh Bắc Kạn thời kỳ 2021–2030 (planview)"


def _plan_package(request: Request) -> PlanPackage:
    package = getattr(request.app.state, "plan_package", None)
    if package is None:
        package = request.app.state.plan_package = PlanPackage()
    return package


@router.get(
    "/plan.gpkg",
    summary="The whole plan as one GeoPackage (EPSG:9213, QGIS styles)",
    response_class=FileResponse,
    responses={200: {"content": {GEOPACKAGE: {}}}},
)
async def plan_gpkg(
    request: Request,
    db: asyncpg.Pool = Depends(pool),
    cache: CatalogCache = Depends(catalog_cache),
) -> FileResponse:
    """Every sheet's loaded layers, the admin units before and after 2025, zones and projects, in VN-2000
    / TM-3 106-30, styled in ``layer_styles``; built once per data version and kept on disk."""
    path = await _plan_package(request).get(db, cache, layer_qml)
    version = path.stem.removeprefix("plan-v")
    return FileResponse(
        path,
        media_type=GEOPACKAGE,
        filename=f"planview_backan_v{version}.gpkg",
        headers={"ETag": f'"plan-{version}"', "Cache-Control": "public, max-age=60"},
    )


@router.get(
    "/planview.qgz",
    summary="A ready QGIS project reading this server's OGC API",
    response_class=Response,
    responses={200: {"content": {QGZ: {}}}},
)
async def planview_qgz(
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """Sheets as groups in catalog order, each layer live from ``<this server>/api`` (OAPIF), styled like
    the page; project CRS EPSG:9213."""
    catalog = await cache.get(conn)
    version = catalog.version_of(PACKAGE_AREAS)
    etag = etag_for(request, version)
    if cached := not_modified(request, etag):
        return cached
    plan = cache.derived.get(("plan_layers", version))
    if plan is None:
        plan = await plan_layers(conn, catalog)
        cache.derived[("plan_layers", version)] = plan
    body = qgis_project(plan, str(request.base_url).rstrip("/") + "/api", TITLE)
    headers = {"ETag": etag, "Content-Disposition": 'attachment; filename="planview.qgz"'}
    return Response(body, media_type=QGZ, headers=headers)
