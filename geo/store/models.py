"""SQLAlchemy + GeoAlchemy2 models of the plan store (the schema Alembic migrates)."""

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, OID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo.store.vocabulary import GeometryQuality, ProjectStatus, check_in

GEOMETRY_QUALITY = check_in("geometry_quality", GeometryQuality)
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


class DataAreaVersion(Base):
    """The data version at which one area (projects, plan_layers, admin_units, …) last changed.

    Every write bumps ``data_version`` and sets its areas' rows to the new value in the same
    transaction (``geo.store.versions.bump``); ETags and caches read the areas they depend on.
    """

    __tablename__ = "data_area_version"

    area: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=func.now())
    note: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """One write: who, in which role, what changed (before/after); append-only (a trigger says no)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("audit_event_object_idx", "object_type", "object_id"),
        Index("audit_event_at_idx", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    username: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    object_type: Mapped[str] = mapped_column(Text, nullable=False)
    object_id: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(Text)


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
    # folded for the search (geo.serve.search): fold_vi per name and query cost ~10 µs each
    name_fold: Mapped[str] = mapped_column(Text, Computed("fold_vi(name)", persisted=True))
    full_name_fold: Mapped[str] = mapped_column(Text, Computed("fold_vi(full_name)", persisted=True))
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
    geometry_note_vi: Mapped[str | None] = mapped_column(Text)
    # the area a source publishes (km²), beside the computed area_km2; NULL = none published
    area_km2_published: Mapped[float | None] = mapped_column(Double)
    area_published_source: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))


class AdminCrosswalk(Base):
    """The 2025 reform: which pre-2025 commune (2009 or 2020–2025 set) became which unit of Thái Nguyên."""

    __tablename__ = "admin_crosswalk"
    __table_args__ = (
        UniqueConstraint("old_code", "old_period", "new_code", name="crosswalk_pair"),
        CheckConstraint("old_period IN ('2009', '2020-2025')", name="old_period_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    old_code: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    old_name: Mapped[str] = mapped_column(Text, nullable=False)
    old_district: Mapped[str | None] = mapped_column(Text)
    new_code: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    new_name: Mapped[str] = mapped_column(Text, nullable=False)
    new_name_fold: Mapped[str] = mapped_column(Text, Computed("fold_vi(new_name)", persisted=True))
    new_type: Mapped[str | None] = mapped_column(Text)
    new_province: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[str | None] = mapped_column(Text)
    # which set old_code belongs to: the 2009 communes (122) or the units of 2020–2025 (108); a code can
    # be in both with different land (02155 = Lương Hạ in 2009, Yến Lạc after 2020)
    old_period: Mapped[str] = mapped_column(Text, nullable=False, server_default="2020-2025")
    # for a 2009 commune: the 2020–2025 unit it went into (NQ 855/NQ-UBTVQH14), through which it maps
    via_code: Mapped[str | None] = mapped_column(Text)
    via_name: Mapped[str | None] = mapped_column(Text)


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
    # the importer's topology warnings (overlapping polygons: count, hectares); NULL = none found
    data_quality = mapped_column(JSONB)
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
    name_fold: Mapped[str] = mapped_column(Text, Computed("fold_vi(name_vi)", persisted=True))
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
    # where the current status text comes from (the newest status news; else source_url)
    status_source: Mapped[str | None] = mapped_column(Text)
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
        CheckConstraint(check_in("status", ProjectStatus), name="project_status_known"),
        Index("project_geom_idx", "geom", postgresql_using="gist"),
    )

    project_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_fold: Mapped[str] = mapped_column(Text, Computed("fold_vi(name_vi)", persisted=True))
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
    # the provincial department/agency responsible, where a source names it (data/plan/project_agencies.csv)
    agency_id: Mapped[str | None] = mapped_column(Text, ForeignKey("agency.agency_id"))
    agency_source: Mapped[str | None] = mapped_column(Text)
    # bumped by every write to the project: the strong ETag a writer must name (If-Match)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class ProjectStatusEvent(Base):
    """One change of a project's status: what, why, who and when."""

    __tablename__ = "project_status_event"
    __table_args__ = (
        CheckConstraint(check_in("status", ProjectStatus), name="project_status_event_status_known"),
    )

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


