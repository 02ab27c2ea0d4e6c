"""The days one date cell of the ``[holidays]`` block names: a date, a range or a list.

Staff paste the State Council's notice (国务院办公厅关于…部分节假日安排的通知), so besides
one date per cell (anything :func:`sheetcrm.values.parse_date` reads) a text cell may hold
ranges and lists the way the notice writes them::

    2027-02-06 至 2027-02-12        2027年2月6日至12日        2027/2/6~2/12
    2027年2月14日（星期日）、2月20日（星期六）        2026年12月31日至1月2日

A part without a year or month takes them from the part before it in the same cell (a range's
end that then falls before its start is in the next year); the first part must carry the
year, because a notice for 2027 is pasted in 2026. Weekday notes in brackets are ignored.
Anything else is refused: a calendar read wrongly would plan touches on days off.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..book.base import CellValue
from ..i18n import tr
from ..values import parse_date

__all__ = ["LONGEST_RANGE_DAYS", "holiday_dates"]

LONGEST_RANGE_DAYS = 31  # longer than any official holiday: a range beyond it is a typo

_BRACKETS = re.compile(r"[(（][^()（）]*[)）]")
_WEEKDAY = re.compile(r"(星期|周|礼拜)[一二三四五六日天]")
_PART = re.compile(
    r"\s*(?:(?P<year>\d{4})\s*[-/.年]\s*)?(?:(?P<month>\d{1,2})\s*[-/.月]\s*)?"
    r"(?P<day>\d{1,2})\s*[日号]?\s*(?P<sep>至|到|~|-|—|–|、|,|;|$)"
)
_RANGE = frozenset("至到~-—–")


def holiday_dates(value: CellValue) -> tuple[dt.date, ...]:
    """Every day a date cell names, in order; ValueError (bilingual) when it cannot be read."""
    try:
        day = parse_date(value)
    except ValueError:
        if not isinstance(value, str):
            raise
        return _from_text(value)
    return () if day is None else (day,)


def _from_text(value: str) -> tuple[dt.date, ...]:
    """The days a pasted text names (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", value)  # full-width digits, ～ and ，
    text = _WEEKDAY.sub("", _BRACKETS.sub("", text)).strip().replace("；", ";")
    days: list[dt.date] = []
    year = month = 0
    range_from: dt.date | None = None
    at = 0
    while at < len(text):
        match = _PART.match(text, at)
        if match is None or match.end() == at:
            raise _unreadable(value)
        at = match.end()
        inherited = match["year"] is None
        if inherited and not year:
            raise ValueError(
                tr(
                    f"'{value}' 缺少年份：请写成 2027年2月6日至12日 这样的形式",
                    f"'{value}' has no year: write it like 2027-02-06 至 2027-02-12",
                )
            )
        if match["month"] is None and not month:
            raise _unreadable(value)
        year = int(match["year"] or year)
        month = int(match["month"] or month)
        day = _real_day(value, year, month, int(match["day"]))
        if range_from is not None:
            if day < range_from and inherited:
                year += 1  # 12月31日至1月2日 crosses New Year
                day = _real_day(value, year, month, day.day)
            days.extend(_span(value, range_from, day))
        else:
            days.append(day)
        ends_range = range_from is not None
        range_from = day if match["sep"] in _RANGE else None
        if range_from is not None and (ends_range or at >= len(text)):
            raise _unreadable(value)  # a range of ranges, or without its end
    return tuple(days)


def _span(value: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """The days after ``first`` up to ``last`` (``first`` is already listed)."""
    length = (last - first).days + 1
    if not 1 <= length <= LONGEST_RANGE_DAYS:
        raise ValueError(
            tr(
                f"'{value}' 的范围有 {length} 天；请检查起止日期（最长 {LONGEST_RANGE_DAYS} 天）",
                f"the range '{value}' is {length} days long; check its first and last day "
                f"(at most {LONGEST_RANGE_DAYS})",
            )
        )
    return [first + dt.timedelta(days=i) for i in range(1, length)]


def _real_day(value: str, year: int, month: int, day: int) -> dt.date:
    """The date, or ValueError naming the text when there is no such day."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(
            tr(
                f"'{value}' 中没有 {year}-{month:02d}-{day:02d} 这一天",
                f"'{value}' names {year}-{month:02d}-{day:02d}, which does not exist",
            )
        ) from None


def _unreadable(value: str) -> ValueError:
    """The error for a text that is neither a date, a range nor a list of them."""
    return ValueError(
        tr(
            f"'{value}' 无法识别为日期、日期范围或列表；请写成 2027-02-06、"
            "2027-02-06 至 2027-02-12 或 2027年2月14日、2月20日",
            f"'{value}' is not a date, a range or a list of dates; write 2027-02-06, "
            "2027-02-06 至 2027-02-12 or 2027-02-14, 2027-02-20",
        )
    )
