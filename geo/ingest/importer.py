"""Import vector files (GeoJSON, GeoPackage, Shapefile, File GDB packages) into sheet layers."""

import re
import struct
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zlib import error as zlib_error

import numpy as np
import orjson
import pandas as pd
import pyogrio
import pyproj
import shapely
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from geo.analysis.screening import screen_all, stamp_screening
from geo.errors import Unprocessable
from geo.ingest.tile_store import label_stored_tiles, refresh_stored_tiles
from geo.plan.actor import IMPORT_ACTOR, Actor
from geo.plan.audit import record_audit_sync
from geo.store.tables import (
    LAYER_SCHEMA,
    InvalidLayerKey,
    SwapTimedOut,
    create_layer_table,
    finish_layer_table,
    layer_table_name,
    swap_layer_table,
)
from geo.store.versions import Area, bump

# Transformations must never fetch grids: VN-2000 ↔ WGS 84 is a 7-parameter Helmert transform.
pyproj.network.set_network_enabled(False)

WGS84 = pyproj.CRS.from_epsg(4326)
# Bắc Kạn (province 06) when admin_unit is not loaded; a margin so border features count as inside.
DEFAULT_ENVELOPE = (105.4, 21.8, 106.3, 22.8)
ENVELOPE_MARGIN_DEG = 0.02
REPAIR_AREA_TOLERANCE = 0.01
PROGRESS_MIN_ROWS = 20_000
FEATURE_ID_RE = re.compile(r"^[TGV]\d{2}-[L-Z][HQK]\d{2}-\d{8}$")

NAME_COLUMNS = ("name", "ten", "tendoituong", "ten_doi_tuong", "tendt", "label", "ten_dt")
LANDUSE_COLUMNS = (
    "maloaidat",
    "ma_loai_dat",
    "landuse",
    "landuse_code",
    "loaidat",
    "loai_dat",
    "kyhieu",
    "ky_hieu",
    "madat",
    "ma_dat",
    "mucdichsudung",
    "mdsd",
)
FEATURE_ID_COLUMNS = ("madoituong", "ma_doi_tuong", "feature_id", "featureid")
PLAN_START_COLUMNS = ("quyhoachbatdau", "quy_hoach_bat_dau", "plan_start")
PLAN_END_COLUMNS = ("quyhoachketthuc", "quy_hoach_ket_thuc", "plan_end")

DEFAULT_STYLES = {
    "polygon": {"color": "#555555", "weight": 0.6, "fillColor": "#c8c8c8", "fillOpacity": 0.6},
    "line": {"color": "#1f5fa8", "weight": 2},
    "point": {"radius": 5, "color": "#7a1f1f", "weight": 1, "fillColor": "#d94040", "fillOpacity": 0.9},
    "mixed": {"color": "#555555", "weight": 1, "fillColor": "#c8c8c8", "fillOpacity": 0.5, "radius": 5},
}

# TT 04/2023 feature datasets (themes) and the letter they carry in feature-type codes.
THEME_LETTERS = {
    "L": "KinhTeXaHoiDauTu",
    "M": "XayDung",
    "N": "CongThuong",
    "P": "NongNghiepPhatTrienNongThon",
    "Q": "TaiNguyenMoiTruong",
    "R": "VanHoaTheThaoDuLich",
    "S": "GiaoThongVanTai",
    "T": "ThongTinTruyenThong",
    "U": "KhoaHocCongNghe",
    "V": "YTe",
    "W": "GiaoDucDaoTao",
    "X": "LaoDongThuongBinhXaHoi",
    "Y": "QuocPhongAnNinh",
    "Z": "NgoaiGiao",
}

# Layer-name keyword → (sheet for current state "H", sheet for the plan "Q"); first match wins, so the
# more specific words come first. None means the circular has no sheet for that state.
SHEET_BY_NAME: tuple[tuple[str, str | None, str | None], ...] = (
    ("duan", "P12", "P12"),
    ("sudungdat", "P2.c", "P8"),
    ("phanbodat", "P2.c", "P8"),
    ("khoanhvungdat", "P2.c", "P8"),
    ("danhgiadatdai", "P3", "P3"),
    ("khucongnghiep", "P2.b", "P5"),
    ("cumcongnghiep", "P2.b", "P5"),
    ("khukinhte", "P2.b", "P5"),
    ("khuchucnang", "P2.b", "P5"),
    ("phanvung", "P2.b", "P5"),
    ("khudulich", "P2.b", "P5"),
    ("diemdulich", "P2.b", "P5"),
    ("dothi", "P2.b", "P4"),
    ("nongthon", "P2.b", "P4"),
    ("dancu", "P2.b", "P4"),
    ("giaothong", "P2.đ", "P7.a"),
    ("duongbo", "P2.đ", "P7.a"),
    ("capdien", "P2.đ", "P7.b"),
    ("luoidien", "P2.đ", "P7.b"),
    ("nguondien", "P2.đ", "P7.b"),
    ("trambienap", "P2.đ", "P7.b"),
    ("thuyloi", "P2.đ", "P7.c"),
    ("capnuoc", "P2.đ", "P7.d"),
    ("chatthai", "P2.đ", "P7.đ"),
    ("nghiatrang", "P2.đ", "P7.đ"),
    ("vanhoa", "P2.d", "P6.a"),
    ("thethao", "P2.d", "P6.a"),
    ("thuongmai", "P2.d", "P6.b"),
    ("logistics", "P2.d", "P6.b"),
    ("giaoduc", "P2.d", "P6.c"),
    ("daotao", "P2.d", "P6.c"),
    ("yte", "P2.d", "P6.d"),
    ("benhvien", "P2.d", "P6.d"),
    ("baotro", "P2.d", "P6.đ"),
    ("baoton", "P2.g", "P10"),
    ("rungdacdung", "P2.g", "P10"),
    ("dadangsinhhoc", "P2.g", "P10"),
    ("moitruong", "P2.g", "P10"),
    ("thientai", "P2.g", "P10"),
    ("khoangsan", "P2.e", "P9"),
    ("tainguyennuoc", "P2.e", "P9"),
    ("vunglienhuyen", None, "P11"),
    ("vunghuyen", None, "P11"),
    ("kinhtexahoi", "P2.a", None),
)
# Theme (feature dataset) → sheets, used only when the layer name says nothing; themes whose layers
# spread over several sheets (e.g. culture vs tourism, natural resources) are left out on purpose.
SHEET_BY_THEME: dict[str, tuple[str | None, str | None]] = {
    "GiaoThongVanTai": ("P2.đ", "P7.a"),
    "YTe": ("P2.d", "P6.d"),
    "GiaoDucDaoTao": ("P2.d", "P6.c"),
    "LaoDongThuongBinhXaHoi": ("P2.d", "P6.đ"),
}
PLANNED_PREFIXES = ("quyhoach", "phuongan", "dinhhuong")
CURRENT_PREFIXES = ("hientrang",)


