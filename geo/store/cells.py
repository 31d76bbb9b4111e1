"""The one rule for text cells the product writes to CSV (and spreadsheets): never a formula."""

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers.

    Text starting with ``= + - @``, a tab or a carriage return is prefixed with ``'`` (OWASP's CSV
    injection advice); a plain number written as text (``-5.2``, a value cast to text) is left alone.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
