"""The rows below a header as a 2-D object array: blank rows left out (each with a note), their
Excel row numbers, and the raw cells typed as pandas types them."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np
import pandas as pd

from ..book.base import CellValue, Problem, blank_cells
from ..i18n import tr

__all__ = ["body_rows", "inferred_column", "rows_array", "sparse_rows"]


def body_rows(
    grid: Sequence[Sequence[CellValue]] | np.ndarray,
    sheet: str,
    header_index: int,
    end: int,
    first_column: int,
    width: int,
    data_width: int | None,
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """The rows below the header without blank ones, their Excel row numbers, and a note per
    blank row (blank: in the first ``data_width`` columns; trailing blank rows are not data)."""
    body = _body_array(grid, header_index + 1, end + 1, first_column, width)
    blank = sparse_rows(body[:, :data_width])
    filled = np.flatnonzero(~blank)
    length = int(filled[-1]) + 1 if filled.size else 0
    body, blank = body[:length], blank[:length]
    row_numbers = np.arange(header_index + 2, header_index + 2 + length)
    problems = [
        Problem(
            sheet,
            int(row_numbers[pos]),
            None,
            None,
            tr("空行（已跳过）", "blank row (skipped)"),
            tr("删除空行，保持表格连续", "delete blank rows so the table stays continuous"),
            "blank",
        )
        for pos in np.flatnonzero(blank)
    ]
    if blank.any():
        body = body[~blank]
    return body, row_numbers[~blank], problems


def _body_array(
    grid: Sequence[Sequence[CellValue]] | np.ndarray, start: int, stop: int, first: int, width: int
) -> np.ndarray:
    """Cells ``grid[start:stop]`` × columns ``first:first + width`` as a 2-D object array."""
    if isinstance(grid, np.ndarray):
        part = grid[start:stop, first : first + width]
        if part.shape[1] == width:
            return part
        padded = blank_cells((part.shape[0], width))
        padded[:, : part.shape[1]] = part
        return padded
    return rows_array([row[first : first + width] for row in grid[start:stop]], width)


def rows_array(rows: Sequence[Sequence[object]], width: int | None = None) -> np.ndarray:
    """Rows of cells as a 2-D object array ``width`` wide (default: the widest row), short
    rows padded with None."""
    width = max(map(len, rows), default=0) if width is None else width
    if min(map(len, rows), default=width) == width:
        cells = np.fromiter(chain.from_iterable(rows), dtype=object, count=len(rows) * width)
        return cells.reshape(len(rows), width)
    out = blank_cells((len(rows), width))
    for index, row in enumerate(rows):
        out[index, : len(row)] = row
    return out


def sparse_rows(body: np.ndarray, most: int = 0) -> np.ndarray:
    """True for the rows with at most ``most`` filled cells (0: the blank rows)."""
    # Narrow the candidates column by column: few rows survive the first columns.
    candidates = np.arange(len(body))
    filled = np.zeros(len(body), dtype=np.int64)
    for position in range(body.shape[1]):
        if not candidates.size:
            break
        filled[candidates] += ~_blank_cells(body[candidates, position])
        candidates = candidates[filled[candidates] <= most]
    sparse = np.zeros(len(body), dtype=bool)
    sparse[candidates] = True
    return sparse


def _blank_cells(cells: np.ndarray) -> np.ndarray:
    """:func:`~sheetcrm.values.is_blank` of each cell, by C-level maps: no Python call per
    cell (a million rows' first column is looked at whole)."""
    blank = np.fromiter(map(operator.is_, cells, repeat(None)), bool, len(cells))
    texts = np.flatnonzero(np.fromiter(map(isinstance, cells, repeat(str)), bool, len(cells)))
    blank[texts] = np.fromiter(map(operator.not_, map(str.strip, cells[texts])), bool, len(texts))
    floats = np.flatnonzero(np.fromiter(map(isinstance, cells, repeat(float)), bool, len(cells)))
    blank[floats] = cells[floats] != cells[floats]  # NaN, the one float unequal to itself
    return blank


def inferred_column(values: np.ndarray, *, view: bool = False) -> np.ndarray:
    """A column of cells typed the way pandas types a list of them (floats, datetimes, objects);
    ``view``: a column of objects contiguous in a grid is that grid's (else a copy of its own)."""
    # pandas infers numeric dtypes for lists but not for object arrays; this is its list step
    # (numbers and yes/no only, dates stay objects) through public API, so ``raw`` is exactly
    # what it was when it was built from lists. tests/test_packaging.py checks it cell kind by kind.
    if not len(values):
        return np.empty(0, dtype=np.float64)  # what pandas makes of an empty list
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("boolean", "integer") and not pd.isna(values).any():
        return values.astype(bool if kind == "boolean" else np.int64)
    if kind in ("integer", "floating", "mixed-integer-float") or (
        # NaN, not None, makes floats; only the cells not None are looked at (a re-run's
        # left-out columns are a million Nones each).
        kind == "empty" and any(isinstance(value, float) for value in values[values != None])  # noqa: E711
    ):
        return values.astype(np.float64)
    return np.ascontiguousarray(values) if view else values.copy()
