"""JSON responses encoded with orjson (FastAPI's own ORJSONResponse is deprecated), CSV downloads."""

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from geo.store.cells import safe_cell  # the one CSV cell rule, shared with geo's streamed CSV


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


def csv_download(rows: Iterable[dict], columns: list[str], filename: str) -> Response:
    """A CSV attachment in UTF-8 with a BOM (spreadsheets read the Vietnamese), no cell a formula."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
