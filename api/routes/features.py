"""OGC API – Features (Part 1 Core + GeoJSON) and vector tiles under /api."""

from typing import Annotated

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from api.deps import (
    CACHE_CONTROL,
    CONNECTION,
    catalog_cache,
    etag_for,
    items_query,
    not_modified,
    output_crs,
    output_format,
    pool,
    tile_cache,
)
from api.errors import error_responses
from api.responses import OrjsonResponse
from geo.errors import InvalidParameter
from geo.serve.catalog import Catalog, CatalogCache, Collection, collection_summary
from geo.serve.crs import CRS84, OutputCrs, content_crs
from geo.serve.downloads import (
    FILE_FORMATS,
    build_file,
    new_workdir,
    remove_workdir,
    stream_kml,
    whole_layer,
)
from geo.serve.features import (
    ItemsQuery,
    StreamProgress,
    check_query,
    current_items_page,
    item,
    items_csv,
    items_page,
    stream_items,
)
from geo.serve.tiles import MAX_ZOOM, TileCache, check_tile, tile

router = APIRouter(prefix="/api", tags=["OGC API – Features"])

CollectionId = Annotated[str, Path(description="collection id (GET /api/collections)", examples=["zones"])]
FeatureId = Annotated[
    str, Path(description="feature id: fid, unit code, zone or project id", examples=["KCN-01"])
]

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
# Above this many features a page is streamed from a server-side cursor instead of built in one string.
STREAM_ABOVE = 2_000
OGC = "http://www.opengis.net/spec"
CONFORMANCE = [
    f"{OGC}/ogcapi-features-1/1.0/conf/core",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{OGC}/ogcapi-features-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-features-2/1.0/conf/crs",
    f"{OGC}/ogcapi-common-1/1.0/conf/core",
    f"{OGC}/ogcapi-common-2/1.0/conf/collections",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/core",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/tileset",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/tilesets-list",
    f"{OGC}/ogcapi-tiles-1/1.0/conf/mvt",
]
WEB_MERCATOR_QUAD = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def _url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _collection_json(request: Request, c: Collection) -> dict:
    base = _url(request, f"/api/collections/{c.id}")
    out = collection_summary(c)
    out["links"] = [
        _link(base, "self", "application/json", "this collection"),
        _link(f"{base}/items", "items", GEOJSON, "features as GeoJSON"),
        _link(f"{base}/items?f=csv", "items", "text/csv", "features as CSV"),
        _link(
            f"{base}/queryables",
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "application/schema+json",
        ),
        _link(f"{base}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json"),
        _link(
            f"{base}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileCol}}/{{tileRow}}",
            "item",
            MVT,
            "vector tiles (z/x/y)",
        ),
    ]
    return out


def _cached_json(request: Request, version: int, body: dict) -> Response:
    etag = etag_for(request, version)
    return not_modified(request, etag) or OrjsonResponse(
        body, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL}
    )