class ImportError_(Unprocessable):  # noqa: N801 - the trailing underscore keeps the builtin visible
    """A file or package that cannot be imported; the message says what is wrong."""


@dataclass
class LayerImportResult:
    """What one imported layer became."""

    layer_key: str
    sheet_id: str
    table_name: str
    source: str
    crs_in: str
    feature_count: int
    geometry_type: str
    repaired: list[str] = field(default_factory=list)
    outside_envelope: int = 0
    outside_examples: list[str] = field(default_factory=list)
    unknown_landuse_codes: dict[str, int] = field(default_factory=dict)
    # polygons that overlap another polygon of the layer, and the land they share (a data-quality warning)
    overlapping_polygons: int = 0
    overlap_ha: float = 0.0
    read_seconds: float = 0.0
    write_seconds: float = 0.0


@dataclass
class SkippedLayer:
    """A package layer that was not imported, and why."""

    layer: str
    reason: str


@dataclass
class ImportResult:
    """The outcome of one ``import_any`` call (one transaction)."""

    layers: list[LayerImportResult]
    skipped: list[SkippedLayer]
    data_version: int
    seconds: float
    # wall seconds of each step: layers (read, check, COPY, index), tiles, screening, swap (+ commit)
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def feature_count(self) -> int:
        """Features written over all layers."""
        return sum(layer.feature_count for layer in self.layers)


@dataclass
class _Scan:
    """What the batches of one layer add up to: the checks that need the whole layer."""

    count: int = 0
    missing: int = 0
    missing_examples: list[str] = field(default_factory=list)
    # total bounds of the geometries as read, and after reprojection
    bounds: list[float] = field(default_factory=lambda: [np.inf, np.inf, -np.inf, -np.inf])
    wgs84_bounds: list[float] = field(default_factory=lambda: [np.inf, np.inf, -np.inf, -np.inf])
    families: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    unknown: dict[str, int] = field(default_factory=dict)
    outside: int = 0
    outside_examples: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    repair_error: ImportError_ | None = None  # the first one found before reprojection
    transform_failed: bool = False
    repair_error_after: ImportError_ | None = None  # the first one found after reprojection

    @property
    def failed(self) -> bool:
        """A problem was found: nothing more is written, the batches are only counted."""
        return bool(self.missing or self.repair_error or self.transform_failed or self.repair_error_after)


def _widen(total: list[float], bounds) -> None:
    total[0], total[1] = min(total[0], bounds[0]), min(total[1], bounds[1])
    total[2], total[3] = max(total[2], bounds[2]), max(total[3], bounds[3])


def fold(value: str) -> str:
    """Lower-case ASCII fold of a Vietnamese name (diacritics and đ removed)."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def snake_case(name: str) -> str:
    """``QuyHoachSuDungDat_A`` → ``quy_hoach_su_dung_dat_a`` (a valid layer key)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", fold_keep_case(name))
    key = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = "layer_" + key
    return key[:56].rstrip("_")


def fold_keep_case(value: str) -> str:
    """Remove Vietnamese diacritics but keep letter case."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# ---------------------------------------------------------------------------------------------
# Locating the data inside files, folders and zips


class ImportSettings(BaseSettings):
    """Limits on what an archive may expand to (zip bombs), and the importer's batch size."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    import_max_expanded_mb: int = 1024
    import_max_members: int = 1000
    # deflate cannot pass ~1030:1; real layers (DBF padding included) stay far below this
    import_max_ratio: int = 200
    # features read, checked, reprojected and written at a time: the importer's memory is about
    # one batch whatever the file's size
    import_batch_size: int = 20_000


# a member smaller than this is never refused for its ratio: a tiny file cannot hurt
RATIO_CHECK_FROM_BYTES = 1024 * 1024
EXTRACT_BLOCK = 1024 * 1024
MB = 1024 * 1024


def check_archive(label: str, members: list[zipfile.ZipInfo], settings: ImportSettings) -> None:
    """Refuse an archive with too many members, too big once expanded, or a member path outside it."""
    if len(members) > settings.import_max_members:
        raise ImportError_(
            f"{label} holds {len(members)} files; the limit is {settings.import_max_members} "
            "(PLANVIEW_IMPORT_MAX_MEMBERS)"
        )
    expanded = sum(m.file_size for m in members)
    if expanded > settings.import_max_expanded_mb * MB:
        raise ImportError_(
            f"{label} expands to {expanded / MB:,.0f} MB; the limit is "
            f"{settings.import_max_expanded_mb:,} MB (PLANVIEW_IMPORT_MAX_EXPANDED_MB)"
        )
    for m in members:
        parts = m.filename.replace("\\", "/").split("/")
        if m.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ImportError_(f"{label}: member {m.filename!r} points outside the archive; refused")


