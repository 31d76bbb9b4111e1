"""SQLAlchemy + GeoAlchemy2 models of the plan store (the schema Alembic migrates)."""

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

GEOMETRY_QUALITY = "geometry_quality IN ('exact', 'approximate', 'none')"
LOCATION_LEVEL = (
    "location_level IS NULL OR location_level IN "
    "('site', 'zone', 'commune', 'district', 'multi_district', 'province')"
)


class Base(DeclarativeBase):
    """Declarative base of all planview tables."""


class DataVersion(Base):
    """One counter bumped by every load, import or edit in the same transaction."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)


class AdminUnit(Base):
    """A province, district or commune, valid between two dates (old and 2025 units alike)."""

    __tablename__ = "admin_unit"
    __table_args__ = (
        UniqueConstraint("code", "level", "valid_from", name="admin_unit_code_level_from"),
        CheckConstraint("level IN ('province', 'district', 'commune')", name="level_known"),
        CheckConstraint(GEOMETRY_QUALITY, name="geometry_quality_known"),
        Index("admin_unit_geom_idx", "geom", postgresql_using="gist"),
        Index("admin_unit_parent_idx", "parent_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    full_name: Mapped[str] = mapped_column(Text, nullable=False)
    unit_type: Mapped[str | None] = mapped_column(Text)
    name_ascii: Mapped[str] = mapped_column(Text, nullable=False)
    parent_code: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status_2025: Mapped[str | None] = mapped_column(Text)
    area_km2: Mapped[float | None] = mapped_column(Double)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    geometry_quality: Mapped[str] = mapped_column(Text, nullable=False, server_default="exact")
    geometry_note: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))


class AdminCrosswalk(Base):
    """The 2025 reform: which pre-2025 commune became which new unit of Thái Nguyên."""

    __tablename__ = "admin_crosswalk"
    __table_args__ = (UniqueConstraint("old_code", "new_code", name="crosswalk_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    old_code: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    old_name: Mapped[str] = mapped_column(Text, nullable=False)
    old_district: Mapped[str | None] = mapped_column(Text)
    new_code: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    new_name: Mapped[str] = mapped_column(Text, nullable=False)
    new_type: Mapped[str | None] = mapped_column(Text)
    new_province: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[str | None] = mapped_column(Text)


class MapSheet(Base):
    """One sheet of the plan dossier's maps (the catalog, loaded from CSV)."""

    __tablename__ = "map_sheet"

    sheet_id: Mapped[str] = mapped_column(Text, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    parent_id: Mapped[str | None] = mapped_column(Text)
    is_group: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    title_vi: Mapped[str] = mapped_column(Text, nullable=False)
    title_en: Mapped[str] = mapped_column(Text, nullable=False)
    theme: Mapped[str | None] = mapped_column(Text)
    scale: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)


class SheetLayer(Base):
    """A layer of a sheet; its features live in the table ``layers.<table_name>`` once loaded."""

    __tablename__ = "sheet_layer"
    __table_args__ = (
        CheckConstraint("geometry_type IN ('point', 'line', 'polygon', 'mixed')", name="geometry_type_known"),
    )

    layer_key: Mapped[str] = mapped_column(Text, primary_key=True)
    sheet_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("map_sheet.sheet_id", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
    )
    title_vi: Mapped[str] = mapped_column(Text, nullable=False)
    title_en: Mapped[str] = mapped_column(Text, nullable=False)
    geometry_type: Mapped[str] = mapped_column(Text, nullable=False)
    table_name: Mapped[str | None] = mapped_column(Text)
    style: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    legend: Mapped[list] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    source: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    nominal_scale: Mapped[str | None] = mapped_column(Text)
    is_official: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    feature_count: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)


class LandUseCode(Base):
    """Official land-use code with its name and map colour."""

    __tablename__ = "land_use_code"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str | None] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(Text)
    top_group: Mapped[str | None] = mapped_column(Text)
    fill_color: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text)
    tt08_2024_status: Mapped[str | None] = mapped_column(Text)
    tt08_2024_name_vi: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class Zone(Base):
    """An industrial park (KCN), industrial cluster (CCN) or tourism area/site of the plan."""

    __tablename__ = "zone"
    __table_args__ = (
        CheckConstraint("kind IN ('KCN', 'CCN', 'tourism')", name="kind_known"),
        CheckConstraint(GEOMETRY_QUALITY, name="geometry_quality_known"),
        CheckConstraint(LOCATION_LEVEL, name="location_level_known"),
        Index("zone_geom_idx", "geom", postgresql_using="gist"),
    )

    zone_id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    type_detail: Mapped[str | None] = mapped_column(Text)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_ascii: Mapped[str] = mapped_column(Text, nullable=False)
    plan_role: Mapped[str | None] = mapped_column(Text)
    area_planned_ha: Mapped[float | None] = mapped_column(Numeric)
    area_other_ha: Mapped[float | None] = mapped_column(Numeric)
    area_occupied_ha: Mapped[float | None] = mapped_column(Numeric)
    area_available_ha: Mapped[float | None] = mapped_column(Numeric)
    area_notes: Mapped[str | None] = mapped_column(Text)
    occupancy_note: Mapped[str | None] = mapped_column(Text)
    occupancy_note_vi: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    status_vi: Mapped[str | None] = mapped_column(Text)
    plan_horizon: Mapped[str | None] = mapped_column(Text)
    district_code: Mapped[str | None] = mapped_column(Text, index=True)
    district_name: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(Text)
    commune_name: Mapped[str | None] = mapped_column(Text)
    commune_new_2025: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    investor: Mapped[str | None] = mapped_column(Text)
    capex_vnd_billion: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text, nullable=False)
    source_url_2: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    geometry_quality: Mapped[str] = mapped_column(Text, nullable=False, server_default="none")
    location_level: Mapped[str | None] = mapped_column(Text)
    geometry_note: Mapped[str | None] = mapped_column(Text)
    geometry_note_vi: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))


