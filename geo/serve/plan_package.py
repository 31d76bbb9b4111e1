"""The whole plan as one GeoPackage in VN-2000 (EPSG:9213), with QGIS styles, built once per data version.

``plan_layers`` lists what a QGIS user gets (sheets in catalog order, then the admin units, zones and
projects), one entry per geometry kind; the GeoPackage and the QGIS project are both made from it.
The build reads one REPEATABLE READ snapshot (no locks beyond a reader's), writes into a temporary
file beside the cache and renames it into place, so readers never see half a file and a data change
during the build only means the next request builds again.
"""

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from geo.serve.catalog import CATALOG_AREAS, Catalog, CatalogCache, Collection
from geo.serve.crs import parse_crs
from geo.serve.downloads import FAMILY_NAMES, download_settings, geometry_families, write_layer
from geo.serve.features import ItemsQuery
from geo.store.versions import Area, area_versions

log = logging.getLogger(__name__)

PACKAGE_CRS = parse_crs("EPSG:9213", "crs")
ADMIN_GROUP = (
    "admin",
    "Đơn vị hành chính (trước và sau 01/07/2025)",
    "Administrative units (before/after 1/7/2025)",
)
PLAN_GROUP = ("plan", "Khu, cụm công nghiệp, khu du lịch và dự án", "Zones and projects (all records)")
# top of the group is drawn on top: the opaque province fill goes last
ADMIN_COLLECTIONS = ("districts", "communes", "communes_2025", "provinces")
PLAN_COLLECTIONS = ("zones", "projects")
# what the package reads: every collection, and the land-use colours of its styles (plan facts)
PACKAGE_AREAS = frozenset(CATALOG_AREAS | {Area.plan_facts.value})
# every row of every collection goes into the package (the shipped data is far below this)
_ALL_ROWS = 10_000_000


@dataclass(frozen=True)
class PackageLayer:
    """One layer of the package: a collection, or the part of it of one geometry kind."""

    name: str  # table name in the GeoPackage, e.g. "zones_point"
    collection: str
    title_vi: str
    title_en: str
    family: int | None  # 0 point, 1 line, 2 polygon; None: no geometry at all
    with_empty: bool  # also holds the features without geometry
    fields: tuple[str, ...]
    style: dict  # the sheet layer's own (Leaflet) style; {} for the fixed collections
    landuse_codes: tuple[str, ...] = ()

    @property
    def kind(self) -> str | None:
        """``point``, ``line`` or ``polygon`` (None without geometry)."""
        return FAMILY_NAMES.get(self.family) if self.family is not None else None


@dataclass(frozen=True)
class PackageGroup:
    """A group of layers: a map sheet, or the admin units, or the zones and projects."""

    key: str
    title_vi: str
    title_en: str
    layers: list[PackageLayer] = field(default_factory=list)


@dataclass(frozen=True)
class PlanLayers:
    """Everything a QGIS user gets, and the land-use colours (code → (#rrggbb, name_vi))."""

    data_version: int
    groups: list[PackageGroup]
    landuse_colours: dict[str, tuple[str, str]]

    @property
    def layers(self) -> list[PackageLayer]:
        """Every layer of every group, in order."""
        return [layer for g in self.groups for layer in g.layers]


def _all_rows(crs=PACKAGE_CRS) -> ItemsQuery:
    return ItemsQuery(limit=_ALL_ROWS, crs=crs)


async def _layers_of(conn: asyncpg.Connection, c: Collection, style: dict) -> list[PackageLayer]:
    families = await geometry_families(conn, c, _all_rows())
    codes: tuple[str, ...] = ()
    if "landuse_code" in c.columns:
        codes = tuple(
            r["c"]
            for r in await conn.fetch(
                f"SELECT DISTINCT t.landuse_code AS c FROM {c.relation} t WHERE t.landuse_code IS NOT NULL "
                "ORDER BY 1"
            )
        )
    fields = ("id", *c.property_names)

    def one(name: str, family: int | None, with_empty: bool, suffix_vi: str, suffix_en: str) -> PackageLayer:
        return PackageLayer(
            name,
            c.id,
            c.title_vi + suffix_vi,
            c.title_en + suffix_en,
            family,
            with_empty,
            fields,
            style,
            codes,
        )

    if len(families) <= 1:
        return [one(c.id, families[0] if families else None, True, "", "")]
    words = {0: (" (điểm)", " (points)"), 1: (" (tuyến)", " (lines)"), 2: (" (vùng)", " (areas)")}
    return [one(f"{c.id}_{FAMILY_NAMES[f]}", f, i == 0, *words[f]) for i, f in enumerate(families)]


