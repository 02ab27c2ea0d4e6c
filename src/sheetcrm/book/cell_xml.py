"""Cell XML: values to ``<c>`` elements, each distinct value of a column encoded once.

Text always goes in as an inline string (never a formula); empty text is no cell,
as Excel and LibreOffice leave a cell set to ""; dates take the shared date styles
of :class:`CellStyles` unless their column has its own.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from ..values import excel_serial
from .base import CellError, CellValue, blank_cells

__all__ = [
    "MAX_TEXT",
    "CellStyles",
    "Distinct",
    "Encoded",
    "cell_xml",
    "cells_xml",
    "clean_text",
    "column_cells",
    "distinct",
    "encode",
    "encode_distinct",
    "padded",
    "uniform",
]

MAX_TEXT = 32767  # Excel's limit on characters in one cell
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in text as an escaped character; a literal one must itself be escaped.
_EXCEL_ESCAPE = re.compile("(_x[0-9A-Fa-f]{4}_)")
_UNHASHED = re.compile("[\x00\ud800-\udfff]")
_SAMPLE = 1024  # values looked at to tell a column of mostly distinct text
# Characters that stop text going into XML as it is (escapes or cleaning needed).
_UNSAFE = re.compile(f"{_ILLEGAL_XML.pattern[:-1]}&<>\n]")


def clean_text(text: str) -> str:
    """Text safe for a cell: legal XML characters, literal _xHHHH_ kept, Excel's length."""
    text = _EXCEL_ESCAPE.sub(r"_x005F\1", _ILLEGAL_XML.sub("", text))
    return text[:MAX_TEXT]


def _preserve(text: str) -> str:
    """The xml:space attribute text needs so Excel keeps its outer spaces and line breaks."""
    return ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""


def _plain(text: str) -> bool:
    """True for text that goes into a cell as it is: no escapes, cleaning, outer spaces or excess."""
    # Separate tests: a pattern with alternatives is tried at every character, a class is not.
    return (
        len(text) <= MAX_TEXT
        and text == text.strip()
        and not _UNSAFE.search(text)
        and ("_x" not in text or not _EXCEL_ESCAPE.search(text))
    )


def _is_blank(value: object) -> bool:
    """True for values that leave a cell empty: None, NaN, NaT, pandas NA."""
    if value is None or value is pd.NA:  # NA's != gives NA, whose truth is refused
        return True
    try:
        return bool(value != value)  # NaN, NaT and NA are the values unequal to themselves
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class CellStyles:
    """The style indexes a value may need on top of its column's own style."""

    plain: int | None
    date: int
    datetime: int


def cell_xml(
    ref: str, value: CellValue, style: int | None, styles: CellStyles, date1904: bool
) -> bytes:
    """One ``<c>`` element; text is always an inline string, never a formula."""
    tail = _cell_tail(value, style, styles, date1904)
    return f'<c r="{ref}{tail}'.encode() if tail else b""


def _cell_tail(value: CellValue, style: int | None, styles: CellStyles, date1904: bool) -> str:
    """A ``<c>`` element from the quote that ends its ``r`` on ("" for no cell at all)."""
    if _is_blank(value) or (isinstance(value, str) and not value):
        return _blank_tail(style)
    style_attr = f' s="{style}"' if style else ""
    if isinstance(value, str) and _plain(value):  # most text: as it is
        return f'"{style_attr} t="inlineStr"><is><t>{value}</t></is></c>'
    if isinstance(value, CellError):
        return f'"{style_attr} t="e"><v>{escape(value.code)}</v></c>'
    if isinstance(value, bool | np.bool_):
        return f'"{style_attr} t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, numbers.Integral):
        return f'"{style_attr}><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isinf(number):
            return f'"{style_attr} t="e"><v>#NUM!</v></c>'
        return f'"{style_attr}><v>{number!r}</v></c>'
    if isinstance(value, dt.date):
        is_datetime = isinstance(value, dt.datetime)
        if style is None:
            style = styles.datetime if is_datetime else styles.date
        serial = excel_serial(value, date1904)
        text = repr(serial) if is_datetime else str(int(serial))
        return f'" s="{style}"><v>{text}</v></c>'
    text = clean_text(str(value))
    if not text:  # nothing left to show (only characters XML cannot hold)
        return _blank_tail(style)
    return f'"{style_attr} t="inlineStr"><is><t{_preserve(text)}>{escape(text)}</t></is></c>'


def _blank_tail(style: int | None) -> str:
    """The tail of a blank: a styled empty cell where the column has a style, else no cell."""
    return f'" s="{style}"/>' if style else ""


