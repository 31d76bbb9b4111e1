"""JSON responses encoded with orjson (FastAPI's own ORJSONResponse is deprecated)."""

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """A JSON response rendered by orjson: fast, UTF-8, datetimes and decimals handled."""

    def render(self, content: Any) -> bytes:
        """Encode ``content`` as JSON bytes."""
        return orjson.dumps(content, default=_fallback, option=orjson.OPT_NON_STR_KEYS)


def _fallback(value: Any) -> Any:
    # Decimal (NUMERIC columns) and other stragglers: numbers stay numbers, the rest becomes text
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    return str(value)
