"""Reading single values the way people type them into Excel.

Dates arrive as Excel serials (1900 or 1904 system), datetimes, or text in
several local forms (2024-03-05, 2024/3/5, 2024年3月5日, 2024.3.5, 20240305);
numbers as numbers or text with currency signs and thousands separators
(¥1,234.50, 1.2万). Each parser returns ``None`` for a blank and raises
``ValueError`` with a readable reason for anything it cannot read.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from itertools import islice
from typing import Literal

from .book.base import CellError, CellValue
from .i18n import tr

__all__ = [
    "ERROR_CODES",
    "DateOrder",
    "date_order",
    "excel_serial",
    "from_excel_serial",
    "is_blank",
    "mostly_distinct",
    "parse_bool",
    "parse_date",
    "parse_number",
]

ERROR_CODES = frozenset(
    {
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
    }
)

_EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 0 given Excel's phantom 1900-02-29
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_MAX_SERIAL = 2958465  # 9999-12-31

_DATE_PATTERNS = (
    re.compile(
        r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
    ),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# Day and month in either order, then a two- or four-digit year: 26/9/26, 02/25/2026.
_DAY_MONTH = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# 12 Sep 2024, 12-Sep-2024, Sep 12, 2024, September 12 2024.
_NAMED_MONTH = (
    re.compile(r"^(?P<d>\d{1,2})[\s-]+(?P<m>[a-z]{3,9})\.?[\s-]+(?P<y>\d{4}|\d{2})$"),
    re.compile(r"^(?P<m>[a-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$"),
)
DateOrder = Literal["dmy", "mdy", "ambiguous", "conflict"]
# Text that means "nothing here" in a number column.
_NOTHING = frozenset({"-", "--", "—", "——", "–", "/", "n/a", "na", "无", "none", "null", "nil"})
_THOUSANDS = re.compile(r"^[-+(]?[$¥￥€£]?\d{1,3}([,，]\d{3})+(\.\d+)?\)?$")
_NUMBER_STRIP = re.compile(r"[\s,，¥￥$€£]|RMB|CNY|USD|元|人民币", re.IGNORECASE)
# A count's unit after the number: 20次, 3 单, 5笔.
_COUNT_UNIT = re.compile(r"(次|单|笔|个|件|位|回|times?|orders?)$", re.IGNORECASE)
_TRUE = {
    "是",
    "y",
    "yes",
    "true",
    "1",
    "√",
    "✓",
    "x",
    "退订",
    "已退订",
    "t",
    "opt-out",
    "opted out",
}
_FALSE = {"否", "n", "no", "false", "0", "", "未退订", "f"}


def is_blank(value: CellValue) -> bool:
    """True for an empty cell: None, empty or whitespace-only text, or NaN."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def from_excel_serial(serial: float, date1904: bool = False) -> dt.datetime:
    """The datetime an Excel serial number stands for."""
    if not 0 <= serial <= _MAX_SERIAL:
        raise ValueError(
            tr(
                f"{serial} 超出 Excel 的日期范围（0 到 {_MAX_SERIAL}）",
                f"{serial} is outside Excel's date range (0 to {_MAX_SERIAL})",
            )
        )
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    if not date1904 and serial < 60:
        serial += 1  # before Excel's phantom 1900-02-29, serials are one day off
    return epoch + dt.timedelta(days=serial)


def excel_serial(value: dt.date | dt.datetime, date1904: bool = False) -> float:
    """The Excel serial number of a date or datetime."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    delta = value - epoch
    serial = delta.days + delta.seconds / 86400
    if not date1904 and serial < 61:
        serial -= 1
    return serial


def _full_year(year: int) -> int:
    """A two-digit year as people mean it (26 → 2026, 85 → 1985)."""
    return year if year >= 100 else (2000 + year if year < 70 else 1900 + year)


def date_order(texts: Iterable[object]) -> DateOrder | None:
    """Whether a column's d/m/y texts are day-first or month-first, decided from all of them:
    None when it has none, "ambiguous" when no value tells, "conflict" when values disagree."""
    day_first = month_first = seen = False
    for text in texts:
        match = _DAY_MONTH.match(str(text).strip()) if isinstance(text, str) else None
        if match:
            seen = True
            first, second = int(match.group(1)), int(match.group(2))
            day_first |= first > 12
            month_first |= second > 12
    if not seen:
        return None
    if day_first and month_first:
        return "conflict"
    return "dmy" if day_first else "mdy" if month_first else "ambiguous"


def parse_date(
    value: CellValue, date1904: bool = False, order: DateOrder | None = None
) -> dt.date | None:
    """A date from a cell value (date, datetime, serial number or text), None if blank;
    ``order`` (from :func:`date_order`) reads the column's day/month texts."""
    if is_blank(value):
        return None
    if isinstance(value, CellError):
        raise ValueError(_excel_error(value.code))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(tr(f"{value!r} 不是日期", f"{value!r} is not a date"))
    if isinstance(value, int | float):
        return from_excel_serial(float(value), date1904).date()
    text = str(value).strip()
    if text.upper() in ERROR_CODES:
        raise ValueError(_excel_error(text.upper()))
    named = _named_month(text)
    if named is not None:
        return named
    match = _DAY_MONTH.match(text)
    if match and order in ("dmy", "mdy"):
        first, second, year = (int(g) for g in match.groups())
        day, month = (first, second) if order == "dmy" else (second, first)
        return _real_date(text, _full_year(year), month, day)
    if match:
        raise ValueError(
            tr(
                f"'{text}' 看不出是日/月还是月/日（请写成 2024-03-05）",
                f"'{text}' could be day/month or month/day (write it as 2024-03-05)",
            )
        )
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups()[:3])
            hour, minute, second = (int(g or 0) for g in match.groups()[3:6] or (0, 0, 0))
            if hour > 23 or minute > 59 or second > 59:
                raise ValueError(
                    tr(f"'{text}' 的时间不存在", f"'{text}' has a time that does not exist")
                )
            return _real_date(text, year, month, day)
    raise ValueError(
        tr(
            f"'{text}' 不是能识别的日期（请写成 2024-03-05）",
            f"'{text}' is not a date sheetcrm can read (write it as 2024-03-05)",
        )
    )


