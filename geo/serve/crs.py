"""The coordinate reference systems served (OGC API – Features Part 2): URIs, SRIDs and axis order."""

from dataclasses import dataclass

from geo.errors import InvalidParameter

OGC_CRS = "http://www.opengis.net/def/crs"


@dataclass(frozen=True)
class OutputCrs:
    """One CRS a client may ask for with ``crs=`` or ``bbox-crs=``."""

    uri: str
    srid: int  # the spatial_ref_sys row PostGIS transforms with (9213's is EPSG:6960, migration 0001)
    title: str
    # EPSG geographic CRSs are latitude first; the OGC's CRS84 and the projected ones are x (east) first.
    lat_first: bool
    # 6 decimals of a degree is about 0.1 m; projected CRSs are written to the millimetre
    decimals: int
    short: str  # "EPSG:9213" (file names, the page)

    @property
    def is_default(self) -> bool:
        """True for CRS84, the CRS of every response without ``crs=``."""
        return self is CRS84

    @property
    def is_wgs84(self) -> bool:
        """True for CRS84 and EPSG:4326 (same datum, only the axis order differs)."""
        return self.srid == 4326


CRS84 = OutputCrs(f"{OGC_CRS}/OGC/1.3/CRS84", 4326, "WGS 84 (lon, lat)", False, 6, "OGC:CRS84")
SUPPORTED_CRS = (
    CRS84,
    OutputCrs(f"{OGC_CRS}/EPSG/0/4326", 4326, "WGS 84 (lat, lon)", True, 6, "EPSG:4326"),
    OutputCrs(f"{OGC_CRS}/EPSG/0/9213", 9213, "VN-2000 / TM-3 106-30 (E, N metres)", False, 3, "EPSG:9213"),
    OutputCrs(f"{OGC_CRS}/EPSG/0/3405", 3405, "VN-2000 / UTM zone 48N (E, N metres)", False, 3, "EPSG:3405"),
    OutputCrs(f"{OGC_CRS}/EPSG/0/4756", 4756, "VN-2000 (lat, lon)", True, 7, "EPSG:4756"),
)
CRS_URIS = [c.uri for c in SUPPORTED_CRS]
# Every spelling a client may send: the URI, the CURIE "EPSG:9213" and the safe CURIE "[EPSG:9213]".
_BY_NAME = {
    **{c.uri.upper(): c for c in SUPPORTED_CRS},
    **{c.short.upper(): c for c in SUPPORTED_CRS},
    **{f"[{c.short.upper()}]": c for c in SUPPORTED_CRS},
    "CRS84": CRS84,
}


def parse_crs(value: str | None, parameter: str) -> OutputCrs:
    """The CRS named by ``value`` (None → CRS84); InvalidParameter naming ``parameter`` otherwise."""
    if value is None:
        return CRS84
    found = _BY_NAME.get(value.strip().upper())
    if found is None:
        raise InvalidParameter(
            f"{parameter}: unsupported coordinate reference system {value!r}; "
            f"supported: {', '.join(CRS_URIS)}"
        )
    return found


def content_crs(crs: OutputCrs) -> str:
    """The value of the ``Content-Crs`` response header."""
    return f"<{crs.uri}>"


def geometry_sql(crs: OutputCrs, column: str = "t.geom") -> str:
    """SQL of the stored geometry (SRID 4326, lon/lat) in ``crs`` and its axis order."""
    if crs.is_wgs84:
        expr = column
    else:
        expr = f"ST_Transform({column}, {crs.srid})"
    return f"ST_FlipCoordinates({expr})" if crs.lat_first else expr
