"""A sheet's rows packed to go to a worker process: typed arrays instead of a Python object a cell.

Pickling an object column costs a call per cell (a ``date`` ≈ 2 µs, a million-row
plan ≈ 20 s whole), unpickling as much again, and a worker holding a full sheet
as Python objects needs about a gigabyte. A :class:`ColumnRows` body column of
one kind goes as one array instead: text as one joined string and the lengths,
dates as day numbers, numbers and yes/no as numpy arrays, blanks as a bit mask;
the worker unpacks only the block of rows it is writing. Unpacked, each cell is
a value of the same type and value as before, or None where it was blank (None,
NaN, NaT: each writes no cell, or the column's styled empty one; a column
holding pandas' NA goes as it is). Other columns go as the object arrays they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .base import ColumnRows

__all__ = ["PackedColumn", "PackedRows"]

_EPOCH = dt.date(1970, 1, 1).toordinal()  # day 0 of numpy's datetime64[D]
_KINDS = ("string", "date", "integer", "floating", "boolean", "empty")  # pandas' names


class PackedColumn:
    """One body column, packed; sliced (``column[a:b]``) as the object array it stands for."""

    def __init__(self, values: np.ndarray) -> None:
        self.length = len(values)
        self.kind, self.blanks, self.data, self.lengths = _packed(values)
        # Made where it is sliced, not sent: text ends, blank mask, cells present before each.
        self._ends: np.ndarray | None = None
        self._blank: np.ndarray | None = None
        self._before: np.ndarray | None = None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, part: slice) -> np.ndarray:
        """The cells ``part`` (a slice, step 1) as plain values, None where blank."""
        a, b, _ = part.indices(self.length)
        b = max(a, b)
        if self.kind == "object":
            data: np.ndarray = self.data
            return data[a:b]
        mask = None if self.blanks is None else self._mask()[a:b]
        first, last = (a, b) if self.blanks is None else self._present(a, b)
        cells = np.empty(b - a, dtype=object)
        values = self._values(first, last)
        if mask is None:
            cells[:] = values
        else:
            cells[~mask] = values
        return cells

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_ends": None, "_blank": None, "_before": None}

    def _mask(self) -> np.ndarray:
        if self._blank is None:
            assert self.blanks is not None
            self._blank = np.unpackbits(self.blanks, count=self.length).astype(bool)
        return self._blank

    def _present(self, a: int, b: int) -> tuple[int, int]:
        """Where the cells a:b that are not blank lie among the packed values."""
        if self._before is None:
            self._before = np.concatenate([[0], np.cumsum(~self._mask(), dtype=np.int64)])
        return int(self._before[a]), int(self._before[b])

    def _values(self, first: int, last: int) -> list[Any] | np.ndarray:
        """Packed values first:last as Python values."""
        if self.kind == "text":
            if first == last:
                return []
            if self._ends is None:
                assert self.lengths is not None
                self._ends = np.cumsum(self.lengths, dtype=np.int64)
            ends = self._ends[first:last].tolist()
            starts = [int(self._ends[first - 1]) if first else 0, *ends[:-1]]
            joined: str = self.data
            return [joined[s:e] for s, e in zip(starts, ends, strict=True)]
        if self.kind == "date":  # datetime64[D] becomes datetime.date
            dates: np.ndarray = self.data[first:last].astype("datetime64[D]").astype(object)
            return dates
        values: list[Any] = self.data[first:last].tolist()  # Python's int, float, bool
        return values


def _packed(column: np.ndarray) -> tuple[str, np.ndarray | None, Any, np.ndarray | None]:
    """(kind, packed blank bits or None, the values not blank, text lengths) of a column."""
    as_is = ("object", None, column, None)
    kind = pd.api.types.infer_dtype(column, skipna=True)  # one pass in C, blanks skipped
    if kind not in _KINDS:
        return as_is
    mask = np.asarray(pd.isna(column), dtype=bool)
    if mask.any() and any(value is pd.NA for value in column[mask]):
        return as_is  # a cell styled alone writes pandas' NA as the text "<NA>": not a blank
    blanks = np.packbits(mask) if mask.any() else None
    present = column[~mask] if blanks is not None else column
    if kind in ("empty", "integer", "floating", "boolean"):
        dtype = {"integer": np.int64, "floating": np.float64, "boolean": bool}.get(kind, np.int64)
        try:
            return ("number", blanks, present.astype(dtype), None)
        except OverflowError:  # a whole number beyond int64 stays the Python int it is
            return as_is
    if kind == "string":
        lengths = np.fromiter(map(len, present), np.int64, len(present))
        lengths = lengths.astype(np.min_scalar_type(lengths.max(initial=0)))  # mostly 1 byte
        return ("text", blanks, "".join(present), lengths)
    # pandas counts date-times among dates; datetime64[D] would drop their time.
    if set(map(type, present)) != {dt.date}:
        return as_is
    days = np.fromiter(map(dt.date.toordinal, present), np.int64, len(present)) - _EPOCH
    return ("date", blanks, days.astype(np.int32), None)


class PackedRows(ColumnRows):
    """A :class:`ColumnRows` with its body columns packed: the same rows, cheap to pickle."""

    def __init__(self, rows: ColumnRows) -> None:
        self.head, self.tail, self.body_rows = rows.head, rows.tail, rows.body_rows
        self.columns = [
            PackedColumn(column) if isinstance(column, np.ndarray) else column
            for column in rows.columns
        ]