def _named_month(text: str) -> dt.date | None:
    """A date written with the month's name (12 Sep 2024, Sep 12, 2024), else None."""
    for pattern in _NAMED_MONTH:
        match = pattern.match(text.lower())
        if match and match.group("m") in _MONTHS:
            year = _full_year(int(match.group("y")))
            return _real_date(text, year, _MONTHS[match.group("m")], int(match.group("d")))
    return None


def _real_date(text: str, year: int, month: int, day: int) -> dt.date:
    """The date, or a ValueError naming the text when no such day exists (2023-02-30)."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(
            tr(f"'{text}' 不是真实存在的日期", f"'{text}' is not a real date")
        ) from None


def parse_number(value: CellValue) -> float | None:
    """A number from a cell value (number or text like '¥1,234.50' or '1.2万'), None if blank."""
    if is_blank(value):
        return None
    if isinstance(value, CellError):
        raise ValueError(_excel_error(value.code))
    if isinstance(value, bool):
        raise ValueError(
            tr(f"{value!r} 是“是/否”值，不是数字", f"{value!r} is a yes/no value, not a number")
        )
    if isinstance(value, int | float):
        if math.isinf(value):
            raise ValueError(tr("数值为无穷大", "the number is infinite"))
        return float(value)
    if isinstance(value, dt.date):
        raise ValueError(
            tr(
                f"{value.isoformat()} 是日期，不是数字",
                f"{value.isoformat()} is a date, not a number",
            )
        )
    return _number_from_text(str(value).strip())


_SCALES = {"万": 10_000.0, "亿": 100_000_000.0}


def _number_from_text(text: str) -> float | None:
    """A number typed as text: '¥1,234.50', '1.2万', '20次', '(300)', '15%'; None for '-'."""
    if text.upper() in ERROR_CODES:
        raise ValueError(_excel_error(text.upper()))
    if text.lower() in _NOTHING:
        return None
    if re.search(r"\d[,，]\d", text) and not _THOUSANDS.match(
        re.sub(r"\s|[^\d,，.$¥￥€£()+-]+$", "", text)
    ):
        raise ValueError(_not_a_number(text))  # "1,2,3" is a list, not 123
    cleaned = _COUNT_UNIT.sub("", _NUMBER_STRIP.sub("", text))
    scale = _SCALES.get(cleaned[-1:], 1.0)
    if scale != 1.0:
        cleaned = cleaned[:-1]
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]  # accounting negative
    try:
        number = float(cleaned) * scale
    except ValueError:
        raise ValueError(_not_a_number(text)) from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError(_not_a_number(text))
    return number / 100 if percent else number


def parse_bool(value: CellValue) -> bool:
    """A yes/no flag from a cell value (是/否, Y/N, TRUE/FALSE, 1/0, √); blank is False."""
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise ValueError(_not_yes_no(value))
    if isinstance(value, CellError):
        raise ValueError(_excel_error(value.code))
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_not_yes_no(f"'{value}'"))


def _excel_error(code: str) -> str:
    return tr(f"单元格是 Excel 错误值 {code}", f"the cell holds the Excel error {code}")


def _not_a_number(text: str) -> str:
    return tr(f"'{text}' 不是数字", f"'{text}' is not a number")


def _not_yes_no(shown: object) -> str:
    return tr(
        f"{shown} 不是“是/否”值（请填 是 或 否）", f"{shown} is not a yes/no value (use 是 or 否)"
    )


def mostly_distinct(values: Iterable[object], sample: int = 2000) -> bool:
    """True when most of the first values differ (IDs, names, phones): then cleaning each
    value costs less than finding the distinct ones first (both ways give the same result)."""
    head = list(islice(values, sample))
    try:
        return len(set(head)) * 2 > len(head)
    except TypeError:  # an unhashable value: no sharing to be had
        return True
