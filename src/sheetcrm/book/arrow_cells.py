"""Rows of cell XML built by pyarrow compute: C kernels, a column at a time, without the GIL.

Plain text, whole numbers, dates and blanks of a block of rows become ``<c>`` XML in pyarrow,
and the rows are joined there too; every other value, and any text a conservative vectorised
test cannot prove plain, takes the tail :func:`~sheetcrm.book.cell_xml.encode` gives it, so the
bytes are those of the Python path by construction. pyarrow comes with ``sheetcrm[fast]``; it
is imported on first use (0.3–0.5 s), so only long sheets take this path.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..a1 import column_letter
from ..values import excel_serial
from .cell_xml import MAX_TEXT, CellStyles, encode

__all__ = ["MIN_ROWS", "available", "rows_xml"]

MIN_ROWS = 50_000  # a sheet shorter than this costs less in Python than importing pyarrow

# What str.strip() removes (str.isspace, a test checks), and what needs an escape or cleaning
# (cell_xml's _UNSAFE; a lone surrogate cannot reach pyarrow: its UTF-8 encoding fails).
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_UNSAFE = (
    "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])) + "&<>\n"
)


def _re2_class(chars: str) -> str:
    """A regular-expression character class of these characters, each escaped by its number."""
    return "[" + "".join(f"\\x{{{ord(char):x}}}" for char in chars) + "]"


# Text matching this is left to Python: unsafe characters, outer whitespace, Excel's _xHHHH_.
_NOT_PLAIN = "|".join(
    [
        _re2_class(_UNSAFE),
        f"^{_re2_class(_WHITESPACE)}",
        f"{_re2_class(_WHITESPACE)}$",
        "_x[0-9A-Fa-f]{4}_",
    ]
)


_NONE = np.empty(0, dtype=np.int64)  # no position


@functools.cache
def _arrow() -> tuple[ModuleType, ModuleType] | None:
    """pyarrow and its compute module, or None without them."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # without sheetcrm[fast]: the Python path
        return None
    return pa, pc


def available() -> bool:
    """True when pyarrow can be imported (it is, on the first call)."""
    return _arrow() is not None


def rows_xml(
    columns: Sequence[np.ndarray],
    lengths: np.ndarray,
    first: int,
    styles: Sequence[int | None],
    own: Mapping[tuple[int, int], bytes],
    cell_styles: CellStyles,
    date1904: bool,
) -> memoryview:
    """The ``<row>`` elements of a block: rows ``first``… with these object columns' values.

    A row holds no cell at a column at or past its length; ``styles`` are the columns' own;
    ``own`` gives the XML of single cells by (row in the block, column) instead.
    """
    pa, pc = _modules()
    binary = pa.large_binary()  # 64-bit offsets: a block of long texts can pass 2 GB
    numbers = _as_binary(pa.array(np.arange(first, first + len(lengths))))
    by_column: dict[int, list[tuple[int, bytes]]] = {}
    for (r, c), xml in sorted(own.items()):
        by_column.setdefault(c, []).append((r, xml))
    cells = []
    for c, values in enumerate(columns):
        opening = f'<c r="{column_letter(c + 1)}'.encode()
        tails = _tails(values, styles[c], cell_styles, date1904)
        column = _joined(opening, numbers, tails)  # null: no cell
        short = lengths <= c
        if short.any():
            column = pc.if_else(pa.array(short), pa.scalar(None, binary), column)
        mine = by_column.get(c)
        if mine:
            mask = np.zeros(len(lengths), dtype=bool)
            mask[[r for r, _ in mine]] = True
            replacements = pa.array([xml for _, xml in mine], binary)
            column = pc.replace_with_mask(column, pa.array(mask), replacements)
        cells.append(column)
    return _data(_joined(b'<row r="', numbers, b'">', *cells, b"</row>", null_replacement=b""))


def _modules() -> tuple[Any, Any]:
    """pyarrow and pyarrow.compute; an error where they are missing (callers ask first)."""
    modules = _arrow()
    if modules is None:
        raise RuntimeError("pyarrow is not installed")  # callers test available() first
    return modules


def _tails(values: np.ndarray, style: int | None, cell_styles: CellStyles, date1904: bool) -> Any:
    """Each value's tail (XML from the quote ending ``r`` on) as binary; null for no cell."""
    pa, _ = _modules()
    count = len(values)
    kinds = _by_type(values)
    where = np.full(count, -1, dtype=np.int64)  # each value's tail in the pieces joined
    pieces = []
    done = 0
    for positions, codes, tails in _arrow_tails(values, kinds, style, cell_styles, date1904):
        where[positions] = done + codes
        pieces.append(tails)
        done += len(tails)
    rest = np.flatnonzero(where < 0)
    if len(rest):  # what pyarrow does not write: cell_xml's own encoding
        encoded = encode(values[rest], style, cell_styles, date1904)
        where[rest] = encoded.codes.astype(np.int64) + done
        pieces.append(pa.array([tail or None for tail in encoded.tails], pa.large_binary()))
    if not pieces:
        return pa.array([], pa.large_binary())
    return pa.concat_arrays(pieces).take(pa.array(where))


