"""Shared write-side helpers: the per-layer feature tables (data versions: ``geo.store.versions``)."""

import re

from sqlalchemy import Connection, text

LAYER_SCHEMA = "layers"
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,55}$")


class InvalidLayerKey(ValueError):
    """A layer key that cannot name a table."""


def layer_table_name(layer_key: str) -> str:
    """The table (in schema ``layers``) that holds a layer's features."""
    if not _KEY.match(layer_key):
        raise InvalidLayerKey(
            f"layer key {layer_key!r} must be lower-case letters, digits and '_' (max 56), "
            "starting with a letter"
        )
    return layer_key


def create_layer_table(conn: Connection, table: str) -> None:
    """Create an empty feature table ``layers.<table>`` with the standard columns."""
    conn.execute(
        text(
            f"""
            CREATE TABLE {LAYER_SCHEMA}."{table}" (
                fid bigserial PRIMARY KEY,
                feature_id text,
                name text,
                landuse_code text,
                landuse_name text,
                plan_start date,
                plan_end date,
                properties jsonb NOT NULL DEFAULT '{{}}'::jsonb,
                source text,
                geometry_quality text NOT NULL DEFAULT 'exact'
                    CHECK (geometry_quality IN ('exact', 'approximate', 'none')),
                geom geometry(Geometry, 4326) NOT NULL
            )
            """
        )
    )


def finish_layer_table(conn: Connection, table: str) -> None:
    """Index and analyse a freshly filled layer table."""
    conn.execute(text(f'CREATE INDEX ON {LAYER_SCHEMA}."{table}" USING gist (geom)'))
    conn.execute(text(f'CREATE INDEX ON {LAYER_SCHEMA}."{table}" (landuse_code)'))
    conn.execute(text(f'ANALYZE {LAYER_SCHEMA}."{table}"'))


def swap_layer_table(conn: Connection, staging: str, table: str) -> None:
    """Replace ``layers.<table>`` by ``layers.<staging>`` inside the caller's transaction."""
    conn.execute(text(f'DROP TABLE IF EXISTS {LAYER_SCHEMA}."{table}"'))
    conn.execute(text(f'ALTER TABLE {LAYER_SCHEMA}."{staging}" RENAME TO "{table}"'))
    # keep the sequence name tidy so a later swap does not collide
    conn.execute(
        text(f'ALTER SEQUENCE IF EXISTS {LAYER_SCHEMA}."{staging}_fid_seq" RENAME TO "{table}_fid_seq"')
    )