@router.get("", summary="Landing page")
async def landing(request: Request) -> dict:
    """Title and links to the API definition, conformance and the collections."""
    return {
        "title": "planview — Quy hoạch tỉnh Bắc Kạn thời kỳ 2021–2030",
        "description": "OGC API – Features and vector tiles over the Bắc Kạn provincial plan "
        "2021–2030 (Decision 1288/QĐ-TTg).",
        "links": [
            _link(_url(request, "/api"), "self", "application/json", "this document"),
            _link(
                _url(request, "/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.0"
            ),
            _link(_url(request, "/docs"), "service-doc", "text/html", "API documentation"),
            _link(_url(request, "/api/conformance"), "conformance", "application/json"),
            _link(_url(request, "/api/collections"), "data", "application/json", "collections"),
            _link(
                _url(request, "/api/tileMatrixSets"),
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                "application/json",
            ),
            _link(_url(request, "/api/sheets"), "related", "application/json", "the plan's map sheets"),
        ],
    }


@router.get("/conformance", summary="Conformance classes")
async def conformance() -> dict:
    """The OGC conformance classes this server implements."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", summary="All collections")
async def collections(
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """Every loaded sheet layer, the admin units, zones and projects."""
    catalog = await cache.get(conn)
    body = {
        "links": [_link(_url(request, "/api/collections"), "self", "application/json")],
        "collections": [_collection_json(request, c) for c in catalog.collections.values()],
        "data_version": catalog.collections_version(catalog.collections.values()),
    }
    return _cached_json(request, body["data_version"], body)


async def _collection(
    conn: asyncpg.Connection, cache: CatalogCache, collection_id: str
) -> tuple[Catalog, Collection]:
    catalog = await cache.get(conn)
    return catalog, catalog.get(collection_id)


@router.get("/collections/{collection_id}", summary="One collection", responses=error_responses(404))
async def collection(
    collection_id: CollectionId,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """The collection's titles, extent, sheet and links."""
    catalog, c = await _collection(conn, cache, collection_id)
    return _cached_json(request, catalog.collections_version([c]), _collection_json(request, c))


@router.get(
    "/collections/{collection_id}/queryables",
    summary="Properties schema of a collection",
    responses=error_responses(404),
)
@router.get("/collections/{collection_id}/schema", include_in_schema=False)
async def queryables(
    collection_id: CollectionId,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """A JSON Schema of the properties (each usable as a filter, in ``properties=`` and ``sortby``)."""
    catalog, c = await _collection(conn, cache, collection_id)
    body = c.schema()
    body["$id"] = _url(request, f"/api/collections/{c.id}/queryables")
    response = _cached_json(request, catalog.collections_version([c]), body)
    response.media_type = "application/schema+json"
    return response


def _page_links(request: Request, query: ItemsQuery, returned: int, has_more: bool) -> list[dict]:
    url = request.url
    links = [_link(str(url), "self", GEOJSON, "this page")]
    if has_more:
        links.append(_link(str(url.include_query_params(offset=query.offset + returned)), "next", GEOJSON))
    if query.offset > 0:
        prev = max(query.offset - query.limit, 0)
        links.append(_link(str(url.include_query_params(offset=prev)), "prev", GEOJSON))
    collection_url = url.path.rsplit("/items", 1)[0]
    links.append(_link(_url(request, collection_url), "collection", "application/json"))
    return links


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection",
    response_class=Response,
    responses={
        200: {"content": {GEOJSON: {}, "text/csv": {}, **{f.media_type: {} for f in FILE_FORMATS.values()}}},
        **error_responses(404),
    },
)
async def items(
    collection_id: CollectionId,
    request: Request,
    query: ItemsQuery = Depends(items_query),
    fmt: str = Depends(output_format),
    db: asyncpg.Pool = Depends(pool),
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """A page of features (bbox, property filters, properties, sortby, paging), GeoJSON or CSV."""
    async with db.acquire() as conn:
        page = None
        one_page = fmt == "json" and query.limit <= STREAM_ABOVE
        if one_page and "if-none-match" not in request.headers:
            # the common case in one round trip: the page and the versions of its ETag together
            found = await current_items_page(conn, cache, collection_id, query)
            if found is not None:
                catalog, c, page = found
        if page is None:
            catalog, c = await _collection(conn, cache, collection_id)
            check_query(c, query)
        etag = etag_for(request, catalog.collections_version([c]))
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Content-Crs": content_crs(query.crs)}
        if cached := not_modified(request, etag):
            return cached
        if one_page:
            page = page or await items_page(conn, c, query)
            head = {"type": "FeatureCollection", "numberReturned": page.number_returned}
            if page.number_matched is not None:
                head["numberMatched"] = page.number_matched
            head["links"] = _page_links(request, query, page.number_returned, page.has_more)
            # the features come from PostGIS as text: splice them in, never decode them
            body = orjson.dumps(head)[:-1] + b',"features":[' + page.features + b"]}"
            return Response(body, media_type=GEOJSON, headers=headers)

    if fmt in FILE_FORMATS:
        return await _file_download(request, db, c, query, fmt, headers)

    if fmt == "csv":

        async def csv_body():
            async with db.acquire() as stream_conn:
                async for chunk in items_csv(stream_conn, c, query):
                    yield chunk

        headers["Content-Disposition"] = f'inline; filename="{c.id}.csv"'
        return StreamingResponse(csv_body(), media_type="text/csv; charset=utf-8", headers=headers)

    async def geojson_body():
        progress = StreamProgress()
        yield b'{"type":"FeatureCollection","features":['
        async with db.acquire() as stream_conn:
            async for chunk in stream_items(stream_conn, c, query, progress):
                yield chunk
        tail = {
            "numberReturned": progress.number_returned,
            "links": _page_links(request, query, progress.number_returned, progress.has_more),
        }
        yield b"]," + orjson.dumps(tail)[1:]

    return StreamingResponse(geojson_body(), media_type=GEOJSON, headers=headers)


def _download_name(c: Collection, query: ItemsQuery, extension: str) -> str:
    suffix = "" if query.crs.is_default else "_" + query.crs.short.replace(":", "")
    return f"{c.id}{suffix}.{extension}"


async def _file_download(
    request: Request, db: asyncpg.Pool, c: Collection, query: ItemsQuery, fmt: str, headers: dict
) -> Response:
    """Every matching feature (unless paged with limit/offset) as a GeoPackage, zipped Shapefile or KML."""
    file_format = FILE_FORMATS[fmt]
    paged = "limit" in request.query_params or "offset" in request.query_params
    query = whole_layer(query, paged)
    headers["Content-Disposition"] = (
        f'attachment; filename="{_download_name(c, query, file_format.extension)}"'
    )
    if fmt == "kml":
        if not query.crs.is_wgs84:
            raise InvalidParameter(f"crs: KML is always WGS 84 (CRS84); got {query.crs.uri}")
        headers["Content-Crs"] = content_crs(CRS84)

        async def kml_body():
            async with db.acquire() as stream_conn:
                async for chunk in stream_kml(stream_conn, c, query):
                    yield chunk

        return StreamingResponse(kml_body(), media_type=file_format.media_type, headers=headers)
    workdir = new_workdir()
    try:
        async with db.acquire() as conn:
            path = await build_file(conn, c, query, file_format, workdir)
    except BaseException:
        remove_workdir(workdir)
        raise
    return FileResponse(
        path,
        media_type=file_format.media_type,
        headers=headers,
        background=BackgroundTask(remove_workdir, workdir),
    )


@router.get(
    "/collections/{collection_id}/items/{fid}",
    summary="One feature",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **error_responses(404)},
)
async def feature(
    collection_id: CollectionId,
    fid: FeatureId,
    request: Request,
    crs: OutputCrs = Depends(output_crs),
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> Response:
    """One feature by id (``fid`` for layers, the code for admin units, zone/project ids), in ``crs``."""
    catalog, c = await _collection(conn, cache, collection_id)
    etag = etag_for(request, catalog.collections_version([c]))
    if cached := not_modified(request, etag):
        return cached
    text = await item(conn, c, fid, crs)
    links = [
        _link(str(request.url), "self", GEOJSON),
        _link(_url(request, f"/api/collections/{c.id}"), "collection", "application/json"),
    ]
    body = text[:-1] + b',"links":' + orjson.dumps(links) + b"}"
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Content-Crs": content_crs(crs)}
    return Response(body, media_type=GEOJSON, headers=headers)


async def _tile_response(
    request: Request,
    conn: asyncpg.Connection,
    tiles: TileCache,
    catalog: Catalog,
    collections: list[Collection],
    z: int,
    x: int,
    y: int,
) -> Response:
    version = catalog.collections_version(collections)
    etag = etag_for(request, version)
    if cached := not_modified(request, etag):
        return cached
    key = (version, tuple(c.id for c in collections), z, x, y)
    body = tiles.get(key)
    if body is None:
        stored = await tiles.stored_layers(conn, catalog.version_of(("catalog", "plan_layers")))
        body = await tile(conn, collections, z, x, y, stored)
        tiles.put(key, body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if not body.gzipped:
        data = body.data  # live tiles are gzipped by api.gzip like every other response
    elif _accepts_gzip(request):
        # stored tiles are kept gzipped: sent as they are, unpacked only for a client without gzip
        data = body.data
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    else:
        data = body.mvt()
        headers["Vary"] = "Accept-Encoding"
    return Response(data, media_type=MVT, headers=headers)


@router.get(
    "/collections/{collection_id}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    summary="A vector tile of one collection",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, **error_responses(404)},
)
async def collection_tile(
    collection_id: CollectionId,
    z: int,
    x: int,
    y: int,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
    tiles: TileCache = Depends(tile_cache),
) -> Response:
    """An MVT tile (layer name = collection id), simplified for its zoom."""
    check_tile(z, x, y)
    catalog, c = await _collection(conn, cache, collection_id)
    return await _tile_response(request, conn, tiles, catalog, [c], z, x, y)


@router.get(
    "/tiles/WebMercatorQuad/{z}/{x}/{y}",
    summary="A vector tile of several collections",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, **error_responses(404)},
)
async def combined_tile(
    z: int,
    x: int,
    y: int,
    request: Request,
    collections: str = Query(..., description="comma-separated collection ids"),
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
    tiles: TileCache = Depends(tile_cache),
) -> Response:
    """One MVT tile holding one layer per requested collection."""
    check_tile(z, x, y)
    ids = [p.strip() for p in collections.split(",") if p.strip()]
    if not ids:
        raise InvalidParameter("collections must name at least one collection")
    catalog = await cache.get(conn)
    chosen = [catalog.get(i) for i in dict.fromkeys(ids)]
    return await _tile_response(request, conn, tiles, catalog, chosen, z, x, y)


def _tile_matrix_set_link(request: Request) -> dict:
    return _link(
        _url(request, "/api/tileMatrixSets/WebMercatorQuad"),
        "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
        "application/json",
    )


@router.get(
    "/collections/{collection_id}/tiles", summary="Tilesets of a collection", responses=error_responses(404)
)
async def collection_tilesets(
    collection_id: CollectionId,
    request: Request,
    conn: asyncpg.Connection = CONNECTION,
    cache: CatalogCache = Depends(catalog_cache),
) -> dict:
    """The one tileset (WebMercatorQuad, MVT) of a collection."""
    _, c = await _collection(conn, cache, collection_id)
    template = _url(
        request, f"/api/collections/{c.id}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileCol}}/{{tileRow}}"
    )
    return {
        "tilesets": [
            {
                "title": c.title_vi,
                "dataType": "vector",
                "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                "tileMatrixSetURI": WEB_MERCATOR_QUAD,
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "layers": [{"id": c.id, "dataType": "vector", "propertiesSchema": c.schema()}],
                "links": [
                    _link(template, "item", MVT, "z/x/y (tileCol = x, tileRow = y)"),
                    _tile_matrix_set_link(request),
                ],
            }
        ]
    }


@router.get("/tileMatrixSets", summary="Tiling schemes")
async def tile_matrix_sets(request: Request) -> dict:
    """The tiling schemes served (WebMercatorQuad only)."""
    return {
        "tileMatrixSets": [
            {"id": "WebMercatorQuad", "uri": WEB_MERCATOR_QUAD, "links": [_tile_matrix_set_link(request)]}
        ]
    }


@router.get("/tileMatrixSets/WebMercatorQuad", summary="The WebMercatorQuad tiling scheme")
async def web_mercator_quad() -> dict:
    """WebMercatorQuad (EPSG:3857, 256-pixel tiles, zooms 0–22)."""
    half = 20037508.3427892
    return {
        "id": "WebMercatorQuad",
        "uri": WEB_MERCATOR_QUAD,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["X", "Y"],
        "tileMatrices": [
            {
                "id": str(z),
                "scaleDenominator": 559082264.028717 / 2**z,
                "cellSize": 156543.033928041 / 2**z,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-half, half],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 2**z,
                "matrixHeight": 2**z,
            }
            for z in range(MAX_ZOOM + 1)
        ],
    }