async def plan_layers(conn: asyncpg.Connection, catalog: Catalog) -> PlanLayers:
    """The package's groups and layers: loaded sheets in catalog order, then admin units, zones, projects."""
    sheets = await conn.fetch(
        """
        SELECT s.sheet_id, s.title_vi, s.title_en,
               array_agg(l.layer_key ORDER BY l.sort_order, l.layer_key) AS keys,
               array_agg(coalesce(l.style::text, '{}') ORDER BY l.sort_order, l.layer_key) AS styles
        FROM map_sheet s JOIN sheet_layer l ON l.sheet_id = s.sheet_id AND l.table_name IS NOT NULL
        GROUP BY s.sheet_id, s.number, s.title_vi, s.title_en ORDER BY s.number
        """
    )
    groups: list[PackageGroup] = []
    for s in sheets:
        group = PackageGroup(
            s["sheet_id"], f"{s['sheet_id']} {s['title_vi']}", f"{s['sheet_id']} {s['title_en']}"
        )
        for key, style in zip(s["keys"], s["styles"], strict=True):
            if key in catalog.collections:
                group.layers.extend(await _layers_of(conn, catalog.collections[key], json.loads(style)))
        if group.layers:
            groups.append(group)
    for key, title_vi, title_en, ids in (
        (*ADMIN_GROUP, ADMIN_COLLECTIONS),
        (*PLAN_GROUP, PLAN_COLLECTIONS),
    ):
        group = PackageGroup(key, title_vi, title_en)
        for cid in ids:
            group.layers.extend(await _layers_of(conn, catalog.collections[cid], {}))
        groups.append(group)
    colours = {
        r["code"]: (r["fill_color"], r["name_vi"])
        for r in await conn.fetch(
            "SELECT code, fill_color, name_vi FROM land_use_code WHERE fill_color IS NOT NULL"
        )
    }
    return PlanLayers(catalog.version_of(PACKAGE_AREAS), groups, colours)


StyleFor = Callable[[PackageLayer, dict[str, tuple[str, str]]], str]

_LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
    styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""


def write_layer_styles(path: Path, styles: list[tuple[PackageLayer, str]]) -> None:
    """QGIS's ``layer_styles`` table (one default QML style per layer), registered in gpkg_contents."""
    with sqlite3.connect(path) as db:
        db.execute(_LAYER_STYLES_SQL)
        db.execute(
            "INSERT OR REPLACE INTO gpkg_contents "
            "(table_name, data_type, identifier, description, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles', "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )
        db.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
            "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'planview', '')",
            [
                (layer.name, "geom" if layer.family is not None else "", layer.name, qml, layer.title_vi)
                for layer, qml in styles
            ],
        )


async def build_plan_gpkg(conn: asyncpg.Connection, catalog: Catalog, path: Path, style_for: StyleFor) -> int:
    """Write every layer of the plan in EPSG:9213 with its style into ``path``; returns the data version."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        plan = await plan_layers(conn, catalog)
        versions = await area_versions(conn)
        version = max((versions.get(a, 0) for a in PACKAGE_AREAS), default=0)
        for layer in plan.layers:
            c = catalog.collections[layer.collection]
            await write_layer(conn, c, _all_rows(), path, "GPKG", layer.name, layer.family, layer.with_empty)
    write_layer_styles(path, [(layer, style_for(layer, plan.landuse_colours)) for layer in plan.layers])
    return version


class PlanPackage:
    """plan.gpkg cached on disk per data version; one build at a time per process, shared by waiters."""

    def __init__(self) -> None:
        self._builds: dict[int, asyncio.Task] = {}
        self.last_build_seconds: float | None = None

    def path_for(self, version: int) -> Path:
        """Where the package of ``version`` is kept."""
        return download_settings().download_dir / f"plan-v{version}.gpkg"

    async def get(self, pool: asyncpg.Pool, cache: CatalogCache, style_for: StyleFor) -> Path:
        """The package at the current data version, built first if it is not there yet."""
        async with pool.acquire() as conn:
            version = (await cache.get(conn)).version_of(PACKAGE_AREAS)
        path = self.path_for(version)
        if path.exists():
            return path
        task = self._builds.get(version)
        if task is None:
            task = asyncio.ensure_future(self._build(pool, cache, style_for, version))
            self._builds[version] = task
            task.add_done_callback(lambda _t: self._builds.pop(version, None))
        # shielded: a client that goes away does not cancel the build others wait for
        return await asyncio.shield(task)

    async def _build(
        self, pool: asyncpg.Pool, cache: CatalogCache, style_for: StyleFor, version: int
    ) -> Path:
        folder = download_settings().download_dir
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".plan-v{version}-{os.getpid()}-{id(self)}.gpkg"
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        try:
            async with pool.acquire() as conn:
                catalog = await cache.get(conn)
                built = await build_plan_gpkg(conn, catalog, partial, style_for)
            path = self.path_for(built)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        self.last_build_seconds = time.perf_counter() - started
        log.info(
            "plan.gpkg v%s built in %.2f s, %d bytes", built, self.last_build_seconds, path.stat().st_size
        )
        # older versions go; the one before stays for a download that may still be reading it
        for old in folder.glob("plan-v*.gpkg"):
            number = old.stem.removeprefix("plan-v")
            if number.isdigit() and int(number) < built - 1:
                old.unlink(missing_ok=True)
        return path
