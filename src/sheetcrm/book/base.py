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
from abc import abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

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
    "ConditionalFill",
    "CustomerSource",
    "CustomerTable",
    "ListValidation",
    "Problem",
    "ReadsCustomers",
    "ResultColumn",
    "SheetSpec",
]


# What every book writes alike: a date or date-time cell given no number format of its own,
# and the header row of a sheet sheetcrm owns (filled, besides bold).
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "DDEBF7"


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


@dataclass
class SheetSpec:
    """A whole sheet sheetcrm owns and (re)writes: values, formats, and a few niceties."""

    name: str
    rows: Sequence[Sequence[CellValue]]  # header row(s) first
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