class ZoneStatusEvent(Base):
    """One piece of status news of a zone (KCN/CCN/tourism area): what the source said, and where."""

    __tablename__ = "zone_status_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    zone_id: Mapped[str] = mapped_column(
        Text, ForeignKey("zone.zone_id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str | None] = mapped_column(Text)
    status_vi: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    source: Mapped[str] = mapped_column(Text, nullable=False)
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
    # monitoring (data/plan/target_monitoring.csv): the plan's part, goal year, who answers for it, baseline
    part: Mapped[str | None] = mapped_column(Text)
    goal_year: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str | None] = mapped_column(Text)
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    responsible_basis: Mapped[str | None] = mapped_column(Text)
    baseline_value: Mapped[float | None] = mapped_column(Numeric)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_source: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "part IS NULL OR part IN ('economy', 'society', 'environment', 'infrastructure', 'defence')",
            name="plan_target_part",
        ),
        CheckConstraint("mode IS NULL OR mode IN ('maintain')", name="plan_target_mode"),
    )


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


SEVERITY = "severity IN ('block', 'review', 'info')"


class ConflictRule(Base):
    """A screening rule, versioned (loaded from ``data/plan/conflict_rules.csv``; migration 0002)."""

    __tablename__ = "conflict_rule"
    __table_args__ = (
        CheckConstraint(
            "constraint_kind IN ('layer', 'landuse', 'zone_type', 'project', 'district', 'protected_area')",
            name="conflict_rule_constraint_kind_check",
        ),
        CheckConstraint(
            "predicate IN ('intersects', 'dwithin', 'outside')", name="conflict_rule_predicate_check"
        ),
        CheckConstraint("distance_m IS NULL OR distance_m >= 0", name="conflict_rule_distance_m_check"),
        CheckConstraint(
            "min_overlap_ha IS NULL OR min_overlap_ha >= 0", name="conflict_rule_min_overlap_ha_check"
        ),
        CheckConstraint(
            "min_overlap_pct IS NULL OR min_overlap_pct BETWEEN 0 AND 100",
            name="conflict_rule_min_overlap_pct_check",
        ),
        CheckConstraint(SEVERITY, name="conflict_rule_severity_check"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="conflict_rule_check"),
        CheckConstraint("predicate <> 'dwithin' OR distance_m IS NOT NULL", name="conflict_rule_check1"),
    )

    rule_code: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, server_default=text("1"))
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date)
    constraint_kind: Mapped[str] = mapped_column(Text, nullable=False)
    constraint_layer: Mapped[str | None] = mapped_column(Text)
    constraint_filter: Mapped[str | None] = mapped_column(Text)
    predicate: Mapped[str] = mapped_column(Text, nullable=False)
    distance_m: Mapped[float | None] = mapped_column(Double)
    min_overlap_ha: Mapped[float | None] = mapped_column(Double)
    min_overlap_pct: Mapped[float | None] = mapped_column(Double)
    severity: Mapped[str] = mapped_column(Text, nullable=False)
    sectors: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    message_vi: Mapped[str] = mapped_column(Text, nullable=False)
    message_en: Mapped[str] = mapped_column(Text, nullable=False)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    approving_authority: Mapped[str | None] = mapped_column(Text)
    threshold_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    notes: Mapped[str | None] = mapped_column(Text)


