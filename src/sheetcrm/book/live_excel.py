"""A workbook open in Excel, seen through xlwings as a :class:`~sheetcrm.book.base.Book`.

Thin on purpose: it moves values between xlwings ranges and the book interface
and leaves everything else to the jobs. Charts, drop-downs and conditional fills
of a :class:`SheetSpec` are only written by the file door; here sheets get values,
column widths, number formats and a bold header. Nothing is saved: the user
keeps (or undoes by closing) the changes, as with any macro.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..schema import HEADER_SCAN_ROWS, TableInfo, read_customer_table
from .base import CellError, CellValue, CustomerTable, ResultColumn, SheetSpec

__all__ = ["ExcelBook"]


def _typed(value: CellValue) -> Any:
    """A value as Excel should store it: text behind Excel's ' prefix, so it stays text.

    Excel parses what a macro assigns like typed input: "=HYPERLINK(…)" would become a
    formula and "00123" a number. The apostrophe is Excel's own "this is text" marker and
    is not part of the cell's value.
    """
    if isinstance(value, CellError):
        value = value.code  # written as its text: only a formula can make a real error value
    if isinstance(value, str) and value:
        return "'" + value
    return value


class ExcelBook:
    """An open ``xlwings.Book`` as a sheetcrm book."""

    def __init__(self, book: Any) -> None:
        self.book = book

    def sheet_names(self) -> list[str]:
        """The worksheet names, in tab order."""
        return [sheet.name for sheet in self.book.sheets]

    def read_grid(self, sheet: str) -> list[list[CellValue]]:
        """A sheet's values from A1 to the last used cell."""
        sht = self.book.sheets[sheet]
        last = sht.used_range.last_cell
        values = sht.range((1, 1), (last.row, last.column)).options(ndim=2).value
        return [list(row) for row in values]

    def read_customers(
        self,
        sheet: str | None = None,
        table: str | None = None,
        overrides: Mapping[str, str] | None = None,
        leave_out: Collection[str] = (),
    ) -> CustomerTable:
        """The customer table: the named one, else the best-matching Table, else the best sheet.

        The ``leave_out`` columns are read too (a live book has no cheaper way), but are not
        data, as in every book.
        """
        tables = [
            TableInfo(
                name=tbl.name,
                sheet=sht.name,
                header_row=tbl.range.row,
                first_column=tbl.range.column,
                last_row=tbl.range.last_cell.row,
                last_column=tbl.range.last_cell.column,
                headers=tuple(str(v) for v in tbl.header_row_range.options(ndim=1).value),
            )
            for sht in self.book.sheets
            for tbl in sht.tables
        ]
        return read_customer_table(
            tables,
            self.sheet_names(),
            lambda name: self.read_grid(name)[:HEADER_SCAN_ROWS],
            self.read_grid,
            sheet=sheet,
            table=table,
            overrides=overrides,
            leave_out=leave_out,
        )

    def write_columns(self, table: CustomerTable, columns: Sequence[ResultColumn]) -> None:
        """Add or replace result columns at the right edge of the customer table."""
        columns = [table.by_row(column) for column in columns]
        sht = self.book.sheets[table.sheet]
        headers = list(table.headers)
        for result in columns:
            if result.header not in headers:
                headers.append(result.header)
            col = table.first_column + headers.index(result.header)
            cells = sht.range((table.header_row, col), (table.last_row, col))
            cells.options(transpose=True).value = [_typed(result.header)] + [
                _typed(v) for v in result.values
            ]
            if result.number_format:
                cells.offset(1).resize(len(result.values)).number_format = result.number_format
            if result.width:
                cells.column_width = result.width
        if table.table:
            last_col = table.first_column + len(headers) - 1
            sht.tables[table.table].resize(
                sht.range((table.header_row, table.first_column), (table.last_row, last_col))
            )

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a sheet sheetcrm owns: values, widths, number formats, bold header."""
        if spec.name in self.sheet_names():
            self.book.sheets[spec.name].clear()
            sht = self.book.sheets[spec.name]
        else:
            sht = self.book.sheets.add(spec.name, after=self.book.sheets[-1])
        width = max((len(row) for row in spec.rows), default=0)
        if width:
            # xlwings writes rectangles: pad short rows with blanks.
            sht.range("A1").value = [
                [_typed(v) for v in row] + [None] * (width - len(row)) for row in spec.rows
            ]
            if spec.header_rows:
                sht.range((1, 1), (spec.header_rows, width)).font.bold = True
        for column, fmt in spec.number_formats.items():
            sht.range(
                (spec.header_rows + 1, column + 1), (max(len(spec.rows), 2), column + 1)
            ).number_format = fmt
        for (row, column), fmt in spec.cell_formats.items():
            sht.range((row + 1, column + 1)).number_format = fmt
        for row, column in spec.bold_cells:
            sht.range((row + 1, column + 1)).font.bold = True
        for column, width_chars in spec.widths.items():
            sht.range((1, column + 1)).column_width = width_chars

    def save(self) -> str:
        """Leave saving to the user (Excel has no undo for macro changes); the book's path."""
        return str(self.book.fullname)