def extract_archive(
    label: str,
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    folder: Path,
    settings: ImportSettings,
) -> None:
    """Extract checked members into ``folder``, counting the bytes really written (not the declared ones).

    Stops past the expanded-size limit or past the ratio limit of one member, and refuses an archive
    whose content does not match its headers (Python's zipfile stops at the declared size and checks
    the CRC), so a zip that lies about its sizes is caught before GDAL reads anything.
    """
    limit = settings.import_max_expanded_mb * MB
    total = 0
    for member in members:
        if member.is_dir():
            continue
        target = folder / member.filename.replace("\\", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            with archive.open(member) as source, target.open("wb") as out:
                while block := source.read(EXTRACT_BLOCK):
                    written += len(block)
                    total += len(block)
                    if total > limit:
                        raise ImportError_(
                            f"{label} expands to more than {settings.import_max_expanded_mb:,} MB once read "
                            f"(its headers declared {sum(m.file_size for m in members) / MB:,.0f} MB); "
                            "the limit is PLANVIEW_IMPORT_MAX_EXPANDED_MB"
                        )
                    ratio = written / max(member.compress_size, 1)
                    if written >= RATIO_CHECK_FROM_BYTES and ratio > settings.import_max_ratio:
                        raise ImportError_(
                            f"{label}: member {member.filename!r} expands more than "
                            f"{settings.import_max_ratio} times its compressed size "
                            f"({member.compress_size:,} bytes → over {written:,}); "
                            "the limit is PLANVIEW_IMPORT_MAX_RATIO"
                        )
                    out.write(block)
        except (zipfile.BadZipFile, EOFError, zlib_error, NotImplementedError) as exc:
            raise ImportError_(
                f"{label}: member {member.filename!r} does not match what the archive declares "
                f"({exc}); refused"
            ) from exc


@dataclass
class _Dataset:
    path: str  # what GDAL opens (may be a /vsizip/ path)
    label: str  # the file name shown to people
    is_package: bool


def _locate(file: Path, cleanup: ExitStack) -> _Dataset:
    """What GDAL opens for ``file``; a zip is checked and extracted into a folder ``cleanup`` removes."""
    file = Path(file)
    if not file.exists():
        raise ImportError_(f"{file}: no such file or folder")
    if file.is_dir():
        if file.suffix.lower() == ".gdb":
            return _Dataset(str(file.resolve()), file.name, True)
        raise ImportError_(f"{file} is a folder but not a File Geodatabase (.gdb)")
    if file.suffix.lower() != ".zip":
        return _Dataset(str(file.resolve()), file.name, False)
    settings = ImportSettings()
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            check_archive(file.name, members, settings)
            extracted = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="planview-import-")))
            extract_archive(file.name, archive, members, extracted, settings)
    except zipfile.BadZipFile as exc:
        raise ImportError_(f"{file.name} is not a readable zip archive: {exc}") from exc
    names = [m.filename for m in members]
    base = str(extracted)
    gdbs = sorted({n[: n.lower().index(".gdb/") + 4] for n in names if ".gdb/" in n.lower()})
    if len(gdbs) == 1:
        return _Dataset(f"{base}/{gdbs[0]}", f"{file.name}/{gdbs[0]}", True)
    if len(gdbs) > 1:
        raise ImportError_(
            f"{file.name} holds several File Geodatabases ({', '.join(gdbs)}); zip one per file"
        )
    for suffixes in ((".shp",), (".gpkg",), (".geojson", ".json")):
        members = [n for n in names if n.lower().endswith(suffixes) and not n.startswith("__MACOSX")]
        if len(members) == 1:
            return _Dataset(f"{base}/{members[0]}", f"{file.name}/{members[0]}", False)
        if len(members) > 1:
            folders = {str(Path(m).parent) for m in members}
            if suffixes == (".shp",) and len(folders) == 1:
                folder = folders.pop()
                return _Dataset(base if folder == "." else f"{base}/{folder}", file.name, False)
            raise ImportError_(f"{file.name} holds several datasets ({', '.join(members)}); zip one per file")
    raise ImportError_(f"{file.name} holds no Shapefile, GeoPackage, GeoJSON or File Geodatabase")


def _list_layers(dataset: _Dataset) -> list[str]:
    try:
        return [str(name) for name, _ in pyogrio.list_layers(dataset.path)]
    except Exception as exc:  # any GDAL failure means the file cannot be read
        raise ImportError_(f"cannot read {dataset.label}: {_gdal_message(exc)}") from exc


def _gdal_message(exc: Exception) -> str:
    return str(exc).replace("\n", " ").strip() or type(exc).__name__


def _database_message(exc: Exception) -> str:
    """PostgreSQL's own words (error, detail, where) without SQLAlchemy's echo of the whole statement."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return _gdal_message(cause)


def _package_themes(dataset: _Dataset) -> dict[str, str]:
    """Layer name → feature dataset (theme) from the geodatabase's GDB_Items catalog."""
    try:
        items = pyogrio.read_dataframe(
            dataset.path, layer="GDB_Items", read_geometry=False, columns=["Path"], LIST_ALL_TABLES="YES"
        )
    except Exception:  # an older or foreign GDB without the catalog table: themes come from the ids
        return {}
    themes = {}
    for path in items["Path"].dropna():
        parts = [p for p in str(path).split("\\") if p]
        if len(parts) == 2:
            themes[parts[1]] = parts[0]
    return themes


# ---------------------------------------------------------------------------------------------
# Reading and checking one layer


def _layer_info(dataset: _Dataset, layer: str | None) -> dict:
    """GDAL's description of a layer (CRS, fields, feature count when the driver knows it)."""
    try:
        info = pyogrio.read_info(dataset.path, layer=layer)
    except Exception as exc:
        raise ImportError_(f"cannot read {_where(dataset, layer)}: {_gdal_message(exc)}") from exc
    if info.get("geometry_type") is None:
        raise ImportError_(f"{dataset.label}: layer {layer or ''} has no geometry column")
    return info


def _where(dataset: _Dataset, layer: str | None) -> str:
    return f"{dataset.label}" + (f" layer {layer}" if layer else "")


