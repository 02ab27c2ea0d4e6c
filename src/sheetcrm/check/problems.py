"""The problem collector: findings gathered as :class:`Problem`s, many rows at a time.

Each problem names the sheet, the Excel row, the user's own header and the cell's value as read;
cells the reader already reported are skipped, so a cell is reported once.
"""

from __future__ import annotations

from itertools import repeat
from typing import TypeAlias

import numpy as np
import pandas as pd

from .. import _gc
from ..book.base import CellValue, CustomerTable, Problem
from ..i18n import tr

__all__ = ["Collector", "Texts", "filled", "rows_where"]

Texts: TypeAlias = str | np.ndarray  # one text for every row, or one per row


def rows_where(mask: pd.Series) -> np.ndarray:
    """The Excel rows (the index) where a mask holds; NA counts as not."""
    rows: np.ndarray = mask.index.to_numpy()[mask.to_numpy(dtype=bool, na_value=False)]
    return rows


def filled(zh: str, en: str, items: np.ndarray) -> np.ndarray:
    """``tr(zh, en)`` with each item's text for ``{}``, one text per item (numpy joins them)."""
    before, after = tr(zh, en).split("{}")
    words = items if items.dtype == object else items.astype(str).astype(object)
    texts: np.ndarray = before + words + after
    return texts


def _plain(value: object) -> CellValue:
    """A cell value as a problem shows it: NaN/NaT blank, Timestamps as dates, no numpy scalars."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        day: CellValue = value.date()
        return day
    if isinstance(value, np.generic):
        plain: CellValue = value.item()
        return plain
    return value  # type: ignore[return-value]  # what is left is a plain cell value


class Collector:
    """Gathers problems for one table, skipping cells the reader already reported."""

    def __init__(self, table: CustomerTable) -> None:
        self.table = table
        self.problems: list[Problem] = []
        self._reported: dict[str | None, set[int]] = {}
        for p in table.problems:
            if p.row is not None:
                self._reported.setdefault(p.column, set()).add(p.row)
        self._arrays: dict[tuple[str, str], tuple[pd.Index, np.ndarray]] = {}

    def _array(self, source: str, key: str) -> tuple[pd.Index, np.ndarray]:
        """A column of ``raw`` or ``frame`` with its index, as objects, converted once per check."""
        if (source, key) not in self._arrays:
            frame = self.table.raw if source == "raw" else self.table.frame
            self._arrays[source, key] = (frame.index, frame[key].to_numpy(dtype=object))
        return self._arrays[source, key]

    def values(self, rows: np.ndarray, role: str) -> np.ndarray:
        """The cells of a role at Excel rows as read (else as typed, else blank), made plain."""
        found = np.full(len(rows), None, dtype=object)
        todo = np.arange(len(rows))
        for source, frame, key in (
            ("raw", self.table.raw, self.table.header_of(role)),
            ("frame", self.table.frame, role),
        ):
            if key not in frame.columns or not len(todo):
                continue
            index, column = self._array(source, key)
            at = index.get_indexer(rows[todo])
            hit = at >= 0
            if source == "frame" and not hit.all():
                raise KeyError(int(rows[todo][~hit][0]))
            found[todo[hit]] = column[at[hit]]
            todo = todo[~hit]
        found[:] = [value if type(value) is str else _plain(value) for value in found]
        return found

    def add(
        self,
        rows: np.ndarray,
        role: str | np.ndarray,
        kind: str,
        text: tuple[Texts, Texts],
    ) -> None:
        """One problem per row; the role and each of (problem, suggestion) are one or one per row."""
        rows = np.asarray(rows, dtype=np.int64)
        roles = np.full(len(rows), role, dtype=object) if isinstance(role, str) else role
        columns = np.empty(len(rows), dtype=object)
        values = np.empty(len(rows), dtype=object)
        keep = np.ones(len(rows), dtype=bool)
        for name in pd.unique(roles):
            at = np.flatnonzero(roles == name)
            column = self.table.header_of(name)
            columns[at] = column
            values[at] = self.values(rows[at], name)
            reported = self._reported.get(column)
            if reported:
                keep[at] = ~np.isin(rows[at], np.fromiter(reported, np.int64, len(reported)))
        texts = [repeat(t) if isinstance(t, str) else t[keep] for t in text]
        with _gc.paused():
            self.problems += map(
                Problem,
                repeat(self.table.sheet),
                rows[keep].tolist(),
                columns[keep],
                values[keep],
                *texts,
                repeat(kind),
            )
