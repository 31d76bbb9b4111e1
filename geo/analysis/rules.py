"""The conflict-rule catalog: rules are data (``conflict_rule``, from ``data/plan/conflict_rules.csv``)."""

import csv
import re
from datetime import date
from pathlib import Path

from geo.analysis.steps import Execute, Fetch, Steps, lit, run_sync
from geo.errors import InvalidParameter
from geo.store.settings import DATA_DIR

RULES_CSV = DATA_DIR / "plan" / "conflict_rules.csv"
SEVERITY_ORDER = {"block": 0, "review": 1, "info": 2}
STANDARD_COLUMNS = {"fid", "feature_id", "name", "landuse_code", "landuse_name", "source", "geometry_quality"}
_FILTER_TERM = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(!=|!~|=|~)\s*(.*?)\s*$")

# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------
RULE_COLUMNS = (
    "rule_code",
    "version",
    "valid_from",
    "valid_to",
    "constraint_kind",
    "constraint_layer",
    "constraint_filter",
    "predicate",
    "distance_m",
    "min_overlap_ha",
    "min_overlap_pct",
    "severity",
    "sectors",
    "message_vi",
    "message_en",
    "legal_basis",
    "approving_authority",
    "threshold_verified",
    "notes",
)


def read_rules_csv(path: Path = RULES_CSV) -> list[dict]:
    """Parse the conflict-rule catalog; a bad row raises InvalidParameter naming it."""
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for line_no, raw in enumerate(csv.DictReader(fh), start=2):
            try:
                row = {k: (raw.get(k) or "").strip() or None for k in RULE_COLUMNS}
                row["version"] = int(row["version"] or 1)
                row["valid_from"] = date.fromisoformat(row["valid_from"])
                row["valid_to"] = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
                for key in ("distance_m", "min_overlap_ha", "min_overlap_pct"):
                    row[key] = float(row[key]) if row[key] is not None else None
                row["sectors"] = [s.strip() for s in (row["sectors"] or "").split("|") if s.strip()]
                row["threshold_verified"] = (row["threshold_verified"] or "false").lower() == "true"
                if row["constraint_filter"]:
                    compile_filter(row["constraint_filter"])
            except (ValueError, TypeError) as exc:
                raise InvalidParameter(f"{path.name} line {line_no}: {exc}") from exc
            rows.append(row)
    return rows


def _load_rules_steps(rows: list[dict]) -> Steps:
    keys = [(r["rule_code"], r["version"]) for r in rows]
    existing = yield Fetch("SELECT rule_code, version FROM conflict_rule", {})
    for row in existing:
        if (row["rule_code"], row["version"]) not in keys:
            yield Execute(
                "DELETE FROM conflict_rule WHERE rule_code = :c AND version = :v",
                {"c": row["rule_code"], "v": row["version"]},
            )
    columns = ", ".join(RULE_COLUMNS)
    binds = ", ".join(f":{c}" for c in RULE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in RULE_COLUMNS if c not in ("rule_code", "version"))
    for row in rows:
        yield Execute(
            f"INSERT INTO conflict_rule ({columns}) VALUES ({binds}) "
            f"ON CONFLICT (rule_code, version) DO UPDATE SET {updates}",
            row,
        )
    return len(rows)


def load_rules(conn, path: Path = RULES_CSV) -> int:
    """Replace the rule catalog with the CSV inside the caller's transaction; return the rule count."""
    return run_sync(_load_rules_steps(read_rules_csv(path)), conn)


def ensure_rules_steps() -> Steps:
    """A database whose catalog was never loaded gets the shipped one (never an empty rule set)."""
    rows = yield Fetch("SELECT EXISTS (SELECT 1 FROM conflict_rule) AS loaded", {})
    if not rows[0]["loaded"]:
        yield from _load_rules_steps(read_rules_csv())


def compile_filter(expr: str | None) -> str:
    """Turn ``field=a|b;field~regex;field!=x`` into SQL over a ``screening_part`` row ``p``.

    Terms joined by ``;`` must all hold. ``=``/``!=`` compare case-insensitively with any of the
    ``|``-separated values; ``~``/``!~`` match a regular expression case- and accent-insensitively.
    Standard layer columns are used directly, anything else is read from ``properties``.
    """
    if not expr:
        return "TRUE"
    terms = []
    for term in expr.split(";"):
        if not term.strip():
            continue
        match = _FILTER_TERM.match(term)
        if not match:
            raise ValueError(f"constraint filter term {term!r} is not field=value, field~regex, != or !~")
        field, op, value = match.groups()
        column = f"p.{field}" if field in STANDARD_COLUMNS else f"(p.properties->>{lit(field)})"
        folded = f"fold_vi(coalesce({column}, ''))"
        if op in ("=", "!="):
            # codes and kinds: a plain case-insensitive comparison is enough and cheap on big layers
            values = ", ".join(lit(v.strip().lower()) for v in value.split("|"))
            sql = f"lower(coalesce({column}, '')) IN ({values})"
        else:
            sql = f"{folded} ~ fold_vi({lit(value)})"
        terms.append(f"NOT ({sql})" if op.startswith("!") else f"({sql})")
    return " AND ".join(terms) or "TRUE"


ACTIVE_RULES_SQL = """
SELECT DISTINCT ON (rule_code) *
FROM conflict_rule
WHERE valid_from <= CAST(:on_date AS date) AND (valid_to IS NULL OR valid_to > CAST(:on_date AS date))
ORDER BY rule_code, version DESC
"""

RULES_SIGNATURE_SQL = """
SELECT md5(coalesce(string_agg(row_to_json(r)::text, '|' ORDER BY r.rule_code, r.version), ''))
       || ':' || CAST(current_date AS text) AS signature
FROM conflict_rule r
"""
