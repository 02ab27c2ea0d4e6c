"""A sheet's rows packed to go to a worker process: typed arrays instead of a Python object a cell.

Pickling an object column costs a call per cell (a ``date`` ≈ 2 µs, a million-row
plan ≈ 20 s whole), unpickling as much again. A :class:`ColumnRows` body column
of one kind goes as one array instead: text as one joined string and the
lengths, dates as day numbers, numbers and yes/no as numpy arrays, blanks as a
bit mask. Unpacked, each cell is a value of the same type and value as before,
or None where it was blank (None, NaN, NaT: each writes no cell, or the
column's styled empty one; a column holding pandas' NA goes as it is). Other columns and rows given as lists go as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import CellValue, ColumnRows

__all__ = ["PackedRows", "pack_rows"]

_EPOCH = dt.date(1970, 1, 1).toordinal()  # day 0 of numpy's datetime64[D]


@dataclass(frozen=True)
class _Column:
    """One body column: its kind, length, blanks (packed bits) and the values of the rest."""

    kind: str  # "text", "date", "number" (int or float array), "bool", "object"
    length: int
    blanks: np.ndarray | None  # np.packbits of the blank mask; None when nothing is blank
    values: np.ndarray | tuple[str, np.ndarray]  # text: (joined, lengths); else the cells not blank


@dataclass(frozen=True)
class PackedRows:
    """A sheet's rows ready to pickle cheaply; :meth:`unpack` gives rows that write the same."""

    head: list[list[CellValue]]
    columns: list[_Column] | None  # None: ``rows`` are the rows as they were given
    tail: list[list[CellValue]]
    rows: Sequence[Sequence[CellValue]] = ()

    def unpack(self) -> Sequence[Sequence[CellValue]]:
        """The rows as a :class:`ColumnRows` (or as given, when they were not one)."""
        if self.columns is None:
            return self.rows
        return ColumnRows(self.head, [_unpack(column) for column in self.columns], self.tail)


def pack_rows(rows: Sequence[Sequence[CellValue]]) -> PackedRows:
    """Rows packed for a worker process (a ColumnRows' body columns; list rows as they are)."""
    if not isinstance(rows, ColumnRows):
        return PackedRows([], None, [], rows)
    return PackedRows(rows.head, [_pack(column) for column in rows.columns], rows.tail)


def _pack(column: np.ndarray) -> _Column:
    """A body column of one kind as an array; any other as the object array it is."""
    kind = pd.api.types.infer_dtype(column, skipna=True)  # one pass in C, blanks skipped
    if kind not in ("string", "date", "integer", "floating", "boolean", "empty"):
        return _Column("object", len(column), None, column)
    mask = np.asarray(pd.isna(column), dtype=bool)
    if mask.any() and any(value is pd.NA for value in column[mask]):
        # A cell styled alone writes pandas' NA as the text "<NA>": it stays what it is.
        return _Column("object", len(column), None, column)
    blanks = np.packbits(mask) if mask.any() else None
    present = column[~mask] if blanks is not None else column
    if kind == "empty":
        return _Column("number", len(column), blanks, np.empty(0, dtype=np.int64))
    if kind == "string":
        lengths = np.fromiter(map(len, present), np.int64, len(present))
        lengths = lengths.astype(np.min_scalar_type(lengths.max(initial=0)))  # mostly 1 byte
        return _Column("text", len(column), blanks, ("".join(present), lengths))
    if kind == "date":
        # pandas counts date-times among dates; datetime64[D] would drop their time.
        if set(map(type, present)) != {dt.date}:
            return _Column("object", len(column), None, column)
        days = np.fromiter(map(dt.date.toordinal, present), np.int64, len(present))
        return _Column("date", len(column), blanks, (days - _EPOCH).astype(np.int32))
    if kind == "boolean":
        return _Column("bool", len(column), blanks, present.astype(bool))
    dtype = np.int64 if kind == "integer" else np.float64
    try:
        return _Column("number", len(column), blanks, present.astype(dtype))
    except OverflowError:  # a whole number beyond int64 stays the Python int it is
        return _Column("object", len(column), None, column)


def _unpack(column: _Column) -> np.ndarray:
    """A packed column as the object array of plain cell values it was (blanks as None)."""
    if column.kind == "object":
        assert isinstance(column.values, np.ndarray)
        return column.values
    if column.kind == "text":
        assert isinstance(column.values, tuple)
        joined, lengths = column.values
        ends = np.cumsum(lengths, dtype=np.int64).tolist()
        starts = [0, *ends[:-1]]
        present: list[object] | np.ndarray = [
            joined[a:b] for a, b in zip(starts, ends, strict=True)
        ]
    elif column.kind == "date":
        assert isinstance(column.values, np.ndarray)
        present = column.values.astype("datetime64[D]").astype(object)  # datetime.date each
    else:
        assert isinstance(column.values, np.ndarray)
        present = column.values.tolist()  # Python's int, float, bool
    cells = np.empty(column.length, dtype=object)
    if column.blanks is None:
        cells[:] = present
    else:
        mask = np.unpackbits(column.blanks, count=column.length).astype(bool)
        cells[~mask] = present
    return cells