def _by_type(values: np.ndarray) -> dict[type, np.ndarray]:
    """The positions of the values of each exact type (bool is no int here, nor np.str_ a str)."""
    codes, kinds = pd.factorize(np.fromiter(map(type, values), object, len(values)))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(kinds) + 1))
    return {kind: order[bounds[i] : bounds[i + 1]] for i, kind in enumerate(kinds)}


def _arrow_tails(
    values: np.ndarray,
    kinds: dict[type, np.ndarray],
    style: int | None,
    cell_styles: CellStyles,
    date1904: bool,
) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    """(positions, code of each, tails) of the values pyarrow writes: plain text, whole
    numbers, dates and blanks."""
    pa, pc = _modules()
    style_attr = f' s="{style}"' if style else ""
    found = []
    blanks = kinds.get(type(None), _NONE)
    if len(blanks):  # one tail: a styled empty cell, or none
        tail = [f'" s="{style}"/>'.encode() if style else None]
        found.append((blanks, np.zeros(len(blanks), np.int64), pa.array(tail, pa.large_binary())))
    texts = kinds.get(str, _NONE)
    try:
        text = pa.array(values[texts], pa.large_string())
    except UnicodeEncodeError:  # a lone surrogate: all of them in Python
        texts = texts[:0]
    if len(texts):
        length = pc.utf8_length(text)
        plain = pc.invert(
            pc.or_(
                pc.match_substring_regex(text, _NOT_PLAIN),
                pc.or_(pc.equal(length, 0), pc.greater(length, MAX_TEXT)),
            )
        )
        text_head = f'"{style_attr} t="inlineStr"><is><t>'.encode()
        kept = _joined(text_head, _as_binary(text.filter(plain)), b"</t></is></c>")
        found.append(_positions(texts, plain, kept))
    whole = kinds.get(int, _NONE)
    try:
        numbers = pa.array(values[whole], pa.int64())
    except OverflowError:  # a number beyond 64 bits (rare): those are left to Python
        whole = whole[[-(2**63) <= number < 2**63 for number in values[whole]]]
        numbers = pa.array(values[whole], pa.int64())
    if len(whole):
        number_head = f'"{style_attr}><v>'.encode()
        found.append(_every(whole, _joined(number_head, _as_binary(numbers), b"</v></c>")))
    dates = kinds.get(dt.date, _NONE)
    if len(dates):
        epoch = int(excel_serial(dt.date(1970, 1, 1), date1904))  # serial of day 0 of date32
        serials = pc.add(pa.array(values[dates], pa.date32()).cast(pa.int32()), epoch)
        # Excel's phantom 1900-02-29 shifts the 1900 system's first 60 days: Python does those.
        usual = pc.greater_equal(serials, 61 if not date1904 else -(2**31))
        date_style = style if style is not None else cell_styles.date
        date_head = f'" s="{date_style}"><v>'.encode()
        kept = _joined(date_head, _as_binary(serials.filter(usual)), b"</v></c>")
        found.append(_positions(dates, usual, kept))
    return found


def _every(positions: np.ndarray, tails: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """All the positions, each with its own tail."""
    return positions, np.arange(len(positions)), tails


def _positions(positions: np.ndarray, kept: Any, tails: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """The positions a mask keeps, each with its own tail."""
    chosen = positions[np.asarray(kept.to_numpy(zero_copy_only=False), dtype=bool)]
    return _every(chosen, tails)


def _as_binary(values: Any) -> Any:
    """Text, or numbers as their decimal text, as large binary."""
    pa, pc = _modules()
    return pc.cast(pc.cast(values, pa.large_string()), pa.large_binary())


def _joined(*parts: Any, null_replacement: bytes | None = None) -> Any:
    """The parts (bytes, or binary arrays of equal length) joined element by element; null
    where a part is, unless ``null_replacement`` stands in for it."""
    pa, pc = _modules()
    binary = pa.large_binary()
    pieces = [pa.scalar(part, binary) if isinstance(part, bytes) else part for part in parts]
    nulls = {"null_handling": "replace", "null_replacement": null_replacement}
    options = nulls if null_replacement is not None else {}
    return pc.binary_join_element_wise(*pieces, pa.scalar(b"", binary), **options)


def _data(rows: Any) -> memoryview:
    """The concatenation of a binary array's values without nulls: its data buffer, no copy."""
    if not len(rows):
        return memoryview(b"")
    _, offsets, data = rows.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
