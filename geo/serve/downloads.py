"""Items as files: GeoPackage and zipped Shapefile written by GDAL (pyogrio) in chunks, KML streamed.

Rows come from a server-side cursor in chunks of ``DOWNLOAD_CHUNK``; each chunk is appended to the file
by pyogrio's GDAL in a worker thread, so a download never holds the whole layer in memory. We write in
process rather than run ``ogr2ogr PG:…``: the SQL (filters, bbox, crs) is the one /items uses, with its
parameters bound, no database credentials go onto a command line, and the server needs no gdal-bin.
"""

import asyncio
import csv
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import asyncpg
import numpy as np
from pydantic_settings import BaseSettings, SettingsConfigDict
from pyogrio import raw

from geo.errors import PayloadTooLarge
from geo.serve.catalog import Collection
from geo.serve.crs import OutputCrs
from geo.serve.features import ItemsQuery, _order_sql, _where_sql
from geo.store.cells import safe_cell
from geo.store.settings import REPO_ROOT

# Rows per cursor fetch and per append to the file.
DOWNLOAD_CHUNK = 2_000
FAMILY_NAMES = {0: "point", 1: "line", 2: "polygon"}
FAMILY_TYPES = {0: "MultiPoint", 1: "MultiLineString", 2: "MultiPolygon"}
SHAPEFILE_FIELD_CHARS = 10
_INTEGER_TYPES = {"int2", "int4", "int8"}
_REAL_TYPES = {"numeric", "float4", "float8"}


class DownloadSettings(BaseSettings):
    """Where built files are kept and how big a download may be."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    download_dir: Path = REPO_ROOT / "var" / "downloads"
    # features in one f=gpkg|shp|kml download (narrow with bbox/filters or page with limit/offset above it)
    download_max_features: int = 200_000


@lru_cache
def download_settings() -> DownloadSettings:
    """The process-wide download settings."""
    return DownloadSettings()


@dataclass(frozen=True)
class FileFormat:
    """A download format of /items."""

    key: str
    driver: str | None
    media_type: str
    extension: str


FILE_FORMATS = {
    "gpkg": FileFormat("gpkg", "GPKG", "application/geopackage+sqlite3", "gpkg"),
    "shp": FileFormat("shp", "ESRI Shapefile", "application/zip", "zip"),
    "kml": FileFormat("kml", None, "application/vnd.google-earth.kml+xml", "kml"),
}


@dataclass(frozen=True)
class Field:
    """One attribute column of a written file."""

    name: str  # the property name (the column name in GeoPackage)
    sql: str  # its SQL, cast to what the file stores
    kind: str  # "int" | "float" | "bool" | "str"


def fields_of(collection: Collection, names: list[str]) -> list[Field]:
    """The attribute columns for ``names``: numbers stay numbers, lists and JSON become text."""
    out = [Field("id", f't."{collection.id_column}"::text', "str")]
    for name in names:
        pg_type = collection.columns.get(name, "text")
        expr = collection.property_sql(name)
        if pg_type in _INTEGER_TYPES:
            out.append(Field(name, f"({expr})::bigint", "int"))
        elif pg_type in _REAL_TYPES:
            out.append(Field(name, f"({expr})::float8", "float"))
        elif pg_type == "bool":
            out.append(Field(name, f"({expr})::bool", "bool"))
        elif pg_type.startswith("_"):
            out.append(Field(name, f"array_to_string({expr}, '; ')", "str"))
        else:
            out.append(Field(name, f"({expr})::text", "str"))
    return out


def shapefile_names(names: list[str]) -> dict[str, str]:
    """Property name → a unique DBF field name of at most 10 characters (the map goes into the zip)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        short = re.sub(r"[^A-Za-z0-9_]", "_", name)[:SHAPEFILE_FIELD_CHARS]
        n = 1
        while short.lower() in taken:
            suffix = str(n)
            short = name[: SHAPEFILE_FIELD_CHARS - len(suffix)] + suffix
            n += 1
        taken.add(short.lower())
        out[name] = short
    return out


def whole_layer(query: ItemsQuery, user_limited: bool) -> ItemsQuery:
    """A download is every matching feature unless the client paged it with limit/offset."""
    if user_limited:
        return query
    return replace(query, limit=download_settings().download_max_features + 1, offset=0)


