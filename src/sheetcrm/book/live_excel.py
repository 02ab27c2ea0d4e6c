"""A workbook open in Excel, seen through xlwings as a :class:`~sheetcrm.book.base.Book`.

It writes what the file door writes, through xlwings' own calls: values and number formats,
widths, bold headers, frozen panes, drop-downs and conditional fills, native charts. Each
range is read and written in one call, so the number of calls does not grow with the number
of customers. Result columns are placed by :mod:`.placement`, like every book's. Text goes in
behind Excel's ' prefix, so it stays text. Nothing is saved: the user keeps (or undoes by
closing) the changes, as with any macro.

What xlwings has no call for (tab colours, a sheet's AutoFilter, frozen panes where its
engine cannot freeze) goes through Excel's own object model (:mod:`.excel_native`: COM on
Windows, AppleScript on a Mac); where that fails, the run goes on without it and
:attr:`ExcelBook.warnings` says what was left out.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..a1 import parse_range
from ..i18n import tr
from ..table.header_row import HEADER_SCAN_ROWS
from ..table.locate import TableInfo
from . import excel_native
from .base import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    HEADER_FILL,
    CellError,
    CellValue,
    ChartSpec,
    CustomerSource,
    CustomerTable,
    ReadsCustomers,
    ResultColumn,
    SheetSpec,
)
from .placement import ColumnPlan, plan_table_columns, refuse_data, table_span, widened_filter

__all__ = ["MOST_DATE_RUNS", "ExcelBook", "date_runs"]

_T = TypeVar("_T")

# ChartSpec kinds → xlwings chart types.
_CHART_TYPES = {
    "bar": "bar_clustered",
    "column": "column_clustered",
    "pie": "pie",
    "doughnut": "doughnut",
    "line": "line",
}
MOST_DATE_RUNS = 4  # per column: more is a mixed column, left in Excel's own date display
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


def date_runs(
    values: Sequence[CellValue], most: int = MOST_DATE_RUNS
) -> list[tuple[int, int, str]]:
    """(first, last, number format) of each run of dates in a column, blank cells bridging;
    none at all if there are more than ``most``.

    Excel formats a date a macro assigns in the system's short style; the file door writes
    :data:`~.base.DATE_FORMAT` (with the time: :data:`~.base.DATETIME_FORMAT`). A column of
    dates is one run, so one call formats it however long it is. A column mixing dates with
    other values (数据检查's 值) would take a call per run, as many as it has rows: it keeps
    Excel's own date display.
    """
    runs: list[tuple[int, int, str]] = []
    for index, value in enumerate(values):
        if not isinstance(value, dt.date):
            if value is not None and value != "":
                runs.append((-1, -1, ""))  # anything else ends a run
            continue
        fmt = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
        if runs and runs[-1][2] == fmt:
            runs[-1] = (runs[-1][0], index, fmt)
        else:
            runs.append((index, index, fmt))
    found = [run for run in runs if run[2]]
    return found if len(found) <= most else []


class ExcelBook(ReadsCustomers):
    """An open ``xlwings.Book`` as a sheetcrm book.

    ``platform`` (``sys.platform``'s values) says which native object model ``.api`` speaks.
    """

    def __init__(self, book: Any, platform: str = sys.platform) -> None:
        self.book = book
        self.platform = platform
        self.warnings: list[str] = []  # what this Excel could not be given, once each

    def _native(self, call: Callable[[], _T], zh: str, en: str) -> _T | None:
        """A call into Excel's own object model; if it fails, a warning and None."""
        try:
            return call()
        # COM and AppleScript raise their own error classes, importable only on their
        # platform; a nicety that fails must leave the run's results standing.
        except Exception:
            self._warn(
                tr(
                    f"未能{zh}（这个 Excel 不支持），其余结果都已写入",
                    f"could not {en} (this Excel does not support it); everything else is written",
                )
            )
            return None

    def _warn(self, warning: str) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)

    def sheet_names(self) -> list[str]:
        """The worksheet names, in tab order."""
        return [sheet.name for sheet in self.book.sheets]

    def read_grid(self, sheet: str) -> list[list[CellValue]]:
        """A sheet's values from A1 to the last used cell."""
        sht = self.book.sheets[sheet]
        last = sht.used_range.last_cell
        values = sht.range((1, 1), (last.row, last.column)).options(ndim=2).value
        return [list(row) for row in values]

    def customer_source(self) -> CustomerSource:
        """The Tables, sheets and cells (the old results' too: a live book reads ranges whole)."""
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
        return CustomerSource(
            tables,
            self.sheet_names(),
            lambda name: self.read_grid(name)[:HEADER_SCAN_ROWS],
            self.read_grid,
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
            if not result.number_format:
                top = plan.header_row + 1
                for first, last, fmt in date_runs(plan.aligned(result.values).tolist()):
                    sht.range(
                        (top + first, place.column), (top + last, place.column)
                    ).number_format = fmt
        self._header_look(sht, plan, edge)
        self._widen_filter(sht, plan)
        if excel_table is not None:
            box = excel_table.range
            excel_table.resize(
                sht.range(
                    (box.row, box.column),
                    (max(box.last_cell.row, plan.rows_end), max(edge, plan.last_column)),
                )
            )

    def _header_look(self, sht: Any, plan: ColumnPlan, edge: int) -> None:
        """Result headers bold and filled like the table's last header (the file door copies
        its style), a few calls whatever the table's length."""
        source = sht.range((plan.header_row, edge))
        bold, fill = bool(source.font.bold), source.color
        for place in plan.placements:
            target = sht.range((plan.header_row, place.column))
            target.font.bold = bold
            target.color = fill

    def _widen_filter(self, sht: Any, plan: ColumnPlan) -> None:
        """Widen an AutoFilter on the table's header row over the results, as every book does."""
        state = self._native(
            lambda: excel_native.autofilter(sht, self.platform),
            "读取工作表的筛选",
            "read the sheet's filter",
        )
        wider = widened_filter(state[0], plan) if state and state[0] else None
        if state is None or wider is None:
            return
        top, left, bottom, right = wider
        if state[1]:  # widening drops the criteria: the user's view is theirs
            self._warn(
                tr(
                    f"工作表“{plan.sheet}”正在筛选，筛选范围未扩展到结果列；"
                    "清除筛选后再运行一次即可扩展",
                    f"sheet '{plan.sheet}' is filtered, so its filter was not widened over the "
                    "results; clear the filter and run again to widen it",
                )
            )
            return
        self._native(
            lambda: excel_native.set_autofilter(
                sht, sht.range((top, left), (bottom, right)), self.platform
            ),
            "扩展筛选范围",
            "widen the sheet's filter",
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
                header = sht.range((1, 1), (spec.header_rows, width))
                header.font.bold = True
                header.color = "#" + HEADER_FILL
        for column, fmt in spec.number_formats.items():
            sht.range((spec.header_rows + 1, column + 1), (last, column + 1)).number_format = fmt
        self._date_formats(sht, spec, width)
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
        if spec.tab_color:
            color = spec.tab_color
            self._native(
                lambda: excel_native.set_tab_color(sht, color, self.platform),
                "给工作表标签上色",
                "colour the sheet tabs",
            )
        if spec.autofilter and spec.header_rows and width:
            cells = sht.range((spec.header_rows, 1), (max(len(spec.rows), spec.header_rows), width))
            self._native(
                lambda: excel_native.set_autofilter(sht, cells, self.platform),
                "在表头加筛选按钮",
                "put filter buttons on the header rows",
            )
        if spec.freeze:
            self._freeze(sht, spec.freeze)

    def _date_formats(self, sht: Any, spec: SheetSpec, width: int) -> None:
        """Dates in columns without a number format of their own shown as the file door shows
        them; one call per run of dates."""
        top = spec.header_rows + 1
        for column in range(width):
            if column in spec.number_formats:
                continue
            data = [row[column] if column < len(row) else None for row in spec.rows]
            for first, end, fmt in date_runs(data[spec.header_rows :]):
                sht.range((top + first, column + 1), (top + end, column + 1)).number_format = fmt

    def _empty_sheet(self, name: str) -> Any:
        """The sheet by this name emptied of values, formats, rules, filter and charts; else a
        new one."""
        if name not in self.sheet_names():
            return self.book.sheets.add(name, after=self.book.sheets[-1])
        sht = self.book.sheets[name]
        sht.clear()
        used = sht.cells
        used.data_validation.delete()
        used.conditional_formats.clear()
        for chart in list(sht.charts):
            chart.delete()
        self._native(
            lambda: excel_native.set_autofilter(sht, None, self.platform),
            "清除旧的筛选按钮",
            "remove the old filter buttons",
        )
        return sht

    def _freeze(self, sht: Any, cell: str) -> None:
        """Freeze the panes above and left of ``cell``: by xlwings where its engine can."""
        try:
            sht.freeze_panes.freeze_at(cell)
        except NotImplementedError:  # classic Excel: through the window showing the sheet
            self._native(
                lambda: excel_native.freeze_window(sht, cell, self.platform),
                "冻结表头",
                "freeze the header rows",
            )

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
