"""The book interface every door uses: read a table, write columns and sheets.

A *book* is a workbook seen by sheetcrm, whether a file on disk
(``xlsx_read``/``xlsx_write``), a workbook open in Excel (xlwings) or in
LibreOffice (UNO). Jobs talk only to this interface, so the CLI, the ribbon
buttons and the tests run the same read → engine → write path.

Cell values crossing this interface are plain Python: ``str``, ``int``,
``float``, ``bool``, ``datetime.date``/``datetime.datetime``, ``None`` for a
blank, and :class:`CellError` for an Excel error value such as ``#N/A``.
"""

from __future__ import annotations

import datetime as dt
import operator
from abc import abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, overload

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..table.locate import TableInfo

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "HEADER_FILL",
    "Book",
    "CellError",
    "CellValue",
    "ChartKind",
    "ChartSeries",
    "ChartSpec",
    "ColumnRows",
    "ConditionalFill",
    "CustomerSource",
    "CustomerTable",
    "ListValidation",
    "Problem",
    "ReadsCustomers",
    "ResultColumn",
    "SheetSpec",
    "blank_cells",
]


# What every book writes alike: a date or date-time cell given no number format of its own,
# and the header row of a sheet sheetcrm owns (filled, besides bold).
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "DDEBF7"


def blank_cells(shape: int | tuple[int, ...], *, order: Literal["C", "F"] = "C") -> np.ndarray:
    """An object array of blank cells (None), made as ``np.empty`` makes it: ``np.full``'s
    copy of None into each element takes 15 times as long (0.75 s for a full sheet's grid)."""
    return np.empty(shape, dtype=object, order=order)


@dataclass(frozen=True)
class CellError:
    """An Excel error value read from a cell, e.g. ``#N/A`` or ``#DIV/0!``."""

    code: str

    def __str__(self) -> str:
        return self.code


ChartKind: TypeAlias = Literal["bar", "column", "pie", "doughnut", "line"]

