"""Excel-native values in and out of worksheet functions.

UDF arguments arrive as Excel hands them over: numbers (dates as serial
numbers), strings, booleans, None for an empty cell, and 2-D lists for
ranges. Results go back as numbers, strings, or 2-D lists (a column is a
list of one-item rows). Errors go back as the text of an Excel error code
followed by the reason, e.g. ``#VALUE! 累计金额 is not a number``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import xlwings as xw

from ..errors import SheetCRMError
from ..values import excel_serial, is_blank, parse_date, parse_number

__all__ = [
    "as_column",
    "date_arg",
    "documented",
    "error",
    "excel_errors",
    "flatten",
    "number_arg",
    "serial",
    "text_arg",
]

P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])


def flatten(value: Any) -> list[Any]:
    """A range (2-D list), a row or column (1-D list) or a single value as a flat list."""
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            out.extend(flatten(item) if isinstance(item, list | tuple) else [item])
        return out
    return [value]


def as_column(values: Sequence[Any]) -> list[list[Any]]:
    """A flat list as an Excel column (one value per row)."""
    return [[value] for value in values]


def number_arg(value: Any) -> float | None:
    """A number argument (numbers, numeric text, '¥1,234'), None when empty."""
    return parse_number(value)


def date_arg(value: Any, date1904: bool = False) -> dt.date | None:
    """A date argument (serial number, datetime, or date text), None when empty."""
    return parse_date(value, date1904)


def text_arg(value: Any) -> str:
    """A text argument; numbers that are whole print without '.0'."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def serial(value: dt.date | None) -> float | str:
    """A date as the Excel serial number a worksheet shows with a date format ('' if none)."""
    return "" if value is None else excel_serial(value)


def error(code: str, reason: str) -> str:
    """An Excel-style error result with a reason a person can act on."""
    return f"{code} {reason}"


def excel_errors(func: Callable[P, Any]) -> Callable[P, Any]:
    """Turn a refusal into an Excel-style error text the cell shows, instead of a crash."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return func(*args, **kwargs)
        except (SheetCRMError, ValueError) as exc:
            return error("#VALUE!", str(exc))

    return wrapper


def documented(**docs: str) -> Callable[[F], F]:
    """xlwings' argument descriptions for a worksheet function, one per parameter."""

    def describe(func: F) -> F:
        for name, doc in reversed(docs.items()):
            func = xw.arg(name, doc=doc)(func)
        return func

    return describe