def _batches(
    dataset: _Dataset, layer: str | None, batch_size: int
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """The layer as (attributes indexed by fid, geometries) ``batch_size`` features at a time.

    One sequential read through GDAL's Arrow stream: memory stays about one batch. Dates and times
    come out as ``read_dataframe`` gives them (naive timestamps), so properties look the same.
    """
    try:
        with pyogrio.raw.open_arrow(
            dataset.path, layer=layer, batch_size=batch_size, return_fids=True, use_pyarrow=True
        ) as (meta, reader):
            fid_column = meta["fid_column"]
            geometry_column = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                geoms = shapely.from_wkb(
                    batch.column(geometry_column).to_numpy(zero_copy_only=False), on_invalid="ignore"
                )
                frame = batch.drop_columns([geometry_column]).to_pandas()
                frame = frame.set_index(fid_column)
                frame.index.name = None
                yield _like_read_dataframe(frame), np.asarray(geoms, dtype=object)
    except ImportError_:
        raise
    except Exception as exc:  # any GDAL failure means the file cannot be read
        raise ImportError_(f"cannot read {_where(dataset, layer)}: {_gdal_message(exc)}") from exc


def _like_read_dataframe(frame: pd.DataFrame) -> pd.DataFrame:
    """Arrow gives dates as ``datetime.date`` and GPKG times with a UTC zone; make them naive timestamps."""
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_localize(None)
        elif values.dtype == object:
            present = values.dropna()
            if (
                len(present)
                and isinstance(present.iloc[0], date)
                and not isinstance(present.iloc[0], datetime)
            ):
                frame[column] = pd.to_datetime(values)
    return frame


def _resolve_crs(file_crs: str | None, crs_option: str | None, label: str, console: Console | None):
    option = None
    if crs_option:
        try:
            option = pyproj.CRS.from_user_input(crs_option)
        except pyproj.exceptions.CRSError as exc:
            raise ImportError_(f"--crs {crs_option!r} is not a known coordinate reference system") from exc
    if file_crs is None:
        if option is None:
            raise ImportError_(
                f"{label} carries no coordinate reference system; pass --crs (e.g. --crs EPSG:9213 for "
                "VN-2000 / TM-3 106-30, the Bắc Kạn zone)"
            )
        return option
    try:
        declared = pyproj.CRS.from_user_input(file_crs)
    except pyproj.exceptions.CRSError as exc:
        if option is None:
            raise ImportError_(f"{label}: its CRS cannot be understood ({exc}); pass --crs") from exc
        return option
    if option is not None and not option.equals(declared, ignore_axis_order=True):
        if console:
            console.print(
                f"[yellow]warning:[/] {label} says {_crs_label(declared)}; using --crs {_crs_label(option)}"
            )
        return option
    return declared


def _crs_label(crs: pyproj.CRS) -> str:
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def _check_units(bounds: list[float], crs: pyproj.CRS, label: str) -> None:
    """Refuse metres labelled as degrees or the reverse, from the total bounds of the geometries."""
    if not np.isfinite(bounds).all():
        return
    xmin, ymin, xmax, ymax = bounds
    looks_like_degrees = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    if crs.is_geographic and not looks_like_degrees:
        raise ImportError_(
            f"{label}: coordinates up to ({xmax:.0f}, {ymax:.0f}) look like metres, but the CRS "
            f"{_crs_label(crs)} is in degrees; pass the real CRS with --crs (e.g. EPSG:9213)"
        )
    if crs.is_projected and looks_like_degrees:
        raise ImportError_(
            f"{label}: all coordinates lie within ±180/±90 and look like degrees, but the CRS "
            f"{_crs_label(crs)} is in metres; pass the real CRS with --crs (e.g. EPSG:4326)"
        )


def _feature_label(fid, attributes: dict) -> str:
    extra = [f"{k} {v!r}" for k, v in attributes.items() if v not in (None, "") and not pd.isna(v)]
    return f"feature fid={fid}" + (f" ({', '.join(extra)})" if extra else "")


def _family(geom_type: str) -> str:
    if "Polygon" in geom_type:
        return "polygon"
    if "LineString" in geom_type:
        return "line"
    if "Point" in geom_type:
        return "point"
    return "mixed"


def _extract_family(geom, family: str):
    """The parts of a (collection) geometry of one family, as a single geometry."""
    if _family(geom.geom_type) == family:
        return geom
    parts = [g for g in shapely.get_parts(geom) if _family(g.geom_type) == family]
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _repair(geoms: np.ndarray, fids, labels: list[dict], layer: str) -> list[str]:
    """Repair invalid geometries in place with make_valid; refuse when a repair changes what they are."""
    repaired = []
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    for i in invalid:
        original = geoms[i]
        family = _family(original.geom_type)
        fixed = _extract_family(shapely.make_valid(original), family)
        who = _feature_label(fids[i], labels[i])
        reason = shapely.is_valid_reason(original)
        if fixed is None or fixed.is_empty:
            raise ImportError_(f"{layer}: {who} has an invalid geometry ({reason}) that cannot be repaired")
        if family == "polygon" and fixed.area < abs(original.area) * (1 - REPAIR_AREA_TOLERANCE):
            raise ImportError_(
                f"{layer}: {who} has an invalid geometry ({reason}); repairing it would lose "
                f"{100 * (1 - fixed.area / abs(original.area)):.1f}% of its area, so it was refused"
            )
        geoms[i] = fixed
        repaired.append(f"{who}: {reason}")
    return repaired


def _envelope(conn: Connection) -> tuple[float, float, float, float]:
    row = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) AS e FROM admin_unit WHERE level = 'province' AND code = '06') s"
        )
    ).one()
    return tuple(row) if row[0] is not None else DEFAULT_ENVELOPE


# ---------------------------------------------------------------------------------------------
# Attribute mapping


def _find_column(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    folded = {fold(c).strip(): c for c in columns}
    for name in wanted:
        if name in folded:
            return folded[name]
    return None


def _json_default(value):
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _as_date(value) -> date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        value = value.strip()
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S"):
            try:
                return datetime.strptime(value[:19] if "T" in value else value, fmt).date()
            except ValueError:
                continue
    return None  # a bare year or free text is kept in properties, never turned into a made-up day


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, str):
        # NUL is padding from C strings and DBF fields, never content, and PostgreSQL text cannot hold it
        return unicodedata.normalize("NFC", value.replace("\x00", ""))
    return value


def _clean_column(values: pd.Series) -> list:
    """``_clean`` of every value of a column, done per column type (the importer's hot loop)."""
    kind = values.dtype.kind
    if kind in "iub":
        return values.tolist()
    if kind == "f":
        return [None if v != v else v for v in values.tolist()]  # NaN is the only value unequal to itself
    normalize = unicodedata.normalize
    return [
        normalize("NFC", v.replace("\x00", "")) if type(v) is str else _clean(v)
        for v in values.astype(object).tolist()
    ]


def _landuse_names(conn: Connection) -> dict[str, tuple[str, str | None, str | None]]:
    rows = conn.execute(text("SELECT code, name_vi, name_en, fill_color FROM land_use_code")).all()
    return {code.upper(): (name_vi, name_en, color) for code, name_vi, name_en, color in rows}


@dataclass
class _Columns:
    """Which source columns feed the standard columns (decided once, on the first batch)."""

    name: str | None
    feature_id: str | None
    plan_start: str | None
    plan_end: str | None
    landuse: str | None

    @property
    def label(self) -> list[str]:
        """The columns that name a feature in messages."""
        return [c for c in (self.feature_id, self.name) if c]


def _standard_columns(attributes: pd.DataFrame) -> _Columns:
    columns = list(attributes.columns)
    fid_col = _find_column(columns, FEATURE_ID_COLUMNS)
    if fid_col is None:  # any column holding TT 04/2023 ids
        for c in columns:
            sample = attributes[c].dropna().astype(str).head(20)
            if len(sample) and sample.map(lambda v: bool(FEATURE_ID_RE.match(v))).all():
                fid_col = c
                break
    return _Columns(
        name=_find_column(columns, NAME_COLUMNS),
        feature_id=fid_col,
        plan_start=_find_column(columns, PLAN_START_COLUMNS),
        plan_end=_find_column(columns, PLAN_END_COLUMNS),
        landuse=_find_column(columns, LANDUSE_COLUMNS),
    )


