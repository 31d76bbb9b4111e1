"""Administrative units: the 2025 reform date, and the one resolver of a district named by a user.

Since 1 July 2025 Bắc Kạn is part of Thái Nguyên and districts are abolished; the plan still
reasons in the pre-2025 units. Every module reads the date from here.
"""

import re
from datetime import date, timedelta

import asyncpg

from geo.errors import InvalidParameter
from geo.store.text import check_text

REFORM_START = date(2025, 7, 1)  # the 2025 units are valid from this day
PRE_REFORM_END = REFORM_START - timedelta(days=1)  # the last day of the pre-2025 units
REFORM_START_SQL = f"DATE '{REFORM_START.isoformat()}'"
PRE_REFORM_END_SQL = f"DATE '{PRE_REFORM_END.isoformat()}'"

_DISTRICT_PREFIX = re.compile(r"^(huyen|thanh pho|tp\.?|thi xa|tx\.?)\s+")
_DISTRICTS_SQL = f"""
SELECT DISTINCT u.code, u.name, fold_vi(u.name) AS folded, fold_vi(u.full_name) AS folded_full
FROM admin_unit u
WHERE u.level = 'district' AND (u.valid_from IS NULL OR u.valid_from < {REFORM_START_SQL})
ORDER BY u.code
"""


async def resolve_district(
    conn: asyncpg.Connection, value: str | None, field: str = "district"
) -> str | None:
    """A pre-2025 district code from a code (``065``) or a name, with or without diacritics or prefix.

    None for an empty value. An unknown district is a 400 (``InvalidParameter``) naming ``field``
    and listing the valid ones — the same answer on every route that takes a district.
    """
    if value is None or not value.strip():
        return None
    check_text(field, value)
    rows = await conn.fetch(_DISTRICTS_SQL)
    wanted = value.strip()
    folded = (await conn.fetchval("SELECT fold_vi($1)", re.sub(r"\s+", " ", wanted))) or ""
    short = _DISTRICT_PREFIX.sub("", folded)
    for r in rows:
        if wanted == r["code"] or folded in (r["folded"], r["folded_full"]) or short == r["folded"]:
            return r["code"]
    valid = ", ".join(f"{r['code']} {r['name']}" for r in rows)
    raise InvalidParameter(f"{field}: {value!r} is not a pre-2025 district of Bắc Kạn; valid: {valid}")