class Project(Base):
    """An investment project of the plan, with its current status."""

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(GEOMETRY_QUALITY, name="geometry_quality_known"),
        CheckConstraint(LOCATION_LEVEL, name="location_level_known"),
        CheckConstraint("progress_pct IS NULL OR progress_pct BETWEEN 0 AND 100", name="progress_range"),
        Index("project_geom_idx", "geom", postgresql_using="gist"),
    )

    project_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_ascii: Mapped[str] = mapped_column(Text, nullable=False)
    sector: Mapped[str | None] = mapped_column(Text)
    is_category: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    district_codes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    districts_text: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(Text)
    commune_name: Mapped[str | None] = mapped_column(Text)
    zone_id: Mapped[str | None] = mapped_column(Text, ForeignKey("zone.zone_id"))
    responsible_agency: Mapped[str | None] = mapped_column(Text)
    capital_source: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    scale: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    status_note: Mapped[str | None] = mapped_column(Text)
    status_note_vi: Mapped[str | None] = mapped_column(Text)
    progress_pct: Mapped[float | None] = mapped_column(Numeric)
    in_qd1288_appendix: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text, nullable=False)
    source_url_2: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    geometry_quality: Mapped[str] = mapped_column(Text, nullable=False, server_default="none")
    location_level: Mapped[str | None] = mapped_column(Text)
    geometry_note: Mapped[str | None] = mapped_column(Text)
    geometry_note_vi: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))


class ProjectStatusEvent(Base):
    """One change of a project's status: what, why, who and when."""

    __tablename__ = "project_status_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        Text, ForeignKey("project.project_id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(Text, nullable=False)
    progress_pct: Mapped[float | None] = mapped_column(Numeric)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    source: Mapped[str | None] = mapped_column(Text)
    data_version: Mapped[int | None] = mapped_column(BigInteger)


class PlanTarget(Base):
    """A numeric target or baseline of the plan."""

    __tablename__ = "plan_target"

    target_id: Mapped[str] = mapped_column(Text, primary_key=True)
    indicator_vi: Mapped[str] = mapped_column(Text, nullable=False)
    indicator_en: Mapped[str | None] = mapped_column(Text)
    comparator: Mapped[str | None] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Numeric)
    value_text: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text, nullable=False)
    source_url_2: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class LandUseFigure(Base):
    """A land-use area figure (baseline or plan) quoted from the sources."""

    __tablename__ = "land_use_figure"

    lu_id: Mapped[str] = mapped_column(Text, primary_key=True)
    land_code: Mapped[str | None] = mapped_column(Text)
    indicator_vi: Mapped[str] = mapped_column(Text, nullable=False)
    indicator_en: Mapped[str | None] = mapped_column(Text)
    value_ha: Mapped[float | None] = mapped_column(Numeric)
    year: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class ProtectedArea(Base):
    """A protected area's published facts (no official polygon is public)."""

    __tablename__ = "protected_area"
    __table_args__ = (CheckConstraint(GEOMETRY_QUALITY, name="geometry_quality_known"),)

    area_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    host_communes: Mapped[str | None] = mapped_column(Text)
    districts: Mapped[str | None] = mapped_column(Text)
    bbox_lat_min: Mapped[float | None] = mapped_column(Double)
    bbox_lat_max: Mapped[float | None] = mapped_column(Double)
    bbox_lon_min: Mapped[float | None] = mapped_column(Double)
    bbox_lon_max: Mapped[float | None] = mapped_column(Double)
    core_ha: Mapped[float | None] = mapped_column(Numeric)
    zones: Mapped[str | None] = mapped_column(Text)
    established: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    source_url_2: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    geometry_quality: Mapped[str] = mapped_column(Text, nullable=False, server_default="none")
    geometry_note: Mapped[str | None] = mapped_column(Text)
    geometry_note_vi: Mapped[str | None] = mapped_column(Text)
