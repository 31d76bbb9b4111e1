"""Shared write-side helpers: the per-layer feature tables (data versions: ``geo.store.versions``)."""

import re
import time

from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

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


class SwapTimedOut(RuntimeError):
    """The live table stayed busy (long reads) for every attempt to swap it."""


# The swap waits for the live table's ACCESS EXCLUSIVE lock at most this long per attempt: while it
# waits, readers that come after it queue behind it, so the wait must stay short; then it backs off.
SWAP_LOCK_TIMEOUT_MS = 100
SWAP_ATTEMPTS = 60
SWAP_MAX_BACKOFF_S = 2.0


def swap_layer_table(conn: Connection, staging: str, table: str) -> int:
    """Replace ``layers.<table>`` by ``layers.<staging>`` inside the caller's transaction.

    Only a drop and two renames: all heavy work (COPY, indexes, ANALYZE, stored tiles) is done on the
    staging table first. The lock on the live table is held from here to the caller's commit, so call
    this last. Each attempt waits at most SWAP_LOCK_TIMEOUT_MS for the lock (in a savepoint), then backs
    off and retries, so readers are never queued behind it for long. Returns the attempts it took.
    """
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with conn.begin_nested():
                conn.execute(text(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT_MS}ms'"))
                conn.execute(text(f'DROP TABLE IF EXISTS {LAYER_SCHEMA}."{table}"'))
                conn.execute(text(f'ALTER TABLE {LAYER_SCHEMA}."{staging}" RENAME TO "{table}"'))
                # keep the sequence name tidy so a later swap does not collide
                conn.execute(
                    text(
                        f'ALTER SEQUENCE IF EXISTS {LAYER_SCHEMA}."{staging}_fid_seq" '
                        f'RENAME TO "{table}_fid_seq"'
                    )
                )
            conn.execute(text("SET LOCAL lock_timeout = 0"))
            return attempt
        except OperationalError as exc:
            if not isinstance(exc.orig, LockNotAvailable):
                raise
            time.sleep(min(0.05 * 2 ** min(attempt, 6), SWAP_MAX_BACKOFF_S))
    raise SwapTimedOut(
        f"layers.{table} stayed busy for {SWAP_ATTEMPTS} attempts to swap in the new data; "
        "nothing was changed, try again"
    )
