"""One column of cells typed by its role (text, phone, e-mail, number, whole number, date,
yes/no), and a problem for each cell that cannot be read.

Each distinct value is parsed once (or, for columns of mostly distinct texts, each cell
cleaned by C-level maps), so a million rows cost about as much as their distinct values.
Nothing turns silently into a blank.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from operator import methodcaller
from typing import Any

import numpy as np
import pandas as pd

from ..book.base import CellError, CellValue, Problem, blank_cells
from ..headers import read_header
from ..i18n import tr
from ..roles import RoleInfo
from ..values import (
    ERROR_CODES,
    DateOrder,
    date_order,
    is_blank,
    mostly_distinct,
    parse_bool,
    parse_date,
    parse_number,
)

__all__ = ["typed_role_column"]

_Parser = Callable[[Any], Any]


# Characters that show as nothing (zero-width space and joiners, BOM): ids and names that
# differ only by them are the same. NFKC already makes no-break and full-width spaces plain.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _parse_text(value: CellValue) -> str | None:
    if isinstance(value, CellError):
        raise ValueError(
            tr(
                f"单元格是 Excel 错误值 {value.code}",
                f"the cell holds the Excel error {value.code}",
            )
        )
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]  # hasattr does not narrow the union
    return (
        unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE).strip()
        if isinstance(value, str)
        else str(value)
    )


def _parse_phone(value: CellValue) -> str | None:
    text = _parse_text(value)
    return None if text is None else re.sub(r"\s+", "", text)


# Dates outside these years are placeholders (9999-12-31) or typing slips, not purchases.
_YEARS = range(1900, 2101)


def _plausible_date(
    value: CellValue, date1904: bool = False, order: DateOrder | None = None
) -> Any:
    """A date as parse_date reads it, refusing years no customer bought in."""
    found = parse_date(value, date1904, order)
    if found is not None and found.year not in _YEARS:
        raise ValueError(
            tr(
                f"{found.isoformat()} 不是可信的日期",
                f"{found.isoformat()} is not a plausible date",
            )
        )
    return found


_PARSERS: dict[str, _Parser] = {
    "text": _parse_text,
    "phone": _parse_phone,
    "email": _parse_text,
    "number": parse_number,
    "integer": parse_number,
    "date": _plausible_date,
    "bool": parse_bool,
}

_SUGGESTIONS = {
    "number": ("请填写数字，如 1234.5", "type a number, e.g. 1234.5"),
    "integer": ("请填写整数，如 3", "type a whole number, e.g. 3"),
    "date": ("请填写日期，如 2024-03-05", "type a date, e.g. 2024-03-05"),
    "bool": ("请填写 是 或 否", "type 是 (yes) or 否 (no)"),
    "text": ("请修正或清空该单元格", "correct or clear the cell"),
}


# What pd.api.types.infer_dtype calls a column of numbers only (no text, no yes/no cells).
_PLAIN_NUMBERS = frozenset({"floating", "integer", "mixed-integer-float", "empty"})


def _typed_column(
    values: np.ndarray, info: RoleInfo, date1904: bool, order: DateOrder | None = None
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A typed column and {position: (value, reason)} for the values that could not be read
    (``order``: how the column writes day and month, see :func:`~sheetcrm.values.date_order`)."""
    if info.kind in ("number", "integer"):
        return _number_column(values, whole=info.kind == "integer")
    parser = _PARSERS[info.kind]
    if info.kind == "date":
        parser = partial(_plausible_date, date1904=date1904, order=order)
    if info.kind in ("text", "email", "phone") and mostly_distinct(values):
        return _texts_one_by_one(values, info.kind, parser)
    return _column_by_distinct_values(values, info.kind, parser)


