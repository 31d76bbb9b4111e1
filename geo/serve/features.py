"""Items of a collection as GeoJSON or CSV, written by PostGIS (geometry never decoded in Python)."""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg

from geo.errors import InvalidParameter, NotFound
from geo.serve.catalog import Catalog, CatalogCache, Collection
from geo.serve.crs import CRS84, OutputCrs, geometry_sql
from geo.store.cells import safe_cell

# json_build_object takes at most 100 arguments (50 key/value pairs).
_PAIRS_PER_CALL = 50
# Rows fetched per round trip when streaming a page through a server-side cursor.
CURSOR_CHUNK = 500


@dataclass(frozen=True)
class ItemsQuery:
    """What a client asked of /items, already parsed (not yet checked against the collection)."""

    limit: int = 100
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    filters: dict[str, str] = field(default_factory=dict)
    properties: tuple[str, ...] | None = None
    sortby: tuple[tuple[str, bool], ...] = ()  # (name, descending)
    crs: OutputCrs = CRS84  # of the geometries written
    bbox_crs: OutputCrs = CRS84  # of the bbox numbers, in that CRS's axis order


@dataclass(frozen=True)
class ItemsPage:
    """One page of features: the comma-joined Feature objects and the counts for the envelope."""

    features: bytes
    number_returned: int
    has_more: bool
    number_matched: int | None
    versions: dict[str, int] | None = None  # the data areas' versions, read in the same statement


def check_query(collection: Collection, query: ItemsQuery) -> None:
    """Raise InvalidParameter when the query names a property the collection does not have."""
    known = set(collection.property_names)
    valid = ", ".join(collection.filter_names)
    for name in query.filters:
        if name not in known and name not in collection.filter_aliases:
            raise InvalidParameter(
                f"unknown property {name!r} for collection {collection.id!r}; filterable properties: {valid}"
            )
    for name in query.properties or ():
        if name not in known:
            raise InvalidParameter(
                f"properties: unknown property {name!r} for collection {collection.id!r}; "
                f"properties are: {', '.join(collection.property_names)}"
            )
    for name, _ in query.sortby:
        if name not in known:
            raise InvalidParameter(
                f"sortby: unknown property {name!r} for collection {collection.id!r}; "
                f"properties are: {', '.join(collection.property_names)}"
            )


