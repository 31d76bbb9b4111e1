"""Deadlines as Vietnamese documents word them ("quý I/2024", "trước ngày 20 tháng 10 hằng năm")."""

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from geo.errors import InvalidParameter

QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEARLY = re.compile(r"h[aằà]ng\s+n[aă]m")
_QUARTER = re.compile(r"qu[yý]\s+(iv|iii|ii|i|[1-4])\s*(?:/|n[aă]m)\s*(\d{4})")
_DAY_MONTH_YEAR = re.compile(r"ng[aà]y\s+(\d{1,2})\s*(?:/|th[aá]ng)\s*(\d{1,2})\s*(?:/|n[aă]m)\s*(\d{4})")
_DAY_MONTH = re.compile(r"ng[aà]y\s+(\d{1,2})\s*(?:/|th[aá]ng)\s*(\d{1,2})")
_MONTH_YEAR = re.compile(r"th[aá]ng\s+(\d{1,2})\s*(?:/|n[aă]m)\s*(\d{4})")
_YEAR = re.compile(r"n[aă]m\s+(\d{4})")
_CONTINUOUS = ("thường xuyên", "liên tục")


@dataclass(frozen=True)
class Deadline:
    """A parsed deadline: the first due date, whether it recurs yearly, and the original wording."""

    due: date | None
    recurrence: str | None
    text: str


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_deadline(wording: str | None, first_year: int) -> Deadline:
    """Read a deadline; yearly ones ("hằng năm") first fall due in ``first_year``; 400 if unreadable."""
    text = unicodedata.normalize("NFC", (wording or "").strip())
    low = text.lower()
    if not low or any(word in low for word in _CONTINUOUS):
        return Deadline(None, None, text)
    try:
        if _YEARLY.search(low):
            m = _DAY_MONTH.search(low)
            if m:
                return Deadline(date(first_year, int(m[2]), int(m[1])), "yearly", text)
            raise InvalidParameter(f"deadline {text!r}: a yearly deadline must name its day and month")
        if m := _QUARTER.search(low):
            return Deadline(_month_end(int(m[2]), QUARTERS[m[1]] * 3), None, text)
        if m := _DAY_MONTH_YEAR.search(low):
            return Deadline(date(int(m[3]), int(m[2]), int(m[1])), None, text)
        if m := _MONTH_YEAR.search(low):
            return Deadline(_month_end(int(m[2]), int(m[1])), None, text)
        if m := _YEAR.search(low):
            return Deadline(date(int(m[1]), 12, 31), None, text)
    except ValueError as exc:
        raise InvalidParameter(f"deadline {text!r}: {exc}") from None
    raise InvalidParameter(
        f"deadline {text!r} is not a wording planview reads (e.g. 'quý I/2024', 'tháng 6/2025', "
        "'ngày 31/12/2025', 'năm 2025', 'trước ngày 20 tháng 10 hằng năm', 'thường xuyên')"
    )


def next_occurrence(first: date, recurrence: str | None, on_or_after: date) -> date:
    """The first due date of a (possibly yearly) deadline on or after ``on_or_after``."""
    if recurrence != "yearly" or first >= on_or_after:
        return first
    candidate = first.replace(year=on_or_after.year)
    return candidate if candidate >= on_or_after else first.replace(year=on_or_after.year + 1)


def last_occurrence(first: date, recurrence: str | None, on_or_before: date) -> date | None:
    """The last due date of a (possibly yearly) deadline on or before ``on_or_before``; None if none."""
    if first > on_or_before:
        return None
    if recurrence != "yearly":
        return first
    candidate = first.replace(year=on_or_before.year)
    return candidate if candidate <= on_or_before else first.replace(year=on_or_before.year - 1)