def _map_attributes(
    attributes: pd.DataFrame, landuse: dict[str, tuple], mapping: _Columns, scan: _Scan
) -> list[list]:
    """Standard columns + JSON properties per feature; codes present and unknown go to ``scan``."""
    name_col, fid_col, lu_col = mapping.name, mapping.feature_id, mapping.landuse
    start_col, end_col = mapping.plan_start, mapping.plan_end
    names = list(attributes.columns)
    columns = [_clean_column(attributes[c]) for c in names]
    rows, codes, unknown = [], scan.codes, scan.unknown
    for values in zip(*columns, strict=True) if columns else [()] * len(attributes):
        record = dict(zip(names, values, strict=True))
        name = record.pop(name_col) if name_col else None
        feature_id = record.pop(fid_col) if fid_col else None
        plan_start = _as_date(record.get(start_col)) if start_col else None
        plan_end = _as_date(record.get(end_col)) if end_col else None
        if start_col and (plan_start is not None or record.get(start_col) is None):
            record.pop(start_col)
        if end_col and (plan_end is not None or record.get(end_col) is None):
            record.pop(end_col)
        code = landuse_name = None
        if lu_col:
            raw = record.get(lu_col)
            if raw is not None:
                candidate = str(raw).strip().upper()
                if candidate in landuse:
                    code, landuse_name = candidate, landuse[candidate][0]
                    codes.add(candidate)
                    record.pop(lu_col)
                else:
                    unknown[candidate] = unknown.get(candidate, 0) + 1
            else:
                record.pop(lu_col)
        rows.append(
            [
                None if feature_id is None else str(feature_id),
                None if name is None else str(name),
                code,
                landuse_name,
                plan_start,
                plan_end,
                orjson.dumps(record, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode(),
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------
# One batch: check → repair → reproject → map attributes; the layer's verdict after the last batch


class _Labels:
    """The naming columns of a batch's features, read only for the few a message names."""

    def __init__(self, attributes: pd.DataFrame, columns: list[str]):
        self.frame = attributes[columns] if columns else None

    def __getitem__(self, i: int) -> dict:
        if self.frame is None:
            return {}
        return self.frame.iloc[[i]].astype(object).to_dict("records")[0]  # plain Python values


def _scan_batch(
    scan: _Scan,
    attributes: pd.DataFrame,
    geoms: np.ndarray,
    *,
    mapping: _Columns,
    transformer: pyproj.Transformer | None,
    landuse: dict,
    envelope: tuple[float, float, float, float],
    label: str,
    source: str,
) -> list[list] | None:
    """Check one batch and return its rows for COPY; None once the layer is known to fail.

    Problems are noted in ``scan`` rather than raised, so that the error finally raised is the one
    the whole layer would give (every missing geometry counted, units judged on the whole extent).
    """
    fids = attributes.index.to_numpy()
    scan.count += len(geoms)
    labels = _Labels(attributes, mapping.label)
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        scan.missing += len(missing)
        room = 5 - len(scan.missing_examples)
        scan.missing_examples += [_feature_label(fids[i], labels[i]) for i in missing[: max(room, 0)]]
        return None
    if scan.failed:
        _widen(scan.bounds, shapely.total_bounds(geoms))
        return None
    _widen(scan.bounds, shapely.total_bounds(geoms))
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    try:
        repaired = _repair(geoms, fids, labels, label)
    except ImportError_ as exc:
        scan.repair_error = scan.repair_error or exc
        return None
    if transformer is not None:
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )
        if not np.isfinite(shapely.total_bounds(geoms)).all():
            scan.transform_failed = True
            return None
        # reprojection can bend a barely valid ring into an invalid one
        try:
            repaired += _repair(geoms, fids, labels, label)
        except ImportError_ as exc:
            scan.repair_error_after = scan.repair_error_after or exc
            return None
    scan.repaired += repaired
    bounds = shapely.bounds(geoms)
    _widen(scan.wgs84_bounds, shapely.total_bounds(geoms))
    w, s, e, n = envelope
    m = ENVELOPE_MARGIN_DEG
    outside = (
        (bounds[:, 2] < w - m) | (bounds[:, 0] > e + m) | (bounds[:, 3] < s - m) | (bounds[:, 1] > n + m)
    )
    outside_idx = np.flatnonzero(outside)
    scan.outside += len(outside_idx)
    room = 5 - len(scan.outside_examples)
    scan.outside_examples += [_feature_label(fids[i], labels[i]) for i in outside_idx[: max(room, 0)]]
    scan.families |= {_family(t) for t in _geom_types(geoms)}

    rows = _map_attributes(attributes, landuse, mapping, scan)
    # binary WKB then bytes.hex() (GEOS's own hex writer is about 5x slower), made EWKB with SRID 4326
    # by rewriting its 5-byte header (set_srid would copy every geometry)
    wkb = shapely.to_wkb(geoms, hex=False, byte_order=1)
    for row, g in zip(rows, wkb, strict=True):
        row.append(source)
        row.append("exact")
        row.append(_ewkb_hex(g))
    return rows


_SRID_FLAG = 0x20000000
EWKB_4326_SUFFIX = struct.pack("<I", 4326).hex()


def _ewkb_hex(wkb: bytes) -> str:
    """Little-endian WKB → hex EWKB with SRID 4326 (the type's SRID flag set, the SRID after it)."""
    (kind,) = struct.unpack_from("<I", wkb, 1)
    return "01" + struct.pack("<I", kind | _SRID_FLAG).hex() + EWKB_4326_SUFFIX + wkb[5:].hex()


def _verdict(scan: _Scan, crs: pyproj.CRS, label: str, envelope: tuple[float, float, float, float]) -> None:
    """Raise the error the whole layer gives, in the order the checks have always run."""
    if scan.count == 0:
        raise ImportError_(f"{label} has no features")
    if scan.missing:
        raise ImportError_(
            f"{label}: {scan.missing} feature(s) have no geometry (null or empty): "
            + "; ".join(scan.missing_examples)
            + (" …" if scan.missing > 5 else "")
        )
    _check_units(scan.bounds, crs, label)
    if scan.repair_error:
        raise scan.repair_error
    if scan.transform_failed:
        raise ImportError_(f"{label}: coordinates cannot be transformed from {_crs_label(crs)} to WGS 84")
    if scan.repair_error_after:
        raise scan.repair_error_after
    if scan.outside == scan.count:
        w, s, e, n = envelope
        x0, y0, x1, y1 = scan.wgs84_bounds
        raise ImportError_(
            f"{label}: none of its {scan.count} features lies in Bắc Kạn (lon {w:.2f}–{e:.2f}, lat "
            f"{s:.2f}–{n:.2f}); the file spans lon {x0:.3f}–{x1:.3f}, lat {y0:.3f}–{y1:.3f} in "
            f"WGS 84 after reading it as {_crs_label(crs)} — wrong CRS or wrong file?"
        )


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _geom_types(geoms: np.ndarray) -> set[str]:
    return {_TYPE_NAMES.get(int(t), "Unknown") for t in np.unique(shapely.get_type_id(geoms))}


# ---------------------------------------------------------------------------------------------
# Writing: staging table → COPY → index → swap → catalog row


def _sheet_ids(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT sheet_id FROM map_sheet ORDER BY number")).scalars())


def _require_sheet(conn: Connection, sheet_id: str | None) -> str:
    valid = _sheet_ids(conn)
    if not sheet_id:
        raise ImportError_(
            f"pass --sheet with the sheet the layer belongs to; valid sheets: {', '.join(valid)}"
        )
    sheet_id = unicodedata.normalize("NFC", sheet_id)
    if sheet_id not in valid:
        listed = ", ".join(valid) if valid else "none (load the sheet catalog first: planview load)"
        raise ImportError_(f"sheet {sheet_id!r} is not in the catalog; valid sheets: {listed}")
    return sheet_id


COPY_COLUMNS = (
    "feature_id, name, landuse_code, landuse_name, plan_start, plan_end, properties, source, "
    "geometry_quality, geom"
)


def _progress(console: Console | None, total: int | None) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=console is None or (total is not None and 0 <= total < PROGRESS_MIN_ROWS),
    )


def _existing_relation(conn: Connection, table: str) -> str | None:
    return conn.execute(
        text(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relname = :table"
        ),
        {"schema": LAYER_SCHEMA, "table": table},
    ).scalar()


def _legend(codes: list[str], landuse: dict, style: dict, title_vi: str, title_en: str) -> list[dict]:
    if codes:
        return [
            {
                "label_vi": landuse[c][0],
                "label_en": landuse[c][1] or landuse[c][0],
                "color": landuse[c][2],
                "code": c,
            }
            for c in codes
        ]
    color = style.get("fillColor") or style.get("color")
    return [{"label_vi": title_vi, "label_en": title_en, "color": color}]


def _import_layer(
    conn: Connection,
    dataset: _Dataset,
    layer: str | None,
    *,
    layer_key: str,
    sheet_id: str,
    crs_option: str | None,
    title: str | None,
    landuse: dict,
    envelope: tuple[float, float, float, float],
    console: Console | None,
    replace: bool,
    is_synthetic: bool,
) -> LayerImportResult:
    """Stream one layer into its staging table batch by batch, check it whole, index it, catalog it."""
    started = time.perf_counter()
    # "file: layer", without repeating a layer that only echoes the file name
    shown_layer = layer if layer and layer != Path(dataset.label).stem else None
    label = dataset.label + (f" layer {shown_layer}" if shown_layer else "")
    source = dataset.label + (f": {shown_layer}" if shown_layer else "")
    info = _layer_info(dataset, layer)
    crs = _resolve_crs(info.get("crs"), crs_option, label, console)
    transformer = (
        None
        if crs.equals(WGS84, ignore_axis_order=True)
        else pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    )
    try:
        table = layer_table_name(layer_key)
    except InvalidLayerKey as exc:
        raise ImportError_(str(exc)) from exc
    # two imports of the same layer queue behind each other instead of racing on the staging table
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"planview.import.{table}"})
    existing = (
        conn.execute(text("SELECT * FROM sheet_layer WHERE layer_key = :key"), {"key": layer_key})
        .mappings()
        .first()
    )
    relkind = _existing_relation(conn, table)
    if relkind not in (None, "r"):
        raise ImportError_(
            f"layer {layer_key!r} is a view built from planview tables; import under another --layer"
        )
    if relkind == "r":
        held = conn.execute(text(f'SELECT count(*) FROM {LAYER_SCHEMA}."{table}"')).scalar_one()
        if held and not replace:
            sheet = existing["sheet_id"] if existing else "?"
            raise ImportError_(
                f"layer {layer_key!r} (sheet {sheet}) already holds {held} features; "
                "pass --replace to replace them"
            )
    staging = f"_staging_{table}"
    conn.execute(text(f'DROP TABLE IF EXISTS {LAYER_SCHEMA}."{staging}"'))
    create_layer_table(conn, staging)

    scan, mapping = _Scan(), None
    read_seconds = 0.0
    batch_size = ImportSettings().import_batch_size
    total = info.get("features")
    raw = conn.connection.driver_connection
    # one COPY for the whole layer: PostgreSQL parses and stores a batch while the next one is read
    with _progress(console, total) as progress, raw.cursor() as cursor:
        task = progress.add_task(f"importing {layer_key}", total=total if total and total > 0 else None)
        with cursor.copy(f'COPY {LAYER_SCHEMA}."{staging}" ({COPY_COLUMNS}) FROM STDIN') as copy:
            batch_started = time.perf_counter()
            for attributes, geoms in _batches(dataset, layer, batch_size):
                mapping = mapping or _standard_columns(attributes)
                rows = _scan_batch(
                    scan,
                    attributes,
                    geoms,
                    mapping=mapping,
                    transformer=transformer,
                    landuse=landuse,
                    envelope=envelope,
                    label=label,
                    source=source,
                )
                read_seconds += time.perf_counter() - batch_started
                for row in rows or ():
                    copy.write_row(row)
                del rows, attributes, geoms
                progress.update(task, completed=scan.count)
                batch_started = time.perf_counter()
            _verdict(scan, crs, label, envelope)
    families = set(scan.families)
    result = LayerImportResult(
        layer_key=layer_key,
        sheet_id=sheet_id,
        table_name=layer_key,
        source=source,
        crs_in=_crs_label(crs),
        feature_count=scan.count,
        geometry_type=families.pop() if len(families) == 1 else "mixed",
        repaired=scan.repaired,
        outside_envelope=scan.outside,
        outside_examples=scan.outside_examples,
        unknown_landuse_codes=scan.unknown,
        read_seconds=read_seconds,
    )
    landuse_codes = sorted(scan.codes)
    finish_layer_table(conn, staging)
    quality = _overlap_check(conn, staging, result)

    title_vi = title or (existing["title_vi"] if existing else None) or result.layer_key
    title_en = (existing["title_en"] if existing else None) or title or result.layer_key
    style = dict(existing["style"]) if existing and existing["style"] else {}
    if not style:
        style = dict(DEFAULT_STYLES[result.geometry_type])
        if landuse_codes:
            style["fillColorProperty"] = "landuse_code"
    legend = _legend(landuse_codes, landuse, style, title_vi, title_en)
    if not landuse_codes and existing and existing["legend"]:
        legend = existing["legend"]
    conn.execute(
        text(
            """
            INSERT INTO sheet_layer (layer_key, sheet_id, title_vi, title_en, geometry_type, table_name,
                                     style, legend, source, is_synthetic, feature_count, loaded_at,
                                     data_quality)
            VALUES (:key, :sheet, :title_vi, :title_en, :geometry_type, :table, CAST(:style AS jsonb),
                    CAST(:legend AS jsonb), :source, :synthetic, :count, now(), CAST(:quality AS jsonb))
            ON CONFLICT (layer_key) DO UPDATE SET
                sheet_id = EXCLUDED.sheet_id, title_vi = EXCLUDED.title_vi, title_en = EXCLUDED.title_en,
                geometry_type = EXCLUDED.geometry_type, table_name = EXCLUDED.table_name,
                style = EXCLUDED.style, legend = EXCLUDED.legend, source = EXCLUDED.source,
                is_synthetic = EXCLUDED.is_synthetic, feature_count = EXCLUDED.feature_count,
                loaded_at = EXCLUDED.loaded_at, data_quality = EXCLUDED.data_quality
            """
        ),
        {
            "key": result.layer_key,
            "sheet": result.sheet_id,
            "title_vi": title_vi,
            "title_en": title_en,
            "geometry_type": result.geometry_type,
            "table": table,
            "style": orjson.dumps(style).decode(),
            "legend": orjson.dumps(legend).decode(),
            "source": result.source,
            "synthetic": is_synthetic,
            "count": result.feature_count,
            "quality": orjson.dumps(quality).decode() if quality else None,
        },
    )
    result.write_seconds = time.perf_counter() - started - read_seconds
    return result