def _json_object_sql(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "'{}'"
    calls = []
    for i in range(0, len(pairs), _PAIRS_PER_CALL):
        chunk = pairs[i : i + _PAIRS_PER_CALL]
        args = ", ".join(f"'{k}', {v}" for k, v in chunk)
        calls.append(f"json_build_object({args})")
    if len(calls) == 1:
        return f"{calls[0]}::text"
    return "(" + " || ".join(f"{c}::jsonb" for c in calls) + ")::text"


def _properties_sql(collection: Collection, selected: tuple[str, ...] | None) -> str:
    """SQL text of a feature's properties object (columns, plus the flattened JSONB keys)."""
    if selected is not None:
        pairs = []
        for name in selected:
            if name in collection.columns and name != collection.flatten_column:
                pairs.append((name, f't."{name}"'))
            else:
                pairs.append((name, f"(t.\"{collection.flatten_column}\" -> '{name}')"))
        return _json_object_sql(pairs)
    names = [c for c in collection.columns if c != collection.flatten_column]
    # row_to_json of a sub-row is ~15% cheaper than json_build_object and has no 100-argument limit
    columns_only = (
        "(SELECT row_to_json(r)::text FROM (SELECT " + ", ".join(f't."{c}"' for c in names) + ") r)"
        if names
        else "'{}'"
    )
    if not collection.flatten_column:
        return columns_only
    flat = f't."{collection.flatten_column}"'
    if not names:
        return f"coalesce({flat}::text, '{{}}')"
    # Columns win over free-form keys of the same name: drop those keys, then splice the two objects as
    # text (a jsonb merge re-parses the columns' JSON and cost a third of a 1,000-feature page).
    dropped = "ARRAY[" + ", ".join(f"'{c}'" for c in names) + "]::text[]"
    rest = f"nullif(substr(({flat} - {dropped})::text, 2), '}}')"
    return f"left({columns_only}, -1) || coalesce(', ' || {rest}, '}}')"


def _geojson_args(crs: OutputCrs) -> str:
    # options 0: no GeoJSON-2008 "crs" member (Part 2 names the CRS in the Content-Crs header instead)
    options = "" if crs.is_wgs84 else ", 0"
    return f"{geometry_sql(crs)}, {crs.decimals}{options}"


def feature_sql(
    collection: Collection, selected: tuple[str, ...] | None = None, crs: OutputCrs = CRS84
) -> str:
    """SQL text of one GeoJSON Feature (as text) for the row aliased ``t``, its geometry in ``crs``."""
    return (
        '\'{"type":"Feature","id":\' || to_json(t."' + collection.id_column + '")::text'
        f" || ',\"geometry\":' || coalesce(ST_AsGeoJSON({_geojson_args(crs)}), 'null')"
        " || ',\"properties\":' || " + _properties_sql(collection, selected) + " || '}'"
    )


def _where_sql(collection: Collection, query: ItemsQuery, args: list) -> str:
    conditions = [collection.where]
    if query.bbox is not None:
        args.extend(query.bbox)
        conditions.append(f"ST_Intersects(t.geom, {_envelope_sql(query.bbox_crs, len(args) - 3)})")
    for name, value in query.filters.items():
        args.append(value)
        p = f"${len(args)}"
        if name in collection.filter_aliases:
            conditions.append(collection.filter_aliases[name].format(p=p))
            continue
        pg_type = collection.columns.get(name)
        expr = collection.property_sql(name)
        if pg_type is None or pg_type in ("text", "varchar"):
            conditions.append(f"{expr} = {p}")
        elif pg_type.startswith("_"):
            conditions.append(f"{p} = ANY({expr}::text[])")
        else:
            # compare as text: a malformed number or date is then simply no match, never a 500
            conditions.append(f"{expr}::text = {p}")
    return " AND ".join(f"({c})" for c in conditions)


def _envelope_sql(crs: OutputCrs, first: int) -> str:
    """SQL of the bbox (parameters ``$first``..``$first+3``, in ``crs``'s axis order) as a 4326 polygon."""
    if crs.is_default:
        return f"ST_MakeEnvelope(${first}, ${first + 1}, ${first + 2}, ${first + 3}, 4326)"
    a, b, c, d = (f"${first + i}::float8" for i in range(4))
    if crs.lat_first:
        a, b, c, d = b, a, d, c
    envelope = f"ST_MakeEnvelope({a}, {b}, {c}, {d}, {crs.srid})"
    if crs.srid == 4326:
        return envelope
    # a rectangle in metres is not one in degrees: transform it with its edges divided, not just its corners
    return f"ST_Transform(ST_Segmentize({envelope}, greatest({c} - {a}, {d} - {b}) / 16), 4326)"


def _order_sql(collection: Collection, query: ItemsQuery) -> str:
    terms = [f"{collection.property_sql(n)} {'DESC' if desc else 'ASC'}" for n, desc in query.sortby]
    terms.append(f't."{collection.id_column}"')
    return ", ".join(terms)


async def items_page(
    conn: asyncpg.Connection, collection: Collection, query: ItemsQuery, with_versions: bool = False
) -> ItemsPage:
    """One page of features built in a single query; numberMatched only when counting is cheap.

    ``with_versions``: the data areas' versions come in the same statement (same snapshot as the page).
    """
    args: list = []
    where = _where_sql(collection, query, args)
    args.extend([query.limit + 1, query.offset, query.limit])
    n = len(args)
    # one row more than asked tells whether a next page exists, without counting
    source = (
        f"SELECT * FROM {collection.relation} t WHERE {where} "
        f"ORDER BY {_order_sql(collection, query)} LIMIT ${n - 2} OFFSET ${n - 1}"
    )
    matched = "NULL::bigint"
    if collection.exact_count:
        matched = f"(SELECT count(*) FROM {collection.relation} t WHERE {where})"
    feature = feature_sql(collection, query.properties, query.crs)
    versions = _VERSIONS_ARRAY if with_versions else "NULL::text[]"
    sql = (
        f"SELECT {matched} AS matched, count(*) AS n, "
        # as bytea: the page arrives as bytes, never decoded to str and encoded back (0.5 ms at 1,000)
        f"convert_to(string_agg({feature}, ',') FILTER (WHERE t._rn <= ${n}), 'UTF8') AS features, "
        f"{versions} AS versions "
        f"FROM (SELECT s.*, row_number() OVER () AS _rn FROM ({source}) s) t"
    )
    row = await conn.fetchrow(sql, *args)
    n_rows = row["n"]
    return ItemsPage(
        features=row["features"] or b"",
        number_returned=min(n_rows, query.limit),
        has_more=n_rows > query.limit,
        number_matched=row["matched"],
        versions=_versions(row["versions"]) if with_versions else None,
    )


# as 'area=version' texts: decoded the same on any connection (no JSON codec needed)
_VERSIONS_ARRAY = "ARRAY(SELECT area || '=' || version FROM data_area_version)"


def _versions(pairs: list[str]) -> dict[str, int]:
    return {area: int(version) for area, version in (p.rsplit("=", 1) for p in pairs)}


# A snapshot older than the table: an import swapped in other columns before the versions said so.
_STRUCTURE_MOVED = (asyncpg.UndefinedColumnError, asyncpg.UndefinedTableError, asyncpg.UndefinedFunctionError)


async def current_items_page(
    conn: asyncpg.Connection, cache: CatalogCache, collection_id: str, query: ItemsQuery
) -> tuple[Catalog, Collection, ItemsPage] | None:
    """The page, its collection and the catalog under the versions it was read with, in ONE round trip.

    It builds the query from the cached catalog and reads the areas' versions in the same statement.
    None when that cannot answer for sure (no catalog yet, an unknown collection or property, the layer
    structure moved): the caller then asks the catalog first (``CatalogCache.get``), as for every
    other route.
    """
    snapshot = cache.snapshot()
    collection = snapshot.collections.get(collection_id) if snapshot is not None else None
    if collection is None:
        return None
    try:
        check_query(collection, query)
        page = await items_page(conn, collection, query, with_versions=True)
    except (InvalidParameter, *_STRUCTURE_MOVED):
        return None
    catalog = cache.current(page.versions)
    if catalog is None:
        return None
    return catalog, collection, page


@dataclass
class StreamProgress:
    """Filled in while a streamed page is written: the envelope's counts come after the features."""

    number_returned: int = 0
    has_more: bool = False


async def stream_items(
    conn: asyncpg.Connection, collection: Collection, query: ItemsQuery, progress: StreamProgress
) -> AsyncIterator[bytes]:
    """Yield the page's features (comma-joined, in chunks) from a server-side cursor."""
    args: list = []
    where = _where_sql(collection, query, args)
    args.extend([query.limit + 1, query.offset])
    n = len(args)
    sql = (
        f"SELECT {feature_sql(collection, query.properties, query.crs)} AS f "
        f"FROM {collection.relation} t WHERE {where} "
        f"ORDER BY {_order_sql(collection, query)} LIMIT ${n - 1} OFFSET ${n}"
    )
    async with conn.transaction(readonly=True):
        cursor = await conn.cursor(sql, *args)
        while rows := await cursor.fetch(CURSOR_CHUNK):
            room = query.limit - progress.number_returned
            if len(rows) > room:
                progress.has_more = True
                rows = rows[:room]
            if rows:
                prefix = "," if progress.number_returned else ""
                progress.number_returned += len(rows)
                yield (prefix + ",".join(r["f"] for r in rows)).encode()
            if progress.has_more:
                return


async def item(conn: asyncpg.Connection, collection: Collection, fid: str, crs: OutputCrs = CRS84) -> bytes:
    """One Feature by its id, its geometry in ``crs``; NotFound when there is none."""
    key: object = fid
    if collection.id_is_integer:
        if not fid.lstrip("-").isdigit() or abs(int(fid)) >= 2**63:
            raise NotFound(f"no feature {fid!r} in collection {collection.id!r} (ids are integers)")
        key = int(fid)
    sql = (
        f"SELECT {feature_sql(collection, crs=crs)} FROM {collection.relation} t "
        f'WHERE ({collection.where}) AND t."{collection.id_column}" = $1 LIMIT 1'
    )
    text = await conn.fetchval(sql, key)
    if text is None:
        raise NotFound(f"no feature {fid!r} in collection {collection.id!r}")
    return text.encode()


async def items_csv(
    conn: asyncpg.Connection, collection: Collection, query: ItemsQuery
) -> AsyncIterator[bytes]:
    """The page as CSV (properties, then the geometry as WKT), header first, streamed in chunks."""
    names = list(query.properties) if query.properties is not None else collection.property_names
    args: list = []
    where = _where_sql(collection, query, args)
    args.extend([query.limit, query.offset])
    n = len(args)
    columns = ", ".join(f"({collection.property_sql(name)})::text" for name in names)
    wkt = f"ST_AsText({geometry_sql(query.crs)}, {query.crs.decimals})"
    sql = (
        f'SELECT t."{collection.id_column}"::text, {columns + ", " if columns else ""}{wkt} '
        f"FROM {collection.relation} t WHERE {where} "
        f"ORDER BY {_order_sql(collection, query)} LIMIT ${n - 1} OFFSET ${n}"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", *(safe_cell(name) for name in names), "geometry_wkt"])
    yield buffer.getvalue().encode()
    async with conn.transaction(readonly=True):
        cursor = await conn.cursor(sql, *args)
        while rows := await cursor.fetch(CURSOR_CHUNK):
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerows(tuple(safe_cell(v) for v in r) for r in rows)
            yield buffer.getvalue().encode()
