"""Staging tables and row sync shared by the loaders: a load changes only the rows that differ."""

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from geo.store.versions import Area


class LoadError(Exception):
    """The shipped data or a catalog CSV given by the user cannot be loaded; the message says why."""


_TABLE_AREAS = {
    "map_sheet": Area.catalog,
    "sheet_layer": Area.catalog,
    "admin_unit": Area.admin_units,
    "admin_crosswalk": Area.admin_units,
    "zone": Area.zones,
    "zone_status_event": Area.zones,
    "project": Area.projects,
    "conflict_rule": Area.rules,
    "reporting_unit": Area.monitoring,
    "task": Area.monitoring,
    "target_actual": Area.monitoring,
}


@dataclass
class Changes:
    """Rows changed per table by one load."""

    by_table: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        """Count ``count`` changed rows of ``table``."""
        if count:
            self.by_table[table] = self.by_table.get(table, 0) + count

    def areas(self) -> set[Area]:
        """The data areas the changed tables belong to (tables not listed: ``plan_facts``)."""
        areas = {
            _TABLE_AREAS.get(t, Area.plan_layers if t.startswith("layers.") else Area.plan_facts)
            for t in self.by_table
        }
        if Area.projects in areas:  # a load cannot tell a place from a record change: both
            areas.add(Area.project_places)
        if Area.catalog in areas:  # sheet_layer rows carry the layers' load stamps
            areas.add(Area.plan_layers)
        return areas or {Area.plan_facts}

    @property
    def total(self) -> int:
        """All changed rows."""
        return sum(self.by_table.values())


def _stage(
    conn: Connection, table: str, columns: list[str], rows: list[dict], exprs: dict | None = None
) -> str:
    """Create ``_stage_<table>`` with ``columns`` of ``table`` and fill it; return its name."""
    staging = f"_stage_{table}"
    conn.execute(text(f"DROP TABLE IF EXISTS {staging}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    )
    if rows:
        exprs = exprs or {}
        values = ", ".join(exprs.get(c, f":{c}") for c in columns)
        conn.execute(text(f"INSERT INTO {staging} ({', '.join(columns)}) VALUES ({values})"), rows)
    return staging


def _sync(
    conn: Connection,
    table: str,
    key: list[str],
    columns: list[str],
    *,
    delete: bool = True,
    touch: str | None = None,
) -> int:
    """Make ``table`` equal to its staging table on ``columns``; return the number of rows changed."""
    staging = f"_stage_{table}"
    match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
    changed = 0
    if delete:
        changed += conn.execute(
            text(f"DELETE FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM {staging} s WHERE {match})")
        ).rowcount
    values = [c for c in columns if c not in key]
    if values:
        sets = ", ".join(f"{c} = s.{c}" for c in values) + (f", {touch}" if touch else "")
        old = ", ".join("t." + c for c in values)
        new = ", ".join("s." + c for c in values)
        differs = f"({old}) IS DISTINCT FROM ({new})"
        changed += conn.execute(
            text(f"UPDATE {table} t SET {sets} FROM {staging} s WHERE {match} AND {differs}")
        ).rowcount
    cols = ", ".join(columns)
    changed += conn.execute(
        text(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        )
    ).rowcount
    return changed