async def _check_size(conn: asyncpg.Connection, collection: Collection, query: ItemsQuery) -> None:
    limit = download_settings().download_max_features
    args: list = []
    where = _where_sql(collection, query, args)
    args.append(limit + 1)
    n = await conn.fetchval(
        f"SELECT count(*) FROM (SELECT 1 FROM {collection.relation} t WHERE {where} LIMIT ${len(args)}) x",
        *args,
    )
    if n > limit and query.limit > limit:
        raise PayloadTooLarge(
            f"more than {limit} features match; narrow the download with bbox or property filters, "
            f"or page it with limit and offset"
        )


async def geometry_families(conn: asyncpg.Connection, collection: Collection, query: ItemsQuery) -> list[int]:
    """The geometry dimensions present (0 point, 1 line, 2 polygon): one file layer each."""
    args: list = []
    where = _where_sql(collection, query, args)
    rows = await conn.fetch(
        f"SELECT DISTINCT ST_Dimension(t.geom) AS d FROM {collection.relation} t "
        f"WHERE {where} AND t.geom IS NOT NULL",
        *args,
    )
    return sorted(r["d"] for r in rows if r["d"] in FAMILY_NAMES)


def _file_geometry_sql(crs: OutputCrs, family: int) -> str:
    # files store x = east whatever the CRS's axis order (GeoPackage and Shapefile are "GIS order")
    geom = "t.geom" if crs.is_wgs84 else f"ST_Transform(t.geom, {crs.srid})"
    return f"ST_AsBinary(ST_Multi(ST_CollectionExtract({geom}, {family + 1})))"


def _arrays(rows: list, fields: list[Field]) -> tuple[list, list]:
    data, masks = [], []
    for i, f in enumerate(fields):
        values = [r[i + 1] for r in rows]
        mask = np.array([v is None for v in values], dtype=bool)
        if f.kind == "int":
            array = np.array([0 if v is None else v for v in values], dtype=np.int64)
        elif f.kind == "float":
            array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif f.kind == "bool":
            array = np.array([bool(v) for v in values], dtype=bool)
        else:
            array = np.array(values, dtype=object)
        data.append(array)
        masks.append(mask if mask.any() else None)
    return data, masks


async def write_layer(
    conn: asyncpg.Connection,
    collection: Collection,
    query: ItemsQuery,
    path: Path,
    driver: str,
    layer: str,
    family: int | None,
    with_empty: bool,
    field_names: dict[str, str] | None = None,
) -> int:
    """Append the matching features of one geometry family to ``path`` as ``layer``; returns their count.

    ``with_empty`` adds the features without geometry (district-only places) to this layer."""
    names = list(query.properties) if query.properties is not None else collection.property_names
    fields = fields_of(collection, names)
    args: list = []
    where = _where_sql(collection, query, args)
    if family is None:
        geometry = "NULL::bytea"
    else:
        geometry = _file_geometry_sql(query.crs, family)
        empty = " OR t.geom IS NULL" if with_empty else ""
        where = f"{where} AND (ST_Dimension(t.geom) = {family}{empty})"
    args.extend([query.limit, query.offset])
    n = len(args)
    sql = (
        f"SELECT {geometry} AS wkb, {', '.join(f.sql for f in fields)} FROM {collection.relation} t "
        f"WHERE {where} ORDER BY {_order_sql(collection, query)} LIMIT ${n - 1} OFFSET ${n}"
    )
    written = 0
    out_names = [(field_names or {}).get(f.name, f.name) for f in fields]
    options = {"ENCODING": "UTF-8"} if driver == "ESRI Shapefile" else {}
    async with conn.transaction(readonly=True):
        cursor = await conn.cursor(sql, *args)
        while True:
            rows = await cursor.fetch(DOWNLOAD_CHUNK)
            if not rows and written:
                break
            data, masks = _arrays(rows, fields)
            geometry_array = None if family is None else np.array([r[0] for r in rows], dtype=object)
            await asyncio.to_thread(
                raw.write,
                str(path),
                geometry=geometry_array,
                field_data=data,
                fields=out_names,
                field_mask=masks if any(m is not None for m in masks) else None,
                layer=layer,
                driver=driver,
                geometry_type=FAMILY_TYPES.get(family) if family is not None else None,
                crs=query.crs.short if family is not None else None,
                append=written > 0,
                layer_options=options,
                # GeoPackage 1.2: Debian 12's GDAL 3.6 and QGIS 3.22 read it without a warning (1.4 warns)
                dataset_options={"VERSION": "1.2"} if driver == "GPKG" and written == 0 else None,
            )
            written += len(rows)
            if not rows or len(rows) < DOWNLOAD_CHUNK:
                break
    return written


