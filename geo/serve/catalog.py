"""The collection registry (what /api/collections serves) and the sheet catalog (/api/sheets)."""

import asyncio
import re
from dataclasses import dataclass, field

import asyncpg
import orjson

from geo.errors import NotFound
from geo.serve.crs import CRS84, CRS_URIS
from geo.store.units import PRE_REFORM_END_SQL, REFORM_START_SQL
from geo.store.versions import area_versions

# Pre-2025 units still in force on the reform's eve; the new (2025) units start on the reform date.
REFORM_DATE = REFORM_START_SQL
PRE_REFORM = (
    f"(t.valid_from IS NULL OR t.valid_from < {REFORM_DATE}) "
    f"AND (t.valid_to IS NULL OR t.valid_to >= {PRE_REFORM_END_SQL})"
)

# Relations whose columns a user never filters or sees as properties.
# The folded names are the search's (migration 0010), not the plan's facts.
HIDDEN_COLUMNS = {"geom", "id", "level", "name_fold", "full_name_fold", "new_name_fold"}

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

# Every collection can be filtered by the kind of its geometry (QGIS's OAPIF layers of mixed collections).
GEOMETRY_KIND_FILTER = {
    "geometry_kind": "(CASE ST_Dimension(t.geom) WHEN 0 THEN 'point' WHEN 1 THEN 'line' "
    "WHEN 2 THEN 'polygon' END) = {p}"
}

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
    # what the importer found wrong with the layer's topology (e.g. overlapping polygons); None = clean
    data_quality: dict | None = None
    is_view: bool = False
    exact_count: bool = True
    # the data areas (geo.store.versions.Area) its features come from: its ETags follow their versions
    areas: tuple[str, ...] = ()

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
    """All collections, with the data versions of the areas as a request read them."""

    data_version: int
    collections: dict[str, Collection]
    versions: dict[str, int] = field(default_factory=dict)

    def version_of(self, areas) -> int:
        """The version of what reads ``areas``: the newest of their versions (0 if never bumped)."""
        return max((self.versions.get(a, 0) for a in areas), default=0)

    def collections_version(self, collections) -> int:
        """The version of a response drawn from ``collections`` (an ETag's number)."""
        return self.version_of({a for c in collections for a in c.areas})

    @property
    def sheets_version(self) -> int:
        """The version of the sheet catalog (/api/sheets): declarations, layers and land-use colours.

        Feature counts come from ``sheet_layer`` (set by the load or import), so an edit of a project
        or a zone does not change the sheets.
        """
        return self.version_of(("catalog", "plan_layers", "plan_facts"))

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
    areas: tuple[str, ...] = ("admin_units",)


BUILTIN_COLLECTIONS = (
    _Builtin(
        "provinces",
        "Tỉnh (trước 2025)",
        "Provinces (before the 2025 reform)",
        "Bắc Kạn and its neighbours as they were until 30/06/2025. Item id = province code.",
        "public.admin_unit",
        "code",
        f"t.level = 'province' AND (t.valid_from IS NULL OR t.valid_from < {REFORM_DATE})",
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
        ("zones",),
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
        ("projects", "project_places"),
    ),
)

