"""The problem collector: findings gathered many rows at a time, held as columns.

Each problem names the sheet, the Excel row, the user's own header and the cell's value as read;
cells the reader already reported are skipped, so a cell is reported once. A full sheet has a
million problems: :class:`Problems` keeps them as one array per field, not an object each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import TypeAlias, overload

import numpy as np
import pandas as pd

from ..book.base import CellValue, CustomerTable, Problem, blank_cells
from ..i18n import tr

__all__ = ["FIELDS", "Collector", "Problems", "Texts", "filled", "kind_counts", "rows_where"]

Texts: TypeAlias = str | np.ndarray  # one text for every row, or one per row
FIELDS = ("sheet", "row", "column", "value", "problem", "suggestion", "kind")  # Problem's, in order


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


def _repeated(text: str, count: int) -> np.ndarray:
    """One text ``count`` times, as objects (filling an empty array: far faster than np.full)."""
    texts = np.empty(count, dtype=object)
    texts[:] = text
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


class Problems(Sequence[Problem]):
    """Problems held as columns, one object array per field of :class:`Problem` (``FIELDS``).

    It reads as the list of problems it stands for (length, index, iteration, ``==`` and ``+``
    with a list); a problem object is made only when one is asked for.
    """

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self.columns = columns
        (self._length,) = {len(column) for column in columns.values()}

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> Problems:
        """Problems as columns (the same object if they are already)."""
        if isinstance(problems, Problems):
            return problems
        listed = list(problems)
        return cls(
            {
                name: np.fromiter(map(attrgetter(name), listed), object, len(listed))
                for name in FIELDS
            }
        )

    @classmethod
    def joined(cls, parts: Iterable[Iterable[Problem]]) -> Problems:
        """The problems of every part, in order."""
        held = [cls.of(part) for part in parts]
        nonempty = [part for part in held if len(part)]
        if len(nonempty) <= 1:
            return nonempty[0] if nonempty else cls.of([])
        return cls({name: np.concatenate([p.columns[name] for p in nonempty]) for name in FIELDS})

    def field(self, name: str) -> np.ndarray:
        """One field of every problem, in order (an object array; not to be changed)."""
        return self.columns[name]

    def where(self, keep: np.ndarray) -> Problems:
        """The problems where a mask holds."""
        return Problems({name: column[keep] for name, column in self.columns.items()})

    def without_kinds(self, kinds: Iterable[str]) -> Problems:
        """The problems of any kind but these."""
        kind = self.columns["kind"]
        return self.where(~np.isin(kind, np.array(list(kinds), dtype=object)))

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Problem: ...

    @overload
    def __getitem__(self, index: slice) -> Problems: ...

    def __getitem__(self, index: int | slice) -> Problem | Problems:
        if isinstance(index, slice):
            return Problems({name: column[index] for name, column in self.columns.items()})
        if not -self._length <= index < self._length:
            raise IndexError(index)
        return Problem(*(self.columns[name][index] for name in FIELDS))

    def __iter__(self) -> Iterator[Problem]:
        return map(Problem, *(self.columns[name] for name in FIELDS))

    def __eq__(self, other: object) -> bool:
        # Field by field as tuples, which take the very same object as equal: a blank value
        # (NaN, pandas' NA) is a problem's own, and Python 3.13's dataclass == compares fields
        # one by one (NaN unequal to itself, NA's truth an error).
        if not isinstance(other, Sequence):
            return NotImplemented
        if len(self) != len(other) or not all(isinstance(p, Problem) for p in other):
            return False  # as a list of problems is unequal to a list of anything else
        return _fields(self) == _fields(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a list: unhashable as a list is

    def __add__(self, other: Iterable[Problem]) -> Problems:
        return Problems.joined([self, other])

    def __radd__(self, other: Iterable[Problem]) -> Problems:
        return Problems.joined([other, self])

    def __repr__(self) -> str:
        return f"Problems({list(self)!r})"


def _fields(problems: Iterable[Problem]) -> list[tuple[object, ...]]:
    """Each problem's fields, in the order of FIELDS."""
    return [tuple(getattr(problem, name) for name in FIELDS) for problem in problems]


def kind_counts(problems: Iterable[Problem]) -> Counter[str]:
    """How many problems of each kind, kinds in the order they first appear."""
    if not isinstance(problems, Problems):
        return Counter(problem.kind for problem in problems)
    codes, kinds = pd.factorize(problems.field("kind"))
    counts = np.bincount(codes, minlength=len(kinds))
    return Counter(dict(zip(kinds.tolist(), counts.tolist(), strict=True)))


class Collector:
    """Gathers problems for one table, skipping cells the reader already reported."""

    def __init__(self, table: CustomerTable) -> None:
        self.table = table
        self._found: list[Problems] = []
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
        found = blank_cells(len(rows))
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
        """A problem per row; the role and each of (problem, suggestion) are one or one per row."""
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
        count = int(keep.sum())
        kept = [_repeated(t, count) if isinstance(t, str) else t[keep].astype(object) for t in text]
        self._found.append(
            Problems(
                {
                    "sheet": _repeated(self.table.sheet, count),
                    "row": rows[keep].astype(object),  # Python ints, as Problem.row
                    "column": columns[keep],
                    "value": values[keep],
                    "problem": kept[0],
                    "suggestion": kept[1],
                    "kind": _repeated(kind, count),
                }
            )
        )

    def add_one(self, problem: Problem) -> None:
        """One problem made whole (a table-wide one, without a row)."""
        self._found.append(Problems.of([problem]))

    @property
    def problems(self) -> Problems:
        """Everything found so far, in the order found."""
        return Problems.joined(self._found)
