"""A workbook open in Excel, seen through xlwings as a :class:`~sheetcrm.book.base.Book`.

It writes what the file door writes, through xlwings' own calls: values and number formats,
widths, bold headers, frozen panes, drop-downs and conditional fills, native charts. Each
range is read and written in one call, so the number of calls does not grow with the number
of customers. Result columns are placed by :mod:`.placement`, like every book's. Text goes in
behind Excel's ' prefix, so it stays text. Nothing is saved: the user keeps (or undoes by
closing) the changes, as with any macro.

Frozen panes: xlwings freezes through its engine where the engine can; classic Excel on
Windows is frozen through its window (``.api``), and on a Mac the panes stay unfrozen.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..a1 import parse_cell, parse_range
from ..schema import HEADER_SCAN_ROWS, TableInfo, read_customer_table
from .base import (
    CellError,
    CellValue,
    ChartSpec,
    CustomerTable,
    ResultColumn,
    SheetSpec,
)
from .placement import ColumnPlan, plan_table_columns, refuse_data, table_span

__all__ = ["ExcelBook"]

# ChartSpec kinds → xlwings chart types.
_CHART_TYPES = {
    "bar": "bar_clustered",
    "column": "column_clustered",
    "pie": "pie",
    "doughnut": "doughnut",
    "line": "line",
}
# Excel's default cell size in points: a chart spans ChartSpec's cells.
_CELL_WIDTH, _CELL_HEIGHT = 48.0, 15.0


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


def _rectangle(rows: Sequence[Sequence[CellValue]], width: int) -> list[list[Any]]:
    """Rows as xlwings writes them: typed, short rows padded with blanks."""
    return [[_typed(v) for v in row] + [None] * (width - len(row)) for row in rows]


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

    # ---- result columns ---------------------------------------------------------------

    def write_columns(self, table: CustomerTable, columns: Sequence[ResultColumn]) -> None:
        """Add or replace result columns at the right edge of the customer table."""
        if not columns:
            return
        sht = self.book.sheets[table.sheet]
        excel_table = sht.tables[table.table] if table.table else None
        edge = table_span(
            table.first_column,
            table.headers,
            excel_table.range.last_cell.column if excel_table is not None else None,
        )
        right = max(edge, sht.used_range.last_cell.column)
        header = sht.range((table.header_row, 1), (table.header_row, right)).options(ndim=1).value
        plan = plan_table_columns(table, columns, edge, dict(enumerate(header, start=1)))
        self._refuse_data(sht, plan)
        for result, place in zip(columns, plan.placements, strict=True):
            cells = sht.range((plan.header_row, place.column), (plan.rows_end, place.column))
            if plan.count:
                # A rerun's values must not keep the last run's formats (a date format!).
                cells.offset(1).resize(plan.count).number_format = result.number_format or "General"
            cells.options(transpose=True).value = [
                _typed(result.header),
                *(_typed(v) for v in plan.aligned(result.values).tolist()),
            ]
            if result.width:
                cells.column_width = result.width
        if excel_table is not None:
            box = excel_table.range
            excel_table.resize(
                sht.range(
                    (box.row, box.column),
                    (max(box.last_cell.row, plan.rows_end), max(edge, plan.last_column)),
                )
            )

    def _refuse_data(self, sht: Any, plan: ColumnPlan) -> None:
        """Stop before a new result column would overwrite the user's cells (one read)."""
        new = [place.column for place in plan.placements if not place.replaces]
        if not new:
            return
        left, right = min(new), max(new)
        block = sht.range((plan.header_row, left), (plan.rows_end, right)).options(ndim=2).value
        refuse_data(plan, {column: [row[column - left] for row in block] for column in new})

    # ---- sheets sheetcrm owns ---------------------------------------------------------

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a sheet sheetcrm owns: values, formats, drop-downs, fills, charts."""
        sht = self._empty_sheet(spec.name)
        width = max((len(row) for row in spec.rows), default=0)
        last = max(len(spec.rows), spec.header_rows + 1)
        if width:
            sht.range((1, 1), (len(spec.rows), width)).value = _rectangle(spec.rows, width)
            if spec.header_rows:
                sht.range((1, 1), (spec.header_rows, width)).font.bold = True
        for column, fmt in spec.number_formats.items():
            sht.range((spec.header_rows + 1, column + 1), (last, column + 1)).number_format = fmt
        for (row, column), fmt in spec.cell_formats.items():
            sht.range((row + 1, column + 1)).number_format = fmt
        for column in spec.wrap:
            sht.range((spec.header_rows + 1, column + 1), (last, column + 1)).wrap_text = True
        for row, column in spec.bold_cells:
            sht.range((row + 1, column + 1)).font.bold = True
        for column, width_chars in spec.widths.items():
            sht.range((1, column + 1)).column_width = width_chars
        for validation in spec.validations:
            cells = sht.range(
                (spec.header_rows + 1, validation.column + 1), (last, validation.column + 1)
            )
            cells.data_validation.set_list(list(validation.options))
        for fill in spec.conditional:
            cells = sht.range(
                (spec.header_rows + 1, fill.columns[0] + 1), (last, fill.columns[1] + 1)
            )
            cells.conditional_formats.add_custom(
                "=" + fill.formula.lstrip("="),
                fill_color="#" + fill.fill[-6:],
                font_color="#" + fill.font[-6:] if fill.font else None,
            )
        for chart in spec.charts:
            self._chart(sht, chart)
        if spec.freeze:
            _freeze(sht, spec.freeze)

    def _empty_sheet(self, name: str) -> Any:
        """The sheet by this name emptied of values, formats, rules and charts; else a new one."""
        if name not in self.sheet_names():
            return self.book.sheets.add(name, after=self.book.sheets[-1])
        sht = self.book.sheets[name]
        sht.clear()
        used = sht.cells
        used.data_validation.delete()
        used.conditional_formats.clear()
        for chart in list(sht.charts):
            chart.delete()
        return sht

    def _chart(self, sht: Any, spec: ChartSpec) -> None:
        """A native chart: the series' cells as its source, the categories as its x values."""
        source = self.book.sheets[spec.data_sheet] if spec.data_sheet else sht
        boxes = [parse_range(series.values) for series in spec.series]
        columns = sorted(box[1] for box in boxes)
        if columns == list(range(columns[0], columns[0] + len(columns))):
            top, bottom = min(b[0] for b in boxes), max(b[2] for b in boxes)
            data = source.range((top, columns[0]), (bottom, columns[-1]))
        else:  # series apart: one source of several areas
            data = source.range(",".join(series.values for series in spec.series))
        chart = sht.charts.add(
            anchor=sht.range(spec.anchor),
            width=spec.width_cells * _CELL_WIDTH,
            height=spec.height_cells * _CELL_HEIGHT,
            chart_type=_CHART_TYPES[spec.kind],
            source=data,
            plot_by="columns",
        )
        chart.set_x_axis_values(source.range(spec.categories))
        chart.title = spec.title
        for series, spec_series in zip(chart.series, spec.series, strict=False):
            series.name = spec_series.name

    def save(self) -> str:
        """Leave saving to the user (Excel has no undo for macro changes); the book's path."""
        return str(self.book.fullname)


def _freeze(sht: Any, cell: str) -> None:
    """Freeze the panes above and left of ``cell``: by xlwings where its engine can."""
    try:
        sht.freeze_panes.freeze_at(cell)
        return
    except NotImplementedError:
        pass
    if sys.platform != "win32":
        return  # Excel for Mac: xlwings cannot reach the window; the panes stay unfrozen
    row, column = parse_cell(cell)
    sht.activate()
    window = sht.book.app.api.ActiveWindow
    window.FreezePanes = False
    window.SplitRow, window.SplitColumn = row - 1, column - 1
    window.FreezePanes = True