_COLUMNS_SQL = """
SELECT a.attname AS name, ty.typname AS type
FROM pg_attribute a
JOIN pg_type ty ON ty.oid = a.atttypid
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


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


# The plan tables a layer view may read, and their areas (views are found through pg_depend).
_TABLE_AREAS = {
    "admin_unit": ("admin_units",),
    "zone": ("zones",),
    "project": ("projects", "project_places"),
}
# A change of these areas may change which collections exist and their columns.
STRUCTURE_AREAS = frozenset({"catalog", "plan_layers"})
CATALOG_AREAS = frozenset({"admin_units", "catalog", "plan_layers", "zones", "projects", "project_places"})
_VIEW_TABLES_SQL = """
SELECT DISTINCT d.refobjid::regclass::text AS t
FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
WHERE r.ev_class = $1::regclass AND d.refobjid <> $1::regclass AND d.refclassid = 'pg_class'::regclass
"""


async def _builtin_collection(conn: asyncpg.Connection, b: _Builtin) -> Collection:
    columns = {k: v for k, v in (await _columns(conn, b.relation)).items() if k not in HIDDEN_COLUMNS}
    extent, count = await _extent_and_rows(conn, b.relation, b.where, small=True)
    return Collection(
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
        filter_aliases={**b.filter_aliases, **GEOMETRY_KIND_FILTER},
        extent=extent,
        estimated_rows=count or 0,
        exact_count=True,
        areas=b.areas,
    )


async def _layer_collections(
    conn: asyncpg.Connection, exact_count_threshold: int, only: set[str] | None = None
) -> dict[str, Collection]:
    """The loaded sheet layers as collections (``only``: just these layer keys)."""
    collections: dict[str, Collection] = {}
    layers = await conn.fetch(
        """
        SELECT l.layer_key, l.sheet_id, l.title_vi, l.title_en, l.geometry_type, l.table_name, l.source,
               l.is_synthetic, l.is_official, l.data_quality, c.relkind::text AS relkind
        FROM sheet_layer l
        JOIN pg_namespace n ON n.nspname = 'layers'
        JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = l.table_name
        WHERE l.table_name IS NOT NULL AND ($1::text[] IS NULL OR l.layer_key = ANY($1::text[]))
        ORDER BY l.sort_order, l.layer_key
        """,
        sorted(only) if only is not None else None,
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
        areas = ["catalog", "plan_layers"]
        if is_view:
            for row in await conn.fetch(_VIEW_TABLES_SQL, relation):
                areas.extend(_TABLE_AREAS.get(row["t"].removeprefix("public."), ()))
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
            filter_aliases=dict(GEOMETRY_KIND_FILTER),
            extent=extent,
            estimated_rows=rows,
            geometry_type=layer["geometry_type"],
            is_view=is_view,
            exact_count=small,
            areas=tuple(dict.fromkeys(areas)),
            data_quality=_json_object(layer["data_quality"]),
        )
    return collections


def _json_object(value) -> dict | None:
    """A jsonb column as a dict (asyncpg hands jsonb over as text unless a codec is set)."""
    if value is None or isinstance(value, dict):
        return value
    return orjson.loads(value)


async def build_catalog(
    conn: asyncpg.Connection,
    exact_count_threshold: int = 50_000,
    previous: Catalog | None = None,
) -> Catalog:
    """Read the catalog tables and the system catalogs into the collection registry.

    With ``previous`` only the collections reading an area changed since it are read again (all
    layers when the layer structure changed); the others are kept as they were.
    """
    versions = await area_versions(conn)
    changed = None
    if previous is not None:
        changed = {a for a in CATALOG_AREAS if versions.get(a, 0) != previous.versions.get(a, 0)}
    if previous is None or changed is None:
        builtins = {b.id: await _builtin_collection(conn, b) for b in BUILTIN_COLLECTIONS}
        layers = await _layer_collections(conn, exact_count_threshold)
    else:
        builtins = {}
        for b in BUILTIN_COLLECTIONS:
            keep = previous.collections.get(b.id) if not changed & set(b.areas) else None
            builtins[b.id] = keep or await _builtin_collection(conn, b)
        old_layers = {k: c for k, c in previous.collections.items() if c.sheet_id is not None}
        if changed & STRUCTURE_AREAS:
            layers = await _layer_collections(conn, exact_count_threshold)
        else:
            again = {k for k, c in old_layers.items() if changed & set(c.areas)}
            fresh = await _layer_collections(conn, exact_count_threshold, again) if again else {}
            layers = {k: fresh.get(k, c) for k, c in old_layers.items()}
    return Catalog(
        data_version=max(versions.values(), default=0),
        collections={**builtins, **layers},
        versions=versions,
    )


class CatalogCache:
    """The registry, refreshed per data area; readers are never held up by a refresh of contents.

    Each request reads the areas' versions (one tiny query, or inside its own statement and then
    ``current``) and gets the snapshot with those versions (its ETags follow them). When an area the
    snapshot read has moved, one task refreshes only the collections reading it while readers keep
    the old snapshot; only a change of the layer structure (areas ``catalog``, ``plan_layers``: an
    import or load, which may drop or add columns) makes readers wait for that one refresh.
    """

    def __init__(self, exact_count_threshold: int = 50_000, pool: asyncpg.Pool | None = None):
        self.exact_count_threshold = exact_count_threshold
        self.pool = pool
        self._catalog: Catalog | None = None
        self._refresh: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        # Values derived from one catalog (e.g. the /api/sheets body), keyed by version.
        self.derived: dict = {}
        self.refreshes = 0  # how many refreshes ran (tests and the bench read it)

    async def _build(self, conn: asyncpg.Connection) -> Catalog:
        # one snapshot: the versions match the tables read
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            catalog = await build_catalog(conn, self.exact_count_threshold, self._catalog)
        self.refreshes += 1
        # a background refresh begun earlier may end after a newer build: versions only go up, so the
        # snapshot with the greater sum of versions is the later one
        if self._catalog is None or sum(catalog.versions.values()) >= sum(self._catalog.versions.values()):
            self._catalog = catalog
            self.derived = {}
        return self._catalog

    async def _refresh_from_pool(self) -> None:
        async with self.pool.acquire() as conn:
            await self._build(conn)

    def _stale(self, catalog: Catalog, versions: dict[str, int]) -> set[str]:
        return {a for a in CATALOG_AREAS if versions.get(a, 0) > catalog.versions.get(a, 0)}

    def snapshot(self) -> Catalog | None:
        """The catalog as last built, without asking the database (None before the first build)."""
        return self._catalog

    def _start_refresh(self) -> None:
        task = self._refresh
        if task is None or task.done():
            task = self._refresh = asyncio.create_task(self._refresh_from_pool())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def current(self, versions: dict[str, int]) -> Catalog | None:
        """The snapshot under ``versions`` (read by the caller in the same statement as its data) when
        its layer structure is still current; None when the caller must go through ``get``.

        Contents that moved start the same background refresh as ``get``; a structure change never
        passes here, so a query built from the snapshot read columns that exist.
        """
        catalog = self._catalog
        if catalog is None or self.pool is None:
            return None
        changed = self._stale(catalog, versions)
        if changed & STRUCTURE_AREAS:
            return None
        if changed:
            self._start_refresh()
        return Catalog(max(versions.values(), default=0), catalog.collections, versions)

    async def get(self, conn: asyncpg.Connection) -> Catalog:
        """The catalog with the database's current area versions (see the class docstring)."""
        versions = await area_versions(conn)
        catalog = self._catalog
        changed = set() if catalog is None else self._stale(catalog, versions)
        if catalog is None or (changed and (self.pool is None or changed & STRUCTURE_AREAS)):
            # The caller waits for this build, so it runs on the caller's connection: from the pool it
            # waited for a connection that the waiting callers held (with every connection taken, the
            # whole API stopped until the pool's timeout, then answered 503).
            async with self._lock:
                catalog = self._catalog
                if catalog is None or self._stale(catalog, versions):
                    catalog = await self._build(conn)
        elif changed:
            self._start_refresh()  # contents only: the old snapshot serves while a task refreshes
        return Catalog(max(versions.values(), default=0), catalog.collections, versions)


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
    if collection.data_quality:
        out["data_quality"] = collection.data_quality
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
    return {"sheets": out, "data_version": catalog.sheets_version}


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