# Time-of-day and duration cells are rare; readers pass them through and parsers refuse them.
CellValue: TypeAlias = (
    str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | CellError | None
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, where it is, and what to do about it."""

    sheet: str
    row: int | None  # Excel row number (1-based), None for the whole sheet
    column: str | None  # the header text as the user wrote it
    value: CellValue
    problem: str
    suggestion: str = ""
    kind: str = "invalid"  # machine key: invalid | missing | duplicate | range | error | ...


@dataclass
class CustomerTable:
    """The customer table as read: typed role columns plus where each value came from.

    ``frame`` has one column per recognised role (named by role, typed) and
    one row per data row; its index is the Excel row number. ``raw`` has the
    same index and the original header texts as columns with the cell values
    as read (for templates that use the sheet's own headers). ``roles`` maps
    role → header text. ``problems`` lists every value that could not be read.
    """

    sheet: str
    table: str | None  # Excel Table (ListObject) name, None for a plain range
    header_row: int  # Excel row number of the header (1-based)
    first_column: int  # Excel column number of the first header cell (1-based)
    headers: list[str]
    roles: dict[str, str]
    frame: pd.DataFrame
    raw: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    date1904: bool = False
    made_id: bool = False  # no ID column: frame["id"] is made from name + mobile/e-mail

    def header_of(self, role: str) -> str:
        """The header text the user wrote for a role (the role name if absent)."""
        return self.roles.get(role, role)

    @property
    def last_row(self) -> int:
        """Excel row number of the last data row (the header row for an empty table)."""
        return int(self.frame.index.max()) if len(self.frame) else self.header_row


@dataclass(frozen=True)
class ResultColumn:
    """A column sheetcrm adds to (or replaces in) the customer table.

    ``values`` is aligned with the table's data rows (same order as
    ``CustomerTable.frame``). Re-running replaces a column with the same header, or with the
    same result's header in the other language (``book.placement`` decides).
    """

    header: str
    values: Sequence[CellValue]
    number_format: str | None = None  # e.g. "yyyy-mm-dd", "0.0%", "#,##0.00"
    width: float | None = None


@dataclass(frozen=True)
class ListValidation:
    """A drop-down list on a column of a sheet (0-based column, data rows only)."""

    column: int
    options: Sequence[str]


@dataclass(frozen=True)
class ConditionalFill:
    """Fill rows of a sheet where an Excel formula is true (relative to the first data row).

    ``formula`` is written for the first data row, e.g. ``AND($H2<TODAY(),$I2="待跟进")``.
    """

    columns: tuple[int, int]  # 0-based first and last column
    formula: str
    fill: str  # RGB hex like "FFC7CE"
    font: str | None = None  # RGB hex like "9C0006"


@dataclass(frozen=True)
class ChartSeries:
    """One data series: a name and the cells holding its values (A1 ranges on the same sheet)."""

    name: str
    values: str  # e.g. "C5:C8"


@dataclass(frozen=True)
class ChartSpec:
    """A native chart placed on a sheet, drawn from cells on that same sheet."""

    kind: ChartKind
    title: str
    categories: str  # A1 range of category labels, e.g. "B5:B8"
    series: Sequence[ChartSeries]
    anchor: str  # top-left cell, e.g. "H2"
    width_cells: int = 8
    height_cells: int = 15
    data_sheet: str | None = None  # read values from this sheet instead (e.g. run history)


class ColumnRows(Sequence[Sequence[CellValue]]):
    """A sheet's rows held as columns: head rows, a body of equal-length columns, tail rows.

    It reads as the list of rows it stands for (length, index, slice, iteration), so every
    book writes it as it writes a list; the file writer takes the body's column slices as
    they are, without making a row. Body columns are object arrays of plain cell values.
    """

    def __init__(
        self,
        head: Sequence[Sequence[CellValue]],
        columns: Sequence[np.ndarray | Sequence[CellValue]],
        tail: Sequence[Sequence[CellValue]] = (),
    ) -> None:
        self.head = [list(row) for row in head]
        self.columns = [_object_column(column) for column in columns]
        lengths = {len(column) for column in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"body columns of different lengths: {sorted(lengths)}")
        self.body_rows = lengths.pop() if lengths else 0
        self.tail = [list(row) for row in tail]

    @property
    def body_start(self) -> int:
        """The index of the body's first row."""
        return len(self.head)

    @property
    def width(self) -> int:
        """The length of the longest row."""
        edges = [len(row) for row in (*self.head, *self.tail)]
        return max([len(self.columns) if self.body_rows else 0, *edges], default=0)

    def __len__(self) -> int:
        return len(self.head) + self.body_rows + len(self.tail)

    @overload
    def __getitem__(self, index: int) -> list[CellValue]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[CellValue]]: ...

    def __getitem__(self, index: int | slice) -> list[CellValue] | list[list[CellValue]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return list(self._rows(start, stop))
        at = operator.index(index)
        at += len(self) if at < 0 else 0
        if not 0 <= at < len(self):
            raise IndexError("row index out of range")
        return next(self._rows(at, at + 1))

    def __iter__(self) -> Iterator[list[CellValue]]:
        return self._rows(0, len(self))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same rows (a list of lists included)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(
            list(a) == list(b) for a, b in zip(self, other, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable rows, as a list's

    def _rows(self, start: int, stop: int) -> Iterator[list[CellValue]]:
        """Rows start:stop (0 <= start <= stop <= len) as lists."""
        head, body_end = len(self.head), len(self.head) + self.body_rows
        for row in self.head[start : min(stop, head)]:
            yield list(row)
        first, last = max(start, head) - head, min(stop, body_end) - head
        if first < last:
            body = (column[first:last].tolist() for column in self.columns)
            yield from map(list, zip(*body, strict=True))
        for row in self.tail[max(start, body_end) - body_end : max(stop - body_end, 0)]:
            yield list(row)


def _object_column(values: Sequence[CellValue] | np.ndarray) -> np.ndarray:
    """A body column as a one-dimensional object array."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


@dataclass
class SheetSpec:
    """A whole sheet sheetcrm owns and (re)writes: values, formats, and a few niceties."""

    name: str
    rows: Sequence[Sequence[CellValue]]  # header row(s) first; a ColumnRows for big sheets
    header_rows: int = 1
    widths: Mapping[int, float] = field(default_factory=dict)  # 0-based column -> characters
    number_formats: Mapping[int, str] = field(default_factory=dict)  # 0-based column -> format
    freeze: str | None = "A2"  # top-left cell of the scrolling pane
    autofilter: bool = True
    validations: Sequence[ListValidation] = ()
    conditional: Sequence[ConditionalFill] = ()
    charts: Sequence[ChartSpec] = ()
    bold_cells: Sequence[tuple[int, int]] = ()  # extra (row, col) 0-based cells in bold
    cell_formats: Mapping[tuple[int, int], str] = field(default_factory=dict)  # beats the column's
    wrap: Sequence[int] = ()  # 0-based columns whose text wraps in the data rows
    tab_color: str | None = None


@dataclass(frozen=True)
class CustomerSource:
    """What a book gives for its customer table to be found: all that differs between books."""

    tables: Sequence[TableInfo]  # its Excel Tables
    sheets: Sequence[str]
    head: Callable[[str], Sequence[Sequence[CellValue]]]  # a sheet's first rows, blanks as None
    grid: Callable[[str], Sequence[Sequence[CellValue]] | np.ndarray]  # a whole sheet
    date1904: bool = False
    # A sheet without the cells right of a column below a row, where a book can skip them.
    grid_without: Callable[[str, int, int], np.ndarray] | None = None


class ReadsCustomers(Protocol):
    """The one ``read_customers`` of every book and reader; each supplies its source."""

    @abstractmethod
    def customer_source(self) -> CustomerSource:
        """This book's Tables, sheets and cells, as the table search reads them."""

    def read_customers(
        self,
        sheet: str | None = None,
        table: str | None = None,
        overrides: Mapping[str, str] | None = None,
        leave_out: Collection[str] = (),
    ) -> CustomerTable:
        """The customer table: the named one, else the best-matching Table, else the best sheet.

        ``leave_out`` columns ending the table (a re-run's old results) are not data; a book
        that can skip their cells (a file's big sheet) does not even read them.
        """
        from ..table.locate import read_customer_table  # the table package is built on these types

        source = self.customer_source()
        return read_customer_table(
            source.tables,
            source.sheets,
            source.head,
            source.grid,
            sheet=sheet,
            table=table,
            overrides=overrides,
            date1904=source.date1904,
            leave_out=leave_out,
            grid_without=source.grid_without,
        )


class Book(ReadsCustomers, Protocol):
    """A workbook sheetcrm can read from and write to."""

    def sheet_names(self) -> list[str]:
        """The names of the worksheets, in order."""
        ...

    def read_grid(self, sheet: str) -> list[list[CellValue]]:
        """All values of a sheet's used range as rows, starting at A1."""
        ...

    def write_columns(self, table: CustomerTable, columns: Sequence[ResultColumn]) -> None:
        """Add or replace result columns at the right edge of the customer table."""
        ...

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a sheet that sheetcrm owns."""
        ...

    def save(self) -> object:
        """Persist every pending change (a file book: atomically, with a backup)."""
        ...