# interiors meet in an area (not a shared edge or corner): two parcels claim the same land
_OVERLAPS_SQL = """
WITH o AS (
    SELECT a.fid AS a, b.fid AS b, ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS g
    FROM {layer} a JOIN {layer} b ON a.fid < b.fid AND a.geom && b.geom
    WHERE ST_Dimension(a.geom) = 2 AND ST_Dimension(b.geom) = 2 AND ST_Relate(a.geom, b.geom, '2********')
)
SELECT (SELECT count(*) FROM (SELECT a FROM o UNION SELECT b FROM o) f) AS polygons,
       coalesce(ST_Area(ST_Union(g)::geography), 0) / 10000.0 AS ha
FROM o
"""


def _overlap_check(conn: Connection, table: str, result: LayerImportResult) -> dict | None:
    """Count the polygons of a polygon layer that overlap another, and the area they share."""
    if result.geometry_type not in ("polygon", "mixed"):
        return None
    row = conn.execute(text(_OVERLAPS_SQL.format(layer=f'{LAYER_SCHEMA}."{table}"'))).one()
    result.overlapping_polygons, result.overlap_ha = int(row.polygons), round(float(row.ha), 4)
    if not result.overlapping_polygons:
        return None
    return {
        "overlapping_polygons": result.overlapping_polygons,
        "overlap_ha": result.overlap_ha,
        "warning": (
            f"{result.overlapping_polygons} polygons overlap another polygon of this layer "
            f"({result.overlap_ha:.2f} ha claimed twice or more): the layer's topology is not clean; "
            "screening measures each rule on the union, so the overlap is counted once"
        ),
        "warning_vi": (
            f"{result.overlapping_polygons} vùng chồng lên vùng khác của lớp này "
            f"({result.overlap_ha:.2f} ha bị tính hai lần trở lên): topology của lớp chưa sạch; "
            "đối chiếu quy hoạch tính trên phần hợp của từng quy tắc nên phần chồng chỉ tính một lần"
        ),
    }


