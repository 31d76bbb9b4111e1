"""The collection registry (what /api/collections serves) and the sheet catalog (/api/sheets)."""

import asyncio
import re
from dataclasses import dataclass, field

import asyncpg

from geo.errors import NotFound
from geo.serve.crs import CRS84, CRS_URIS

# Pre-2025 units still in force on 2025-06-30; the new (2025) units start on 2025-07-01.
REFORM_DATE = "DATE '2025-07-01'"
PRE_REFORM = (
    f"(t.valid_from IS NULL OR t.valid_from < {REFORM_DATE}) "
    "AND (t.valid_to IS NULL OR t.valid_to >= DATE '2025-06-30')"
)

# Relations whose columns a user never filters or sees as properties.
HIDDEN_COLUMNS = {"geom", "id", "level"}

# Properties carried into vector tiles (a small set: tiles are for drawing, items for reading).
TILE_PROPERTY_CANDIDATES = (
    "name",
    "name_vi",
    "code",
    "landuse_code",
    "status",
    "kind",
    "sector",
    "geometry_quality",
    "feature_id",
)

# A big layer is served to the viewer as tiles rather than as one GeoJSON.
BIG_LAYER_FEATURES = 5_000

_JSON_TYPES = {
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "numeric": "number",
    "float4": "number",
    "float8": "number",
    "bool": "boolean",
    "date": "string",
    "timestamp": "string",
    "timestamptz": "string",
    "jsonb": "object",
    "json": "object",
}
_JSON_FORMATS = {"date": "date", "timestamp": "date-time", "timestamptz": "date-time"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Collection:
    """One OGC API collection: a relation, its columns and how its parameters map to SQL."""

    id: str
    title_vi: str
    title_en: str
    description: str
    sheet_id: str | None
    relation: str
    id_column: str
    id_is_integer: bool
    where: str
    columns: dict[str, str]
    flatten_column: str | None = None
    extra_keys: tuple[str, ...] = ()
    filter_aliases: dict[str, str] = field(default_factory=dict)
    extent: tuple[float, float, float, float] | None = None
    estimated_rows: int = 0
    geometry_type: str | None = None
    is_view: bool = False
    exact_count: bool = True

    @property
    def property_names(self) -> list[str]:
        """Every property a feature of this collection may carry, columns first."""
        names = [c for c in self.columns if c != self.flatten_column]
        return names + [k for k in self.extra_keys if k not in self.columns]

    @property
    def filter_names(self) -> list[str]:
        """The query parameters accepted as property filters."""
        return sorted(set(self.property_names) | set(self.filter_aliases))

    @property
    def tile_properties(self) -> list[str]:
        """The columns written into vector tiles besides the feature id."""
        return [c for c in TILE_PROPERTY_CANDIDATES if c in self.columns and c != self.id_column]

    def property_sql(self, name: str) -> str:
        """The SQL expression of a property (a column or a key of the flattened JSONB)."""
        if name in self.columns and name != self.flatten_column:
            return f't."{name}"'
        if name in self.extra_keys and self.flatten_column:
            return f"(t.\"{self.flatten_column}\" ->> '{name}')"
        raise KeyError(name)

    def schema(self) -> dict:
        """A JSON Schema of the feature properties (the queryables)."""
        props: dict[str, dict] = {}
        for name in self.property_names:
            pg_type = self.columns.get(name, "text")
            if pg_type.startswith("_"):
                item = _JSON_TYPES.get(pg_type[1:], "string")
                props[name] = {"type": "array", "items": {"type": item}}
                continue
            entry = {"type": _JSON_TYPES.get(pg_type, "string")}
            if pg_type in _JSON_FORMATS:
                entry["format"] = _JSON_FORMATS[pg_type]
            if name not in self.columns:
                entry["description"] = "from the layer's free-form properties"
            props[name] = entry
        props["geometry"] = {"$ref": "https://geojson.org/schema/Geometry.json"}
        return {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "type": "object",
            "title": self.title_vi,
            "properties": props,
        }


@dataclass(frozen=True)
class Catalog:
    """All collections at one data version."""

    data_version: int
    collections: dict[str, Collection]

    def get(self, collection_id: str) -> Collection:
        """The collection named ``collection_id``; NotFound naming the valid ones otherwise."""
        try:
            return self.collections[collection_id]
        except KeyError:
            raise NotFound(
                f"no collection {collection_id!r}; collections are: {', '.join(sorted(self.collections))}"
            ) from None


@dataclass(frozen=True)
class _Builtin:
    id: str
    title_vi: str
    title_en: str
    description: str
    relation: str
    id_column: str
    where: str
    filter_aliases: dict[str, str]


BUILTIN_COLLECTIONS = (
    _Builtin(
        "provinces",
        "Tỉnh (trước 2025)",
        "Provinces (before the 2025 reform)",
        "Bắc Kạn and its neighbours as they were until 30/06/2025. Item id = province code.",
        "public.admin_unit",
        "code",
        "t.level = 'province' AND (t.valid_from IS NULL OR t.valid_from < DATE '2025-07-01')",
        {},
    ),
    _Builtin(
        "districts",
        "Huyện, thành phố (trước 2025)",
        "Districts (before the 2025 reform)",
        "District-level units of Bắc Kạn until 30/06/2025 (abolished in the reform). "
        "Item id = district code; ?district= matches the code itself.",
        "public.admin_unit",
        "code",
        f"t.level = 'district' AND {PRE_REFORM}",
        {"district": "t.code = {p}", "province": "t.parent_code = {p}"},
    ),
    _Builtin(
        "communes",
        "Xã, phường, thị trấn (trước 2025)",
        "Communes (before the 2025 reform)",
        "Commune-level units of Bắc Kạn in force on 30/06/2025. Item id = commune code; "
        "?district= matches the parent district code.",
        "public.admin_unit",
        "code",
        f"t.level = 'commune' AND {PRE_REFORM}",
        {"district": "t.parent_code = {p}"},
    ),
    _Builtin(
        "communes_2025",
        "Xã, phường (từ 01/07/2025)",
        "Communes from 1 July 2025 (province of Thái Nguyên)",
        "The new commune-level units that replaced Bắc Kạn's communes on 01/07/2025. Item id = unit code.",
        "public.admin_unit",
        "code",
        f"t.level = 'commune' AND t.valid_from >= {REFORM_DATE}",
        {},
    ),
    _Builtin(
        "zones",
        "Khu, cụm công nghiệp và khu du lịch",
        "Industrial zones, industrial clusters and tourism areas",
        "KCN, CCN and tourism areas of the plan. Geometry is often approximate or absent "
        "(see geometry_quality, geometry_note). ?district= matches district_code.",
        "public.zone",
        "zone_id",
        "TRUE",
        {"district": "t.district_code = {p}"},
    ),
    _Builtin(
        "projects",
        "Dự án ưu tiên đầu tư",
        "Priority investment projects",
        "Projects of the plan with their current status. ?district= matches any of district_codes.",
        "public.project",
        "project_id",
        "TRUE",
        {"district": "{p} = ANY(t.district_codes)"},
    ),
)

_COLUMNS_SQL = """
SELECT a.attname AS name, ty.typname AS type
FROM pg_attribute a
JOIN pg_type ty ON ty.oid = a.atttypid
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


async def current_data_version(conn: asyncpg.Connection) -> int:
    """The data version every cache (catalog, ETags) is keyed to."""
    return await conn.fetchval("SELECT version FROM data_version WHERE id = 1")


async def _columns(conn: asyncpg.Connection, relation: str) -> dict[str, str]:
    rows = await conn.fetch(_COLUMNS_SQL, relation)
    return {r["name"]: r["type"] for r in rows}


async def _extent_and_rows(
    conn: asyncpg.Connection, relation: str, where: str, small: bool
) -> tuple[tuple[float, float, float, float] | None, int]:
    # ST_EstimatedExtent reads the statistics, so big tables cost nothing; small ones are scanned exactly.
    if small:
        row = await conn.fetchrow(
            f"SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n, c FROM "
            f"(SELECT ST_Extent(t.geom) AS e, count(*) AS c FROM {relation} t WHERE {where}) x"
        )
        count = row["c"]
    else:
        schema, _, table = relation.partition(".")
        row = await conn.fetchrow(
            "SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n FROM "
            "(SELECT ST_EstimatedExtent($1, $2, 'geom')::geometry AS e) x",
            schema,
            table.strip('"'),
        )
        count = None
    extent = None
    if row and row["w"] is not None:
        extent = (row["w"], row["s"], row["e"], row["n"])
    return extent, count


async def _estimated_rows(conn: asyncpg.Connection, relation: str) -> int:
    value = await conn.fetchval(
        "SELECT c.reltuples::bigint FROM pg_class c "
        "WHERE c.oid = $1::regclass AND c.relkind IN ('r', 'p', 'm')",
        relation,
    )
    return max(int(value or 0), 0)


async def _jsonb_keys(conn: asyncpg.Connection, relation: str, column: str) -> tuple[str, ...]:
    # A sample is enough: the free-form keys of an imported layer are the same on every row.
    rows = await conn.fetch(
        f'SELECT DISTINCT k FROM (SELECT t."{column}" AS p FROM {relation} t LIMIT 2000) s, '
        "jsonb_object_keys(CASE WHEN jsonb_typeof(s.p) = 'object' THEN s.p ELSE '{}'::jsonb END) k ORDER BY k"
    )
    return tuple(r["k"] for r in rows if _IDENT.match(r["k"]))


async def build_catalog(conn: asyncpg.Connection, exact_count_threshold: int = 50_000) -> Catalog:
    """Read the catalog tables and the system catalogs into the collection registry."""
    version = await current_data_version(conn)
    collections: dict[str, Collection] = {}
    for b in BUILTIN_COLLECTIONS:
        columns = {k: v for k, v in (await _columns(conn, b.relation)).items() if k not in HIDDEN_COLUMNS}
        extent, count = await _extent_and_rows(conn, b.relation, b.where, small=True)
        collections[b.id] = Collection(
            id=b.id,
            title_vi=b.title_vi,
            title_en=b.title_en,
            description=b.description,
            sheet_id=None,
            relation=b.relation,
            id_column=b.id_column,
            id_is_integer=False,
            where=b.where,
            columns=columns,
            filter_aliases=b.filter_aliases,
            extent=extent,
            estimated_rows=count or 0,
            exact_count=True,
        )
    layers = await conn.fetch(
        """
        SELECT l.layer_key, l.sheet_id, l.title_vi, l.title_en, l.geometry_type, l.table_name, l.source,
               l.is_synthetic, l.is_official, c.relkind
        FROM sheet_layer l
        JOIN pg_namespace n ON n.nspname = 'layers'
        JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = l.table_name
        WHERE l.table_name IS NOT NULL
        ORDER BY l.sort_order, l.layer_key
        """
    )
    for layer in layers:
        relation = f'layers."{layer["table_name"]}"'
        columns = await _columns(conn, relation)
        if "geom" not in columns or "fid" not in columns:
            continue  # not a standard layer relation: nothing we can serve
        is_view = layer["relkind"] == "v"
        rows = 0 if is_view else await _estimated_rows(conn, relation)
        small = is_view or rows < exact_count_threshold
        extent, count = await _extent_and_rows(conn, relation, "TRUE", small=small)
        if count is not None:
            rows = count
        count_note = (
            "numberMatched: exact."
            if small
            else f"numberMatched: omitted (more than {exact_count_threshold} features; no COUNT per page)."
        )
        flatten = "properties" if columns.get("properties") == "jsonb" else None
        extra = await _jsonb_keys(conn, relation, flatten) if flatten else ()
        # fid is the feature's id already; it is not repeated among the properties
        visible = {k: v for k, v in columns.items() if k not in ("geom", "fid")}
        kind = (
            "synthetic (made up for testing, not plan data)"
            if layer["is_synthetic"]
            else (
                "official plan data"
                if layer["is_official"]
                else "derived / approximate, not an official plan map"
            )
        )
        collections[layer["layer_key"]] = Collection(
            id=layer["layer_key"],
            title_vi=layer["title_vi"],
            title_en=layer["title_en"],
            description=(
                f"{layer['title_en']} (sheet {layer['sheet_id']}); {kind}. "
                f"Source: {layer['source'] or 'n/a'}. {count_note}"
            ),
            sheet_id=layer["sheet_id"],
            relation=relation,
            id_column="fid",
            id_is_integer=columns["fid"] in ("int2", "int4", "int8"),
            where="TRUE",
            columns=visible,
            flatten_column=flatten,
            extra_keys=extra,
            filter_aliases={},
            extent=extent,
            estimated_rows=rows,
            geometry_type=layer["geometry_type"],
            is_view=is_view,
            exact_count=small,
        )
    return Catalog(data_version=version, collections=collections)


class CatalogCache:
    """The registry cached per data version: one tiny query per request tells whether it is stale."""

    def __init__(self, exact_count_threshold: int = 50_000):
        self.exact_count_threshold = exact_count_threshold
        self._catalog: Catalog | None = None
        self._lock = asyncio.Lock()
        # Values derived from one catalog (e.g. the /api/sheets body), dropped with it.
        self.derived: dict = {}

    async def get(self, conn: asyncpg.Connection) -> Catalog:
        """The catalog at the database's current data version (rebuilt when the version moved)."""
        version = await current_data_version(conn)
        catalog = self._catalog
        if catalog is not None and catalog.data_version == version:
            return catalog
        async with self._lock:
            if self._catalog is None or self._catalog.data_version != version:
                # Build in one snapshot so the version matches the tables read.
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    self._catalog = await build_catalog(conn, self.exact_count_threshold)
                self.derived = {}
            return self._catalog


def collection_summary(collection: Collection) -> dict:
    """The JSON description of a collection without links (the router adds them)."""
    out = {
        "id": collection.id,
        "title": collection.title_vi,
        "title_en": collection.title_en,
        "description": collection.description,
        "itemType": "feature",
        "sheet": collection.sheet_id,
        "crs": CRS_URIS,
        "storageCrs": CRS84.uri,
        "numberMatched": "exact" if collection.exact_count else "omitted (large layer: no COUNT per page)",
    }
    if collection.geometry_type:
        out["geometry_type"] = collection.geometry_type
    if collection.extent:
        out["extent"] = {
            "spatial": {
                "bbox": [[round(v, 6) for v in collection.extent]],
                "crs": CRS84.uri,
            }
        }
    return out


async def sheet_catalog(conn: asyncpg.Connection, catalog: Catalog) -> dict:
    """The sheets of the plan with their layers, legends and loaded flags (the /api/sheets body)."""
    sheets = await conn.fetch(
        "SELECT sheet_id, number, parent_id, is_group, title_vi, title_en, scale, theme "
        "FROM map_sheet ORDER BY number"
    )
    layers = await conn.fetch(
        """
        SELECT layer_key, sheet_id, title_vi, title_en, geometry_type, table_name, style, legend, source,
               licence, is_official, is_synthetic, feature_count
        FROM sheet_layer ORDER BY sort_order, layer_key
        """
    )
    colours = {
        r["code"]: r
        for r in await conn.fetch(
            "SELECT code, name_vi, name_en, fill_color FROM land_use_code ORDER BY code"
        )
    }
    by_sheet: dict[str, list[dict]] = {}
    for layer in layers:
        collection = catalog.collections.get(layer["layer_key"])
        loaded = collection is not None
        codes: list[str] = []
        if loaded and "landuse_code" in collection.columns and colours:
            codes = [
                r["c"]
                for r in await conn.fetch(
                    f"SELECT DISTINCT t.landuse_code AS c FROM {collection.relation} t "
                    "WHERE t.landuse_code IS NOT NULL ORDER BY 1"
                )
            ]
        count = layer["feature_count"]
        if count is None and loaded:
            count = collection.estimated_rows
        by_sheet.setdefault(layer["sheet_id"], []).append(
            {
                "layer_key": layer["layer_key"],
                "collection": layer["layer_key"] if loaded else None,
                "title_vi": layer["title_vi"],
                "title_en": layer["title_en"],
                "geometry_type": layer["geometry_type"],
                "style": layer["style"] or {},
                "legend": _legend(layer, codes, colours),
                "source": layer["source"],
                "licence": layer["licence"],
                "is_official": layer["is_official"],
                "is_synthetic": layer["is_synthetic"],
                "feature_count": count,
                "big": bool(count and count > BIG_LAYER_FEATURES),
                "loaded": loaded,
            }
        )
    out = []
    for s in sheets:
        sheet_layers = by_sheet.get(s["sheet_id"], [])
        out.append(
            {
                "sheet_id": s["sheet_id"],
                "number": s["number"],
                "parent_id": s["parent_id"],
                "is_group": s["is_group"],
                "title_vi": s["title_vi"],
                "title_en": s["title_en"],
                "scale": s["scale"],
                "theme": s["theme"],
                "loaded": any(x["loaded"] for x in sheet_layers),
                "layers": sheet_layers,
            }
        )
    return {"sheets": out, "data_version": catalog.data_version}


def _legend(layer: asyncpg.Record, codes: list[str], colours: dict) -> list[dict]:
    """Legend entries: the layer's own, then the land-use colours of the codes present, else the style."""
    entries: list[dict] = []
    for item in layer["legend"] or []:
        if isinstance(item, dict):
            entries.append(
                {
                    "label_vi": item.get("label_vi") or item.get("label") or layer["title_vi"],
                    "label_en": item.get("label_en") or item.get("label") or layer["title_en"],
                    "color": item.get("color") or item.get("fill_color"),
                    **({"code": item["code"]} if item.get("code") else {}),
                }
            )
    covered = {e.get("code") for e in entries}
    for code in codes:
        if code in covered or code not in colours:
            continue
        c = colours[code]
        entries.append(
            {
                "label_vi": c["name_vi"],
                "label_en": c["name_en"] or c["name_vi"],
                "color": c["fill_color"],
                "code": code,
            }
        )
    if not entries:
        style = layer["style"] or {}
        color = style.get("fillColor") or style.get("color")
        entries.append({"label_vi": layer["title_vi"], "label_en": layer["title_en"], "color": color})
    return entries
