"""Tile store: vector tiles of big layers rendered at import time, served instead of live rendering.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Not in geo/store/models.py on purpose: geo/serve/tiles.py owns these tables and uses plain SQL.
UPGRADE = """
CREATE TABLE tile_store (
    collection text NOT NULL,
    z smallint NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    data_version bigint NOT NULL,
    tile bytea NOT NULL,
    PRIMARY KEY (collection, z, x, y)
);
-- tiles are stored gzip-compressed (as MBTiles does): TOAST need not try to compress them again
ALTER TABLE tile_store ALTER COLUMN tile SET STORAGE EXTERNAL;
COMMENT ON COLUMN tile_store.tile IS 'gzip-compressed Mapbox vector tile (layer name = collection)';

-- One row per layer with stored tiles: which zooms are stored and for which table. A tile of a stored
-- zoom that has no row is empty. The table's oid changes whenever the layer's table is rebuilt, so a
-- rebuild that did not refresh the store (e.g. a reload) makes the stored tiles unused, never wrong.
CREATE TABLE tile_store_layer (
    collection text PRIMARY KEY,
    table_oid oid NOT NULL,
    max_zoom smallint NOT NULL,
    generalised_max_zoom smallint,
    data_version bigint NOT NULL,
    tile_count integer NOT NULL,
    total_bytes bigint NOT NULL,
    seconds double precision NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now()
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS tile_store_layer;
DROP TABLE IF EXISTS tile_store;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