def layer_plan(collection_id: str, families: list[int]) -> list[tuple[str, int | None, bool]]:
    """(layer name, family, with the features without geometry) per file layer."""
    if not families:
        return [(collection_id, None, True)]
    if len(families) == 1:
        return [(collection_id, families[0], True)]
    return [(f"{collection_id}_{FAMILY_NAMES[f]}", f, i == 0) for i, f in enumerate(families)]


async def build_file(
    conn: asyncpg.Connection, collection: Collection, query: ItemsQuery, fmt: FileFormat, workdir: Path
) -> Path:
    """Write the download into ``workdir``; returns the file to send (a .gpkg or a .zip)."""
    await _check_size(conn, collection, query)
    families = await geometry_families(conn, collection, query)
    plan = layer_plan(collection.id, families)
    if fmt.key == "gpkg":
        path = workdir / f"{collection.id}.gpkg"
        for layer, family, with_empty in plan:
            await write_layer(conn, collection, query, path, "GPKG", layer, family, with_empty)
        return path
    names = list(query.properties) if query.properties is not None else collection.property_names
    short = shapefile_names(["id", *names])
    folder = workdir / "shp"
    folder.mkdir()
    for layer, family, with_empty in plan:
        await write_layer(
            conn, collection, query, folder / f"{layer}.shp", fmt.driver, layer, family, with_empty, short
        )
    mapping = io.StringIO()
    writer = csv.writer(mapping, lineterminator="\r\n")
    writer.writerow(["dbf_field", "property"])
    writer.writerows((safe_cell(s), safe_cell(n)) for n, s in short.items())
    (folder / f"{collection.id}_fields.csv").write_text(mapping.getvalue(), encoding="utf-8")
    path = workdir / f"{collection.id}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, member.name)
    return path


def new_workdir() -> Path:
    """A private temporary directory for one download (removed after it is sent)."""
    return Path(tempfile.mkdtemp(prefix="planview-download-"))


def remove_workdir(path: Path) -> None:
    """Remove a download's temporary directory."""
    shutil.rmtree(path, ignore_errors=True)


async def stream_kml(
    conn: asyncpg.Connection, collection: Collection, query: ItemsQuery
) -> AsyncIterator[bytes]:
    """The matching features as KML 2.2 (always WGS 84, as KML requires), streamed from a cursor."""
    names = list(query.properties) if query.properties is not None else collection.property_names
    fields = fields_of(collection, names)
    args: list = []
    where = _where_sql(collection, query, args)
    args.extend([query.limit, query.offset])
    n = len(args)
    sql = (
        f"SELECT ST_AsKML(t.geom, 7) AS kml, {', '.join(f.sql for f in fields)} FROM {collection.relation} t "
        f"WHERE {where} ORDER BY {_order_sql(collection, query)} LIMIT ${n - 1} OFFSET ${n}"
    )
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>{escape(collection.title_vi)}</name>"
        f"<description>{escape(collection.description)}</description>\n"
    ).encode()
    name_index = next((i for i, f in enumerate(fields) if f.name in ("name", "name_vi")), 0)
    async with conn.transaction(readonly=True):
        cursor = await conn.cursor(sql, *args)
        while rows := await cursor.fetch(DOWNLOAD_CHUNK):
            parts = []
            for r in rows:
                title = r[name_index + 1] or r[1]
                data = "".join(
                    f'<Data name="{escape(f.name)}"><value>{escape(str(v))}</value></Data>'
                    for f, v in zip(fields, r[1:], strict=True)
                    if v is not None
                )
                parts.append(
                    f"<Placemark><name>{escape(str(title))}</name>"
                    f"<ExtendedData>{data}</ExtendedData>{r[0] or ''}</Placemark>\n"
                )
            yield "".join(parts).encode()
    yield b"</Document></kml>\n"