class ProjectConflict(Base):
    """A stored screening result: one project against one rule's constraint feature (migration 0002)."""

    __tablename__ = "project_conflict"
    __table_args__ = (
        CheckConstraint(SEVERITY, name="project_conflict_severity_check"),
        ForeignKeyConstraint(
            ["rule_code", "rule_version"],
            ["conflict_rule.rule_code", "conflict_rule.version"],
            ondelete="CASCADE",
            name="project_conflict_rule_code_rule_version_fkey",
        ),
        Index("project_conflict_project_idx", "project_id"),
        Index("project_conflict_severity_idx", "severity"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        Text, ForeignKey("project.project_id", ondelete="CASCADE"), nullable=False
    )
    rule_code: Mapped[str] = mapped_column(Text, nullable=False)
    rule_version: Mapped[int] = mapped_column(Integer, nullable=False)
    severity: Mapped[str] = mapped_column(Text, nullable=False)
    overlap_ha: Mapped[float | None] = mapped_column(Double)
    overlap_pct: Mapped[float | None] = mapped_column(Double)
    distance_m: Mapped[float | None] = mapped_column(Double)
    constraint_layer: Mapped[str | None] = mapped_column(Text)
    constraint_fid: Mapped[str | None] = mapped_column(Text)
    constraint_name: Mapped[str | None] = mapped_column(Text)
    constraint_geometry_quality: Mapped[str | None] = mapped_column(Text)
    project_geometry_quality: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    # the overlapping part in VN-2000 / TM-3 106-30 metres; the API serves it in 4326
    geom = mapped_column(Geometry("GEOMETRY", srid=9213, spatial_index=False))
    data_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    evaluated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ScreeningState(Base):
    """One row: the data version and rule set the stored screening results were computed on."""

    __tablename__ = "screening_state"
    __table_args__ = (CheckConstraint("id = 1", name="screening_state_id_check"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    data_version: Mapped[int | None] = mapped_column(BigInteger)
    rules_signature: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    projects_screened: Mapped[int | None] = mapped_column(Integer)
    conflicts_found: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float | None] = mapped_column(Double)


class ScreeningPart(Base):
    """A constraint feature cut small (ST_Subdivide) in VN-2000 metres, per constraint source."""

    __tablename__ = "screening_part"
    __table_args__ = (
        Index("screening_part_geom_idx", "geom", postgresql_using="gist"),
        Index("screening_part_source_idx", "source_key"),
    )
    # No primary key in the database (rows are rebuilt per source in bulk); the ORM needs one to map.
    __mapper_args__ = {"primary_key": ["source_key", "fid"]}

    source_key: Mapped[str] = mapped_column(Text, nullable=False)
    fid: Mapped[str] = mapped_column(Text, nullable=False)
    feature_id: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    landuse_code: Mapped[str | None] = mapped_column(Text)
    landuse_name: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    geometry_quality: Mapped[str] = mapped_column(Text, nullable=False)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    geom = mapped_column(Geometry("GEOMETRY", srid=9213, spatial_index=False), nullable=False)


class ScreeningSourceState(Base):
    """The signature a constraint source's parts were built from (rebuilt when it changes)."""

    __tablename__ = "screening_source_state"

    source_key: Mapped[str] = mapped_column(Text, primary_key=True)
    signature: Mapped[str] = mapped_column(Text, nullable=False)
    feature_count: Mapped[int] = mapped_column(Integer, nullable=False)
    part_count: Mapped[int] = mapped_column(Integer, nullable=False)
    built_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class TileStore(Base):
    """A gzip-compressed vector tile of a big layer, rendered at import (migration 0003)."""

    __tablename__ = "tile_store"

    collection: Mapped[str] = mapped_column(Text, primary_key=True)
    z: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # stored EXTERNAL (set by migration 0003): gzip data gains nothing from TOAST compression
    tile: Mapped[bytes] = mapped_column(
        LargeBinary, nullable=False, comment="gzip-compressed Mapbox vector tile (layer name = collection)"
    )


class TileStoreLayer(Base):
    """Which zooms of a layer are stored, and for which table (its oid) they were made."""

    __tablename__ = "tile_store_layer"

    collection: Mapped[str] = mapped_column(Text, primary_key=True)
    table_oid: Mapped[int] = mapped_column(OID, nullable=False)
    max_zoom: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    generalised_max_zoom: Mapped[int | None] = mapped_column(SmallInteger)
    data_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tile_count: Mapped[int] = mapped_column(Integer, nullable=False)
    total_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seconds: Mapped[float] = mapped_column(Double, nullable=False)
    generated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


# --------------------------------------------------------------------------- what Alembic compares

# Objects the migrations and the loader own on purpose, which autogenerate must not diff against the
# models: PostGIS's own catalogue table, and schema ``layers`` — one feature table per loaded layer
# (created by the loader and importer at run time, named by the layer key, so no model can list
# them) and the views derived from ``zone`` and ``project`` (created by
# ``geo.ingest.load.create_derived_view``).
MIGRATION_OWNED_TABLES = frozenset({"spatial_ref_sys"})
MIGRATION_OWNED_SCHEMAS = frozenset({"layers"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: False for the objects above, which autogenerate ignores on purpose."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if table is not None and (
        table.name in MIGRATION_OWNED_TABLES or table.schema in MIGRATION_OWNED_SCHEMAS
    ):
        return False
    return True


# --------------------------------------------------------------------------- the implementation cycle


class ReportingUnit(Base):
    """A unit that must report on the plan in the years it is valid (district, 2025 unit, agency)."""

    __tablename__ = "reporting_unit"

    unit_id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("kind IN ('district', 'commune_2025', 'agency')", name="reporting_unit_kind"),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to", name="reporting_unit_validity"
        ),
    )


class Task(Base):
    """A task of the implementation plan, led by one reporting unit."""

    __tablename__ = "task"

    task_id: Mapped[str] = mapped_column(Text, primary_key=True)
    title_vi: Mapped[str] = mapped_column(Text, nullable=False)
    title_en: Mapped[str | None] = mapped_column(Text)
    plan_section: Mapped[str] = mapped_column(Text, nullable=False)
    lead_unit: Mapped[str] = mapped_column(
        Text, ForeignKey("reporting_unit.unit_id"), nullable=False, index=False
    )
    co_units: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_text: Mapped[str | None] = mapped_column(Text)
    recurrence: Mapped[str | None] = mapped_column(Text)
    project_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    target_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="not_started")
    progress_pct: Mapped[float | None] = mapped_column(Numeric)
    progress_note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed', 'cancelled')", name="task_status"
        ),
        CheckConstraint("recurrence IS NULL OR recurrence IN ('yearly')", name="task_recurrence"),
        CheckConstraint("progress_pct IS NULL OR progress_pct BETWEEN 0 AND 100", name="task_progress"),
        Index("task_lead_unit", "lead_unit"),
    )


