"""A1 notation: column letters, cell and range references, sheet names in formulas.

The one place that converts between Excel's A1 text and numbers. Rows and
columns are 1-based, as Excel counts them (A1 is row 1, column 1); callers
holding 0-based grid positions add one.
"""

from __future__ import annotations

import functools
import re

import numpy as np

__all__ = [
    "MAX_COLUMN",
    "MAX_ROW",
    "cell_ref",
    "column_from_bytes",
    "column_letter",
    "column_number",
    "column_numbers",
    "parse_cell",
    "parse_range",
    "quote_sheet",
    "range_ref",
    "sheet_ref",
    "unquote_sheet",
]

MAX_ROW = 1048576
MAX_COLUMN = 16384  # XFD

_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def column_letter(number: int) -> str:
    """The letters of a 1-based column number (1 → A, 27 → AA)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """The 1-based number of a column given by letters, either case (A → 1, aa → 27)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


@functools.cache
def column_from_bytes(letters: bytes) -> int:
    """column_number for the letters of a reference as found in sheet XML (cached: few differ)."""
    return column_number(letters.decode())


def column_numbers(starts: np.ndarray) -> np.ndarray:
    """column_number of many references at once: rows of their first 3 bytes (0: no letter)."""
    # Vectorised for the splice, which checks a whole piece of rows in one go.
    letters = starts.astype(np.int64)
    is_letter = (letters >= 65) & (letters <= 90)
    width = is_letter.cumprod(axis=1).sum(axis=1)  # the letters before the row number
    value = letters - 64
    column = np.select(
        [width == 1, width == 2],
        [value[:, 0], value[:, 0] * 26 + value[:, 1]],
        value[:, 0] * 676 + value[:, 1] * 26 + value[:, 2],
    )
    return np.where(width > 0, column, 0)


def cell_ref(row: int, column: int, *, absolute: bool = False) -> str:
    """The A1 reference of a 1-based cell (``B5``, or ``$B$5`` when absolute)."""
    mark = "$" if absolute else ""
    return f"{mark}{column_letter(column)}{mark}{row}"


def parse_cell(ref: str) -> tuple[int, int]:
    """1-based (row, column) of a cell reference such as ``B5``, ``$B$5`` or ``b5``."""
    match = _CELL.fullmatch(ref.strip())
    if match is None:
        raise ValueError(f"'{ref}' is not an A1 cell reference like B5")
    return int(match.group(2)), column_number(match.group(1))


def range_ref(
    first_row: int, first_column: int, last_row: int, last_column: int, *, absolute: bool = False
) -> str:
    """The A1 reference of a 1-based range (``A1:Q100``, or ``$A$1:$Q$100`` when absolute)."""
    first = cell_ref(first_row, first_column, absolute=absolute)
    return f"{first}:{cell_ref(last_row, last_column, absolute=absolute)}"


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """1-based (first row, first column, last row, last column) of ``A1:Q100`` or one cell."""
    first, colon, last = ref.partition(":")
    (r1, c1), (r2, c2) = parse_cell(first), parse_cell(last if colon else first)
    return r1, c1, r2, c2


def quote_sheet(name: str) -> str:
    """A sheet name as a formula writes it: ``'客户 表'``, inner quotes doubled (always safe)."""
    return "'" + name.replace("'", "''") + "'"


def unquote_sheet(text: str) -> str:
    """The sheet name of a formula's sheet part, quoted (``'a''b'``) or bare (``Sheet1``)."""
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def sheet_ref(sheet: str, ref: str) -> str:
    """A sheet-qualified reference for formulas: ``'客户 表'!$B$5:$B$8``."""
    return f"{quote_sheet(sheet)}!{ref}"
