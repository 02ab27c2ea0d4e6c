"""Frame columns as numpy arrays: trimmed texts, date ordinals (and back), yes/no flags.

What the planner needs of a customer or touch column, each distinct value converted once
(a full sheet is a million rows); a column the frame lacks reads as blank.
"""

from __future__ import annotations

import datetime as dt
from itertools import repeat

import numpy as np
import pandas as pd

from ..book.base import CellValue
from ..values import is_blank, mostly_distinct, parse_bool

__all__ = [
    "cell_text",
    "date_ordinals",
    "flags",
    "numpy_texts",
    "ordinal_dates",
    "role_column",
    "text_column",
    "trimmed",
]


def cell_text(value: CellValue) -> str:
    """A cell as trimmed text: blank as "", a whole float without its ".0"."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def role_column(frame: pd.DataFrame, role: str) -> pd.Series:
    """The column of a role, or a blank one where the frame has none."""
    if role in frame:
        return frame[role]
    return pd.Series(None, index=frame.index, dtype=object)


def text_column(frame: pd.DataFrame, role: str) -> np.ndarray:
    """The column of a role as trimmed texts (blank: "")."""
    values = role_column(frame, role)
    strings = pd.api.types.infer_dtype(values, skipna=True) == "string"
    if strings and mostly_distinct(values.to_numpy()):
        # Names and IDs (blank: ""): stripping each costs less than finding the distinct ones.
        return trimmed(values.to_numpy())[0]
    # Owners, codes, numbers, dates, mixed: convert each distinct value once.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if pd.api.types.infer_dtype(uniques, skipna=True) == "string":
        texts = pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object)
    else:
        texts = np.array([cell_text(v) for v in uniques], dtype=object)
    column: np.ndarray = np.append(texts, "")[codes]
    return column


def trimmed(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each string trimmed ("" for any other cell), and which cells are strings."""
    # C-level maps, no Python call per value and no hashing (IDs and names are mostly distinct).
    strings = np.fromiter(map(isinstance, cells, repeat(str)), bool, len(cells))
    texts = np.full(len(cells), "", dtype=object)
    texts[strings] = np.fromiter(map(str.strip, cells[strings]), object, int(strings.sum()))
    return texts, strings


def numpy_texts(values: np.ndarray) -> np.ndarray:
    """``values.astype(str)`` as an object array: the array itself where every value is a
    string holding no NUL (numpy drops trailing NULs), as in any workbook (no copy made)."""
    if (
        values.dtype == object
        and all(map(isinstance, values, repeat(str)))
        and "\x00" not in "".join(values)
    ):
        return values
    texts: np.ndarray = values.astype(str).astype(object)
    return texts


def date_ordinals(values: pd.Series) -> np.ndarray:
    """Date ordinals of a column (-1 where blank)."""
    stamps = pd.to_datetime(values, errors="coerce")
    epoch = dt.date(1970, 1, 1)
    days = (stamps - pd.Timestamp(epoch)).dt.days.to_numpy(dtype="float64") + epoch.toordinal()
    return np.where(np.isnan(days), -1, days).astype(np.int64)


def _safe_bool(value: CellValue) -> bool:
    """A yes/no value, or no where it is not one."""
    try:
        return parse_bool(value)
    except ValueError:
        return False


def flags(values: pd.Series) -> np.ndarray:
    """A yes/no column as booleans; what is not a yes/no value reads as no."""
    if values.dtype == bool:  # typed by the reader: nothing to parse
        typed: np.ndarray = values.to_numpy(dtype=bool)
        return typed
    return np.array([_safe_bool(v) for v in values], dtype=bool)


def ordinal_dates(ordinals: np.ndarray) -> np.ndarray:
    """Date objects for ordinals (None for -1), converting each distinct day once."""
    days, codes = np.unique(ordinals, return_inverse=True)
    lookup = np.array([dt.date.fromordinal(int(d)) if d > 0 else None for d in days] + [None])
    return lookup[codes.reshape(-1)] if len(ordinals) else np.empty(0, dtype=object)