class TaskStatusEvent(Base):
    """One change of a task's status or progress: who, when, what."""

    __tablename__ = "task_status_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[str] = mapped_column(Text, ForeignKey("task.task_id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    progress_pct: Mapped[float | None] = mapped_column(Numeric)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("task_status_event_task", "task_id"),)


class TargetActual(Base):
    """A published or reported actual value of a target for one year (rows are never updated)."""

    __tablename__ = "target_actual"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    target_id: Mapped[str] = mapped_column(
        Text, ForeignKey("plan_target.target_id", ondelete="CASCADE"), nullable=False
    )
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float] = mapped_column(Numeric, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    kind_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint("kind IN ('official', 'estimate')", name="target_actual_kind"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="target_actual_year"),
        Index("target_actual_target_year", "target_id", "year"),
    )


class UnitReport(Base):
    """A unit's yearly implementation report: draft, submitted, returned or accepted."""

    __tablename__ = "unit_report"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(Text, ForeignKey("reporting_unit.unit_id"), primary_key=True)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default="draft")
    difficulties: Mapped[str | None] = mapped_column(Text)
    proposals: Mapped[str | None] = mapped_column(Text)
    content: Mapped[dict | None] = mapped_column(JSONB)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(Text)
    late_days: Mapped[int | None] = mapped_column(Integer)
    return_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint("state IN ('draft', 'submitted', 'returned', 'accepted')", name="unit_report_state"),
        CheckConstraint("late_days IS NULL OR late_days >= 0", name="unit_report_late_days"),
    )


class UnitReportEvent(Base):
    """One step of a unit report's life: saved, submitted, returned with a reason, accepted."""

    __tablename__ = "unit_report_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_id: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    actor_role: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["year", "unit_id"], ["unit_report.year", "unit_report.unit_id"], ondelete="CASCADE"
        ),
        CheckConstraint("action IN ('save', 'submit', 'return', 'accept')", name="unit_report_event_action"),
        Index("unit_report_event_report", "year", "unit_id"),
    )


# --------------------------------------------------------------------------- accounts (migration 0006)

# the stored roles: geo.plan.actor.Role without "anonymous" (tests/geo/test_accounts.py keeps them equal)
ROLE_CHECK = "role IN ('officer', 'planner', 'admin')"


class Agency(Base):
    """A provincial department or agency that reports under Plan 56/KH-UBND (data/plan/agencies.csv)."""

    __tablename__ = "agency"
    __table_args__ = (CheckConstraint("agency_id ~ '^[A-Z][A-Z0-9]{1,15}$'", name="agency_id_ascii_upper"),)

    agency_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name_vi: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_url: Mapped[str | None] = mapped_column(Text)


class AppUser(Base):
    """An account: who may log in, with which role and for which reporting units."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        CheckConstraint("username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'", name="username_simple"),
        CheckConstraint("role <> 'officer' OR cardinality(units) > 0", name="officer_has_units"),
    )

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(Text, nullable=False)
    email: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    units: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class UserSession(Base):
    """A browser session: only the SHA-256 of the cookie's random id is stored."""

    __tablename__ = "user_session"
    __table_args__ = (Index("user_session_user_idx", "user_id"),)

    session_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("app_user.user_id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client_address: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A bearer token for scripts: only its SHA-256 is stored."""

    __tablename__ = "api_token"

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("app_user.user_id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A failed login, counted per account and per address for the lock-out."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("login_failure_user_idx", "username", "failed_at"),
        Index("login_failure_address_idx", "client_address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(Text, nullable=False)
    client_address: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
