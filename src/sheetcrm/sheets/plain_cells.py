"""Frame columns as plain cell values: the body columns of a :class:`ColumnRows`, made vectorised.

A cell value crossing the book interface is plain Python (``str``, ``int``, ``float``,
``bool``, ``date``/``datetime``, ``None`` for a blank): numpy and pandas scalars are turned
into those a column at a time, never by a call per cell where the column's type allows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..book.base import CellError, CellValue

__all__ = ["plain_cells"]

# Types a cell keeps as they are (exact types: pandas' Timestamp and numpy's scalars are not).
_PLAIN = frozenset(
    {str, int, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta, CellError, type(None)}
)
_BLANKS = frozenset({type(pd.NA), type(pd.NaT)})  # set to None with NaN below


def plain_cells(
    values: pd.Series | np.ndarray | Sequence[CellValue], days: bool = False
) -> np.ndarray:
    """A column as an object array of plain cell values, blanks (NaN, NA, NaT) as None.

    ``days`` turns timestamps into dates (a plan's days), else into date-times.
    """
    if isinstance(values, pd.Series | pd.Index) and values.dtype.kind == "M":
        stamps = pd.DatetimeIndex(values)
        cells = np.empty(len(stamps), dtype=object)
        cells[:] = stamps.date if days else stamps.to_pydatetime()
        cells[np.asarray(stamps.isna())] = None
        return cells
    if isinstance(values, pd.Series | pd.Index):
        # Numpy and masked numbers become Python's; a copy, as blanks are set below.
        cells = values.to_numpy(dtype=object, copy=True)
    elif isinstance(values, np.ndarray):
        cells = values.astype(object)  # a copy; numpy numbers become Python's
    else:
        cells = np.empty(len(values), dtype=object)
        cells[:] = list(values)
    odd = set(map(type, cells)) - _PLAIN - _BLANKS
    if odd:  # e.g. numpy text from a string array: converted a kind at a time
        codes, kinds = pd.factorize(np.fromiter(map(type, cells), object, len(cells)))
        for kind in odd:
            at = codes == list(kinds).index(kind)
            if issubclass(kind, str):  # numpy's text: Python's own
                cells[at] = list(map(str, cells[at]))
            elif issubclass(kind, np.number | np.bool_):
                cells[at] = cells[at].astype(kind).astype(object)
            else:
                cells[at] = [_plain(value, days) for value in cells[at]]
    cells[pd.isna(cells)] = None
    return cells


def _plain(value: object, days: bool) -> CellValue:
    """One value as a plain cell value (the rare column that holds numpy or pandas scalars)."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        stamp: dt.date = value.date() if days else value.to_pydatetime()
        return stamp
    if isinstance(value, np.generic):
        return _plain(value.item(), days)
    if isinstance(value, float) and value != value:
        return None
    return value  # type: ignore[return-value]  # what is left is a plain cell value
