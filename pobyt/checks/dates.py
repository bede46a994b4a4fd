"""Calendar arithmetic the checks need: whole months and years added to a date."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """Returns ``day`` moved by ``months`` (negative goes back); the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    """Returns ``day`` moved by ``years``; 29 February becomes 28 February in other years."""
    return add_months(day, 12 * years)


def whole_months_between(start: dt.date, end: dt.date) -> int:
    """Returns how many whole months lie between ``start`` and ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)
