"""Staff's own columns in sheetcrm's sheets, carried from one run to the next.

Staff annotate the sheets sheetcrm writes (a 处理意见 column beside 数据检查, a note beside a
message). A run rewrites those sheets whole, so before it does, the previous sheet's grid is
read here: its header row found, our columns (known by their headers in either language)
told apart from staff's (any other header), and each row keyed by what the sheet says is
stable for it (a problem's customer and column, a message's customer, channel and date…).
The new rows get the staff cells of their key at the right, under the same headers; a key
that is gone keeps its row at the bottom, marked in :data:`MARK_HEADER`, unless staff left
nothing in it. Fields of ours that staff fill (a message's send status) are carried by key
too. A key met twice is told apart by its count (the first with the first).

It works on grids and rows, never on a file, so every book (file, LibreOffice, Excel) and
either language carry the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..book.base import CellValue, blank_cells
from ..schedule.columns import cell_text
from ..table.grid_rows import rows_array, sparse_rows
from ..values import is_blank

__all__ = [
    "MARK_HEADER",
    "OBSOLETE",
    "RESOLVED",
    "Carried",
    "OurColumns",
    "carry",
    "cell_at",
    "read_staff",
    "staff_added",
]

MARK_HEADER = "记录状态 Row status"  # only written when some row is kept for staff's notes
RESOLVED = "已解决 · resolved"
OBSOLETE = "已过期 · obsolete"
_MARK = "\0mark"  # the field of the mark column
_HEADER_SEARCH = 10  # rows looked at for the header row (staff may add a title above)

RowKey = Hashable
# Rows (our fields by name, in sheet order) → their keys (None: a row without one).
Keyer = Callable[[Sequence[Mapping[str, CellValue]]], Sequence[RowKey | None]]


@dataclass(frozen=True)
class OurColumns:
    """The columns sheetcrm writes in a sheet: each field's header texts, in either language."""

    headers: Mapping[str, Collection[str]]
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {_folded(text): name for name, texts in self.headers.items() for text in texts}
        object.__setattr__(self, "_lookup", {**lookup, _folded(MARK_HEADER): _MARK})

    def field_of(self, header: CellValue) -> str | None:
        """The field a header names, None when it is not one of ours."""
        return self._lookup.get(_folded(cell_text(header)))


@dataclass(frozen=True)
class _Row:
    """A previous row: our fields by name, and the staff cells under their headers."""

    ours: dict[str, CellValue]
    staff: list[CellValue]


@dataclass(frozen=True)
class Carried:
    """What staff left in the previous sheet: their headers and, per row key (with its count),
    their cells; with how the sheet's columns and rows are known, to carry them."""

    ours: OurColumns
    key: Keyer
    kept: Collection[str] = ()
    headers: list[str] = field(default_factory=list)
    rows: dict[tuple[RowKey, int], _Row] = field(default_factory=dict)  # in sheet order

    @property
    def empty(self) -> bool:
        """True when there is nothing to carry: no staff columns, no rows."""
        return not self.rows and not self.headers

    def cells(self, key: RowKey, count: int = 0) -> list[CellValue] | None:
        """The staff cells of a key's row (its count-th occurrence), None when there is none."""
        found = self.rows.get((key, count))
        return None if found is None else list(found.staff)


def _folded(text: str) -> str:
    """A header as compared: trimmed, case and inner spaces ignored."""
    return " ".join(text.split()).casefold()


def cell_at(row: Sequence[CellValue], at: int) -> CellValue:
    """A row's cell, None past its end."""
    return row[at] if at < len(row) else None


def _header_row(grid: Sequence[Sequence[CellValue]] | np.ndarray, ours: OurColumns) -> int | None:
    """The first row among the first few naming at least two of our fields (one for a
    sheet of one column)."""
    enough = min(2, len(ours.headers))
    for at, row in enumerate(grid[:_HEADER_SEARCH]):
        if len({f for v in row if (f := ours.field_of(v)) is not None} - {_MARK}) >= enough:
            return at
    return None


def _split(
    header: Sequence[CellValue], ours: OurColumns, skip: Collection[int] = ()
) -> tuple[dict[int, str], list[int]]:
    """A header row's columns: ours by field name, and those staff added."""
    fields: dict[int, str] = {}
    staff: list[int] = []
    for column, text in enumerate(header):
        name = ours.field_of(text)
        if column in skip or (name is not None and name in fields.values()):
            continue
        if name is not None:
            fields[column] = name
        elif not is_blank(text):
            staff.append(column)
    return fields, staff