def _number_column(
    values: np.ndarray, whole: bool
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A number column (``whole``: of whole numbers, as ``Int64``) and the cells not read."""
    series = pd.Series(values, dtype=object)
    failures: dict[int, tuple[CellValue, str]] = {}
    if pd.api.types.infer_dtype(values, skipna=True) in _PLAIN_NUMBERS:
        numbers = pd.to_numeric(series, errors="coerce")
    else:  # yes/no cells are not numbers, though Python counts True as 1
        is_flag = np.fromiter((type(v) is bool for v in values), bool, count=len(values))
        numbers = pd.to_numeric(series.where(~is_flag), errors="coerce")
    out = numbers.to_numpy(dtype=float, copy=True)
    # Only cells to_numeric could not read need a closer look (text amounts, errors).
    # Infinite numbers (1e309, INF) are read again: parse_number refuses them.
    unread = np.isnan(out) | np.isinf(out)
    for pos in np.flatnonzero(unread):
        if is_blank(values[pos]):
            continue
        try:
            parsed = parse_number(values[pos])
            out[pos] = np.nan if parsed is None else parsed
        except ValueError as exc:
            failures[int(pos)] = (values[pos], str(exc))
            out[pos] = np.nan
    if not whole:
        return pd.Series(out, dtype="float64"), failures
    with np.errstate(invalid="ignore"):
        odd = ~np.isnan(out) & ((out != np.round(out)) | (np.abs(out) > 2**53))
    for pos in np.flatnonzero(odd):
        failures[int(pos)] = (
            values[pos],
            tr(f"{values[pos]} 不是合理的整数", f"{values[pos]} is not a plausible whole number"),
        )
        out[pos] = np.nan
    return pd.Series(out).round().astype("Int64"), failures


def _column_by_distinct_values(
    values: np.ndarray, kind: str, parser: Callable[[CellValue], Any]
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A text, phone, e-mail, date or yes/no column, each distinct value parsed once."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    _share_texts(values, codes, uniques)
    text_kind = kind in ("text", "email", "phone")
    parsed: list[Any] = []
    bad: dict[int, str] = {}
    for code, value in enumerate(uniques):
        if text_kind and type(value) is str:  # the common case, kept cheap
            parsed.append(_text(value, kind == "phone"))
            continue
        try:
            parsed.append(parser(value))
        except ValueError as exc:
            parsed.append(None)
            bad[code] = str(exc)
    failures: dict[int, tuple[CellValue, str]] = {
        int(pos): (values[pos], bad[int(codes[pos])])
        for pos in (np.flatnonzero(np.isin(codes, list(bad))) if bad else ())
    }
    blank = codes < 0
    at = np.where(blank, 0, codes)
    if kind == "date":
        lookup = pd.to_datetime(pd.Series(parsed, dtype=object), errors="coerce")
        taken = (
            lookup.to_numpy()[at]
            if len(lookup)
            else np.full(len(codes), np.datetime64("NaT", "ns"))
        )
        taken = np.where(blank, np.datetime64("NaT", "ns"), taken)
        return pd.Series(taken.astype("datetime64[ns]")), failures
    if kind == "bool":
        flags = np.array([bool(v) for v in parsed] or [False])
        return pd.Series(np.where(blank, False, flags[at])), failures
    lookup_obj = np.array([*parsed, None], dtype=object)
    return pd.Series(lookup_obj[np.where(blank, len(parsed), codes)], dtype=object), failures


def _share_texts(values: np.ndarray, codes: np.ndarray, uniques: np.ndarray) -> None:
    """Make equal text cells one object, in place: the raw frame keeps them, and a column of
    few distinct values (cities, owners) then costs a pointer per cell, not a string."""
    if not len(uniques):
        return
    distinct = np.asarray(uniques, dtype=object)
    # Only texts: 1, 1.0 and True are equal too, but must keep their types.
    text = np.fromiter((type(value) is str for value in distinct), bool, len(distinct))
    take = (codes >= 0) & text[codes]  # code -1 (blank) reads text[-1], then is dropped
    values[take] = distinct[codes[take]]


def _text(value: str, phone: bool) -> str | None:
    """A text cell cleaned: NFKC (full-width forms), outer spaces off; phones lose all spaces."""
    text = value if value.isascii() else unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
    if phone:  # what _parse_phone gives, without its detours
        return "".join(text.split()) or None
    return text.strip() or None


def _has_invisible(texts: list[str]) -> bool:
    """True if any of the texts holds a character ``_INVISIBLE`` removes."""
    joined = "".join(texts)  # one pass per character sought, in C, over all the texts at once
    return any(chr(code) in joined for code in _INVISIBLE)


def _texts_one_by_one(
    values: np.ndarray, kind: str, parser: Callable[[Any], Any]
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A text column cleaned cell by cell: for columns of mostly distinct values, cheaper than
    finding the distinct ones first, and the same result (what :func:`_text` gives)."""
    types = np.fromiter(map(type, values), object, len(values))
    text = types == str  # noqa: E721 - element-wise over an array of types, exact str only
    # A column of texts only (ids, names) is cleaned as it is: no copies of a million cells
    # picked out and put back.
    every = bool(text.all())
    # C-level maps, no Python call per cell. NFKC leaves ASCII as it is, as _text does.
    normal = list(map(partial(unicodedata.normalize, "NFKC"), values if every else values[text]))
    folded: Iterable[str] = normal
    if _has_invisible(normal):  # translate looks up each character: ≈ 1 s a million cells
        folded = map(methodcaller("translate", _INVISIBLE), normal)
    cleaned = map("".join, map(str.split, folded)) if kind == "phone" else map(str.strip, folded)
    texts = np.fromiter(cleaned, object, len(normal))
    texts[texts == ""] = None
    if every:
        return pd.Series(texts, dtype=object, copy=False), {}
    out = blank_cells(len(values))
    out[text] = texts
    failures: dict[int, tuple[CellValue, str]] = {}
    for pos in np.flatnonzero(~text):
        value = values[pos]
        if value is None:
            continue
        try:
            out[pos] = None if value != value else parser(value)  # NaN: blank, as factorize has it
        except ValueError as exc:
            failures[int(pos)] = (value, str(exc))
    return pd.Series(out, dtype=object, copy=False), failures


def _cell_problem(
    sheet: str, row: int, header: str, value: CellValue, reason: str, kind_of_role: str
) -> Problem:
    is_error = isinstance(value, CellError) or (
        isinstance(value, str) and value.strip().upper() in ERROR_CODES
    )
    zh, en = _SUGGESTIONS.get(kind_of_role, _SUGGESTIONS["text"])
    if is_error:
        zh, en = (
            "修正产生错误值的公式，或填入实际值",
            "fix the formula that gives the error, or type the real value",
        )
    return Problem(
        sheet, row, header, value, reason, tr(zh, en), "error" if is_error else "invalid"
    )


def typed_role_column(
    values: np.ndarray,
    info: RoleInfo,
    header: str,
    roles: Sequence[RoleInfo],
    sheet: str,
    index: pd.Index,
    date1904: bool,
) -> tuple[pd.Series, list[Problem]]:
    """One role's column typed (scaled by the header's unit), and the problems of its cells."""
    order = (
        date_order(v for v in pd.unique(values) if type(v) is str) if info.kind == "date" else None
    )
    typed, failures = _typed_column(values, info, date1904, order)
    if info.kind in ("number", "integer"):
        scale = read_header(header, roles).scale
        if scale != 1:
            typed = typed * scale
    typed.index = index
    problems: list[Problem] = []
    if order in ("ambiguous", "conflict"):
        failures = {p: f for p, f in failures.items() if date_order([f[0]]) is None}
        problems.append(
            Problem(
                sheet,
                None,
                header,
                None,
                tr(
                    "这一列的日期看不出是 日/月 还是 月/日，未读取这些日期",
                    "this column's dates could be day/month or month/day; they were not read",
                ),
                tr("把日期写成 2024-03-05", "write the dates as 2024-03-05"),
                "invalid",
            )
        )
    problems += [
        _cell_problem(sheet, int(index[pos]), header, value, reason, info.kind)
        for pos, (value, reason) in sorted(failures.items())
    ]
    return typed, problems