# ---------------------------------------------------------------------------------------------
# Planning-database packages (File GDB in the TT 04/2023 form)


def _camel_word_starts(name: str) -> set[int]:
    """Offsets (in the lower-cased name) where a CamelCase word begins."""
    return {m.start() for m in re.finditer(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)}


def _keyword_at_word_start(base: str, keyword: str) -> bool:
    folded = base.lower()
    starts = _camel_word_starts(base)
    return any(folded.startswith(keyword, i) for i in starts)


def decide_sheet(layer: str, theme: str | None, feature_ids: list[str]) -> tuple[str | None, str]:
    """The sheet a package layer belongs to, from its name, theme and ids; (None, why) when unclear."""
    base = re.sub(r"_[APL]$", "", fold_keep_case(layer))
    lowered = base.lower()
    name_state = None
    if lowered.startswith(CURRENT_PREFIXES):
        name_state = "H"
    elif lowered.startswith(PLANNED_PREFIXES):
        name_state = "Q"
    id_matches = [fid for fid in feature_ids if FEATURE_ID_RE.match(fid)]
    id_states = {fid[5] for fid in id_matches}
    if theme is None and id_matches:
        letters = {fid[4] for fid in id_matches}
        theme = THEME_LETTERS.get(letters.pop()) if len(letters) == 1 else None
    if name_state and id_states and id_states != {name_state}:
        return None, (
            f"its name says {'current' if name_state == 'H' else 'planned'} but its feature ids carry "
            f"class {'/'.join(sorted(id_states))}"
        )
    state = name_state or (id_states.pop() if len(id_states) == 1 else None)

    sheets = None
    for keyword, current, planned in SHEET_BY_NAME:
        if _keyword_at_word_start(base, keyword):
            sheets = (current, planned)
            why = f"name contains '{keyword}'"
            break
    if sheets is None and theme in SHEET_BY_THEME:
        sheets = SHEET_BY_THEME[theme]
        why = f"theme {theme}"
    if sheets is None:
        return None, f"no sheet is known for a layer named {layer} in theme {theme or 'unknown'}"
    current, planned = sheets
    if current == planned:
        return current, why
    if state is None or state == "K":
        return None, (
            f"{why}, but neither its name nor its feature ids (H/Q) say whether it is the current state "
            f"({current}) or the plan ({planned})"
        )
    sheet = current if state == "H" else planned
    if sheet is None:
        return None, f"{why}; the circular has no {'current-state' if state == 'H' else 'plan'} sheet for it"
    return sheet, f"{why}, {'current' if state == 'H' else 'planned'}"


def _sample_feature_ids(dataset: _Dataset, layer: str) -> list[str]:
    try:
        info = pyogrio.read_info(dataset.path, layer=layer)
        column = _find_column(list(info["fields"]), FEATURE_ID_COLUMNS)
        if column is None:
            return []
        frame = pyogrio.read_dataframe(
            dataset.path, layer=layer, columns=[column], read_geometry=False, max_features=1000
        )
    except Exception as exc:
        raise ImportError_(f"cannot read {dataset.label} layer {layer}: {_gdal_message(exc)}") from exc
    return [str(v) for v in frame[column].dropna()]


# ---------------------------------------------------------------------------------------------
# Entry point