def staff_added(head: Sequence[Sequence[CellValue]], ours: OurColumns) -> bool:
    """Whether a previous sheet whose first rows are ``head`` has a column staff added, so
    that its rows are worth reading (True when its header is not among those rows)."""
    at = _header_row(head, ours)
    return at is None or bool(_split(head[at], ours)[1])


def read_staff(
    grid: Sequence[Sequence[CellValue]] | np.ndarray | None,
    ours: OurColumns,
    key: Keyer,
    *,
    kept: Collection[str] = (),
    skip: Collection[int] = (),
) -> Carried:
    """What staff added to the previous sheet (``grid``, None when there was none).

    ``key`` keys the rows from our fields (a row without a key matches no new row, so its
    staff cells go to the bottom); ``kept`` are our fields staff fill; ``skip`` are columns
    that are ours whatever their header says (a sheet's own layout, such as a matrix).
    """
    at = None if grid is None or not len(grid) else _header_row(grid, ours)
    if grid is None or at is None:
        return Carried(ours, key, kept)
    header = list(grid[at])
    fields, staff = _split(header, ours, skip)
    headers = [cell_text(header[column]) for column in staff]
    if not staff and not set(kept) & set(fields.values()):
        return Carried(ours, key, kept, headers)  # nothing staff can have filled: no row read
    lines = (grid if isinstance(grid, np.ndarray) else rows_array(grid))[at + 1 :]
    filled = [column for column, name in fields.items() if name in kept] + staff
    # Column by column (a sheet of 280,000 messages): most rows hold nothing of staff's.
    holding = ~sparse_rows(_columns(lines, filled))
    if not holding.any():
        return Carried(ours, key, kept, headers)
    ours_rows = [
        dict(zip(fields.values(), cells, strict=True))
        for cells in _columns(lines, list(fields)).tolist()
    ]
    staff_rows = _columns(lines, staff)
    keyed: dict[tuple[RowKey, int], _Row] = {}
    counts: dict[RowKey, int] = {}
    for number, found in enumerate(key(ours_rows)):
        if found is None:
            found = ("\0no key", number)  # matches no new row: kept at the bottom
        count = counts[found] = counts.get(found, -1) + 1
        if holding[number]:
            keyed[(found, count)] = _Row(ours_rows[number], staff_rows[number].tolist())
    return Carried(ours, key, kept, headers, keyed)


def _columns(lines: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Some columns of rows (None past the rows' end)."""
    out = blank_cells((len(lines), len(columns)))
    for position, column in enumerate(columns):
        if column < lines.shape[1]:
            out[:, position] = lines[:, column]
    return out


def carry(
    rows: Sequence[Sequence[CellValue]], carried: Carried, mark: str = OBSOLETE
) -> list[list[CellValue]]:
    """The new rows (header first, keyed as ``read_staff`` keyed the previous ones) with
    staff's columns at the right and the rows whose key is gone at the bottom, marked ``mark``."""
    if not carried.rows and not carried.headers:
        return [list(row) for row in rows]
    header = list(rows[0])
    width = max(len(row) for row in rows)
    position: dict[str, int] = {}
    for at, text in enumerate(header):
        position.setdefault(carried.ours.field_of(text) or "", at)
    named = [(name, at) for name, at in position.items() if name]
    row_keys = (
        carried.key([{name: cell_at(row, at) for name, at in named} for row in rows[1:]])
        if carried.rows
        else [None] * (len(rows) - 1)
    )
    counts: dict[RowKey, int] = {}
    used: set[tuple[RowKey, int]] = set()
    body: list[list[CellValue]] = []
    for row, row_key in zip(rows[1:], row_keys, strict=True):
        line = [*row, *[None] * (width - len(row))]
        found = None
        if row_key is not None:
            count = counts[row_key] = counts.get(row_key, -1) + 1
            found = carried.rows.get((row_key, count))
            if found is not None:
                used.add((row_key, count))
                for name in carried.kept:
                    if name in position and is_blank(line[position[name]]):
                        line[position[name]] = found.ours.get(name)
        body.append([*line, *(found.staff if found else [None] * len(carried.headers))])
    gone = [row for at, row in carried.rows.items() if at not in used]
    if not gone:
        return [[*header, *[None] * (width - len(header)), *carried.headers], *body]
    # The mark column sits between ours and staff's; rows that kept their key leave it blank.
    for line in body:
        line.insert(width, None)
    for old in gone:
        line = [None] * width
        for name, value in old.ours.items():
            if name in position:
                line[position[name]] = value
        body.append([*line, mark, *old.staff])
    return [[*header, *[None] * (width - len(header)), MARK_HEADER, *carried.headers], *body]
