"""What text and numbers PostgreSQL can store: one check used by the API's parsers and by geo."""

import math
from typing import Any

from geo.errors import InvalidParameter

# PostgreSQL's largest bigint (OFFSET, LIMIT, ids); a bigger integer is refused before it reaches SQL.
BIGINT_MAX = 2**63 - 1


def refused_character(value: str) -> str | None:
    """Why PostgreSQL would refuse ``value`` as text (a NUL or a lone UTF-16 surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character (U+0000), which text cannot hold"
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains U+{ord(value[exc.start]):04X}, a lone surrogate that is not a character"
    return None


def check_text(name: str, value: str | None) -> str | None:
    """``value`` unchanged when PostgreSQL can store it; InvalidParameter naming ``name`` otherwise."""
    if value is not None and (why := refused_character(value)):
        raise InvalidParameter(f"{name}: {why}")
    return value


def check_json_text(name: str, value: Any) -> None:
    """Check every string (keys included) of a decoded JSON value; the error names the path inside it."""
    if isinstance(value, str):
        check_text(name, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(f"{name} (a key)", key)
            check_json_text(f"{name}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json_text(f"{name}[{i}]", item)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidParameter(f"{name}: must be a finite number, got {value}")


def check_finite(name: str, value: float | None) -> float | None:
    """``value`` unchanged when finite (or None); InvalidParameter naming ``name`` otherwise."""
    if value is not None and not math.isfinite(value):
        raise InvalidParameter(f"{name}: must be a finite number, got {value}")
    return value