def import_any(
    engine: Engine,
    file: Path,
    *,
    sheet_id: str | None = None,
    layer_key: str | None = None,
    crs: str | None = None,
    replace: bool = False,
    source_layer: str | None = None,
    title: str | None = None,
    console: Console | None = None,
    is_synthetic: bool = False,
    actor: Actor = IMPORT_ACTOR,
) -> ImportResult:
    """Import a file into a sheet layer, or every layer of a planning-database package, in one transaction.

    ``actor`` is recorded in the audit row written in the same transaction.

    For a package each layer goes to the sheet its name/theme/ids decide; ``sheet_id`` is used for
    layers that cannot be decided, or for ``source_layer`` alone when that is given.
    """
    started = time.perf_counter()
    # an archive is extracted (bounded) into a temporary folder, removed when the import ends
    with ExitStack() as cleanup:
        dataset = _locate(Path(file), cleanup)
        available = _list_layers(dataset)
        if source_layer is not None and source_layer not in available:
            raise ImportError_(
                f"{dataset.label} has no layer {source_layer!r}; its layers: {', '.join(available)}"
            )
        imported: list[LayerImportResult] = []
        skipped: list[SkippedLayer] = []
        steps: dict[str, float] = {}
        try:
            with engine.begin() as conn:
                landuse = _landuse_names(conn)
                envelope = _envelope(conn)
                # (source layer, layer key, sheet, title) of every layer to import, decided before any is read
                plan: list[tuple[str | None, str, str, str | None]] = []
                if dataset.is_package:
                    themes = _package_themes(dataset)
                    valid = set(_sheet_ids(conn))
                    for layer in [source_layer] if source_layer else available:
                        target, why = decide_sheet(
                            layer, themes.get(layer), _sample_feature_ids(dataset, layer)
                        )
                        if sheet_id and (source_layer or target is None):
                            target, why = _require_sheet(conn, sheet_id), "--sheet"
                        if target is None:
                            skipped.append(SkippedLayer(layer, why))
                            continue
                        if target not in valid:
                            skipped.append(
                                SkippedLayer(layer, f"{why} → sheet {target}, which is not in the catalog")
                            )
                            continue
                        key = layer_key if (source_layer and layer_key) else snake_case(layer)
                        plan.append((layer, key, target, title if source_layer else layer))
                    if not plan:
                        reasons = "; ".join(f"{s.layer}: {s.reason}" for s in skipped) or "it has no layers"
                        raise ImportError_(f"nothing imported from {dataset.label}: {reasons}")
                else:
                    if source_layer is None and len(available) > 1:
                        raise ImportError_(
                            f"{dataset.label} holds several layers ({', '.join(available)}); "
                            "choose one with --source-layer"
                        )
                    layer = source_layer or (available[0] if available else None)
                    target = _require_sheet(conn, sheet_id)
                    plan.append((layer, layer_key or snake_case(Path(file).stem), target, title))
                clock = time.perf_counter()
                for layer, key, target, layer_title in plan:
                    imported.append(
                        _import_layer(
                            conn,
                            dataset,
                            layer,
                            layer_key=key,
                            sheet_id=target,
                            crs_option=crs,
                            title=layer_title,
                            landuse=landuse,
                            envelope=envelope,
                            console=console,
                            replace=replace,
                            is_synthetic=is_synthetic,
                        )
                    )
                # Readers never wait on an import's heavy part: the staging tables were filled, indexed
                # and analysed above, big layers' tiles are rendered from them here, before any lock on a
                # live table
                steps["layers"], clock = time.perf_counter() - clock, time.perf_counter()
                for item in imported:
                    table = layer_table_name(item.layer_key)
                    refresh_stored_tiles(conn, item.layer_key, table=f"_staging_{table}")
                steps["tiles"], clock = time.perf_counter() - clock, time.perf_counter()
                # the stored screening follows its inputs: a constraint layer's pieces are rebuilt and the
                # projects re-screened when a rule reads the layer (reads never screen). It reads the
                # staging tables, so the live ones are not locked while it runs; the pieces' signatures
                # name the live table, which the staging table becomes below.
                staged = {
                    layer_table_name(item.layer_key): f"_staging_{layer_table_name(item.layer_key)}"
                    for item in imported
                }
                screened = screen_all(conn, tables=staged)
                steps["screening"], clock = time.perf_counter() - clock, time.perf_counter()
                # The version is bumped only now: the bump locks the one overall version row until the
                # commit, and every other write (a status change, an edit) waits for that row. Bumped
                # before the screening, a 100,000-parcel import held it for seconds and the waiting
                # writers held half the readers' pool (bench --load: 503s after 5 s).
                keys = ", ".join(item.layer_key for item in imported)
                version = bump(
                    conn, (Area.catalog, Area.plan_layers), f"import {dataset.label} → {keys}"[:500]
                )
                record_audit_sync(
                    conn,
                    actor,
                    "layer.import",
                    "layer",
                    keys,
                    None,
                    {
                        "file": dataset.label,
                        "layers": {item.layer_key: item.sheet_id for item in imported},
                        "replace": replace,
                        "data_version": version,
                    },
                )
                label_stored_tiles(conn, [item.layer_key for item in imported], version)
                stamp_screening(conn, version, screened["recomputed"])
                # the live tables are swapped last: a rename whose lock is held only until the commit,
                # which follows at once (milliseconds)
                for item in imported:
                    table = layer_table_name(item.layer_key)
                    swap_layer_table(conn, f"_staging_{table}", table)
            steps["swap"] = time.perf_counter() - clock  # the swap and the commit
        except ImportError_:
            raise
        except SwapTimedOut as exc:
            raise ImportError_(f"import of {dataset.label} was rolled back: {exc}") from exc
        except Exception as exc:  # a database failure mid-import: the transaction rolled back
            raise ImportError_(
                f"import of {dataset.label} failed and was rolled back: {_database_message(exc)}"
            ) from exc
        result = ImportResult(
            layers=imported,
            skipped=skipped,
            data_version=version,
            seconds=time.perf_counter() - started,
            steps={k: round(v, 3) for k, v in steps.items()},
        )
    if console is not None:
        print_summary(result, console)
    return result


def print_summary(result: ImportResult, console: Console) -> None:
    """A table of what was imported, repaired, found outside the province and skipped."""
    from rich.table import Table

    table = Table(title=f"import finished in {result.seconds:.1f} s (data version {result.data_version})")
    for column in ("layer", "sheet", "features", "type", "repaired", "outside", "CRS in → EPSG:4326", "s"):
        table.add_column(
            column, justify="right" if column in ("features", "repaired", "outside", "s") else "left"
        )
    for layer in result.layers:
        table.add_row(
            layer.layer_key,
            layer.sheet_id,
            str(layer.feature_count),
            layer.geometry_type,
            str(len(layer.repaired)),
            str(layer.outside_envelope),
            layer.crs_in,
            f"{layer.read_seconds + layer.write_seconds:.1f}",
        )
    console.print(table)
    for layer in result.layers:
        for note in layer.repaired[:5]:
            console.print(f"  [yellow]repaired[/] {layer.layer_key}: {note}")
        if len(layer.repaired) > 5:
            console.print(f"  … and {len(layer.repaired) - 5} more repaired in {layer.layer_key}")
        if layer.outside_envelope:
            console.print(
                f"  [yellow]outside Bắc Kạn[/] {layer.layer_key}: {layer.outside_envelope} feature(s), e.g. "
                + "; ".join(layer.outside_examples)
            )
        if layer.overlapping_polygons:
            console.print(
                f"  [yellow]overlapping polygons[/] {layer.layer_key}: {layer.overlapping_polygons} "
                f"polygon(s) overlap another ({layer.overlap_ha:.2f} ha): the layer's topology is not clean"
            )
        if layer.unknown_landuse_codes:
            listed = ", ".join(f"{c} ×{n}" for c, n in sorted(layer.unknown_landuse_codes.items())[:10])
            console.print(
                f"  [yellow]unknown land-use codes[/] {layer.layer_key} (kept in properties): {listed}"
            )
    for skip in result.skipped:
        console.print(f"  [yellow]skipped[/] {skip.layer}: {skip.reason}")