def _distinct(values: np.ndarray, uniform: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(code of each value, one value per code); blank values get code -1.

    Values count as the same only when equal and of the same type, so that
    True, 1 and 1.0 (equal in Python) keep their own cell XML. ``uniform``
    says every value has one type (a typed column), which spares that test.
    """
    if _mostly_distinct_text(values):  # hashing would find next to no value twice
        return _each_own(values)  # equal texts make equal XML: sharing it is only a saving
    try:
        by_value, uniques = pd.factorize(values)
    except TypeError:  # an unhashable value: every cell on its own
        return _each_own(values)
    if _unhashed_text(values):  # texts pandas 2 may have taken for others
        return _each_own(values)
    if uniform or len({kind for kind in set(map(type, values)) if _is_number(kind)}) < 2:
        return by_value, np.asarray(uniques, dtype=object)
    by_type, types = pd.factorize(np.fromiter(map(type, values), object, len(values)))
    codes, keys = pd.factorize(np.where(by_value < 0, -1, by_value * len(types) + by_type))
    first = np.empty(len(keys), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(values))[::-1]  # the first value of each code
    blank = keys < 0
    if blank.any():  # blank values: code -1, and the codes after theirs move down by one
        gone = int(np.flatnonzero(blank)[0])
        codes = np.where(codes == gone, -1, codes - (codes > gone))
        first = first[~blank]
    return codes, values[first]


def _each_own(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every value its own code (blank values -1), for :func:`_distinct`."""
    codes = np.arange(len(values))
    codes[np.asarray(pd.isna(values), dtype=bool)] = -1
    return codes, values


def _unhashed_text(values: np.ndarray) -> bool:
    """True for texts (and only texts) of which one holds a character pandas 2 cannot hash:
    a lone surrogate (all such texts hash alike) or NUL (the text ends there for it)."""
    for start in range(0, len(values), _SAMPLE * 64):  # a joined piece at a time: small
        try:
            joined = "".join(values[start : start + _SAMPLE * 64])
        except TypeError:  # not all text: hashed as Python objects, each its own
            return False
        if _UNHASHED.search(joined):
            return True
    return False


def _mostly_distinct_text(values: np.ndarray) -> bool:
    """True for a long column of text (blanks aside) whose sample repeats few values."""
    if len(values) < _SAMPLE * 4:
        return False
    sample = values[:: len(values) // _SAMPLE][:_SAMPLE]
    try:
        distinct = len(set(sample))
    except TypeError:  # an unhashable value: not text
        return False
    return distinct > 0.9 * _SAMPLE and pd.api.types.infer_dtype(values, skipna=True) == "string"


def _is_number(kind: type) -> bool:
    """True for the types a number's equality may mix (numpy's bool is no Number, yet == 0)."""
    return issubclass(kind, numbers.Number | np.bool_)


@dataclass(frozen=True)
class Encoded:
    """A column's cells as tails (XML from the quote ending ``r`` on) shared by equal values."""

    codes: np.ndarray  # the tail of each value; blank values take the last one
    tails: np.ndarray  # bytes; b"" where no cell is written at all


class Distinct(NamedTuple):
    """A column's distinct values and which one each cell holds: small to send to a worker
    (a full sheet's result columns, as objects, are a quarter of a gigabyte pickled)."""

    codes: np.ndarray  # the value of each cell; blank cells take len(values)
    values: np.ndarray  # objects, each distinct value once


def distinct(values: np.ndarray, uniform: bool = False) -> Distinct:
    """A column's values as :class:`Distinct` (``uniform``: a typed column, see :func:`uniform`)."""
    # Result columns repeat few distinct values (tiers, scores, dates): each is encoded once.
    codes, found = _distinct(values, uniform)
    codes = np.where(codes < 0, len(found), codes)
    return Distinct(codes.astype(np.min_scalar_type(len(found))), found)


def encode(
    values: np.ndarray,
    style: int | None,
    styles: CellStyles,
    date1904: bool,
    uniform: bool = False,
) -> Encoded:
    """The tails of a column's values, each distinct value encoded once."""
    return encode_distinct(distinct(values, uniform), style, styles, date1904)


def encode_distinct(
    column: Distinct, style: int | None, styles: CellStyles, date1904: bool
) -> Encoded:
    """:func:`encode` of a column already reduced to its distinct values."""
    style_attr = f' s="{style}"' if style else ""
    text_head = f'"{style_attr} t="inlineStr"><is><t>'
    number_head = f'"{style_attr}><v>'
    # Plain text and whole numbers (row numbers), nearly every distinct value of a big column,
    # skip _cell_tail's type tests (an abstract-class test per number is slow).
    tails = [
        f"{text_head}{v}</t></is></c>".encode()
        if type(v) is str and v and _plain(v)
        else f"{number_head}{v}</v></c>".encode()
        if type(v) is int
        else _cell_tail(v, style, styles, date1904).encode()
        for v in column.values
    ]
    tails.append(_cell_tail(None, style, styles, date1904).encode())  # blank cells
    return Encoded(column.codes, np.array(tails, dtype=object))


def cells_xml(letters: str, encoded: Encoded, rows: np.ndarray, part: slice) -> np.ndarray:
    """The ``<c>`` XML (bytes) of encoded values ``part`` in the given rows (b"" for no cell)."""
    codes = encoded.codes[part]
    cells: np.ndarray = f'<c r="{letters}'.encode() + rows + encoded.tails[codes]
    no_cell = encoded.tails == b""
    if no_cell.any():
        cells[no_cell[codes]] = b""
    return cells


def column_cells(
    letters: str,
    style: int | None,
    values: np.ndarray,
    rows: np.ndarray,
    styles: CellStyles,
    date1904: bool,
) -> np.ndarray:
    """The ``<c>`` XML (bytes) of a column's values in the given rows (b"" for no cell)."""
    return cells_xml(letters, encode(values, style, styles, date1904), rows, slice(None))


def uniform(values: Sequence[CellValue]) -> bool:
    """True for a typed array of values (one type throughout, blanks aside)."""
    # numpy and pandas' masked dtypes alike; object, string and category columns can mix types.
    return getattr(getattr(values, "dtype", None), "kind", "O") in "biufmM"


def padded(
    values: Sequence[CellValue], count: int, positions: np.ndarray | None = None
) -> np.ndarray:
    """A column's values as an object array of length count, None where no value goes.

    Value i goes to positions[i] (default: i).
    """
    if positions is not None and np.array_equal(positions, np.arange(len(positions))):
        positions = None  # row after row from the first, no gap (the usual table): in order
    array = blank_cells(count)
    if isinstance(values, np.ndarray | pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        values = values.tolist()  # native scalars, as the cell XML is built from them
    filled = min(len(values), count if positions is None else len(positions))
    if positions is None:
        array[:filled] = values[:filled]
    else:
        array[positions[:filled]] = values[:filled]
    return array
