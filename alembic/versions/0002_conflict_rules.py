"""Conflict screening: rules as data, stored results, subdivided constraint parts, screening state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# These tables are not in geo/store/models.py on purpose: screening owns them and reads/writes them with
# plain SQL (geo/analysis/screening.py), so autogenerate would only ever see them as "extra" tables.
UPGRADE = """
CREATE TABLE conflict_rule (
    rule_code text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    valid_from date NOT NULL,
    valid_to date,
    constraint_kind text NOT NULL
        CHECK (constraint_kind IN ('layer', 'landuse', 'zone_type', 'project', 'district', 'protected_area')),
    constraint_layer text,
    constraint_filter text,
    predicate text NOT NULL CHECK (predicate IN ('intersects', 'dwithin', 'outside')),
    distance_m double precision CHECK (distance_m IS NULL OR distance_m >= 0),
    min_overlap_ha double precision CHECK (min_overlap_ha IS NULL OR min_overlap_ha >= 0),
    min_overlap_pct double precision CHECK (min_overlap_pct IS NULL OR min_overlap_pct BETWEEN 0 AND 100),
    severity text NOT NULL CHECK (severity IN ('block', 'review', 'info')),
    sectors text[] NOT NULL DEFAULT '{}',
    message_vi text NOT NULL,
    message_en text NOT NULL,
    legal_basis text,
    approving_authority text,
    threshold_verified boolean NOT NULL DEFAULT false,
    notes text,
    PRIMARY KEY (rule_code, version),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK (predicate <> 'dwithin' OR distance_m IS NOT NULL)
);

CREATE TABLE project_conflict (
    id bigserial PRIMARY KEY,
    project_id text NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    rule_code text NOT NULL,
    rule_version integer NOT NULL,
    severity text NOT NULL CHECK (severity IN ('block', 'review', 'info')),
    overlap_ha double precision,
    overlap_pct double precision,
    distance_m double precision,
    constraint_layer text,
    constraint_fid text,
    constraint_name text,
    constraint_geometry_quality text,
    project_geometry_quality text,
    evidence jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- the overlapping part in VN-2000 / TM-3 106-30 metres (EPSG:9213); the API serves it in 4326
    geom geometry(Geometry, 9213),
    data_version bigint NOT NULL,
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (rule_code, rule_version) REFERENCES conflict_rule (rule_code, version) ON DELETE CASCADE
);
CREATE INDEX project_conflict_project_idx ON project_conflict (project_id);
CREATE INDEX project_conflict_severity_idx ON project_conflict (severity);

-- One row: which data version (and which rule set) the stored results were computed on.
CREATE TABLE screening_state (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    data_version bigint,
    rules_signature text,
    evaluated_at timestamptz,
    projects_screened integer,
    conflicts_found integer,
    duration_ms double precision
);
INSERT INTO screening_state (id) VALUES (1);

-- Constraint features cut into small pieces (ST_Subdivide) in VN-2000 / TM-3 106-30 metres, one
-- set per constraint source; rebuilt when that source's signature changes.
CREATE TABLE screening_part (
    source_key text NOT NULL,
    fid text NOT NULL,
    feature_id text,
    name text,
    landuse_code text,
    landuse_name text,
    source text,
    properties jsonb NOT NULL DEFAULT '{}'::jsonb,
    geometry_quality text NOT NULL,
    is_synthetic boolean NOT NULL DEFAULT false,
    geom geometry(Geometry, 9213) NOT NULL
);
CREATE INDEX screening_part_geom_idx ON screening_part USING gist (geom);
CREATE INDEX screening_part_source_idx ON screening_part (source_key);

CREATE TABLE screening_source_state (
    source_key text PRIMARY KEY,
    signature text NOT NULL,
    feature_count integer NOT NULL,
    part_count integer NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS screening_source_state;
DROP TABLE IF EXISTS screening_part;
DROP TABLE IF EXISTS screening_state;
DROP TABLE IF EXISTS project_conflict;
DROP TABLE IF EXISTS conflict_rule;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
