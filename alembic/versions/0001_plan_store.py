"""Plan store: admin units, sheet catalog, zones, projects, data version, VN-2000 SRIDs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# VN-2000 TM-3 zones (EPSG:9205-9218; Bắc Kạn is 9213 "VN-2000 / TM-3 106-30") that PostGIS 3.3
# lacks. The +towgs84 is EPSG:6960 "VN-2000 to WGS 84 (2)" written in the position-vector
# convention, which makes ST_Transform agree with pyproj to ~1e-14 degrees (a naive copy of the
# decision's signs is 0.78 m off).
VN2000_TM3_ROWS = [
    (
        9205,
        'PROJCS["VN-2000 / TM-3 103-00",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",103],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9205"]]',
        "+proj=tmerc +lat_0=0 +lon_0=103 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9206,
        'PROJCS["VN-2000 / TM-3 104-00",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",104],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9206"]]',
        "+proj=tmerc +lat_0=0 +lon_0=104 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9207,
        'PROJCS["VN-2000 / TM-3 104-30",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",104.5],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9207"]]',
        "+proj=tmerc +lat_0=0 +lon_0=104.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9208,
        'PROJCS["VN-2000 / TM-3 104-45",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",104.75],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9208"]]',
        "+proj=tmerc +lat_0=0 +lon_0=104.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9209,
        'PROJCS["VN-2000 / TM-3 105-30",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",105.5],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9209"]]',
        "+proj=tmerc +lat_0=0 +lon_0=105.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9210,
        'PROJCS["VN-2000 / TM-3 105-45",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",105.75],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9210"]]',
        "+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9211,
        'PROJCS["VN-2000 / TM-3 106-00",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",106],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9211"]]',
        "+proj=tmerc +lat_0=0 +lon_0=106 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9212,
        'PROJCS["VN-2000 / TM-3 106-15",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",106.25],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9212"]]',
        "+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9213,
        'PROJCS["VN-2000 / TM-3 106-30",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",106.5],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9213"]]',
        "+proj=tmerc +lat_0=0 +lon_0=106.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9214,
        'PROJCS["VN-2000 / TM-3 107-00",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",107],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9214"]]',
        "+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9215,
        'PROJCS["VN-2000 / TM-3 107-15",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",107.25],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9215"]]',
        "+proj=tmerc +lat_0=0 +lon_0=107.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9216,
        'PROJCS["VN-2000 / TM-3 107-30",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",107.5],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9216"]]',
        "+proj=tmerc +lat_0=0 +lon_0=107.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9217,
        'PROJCS["VN-2000 / TM-3 108-15",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",108.25],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9217"]]',
        "+proj=tmerc +lat_0=0 +lon_0=108.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
    (
        9218,
        'PROJCS["VN-2000 / TM-3 108-30",GEOGCS["VN-2000",DATUM["Vietnam_2000",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6756"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4756"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",108.5],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","9218"]]',
        "+proj=tmerc +lat_0=0 +lon_0=108.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs",
    ),
]

# Lower-case and strip Vietnamese diacritics (đ -> d too): search matches "cho moi" and "Chợ Mới".
FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION fold_vi(input text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT translate(lower(normalize(input, NFC)),
    'áàảãạăắằẳẵặâấầẩẫậéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵđ',
    'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd')
$$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE SCHEMA IF NOT EXISTS layers")
    op.execute(FOLD_FUNCTION)
    srs = sa.table(
        "spatial_ref_sys",
        sa.column("srid", sa.Integer),
        sa.column("auth_name", sa.Text),
        sa.column("auth_srid", sa.Integer),
        sa.column("srtext", sa.Text),
        sa.column("proj4text", sa.Text),
    )
    for srid, wkt, proj4 in VN2000_TM3_ROWS:
        op.execute(sa.delete(srs).where(srs.c.srid == srid))
        op.execute(
            sa.insert(srs).values(srid=srid, auth_name="EPSG", auth_srid=srid, srtext=wkt, proj4text=proj4)
        )
    op.create_table(
        "admin_crosswalk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_code", sa.Text(), nullable=False),
        sa.Column("old_name", sa.Text(), nullable=False),
        sa.Column("old_district", sa.Text(), nullable=True),
        sa.Column("new_code", sa.Text(), nullable=False),
        sa.Column("new_name", sa.Text(), nullable=False),
        sa.Column("new_type", sa.Text(), nullable=True),
        sa.Column("new_province", sa.Text(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("old_code", "new_code", name="crosswalk_pair"),
    )
    op.create_index(op.f("ix_admin_crosswalk_new_code"), "admin_crosswalk", ["new_code"], unique=False)
    op.create_index(op.f("ix_admin_crosswalk_old_code"), "admin_crosswalk", ["old_code"], unique=False)
    op.create_table(
        "admin_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("unit_type", sa.Text(), nullable=True),
        sa.Column("name_ascii", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("status_2025", sa.Text(), nullable=True),
        sa.Column("area_km2", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("geometry_quality", sa.Text(), server_default="exact", nullable=False),
        sa.Column("geometry_note", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "geometry_quality IN ('exact', 'approximate', 'none')", name="geometry_quality_known"
        ),
        sa.CheckConstraint("level IN ('province', 'district', 'commune')", name="level_known"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "level", "valid_from", name="admin_unit_code_level_from"),
    )
    op.create_index("admin_unit_geom_idx", "admin_unit", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("admin_unit_parent_idx", "admin_unit", ["parent_code"], unique=False)
    op.create_table(
        "data_version",
        sa.Column("id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "land_use_code",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("top_group", sa.Text(), nullable=True),
        sa.Column("fill_color", sa.Text(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("tt08_2024_status", sa.Text(), nullable=True),
        sa.Column("tt08_2024_name_vi", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "land_use_figure",
        sa.Column("lu_id", sa.Text(), nullable=False),
        sa.Column("land_code", sa.Text(), nullable=True),
        sa.Column("indicator_vi", sa.Text(), nullable=False),
        sa.Column("indicator_en", sa.Text(), nullable=True),
        sa.Column("value_ha", sa.Numeric(), nullable=True),
        sa.Column("year", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lu_id"),
    )
    op.create_table(
        "map_sheet",
        sa.Column("sheet_id", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Text(), nullable=True),
        sa.Column("is_group", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("title_vi", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("theme", sa.Text(), nullable=True),
        sa.Column("scale", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sheet_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "plan_target",
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("indicator_vi", sa.Text(), nullable=False),
        sa.Column("indicator_en", sa.Text(), nullable=True),
        sa.Column("comparator", sa.Text(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("source_url_2", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("target_id"),
    )
    op.create_table(
        "protected_area",
        sa.Column("area_id", sa.Text(), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("host_communes", sa.Text(), nullable=True),
        sa.Column("districts", sa.Text(), nullable=True),
        sa.Column("bbox_lat_min", sa.Double(), nullable=True),
        sa.Column("bbox_lat_max", sa.Double(), nullable=True),
        sa.Column("bbox_lon_min", sa.Double(), nullable=True),
        sa.Column("bbox_lon_max", sa.Double(), nullable=True),
        sa.Column("core_ha", sa.Numeric(), nullable=True),
        sa.Column("zones", sa.Text(), nullable=True),
        sa.Column("established", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_url_2", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("geometry_quality", sa.Text(), server_default="none", nullable=False),
        sa.Column("geometry_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "geometry_quality IN ('exact', 'approximate', 'none')", name="geometry_quality_known"
        ),
        sa.PrimaryKeyConstraint("area_id"),
    )
    op.create_table(
        "zone",
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("type_detail", sa.Text(), nullable=True),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_ascii", sa.Text(), nullable=False),
        sa.Column("plan_role", sa.Text(), nullable=True),
        sa.Column("area_planned_ha", sa.Numeric(), nullable=True),
        sa.Column("area_other_ha", sa.Numeric(), nullable=True),
        sa.Column("area_occupied_ha", sa.Numeric(), nullable=True),
        sa.Column("area_available_ha", sa.Numeric(), nullable=True),
        sa.Column("area_notes", sa.Text(), nullable=True),
        sa.Column("occupancy_note", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("plan_horizon", sa.Text(), nullable=True),
        sa.Column("district_code", sa.Text(), nullable=True),
        sa.Column("district_name", sa.Text(), nullable=True),
        sa.Column("commune_code", sa.Text(), nullable=True),
        sa.Column("commune_name", sa.Text(), nullable=True),
        sa.Column("commune_new_2025", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=True),
        sa.Column("investor", sa.Text(), nullable=True),
        sa.Column("capex_vnd_billion", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("source_url_2", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("geometry_quality", sa.Text(), server_default="none", nullable=False),
        sa.Column("location_level", sa.Text(), nullable=True),
        sa.Column("geometry_note", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "geometry_quality IN ('exact', 'approximate', 'none')", name="geometry_quality_known"
        ),
        sa.CheckConstraint("kind IN ('KCN', 'CCN', 'tourism')", name="kind_known"),
        sa.CheckConstraint(
            "location_level IS NULL OR location_level IN ('site', 'zone', 'commune', 'district', 'multi_district', 'province')",
            name="location_level_known",
        ),
        sa.PrimaryKeyConstraint("zone_id"),
    )
    op.create_index(op.f("ix_zone_district_code"), "zone", ["district_code"], unique=False)
    op.create_index("zone_geom_idx", "zone", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "project",
        sa.Column("project_id", sa.Text(), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_ascii", sa.Text(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=True),
        sa.Column("is_category", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "district_codes",
            sa.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("districts_text", sa.Text(), nullable=True),
        sa.Column("commune_code", sa.Text(), nullable=True),
        sa.Column("commune_name", sa.Text(), nullable=True),
        sa.Column("zone_id", sa.Text(), nullable=True),
        sa.Column("responsible_agency", sa.Text(), nullable=True),
        sa.Column("capital_source", sa.Text(), nullable=True),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("scale", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("progress_pct", sa.Numeric(), nullable=True),
        sa.Column("in_qd1288_appendix", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("source_url_2", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("geometry_quality", sa.Text(), server_default="none", nullable=False),
        sa.Column("location_level", sa.Text(), nullable=True),
        sa.Column("geometry_note", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "geometry_quality IN ('exact', 'approximate', 'none')", name="geometry_quality_known"
        ),
        sa.CheckConstraint(
            "location_level IS NULL OR location_level IN ('site', 'zone', 'commune', 'district', 'multi_district', 'province')",
            name="location_level_known",
        ),
        sa.CheckConstraint("progress_pct IS NULL OR progress_pct BETWEEN 0 AND 100", name="progress_range"),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zone.zone_id"],
        ),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_index("project_geom_idx", "project", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "sheet_layer",
        sa.Column("layer_key", sa.Text(), nullable=False),
        sa.Column("sheet_id", sa.Text(), nullable=False),
        sa.Column("title_vi", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("geometry_type", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=True),
        sa.Column(
            "style",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "legend",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("nominal_scale", sa.Text(), nullable=True),
        sa.Column("is_official", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("feature_count", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "geometry_type IN ('point', 'line', 'polygon', 'mixed')", name="geometry_type_known"
        ),
        sa.ForeignKeyConstraint(["sheet_id"], ["map_sheet.sheet_id"], onupdate="CASCADE", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("layer_key"),
    )
    op.create_table(
        "project_status_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("progress_pct", sa.Numeric(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("data_version", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.project_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_project_status_event_project_id"),
        "project_status_event",
        ["project_id"],
        unique=False,
    )
    op.execute("INSERT INTO data_version (id, version, note) VALUES (1, 0, 'schema created')")


def downgrade() -> None:
    op.drop_index(op.f("ix_project_status_event_project_id"), table_name="project_status_event")
    op.drop_table("project_status_event")
    op.drop_table("sheet_layer")
    op.drop_index("project_geom_idx", table_name="project", postgresql_using="gist")
    op.drop_table("project")
    op.drop_index("zone_geom_idx", table_name="zone", postgresql_using="gist")
    op.drop_index(op.f("ix_zone_district_code"), table_name="zone")
    op.drop_table("zone")
    op.drop_table("protected_area")
    op.drop_table("plan_target")
    op.drop_table("map_sheet")
    op.drop_table("land_use_figure")
    op.drop_table("land_use_code")
    op.drop_table("data_version")
    op.drop_index("admin_unit_parent_idx", table_name="admin_unit")
    op.drop_index("admin_unit_geom_idx", table_name="admin_unit", postgresql_using="gist")
    op.drop_table("admin_unit")
    op.drop_index(op.f("ix_admin_crosswalk_old_code"), table_name="admin_crosswalk")
    op.drop_index(op.f("ix_admin_crosswalk_new_code"), table_name="admin_crosswalk")
    op.drop_table("admin_crosswalk")
    op.execute("DROP SCHEMA IF EXISTS layers CASCADE")
    op.execute("DROP FUNCTION IF EXISTS fold_vi(text)")
    op.execute(f"DELETE FROM spatial_ref_sys WHERE srid IN ({', '.join(str(r[0]) for r in VN2000_TM3_ROWS)})")
