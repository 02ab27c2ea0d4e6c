"""A workbook open in LibreOffice Calc, seen through UNO as a :class:`~sheetcrm.book.base.Book`.

Values move in bulk (``getDataArray``/``setDataArray``, one call per block). What
the data array hides comes from Calc itself: dates and booleans are numbers whose
number format says what they are (read per group of equally formatted cells, not
per cell), and error values are found with ``queryFormulaCells(ERROR)``. Text is
always set as text, so "=…" from a customer's data never becomes a formula. An
imported Excel Table is a named Calc database range: sheetcrm reads it as the
table and grows it with the result columns, so it is saved again as an Excel Table.

Best effort, as LibreOffice allows: charts carry no series names (Calc's chart data
provider takes no literal labels), and frozen panes only hold in a visible window.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..a1 import parse_cell, parse_range
from ..errors import WorkbookError
from ..i18n import tr
from ..table.header_row import HEADER_SCAN_ROWS
from ..table.locate import TableInfo
from .base import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    HEADER_FILL,
    CellError,
    CellValue,
    ChartSpec,
    ConditionalFill,
    CustomerSource,
    CustomerTable,
    ListValidation,
    ReadsCustomers,
    ResultColumn,
    SheetSpec,
)
from .placement import ColumnPlan, plan_table_columns, refuse_data, table_span, widened_filter
from .uno_session import import_uno, property_value

__all__ = ["UnoBook"]

_BOOLEAN_FORMAT = "BOOLEAN"
_BOLD = 150.0  # com.sun.star.awt.FontWeight.BOLD
# 1/100 mm per character: what makes LibreOffice's xlsx export show the width asked for.
_CHAR_WIDTH = 247
_FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".xlsm": "Calc MS Excel 2007 VBA XML"}
_DIAGRAMS = {
    "bar": "com.sun.star.chart.BarDiagram",
    "column": "com.sun.star.chart.BarDiagram",
    "pie": "com.sun.star.chart.PieDiagram",
    "doughnut": "com.sun.star.chart.DonutDiagram",
    "line": "com.sun.star.chart.LineDiagram",
}


def _position(ref: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 reference such as "H2" or "$H$2", as UNO counts."""
    row, column = parse_cell(ref)
    return row - 1, column - 1


def _api_formula(formula: str) -> str:
    """An Excel formula in Calc's API syntax: ';' between arguments (not inside strings)."""
    out, quoted = [], False
    for char in formula.lstrip("="):
        quoted ^= char == '"'
        out.append(";" if char == "," and not quoted else char)
    return "".join(out)


class UnoBook(ReadsCustomers):
    """An open Calc document as a sheetcrm book; :meth:`save` stores it (or a copy)."""

    def __init__(self, doc: Any, output: Path | None = None, *, store: bool = True) -> None:
        self.doc = doc
        self.output = Path(output) if output else None
        # False for a button pressed in Calc: like Excel, the user looks, then saves or closes.
        self.store = store
        self.uno = import_uno()
        null = doc.NullDate  # the serial-number epoch: 1899-12-30, or 1904-01-01
        self._epoch = dt.datetime(null.Year, null.Month, null.Day)
        # Serial numbers of the dates Python can hold (years 1-9999): others stay numbers.
        self._days = (
            (dt.datetime.min - self._epoch).days,
            (dt.datetime.max - self._epoch).days,
        )

    # ---- reading ----------------------------------------------------------------------

    def _const(self, name: str) -> int:
        return int(self.uno.getConstantByName(f"com.sun.star.{name}"))

    def _sheet(self, name: str) -> Any:
        if not self.doc.Sheets.hasByName(name):
            raise WorkbookError(
                tr(
                    f"工作簿中没有名为「{name}」的工作表；现有：{', '.join(self.sheet_names())}",
                    f"there is no sheet '{name}'; the workbook has: {', '.join(self.sheet_names())}",
                )
            )
        return self.doc.Sheets.getByName(name)

    def sheet_names(self) -> list[str]:
        """The worksheet names, in tab order."""
        return list(self.doc.Sheets.ElementNames)

    def _from_serial(self, serial: float, time_only: bool = False) -> CellValue:
        """A date-formatted number as a date (whole days), datetime or time of day."""
        if not self._days[0] <= serial < self._days[1]:
            return serial  # no date Python can hold
        # To the nearest second: a serial is a float, and 46 s can come back as 45.99999 s.
        moment = self._epoch + dt.timedelta(seconds=round(serial * 86400))
        if time_only and 0 <= serial < 1:
            return moment.time()
        return moment.date() if serial == int(serial) else moment

    def _serial(self, value: dt.date) -> float:
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        return (value - self._epoch) / dt.timedelta(days=1)

    def _read_range(self, sheet: Any, last_row: int, last_col: int) -> np.ndarray:
        """Cells A1..(last_row, last_col) (0-based) typed like the file reader types them."""
        cells = sheet.getCellRangeByPosition(0, 0, last_col, last_row)
        rows = cells.getDataArray()
        grid = np.empty((len(rows), last_col + 1), dtype=object)
        grid[:] = rows
        grid[grid == ""] = None  # blank cells and empty strings alike, as calamine reads them
        # Calc keeps dates and booleans as numbers; their number format says what they are.
        # Cells come grouped by format, so big sheets need only a few look-ups.
        formats = self.doc.NumberFormats
        date, time, logical = (
            self._const(f"util.NumberFormat.{kind}") for kind in ("DATE", "TIME", "LOGICAL")
        )
        groups = cells.getUniqueCellFormatRanges()
        for index in range(groups.Count):
            group = groups.getByIndex(index)
            kind = formats.getByKey(group.NumberFormat).Type
            if not kind & (date | time | logical):
                continue
            if kind & logical:
                convert: Callable[[float], CellValue] = bool
            else:
                convert = functools.partial(self._from_serial, time_only=not kind & date)
            for box in group.RangeAddresses:
                block = grid[box.StartRow : box.EndRow + 1, box.StartColumn : box.EndColumn + 1]
                typed = (convert(v) if isinstance(v, float) else v for v in block.flat)
                block[...] = np.fromiter(typed, dtype=object, count=block.size).reshape(block.shape)
        errors = cells.queryFormulaCells(self._const("sheet.FormulaResult.ERROR"))
        for box in errors.RangeAddresses:
            for r in range(box.StartRow, box.EndRow + 1):
                for c in range(box.StartColumn, box.EndColumn + 1):
                    grid[r, c] = CellError(sheet.getCellByPosition(c, r).String)
        return grid

    def _used(self, sheet: Any) -> tuple[int, int]:
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        return cursor.RangeAddress.EndRow, cursor.RangeAddress.EndColumn

    def read_array(self, sheet: str) -> np.ndarray:
        """:meth:`read_grid` as a 2-D object array (rows × columns)."""
        sht = self._sheet(sheet)
        return self._read_range(sht, *self._used(sht))

    def read_grid(self, sheet: str) -> list[list[CellValue]]:
        """All values of a sheet from A1 to the end of its used area (blanks as None)."""
        grid: list[list[CellValue]] = self.read_array(sheet).tolist()
        return grid

    def _tables(self) -> list[TableInfo]:
        """Each database range with a header row; LibreOffice imports every Excel Table as one."""
        sheets = self.sheet_names()
        out = []
        ranges = self.doc.DatabaseRanges
        for name in ranges.ElementNames:
            db = ranges.getByName(name)
            if db.ContainsHeader:
                box = db.DataArea
                sheet = sheets[box.Sheet]
                header = self._sheet(sheet).getCellRangeByPosition(
                    box.StartColumn, box.StartRow, box.EndColumn, box.StartRow
                )
                out.append(
                    TableInfo(
                        name=name,
                        sheet=sheet,
                        header_row=box.StartRow + 1,
                        first_column=box.StartColumn + 1,
                        last_row=box.EndRow + 1 - int(bool(db.TotalsRow)),
                        last_column=box.EndColumn + 1,
                        headers=tuple(str(v) for v in header.getDataArray()[0]),
                    )
                )
        return out

    def customer_source(self) -> CustomerSource:
        """The database ranges, sheets and cells (the old results' too: Calc reads ranges whole)."""
        return CustomerSource(self._tables(), self.sheet_names(), self._head, self.read_array)

    def _head(self, name: str) -> list[list[CellValue]]:
        """A sheet's first rows, enough to find its header."""
        sht = self._sheet(name)
        last_row, last_col = self._used(sht)
        rows: list[list[CellValue]] = self._read_range(
            sht, min(last_row, HEADER_SCAN_ROWS - 1), last_col
        ).tolist()
        return rows

    # ---- writing ----------------------------------------------------------------------

    def _format_key(self, fmt: str) -> int:
        """Calc's number format key for a format code, added to the document if new."""
        formats = self.doc.NumberFormats
        locale = self.uno.createUnoStruct("com.sun.star.lang.Locale")
        key = formats.queryKey(fmt, locale, False)
        return int(key if key != -1 else formats.addNew(fmt, locale))

    def _cell(self, value: CellValue) -> str | float:
        """A value as ``setDataArray`` takes it: text stays text, dates become serials."""
        if value is None:
            return ""
        if isinstance(value, CellError):
            return value.code  # only a formula can make a real error value
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, dt.date):
            return self._serial(value)
        if isinstance(value, int | float):
            return "" if isinstance(value, float) and math.isnan(value) else float(value)
        return str(value)

    def _write_block(
        self, sheet: Any, row: int, col: int, rows: Sequence[Sequence[CellValue]]
    ) -> None:
        """Values into a rectangle at 0-based (row, col); dates and booleans formatted as such."""
        width = max((len(r) for r in rows), default=0)
        if not rows or not width:
            return
        block = tuple(tuple(self._cell(v) for v in r) + ("",) * (width - len(r)) for r in rows)
        target = sheet.getCellRangeByPosition(col, row, col + width - 1, row + len(rows) - 1)
        target.setDataArray(block)
        # Dates and booleans are numbers to Calc: only their number format makes them so.
        runs: dict[str, list[Any]] = {}
        for c in range(width):
            kinds = [_format_of(line[c]) if c < len(line) else None for line in rows]
            start = 0
            for r in range(1, len(kinds) + 1):
                if r == len(kinds) or kinds[r] != kinds[start]:
                    fmt = kinds[start]
                    if fmt is not None:
                        box = self._address(sheet, row + start, col + c, row + r - 1, col + c)
                        runs.setdefault(fmt, []).append(box)
                    start = r
        for fmt, boxes in runs.items():
            self._ranges(boxes).NumberFormat = self._format_key(fmt)

    def write_columns(self, table: CustomerTable, columns: Sequence[ResultColumn]) -> None:
        """Add or replace result columns at the right edge of the customer table."""
        if not columns:
            return
        sheet = self._sheet(table.sheet)
        db = self._database_range(table.table)
        edge = table_span(
            table.first_column, table.headers, db.DataArea.EndColumn + 1 if db is not None else None
        )
        plan = plan_table_columns(
            table, columns, edge, self._header_texts(sheet, table.header_row - 1, edge - 1)
        )
        top, bottom = plan.header_row - 1, plan.rows_end - 1
        refuse_data(
            plan,
            {
                place.column: [
                    value
                    for (value,) in sheet.getCellRangeByPosition(
                        place.column - 1, top, place.column - 1, bottom
                    ).getDataArray()
                ]
                for place in plan.placements
                if not place.replaces
            },
        )
        for result, place in zip(columns, plan.placements, strict=True):
            self._write_result(
                sheet, result, plan.aligned(result.values).tolist(), place.column - 1, top, bottom
            )
        _header_look(sheet, plan, edge)
        if db is not None:
            box = db.DataArea
            box.EndColumn = max(box.EndColumn, plan.last_column - 1)
            box.EndRow = max(box.EndRow, bottom)
            db.setDataArea(box)
        self._widen_filter(sheet, plan)

    def _widen_filter(self, sheet: Any, plan: ColumnPlan) -> None:
        """Widen the sheet's AutoFilter (Calc's unnamed database range) over the results."""
        unnamed = self.doc.getPropertyValue("UnnamedDatabaseRanges")  # not an attribute
        index = sheet.RangeAddress.Sheet
        if not unnamed.hasByTable(index):
            return
        db = unnamed.getByTable(index)
        box = db.DataArea
        wider = widened_filter(
            (box.StartRow + 1, box.StartColumn + 1, box.EndRow + 1, box.EndColumn + 1), plan
        )
        if not db.AutoFilter or wider is None:
            return
        box.EndRow, box.EndColumn = wider[2] - 1, wider[3] - 1
        db.setDataArea(box)

    def _database_range(self, name: str | None) -> Any:
        """The named database range (Calc's Excel Table), None if there is none by that name."""
        ranges = self.doc.DatabaseRanges
        return ranges.getByName(name) if name and ranges.hasByName(name) else None

    def _header_texts(self, sheet: Any, header_row: int, edge: int) -> dict[int, CellValue]:
        """The header row's cells by 1-based column, as far right as the sheet is used."""
        _, used_col = self._used(sheet)
        line = sheet.getCellRangeByPosition(0, header_row, max(used_col, edge), header_row)
        return {c: text for c, text in enumerate(line.getDataArray()[0], start=1)}

    def _write_result(
        self,
        sheet: Any,
        result: ResultColumn,
        values: Sequence[CellValue],
        column: int,
        header_row: int,
        rows_end: int,
    ) -> None:
        """One result column: header, values, number format and width."""
        if rows_end > header_row:
            # A rerun's values must not inherit the last run's formats (a date format!).
            data = sheet.getCellRangeByPosition(column, header_row + 1, column, rows_end)
            data.NumberFormat = 0
        self._write_block(sheet, header_row, column, [[result.header], *([v] for v in values)])
        if result.number_format and len(values):
            sheet.getCellRangeByPosition(
                column, header_row + 1, column, header_row + len(values)
            ).NumberFormat = self._format_key(result.number_format)
        if result.width:
            sheet.Columns.getByIndex(column).Width = round(result.width * _CHAR_WIDTH)

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a sheet sheetcrm owns: values, formats, filter, drop-downs, charts."""
        sheets = self.doc.Sheets
        if sheets.hasByName(spec.name):
            sheet = sheets.getByName(spec.name)
            self._clear(sheet)
        else:
            sheets.insertNewByName(spec.name, sheets.Count)
            sheet = sheets.getByName(spec.name)
        rows = spec.rows
        width = max((len(r) for r in rows), default=0)
        self._write_block(sheet, 0, 0, rows)
        if width and spec.header_rows:
            header = sheet.getCellRangeByPosition(0, 0, width - 1, spec.header_rows - 1)
            _bold(header)
            header.CellBackColor = int(HEADER_FILL, 16)
        last = max(len(rows), spec.header_rows + 1) - 1
        for column, fmt in spec.number_formats.items():
            sheet.getCellRangeByPosition(
                column, spec.header_rows, column, last
            ).NumberFormat = self._format_key(fmt)
        by_format: dict[str, list[tuple[int, int]]] = {}
        for cell, fmt in spec.cell_formats.items():
            by_format.setdefault(fmt, []).append(cell)
        for fmt, cells in by_format.items():
            self._cells(sheet, cells).NumberFormat = self._format_key(fmt)
        _wrap(sheet, spec.wrap, spec.header_rows, last)
        if spec.bold_cells:
            _bold(self._cells(sheet, spec.bold_cells))
        for column, chars in spec.widths.items():
            sheet.Columns.getByIndex(column).Width = round(chars * _CHAR_WIDTH)
        if spec.tab_color:
            sheet.TabColor = int(spec.tab_color[-6:], 16)
        if spec.autofilter and width and spec.header_rows and len(rows) >= spec.header_rows:
            self._autofilter(sheet, spec.header_rows - 1, len(rows) - 1, width - 1)
        for validation in spec.validations:
            self._validation(sheet, validation, spec.header_rows, last)
        for fill in spec.conditional:
            self._conditional(sheet, fill, spec.header_rows, last)
        for number, chart in enumerate(spec.charts, start=1):
            self._chart(sheet, spec.name, chart, number)
        if spec.freeze:
            row, column = _position(spec.freeze)
            controller = self.doc.CurrentController
            if controller is not None:  # freezing works on the active sheet only
                active = controller.ActiveSheet
                controller.setActiveSheet(sheet)
                controller.freezeAtPosition(column, row)
                controller.setActiveSheet(active)

    def _clear(self, sheet: Any) -> None:
        """Empty a sheet sheetcrm owns: contents, formats, drop-downs, conditional fills, charts."""
        everything = sum(
            self._const(f"sheet.CellFlags.{flag}")
            for flag in (
                "VALUE",
                "DATETIME",
                "STRING",
                "ANNOTATION",
                "FORMULA",
                "HARDATTR",
                "STYLES",
                "OBJECTS",
                "EDITATTR",
                "FORMATTED",
            )
        )
        sheet.clearContents(everything)
        for name in sheet.Charts.ElementNames:
            sheet.Charts.removeByName(name)
        formats = sheet.ConditionalFormats
        for entry in formats.ConditionalFormats:
            formats.removeByID(entry.ID)

    def _ranges(self, boxes: Sequence[Any]) -> Any:
        """Cell range addresses as one collection: one UNO call sets a property on them all."""
        ranges = self.doc.createInstance("com.sun.star.sheet.SheetCellRanges")
        ranges.addRangeAddresses(tuple(boxes), False)
        return ranges

    def _cells(self, sheet: Any, cells: Sequence[tuple[int, int]]) -> Any:
        """Scattered (row, column) cells as one range collection."""
        return self._ranges([self._address(sheet, r, c, r, c) for r, c in cells])

    def _address(self, sheet: Any, top: int, left: int, bottom: int, right: int) -> Any:
        box = self.uno.createUnoStruct("com.sun.star.table.CellRangeAddress")
        box.Sheet = sheet.RangeAddress.Sheet
        box.StartRow, box.StartColumn, box.EndRow, box.EndColumn = top, left, bottom, right
        return box

    def _autofilter(self, sheet: Any, top: int, bottom: int, right: int) -> None:
        index = sheet.RangeAddress.Sheet
        unnamed = self.doc.getPropertyValue("UnnamedDatabaseRanges")  # not an attribute
        unnamed.setByTable(self._address(sheet, top, 0, max(top, bottom), right))
        unnamed.getByTable(index).AutoFilter = True

    def _validation(self, sheet: Any, rule: ListValidation, top: int, bottom: int) -> None:
        cells = sheet.getCellRangeByPosition(rule.column, top, rule.column, max(top, bottom))
        validation = cells.Validation
        validation.Type = self.uno.Enum("com.sun.star.sheet.ValidationType", "LIST")
        validation.ShowList = self._const("sheet.TableValidationVisibility.UNSORTED")
        validation.Formula1 = ";".join('"' + o.replace('"', '""') + '"' for o in rule.options)
        validation.IgnoreBlankCells = True
        cells.Validation = validation

    def _conditional(self, sheet: Any, rule: ConditionalFill, top: int, bottom: int) -> None:
        style = f"sheetcrm {rule.fill}{'/' + rule.font if rule.font else ''}"
        styles = self.doc.StyleFamilies.getByName("CellStyles")
        if not styles.hasByName(style):
            cell_style = self.doc.createInstance("com.sun.star.style.CellStyle")
            styles.insertByName(style, cell_style)
            cell_style.CellBackColor = int(rule.fill[-6:], 16)
            if rule.font:
                cell_style.CharColor = int(rule.font[-6:], 16)
        cells = sheet.getCellRangeByPosition(
            rule.columns[0], top, rule.columns[1], max(top, bottom)
        )
        entries = cells.ConditionalFormat
        entries.addNew(
            (
                property_value(
                    self.uno,
                    "Operator",
                    self.uno.Enum("com.sun.star.sheet.ConditionOperator", "FORMULA"),
                ),
                property_value(self.uno, "Formula1", _api_formula(rule.formula)),
                property_value(
                    self.uno, "SourcePosition", cells.getCellByPosition(0, 0).CellAddress
                ),
                property_value(self.uno, "StyleName", style),
            )
        )
        cells.ConditionalFormat = entries

    def _chart(self, sheet: Any, name: str, spec: ChartSpec, number: int) -> None:
        source = self._sheet(spec.data_sheet) if spec.data_sheet else sheet
        ranges = [self._range_address(source, spec.categories)]
        ranges += [self._range_address(source, series.values) for series in spec.series]
        row, column = _position(spec.anchor)
        corner = sheet.getCellByPosition(column, row).Position
        far = sheet.getCellByPosition(column + spec.width_cells, row + spec.height_cells).Position
        frame = self.uno.createUnoStruct("com.sun.star.awt.Rectangle")
        frame.X, frame.Y = corner.X, corner.Y
        frame.Width, frame.Height = far.X - corner.X, far.Y - corner.Y
        chart_name = f"sheetcrm {name} {number}"  # drawing names are per document
        sheet.Charts.addNewByName(chart_name, frame, tuple(ranges), False, True)
        chart = sheet.Charts.getByName(chart_name).EmbeddedObject
        diagram = chart.createInstance(_DIAGRAMS[spec.kind])
        chart.setDiagram(diagram)
        if spec.kind == "bar":
            diagram.Vertical = True  # Calc's "vertical" bar diagram has horizontal bars
        chart.HasMainTitle = True
        chart.Title.String = spec.title
        chart.HasLegend = spec.kind in ("pie", "doughnut") or len(spec.series) > 1

    def _range_address(self, sheet: Any, ref: str) -> Any:
        """The UNO CellRangeAddress of an A1 range (or one cell) on ``sheet``."""
        top, left, bottom, right = parse_range(ref)
        return self._address(sheet, top - 1, left - 1, bottom - 1, right - 1)

    def save(self) -> Path:
        """Store the document in place, or as a copy at ``output``; the file written."""
        if not self.store:
            return Path(self.uno.fileUrlToSystemPath(self.doc.URL))
        if self.output is None:
            self.doc.store()
            return Path(self.uno.fileUrlToSystemPath(self.doc.URL))
        fmt = _FILTERS.get(self.output.suffix.lower())
        if fmt is None:
            raise WorkbookError(
                tr(
                    f"只能另存为 .xlsx 或 .xlsm：{self.output}",
                    f"can only save a copy as .xlsx or .xlsm, not {self.output}",
                )
            )
        url = self.uno.systemPathToFileUrl(str(self.output.resolve()))
        self.doc.storeToURL(
            url,
            (
                property_value(self.uno, "FilterName", fmt),
                property_value(self.uno, "Overwrite", True),
            ),
        )
        return self.output


def _header_look(sheet: Any, plan: ColumnPlan, edge: int) -> None:
    """Result headers bold and filled like the table's last header (the file door copies its
    style)."""
    top = plan.header_row - 1
    source = sheet.getCellByPosition(edge - 1, top)
    for place in plan.placements:
        target = sheet.getCellByPosition(place.column - 1, top)
        for weight in ("CharWeight", "CharWeightAsian", "CharWeightComplex"):
            setattr(target, weight, getattr(source, weight))
        target.CellBackColor = source.CellBackColor
        target.IsCellBackgroundTransparent = source.IsCellBackgroundTransparent


def _bold(cells: Any) -> None:
    """Bold text in cells, Chinese included (Calc weighs Asian and complex scripts apart)."""
    cells.CharWeight = cells.CharWeightAsian = cells.CharWeightComplex = _BOLD


def _wrap(sheet: Any, columns: Sequence[int], top: int, bottom: int) -> None:
    """Wrap the text of whole columns between two rows (0-based)."""
    for column in columns:
        sheet.getCellRangeByPosition(column, top, column, bottom).IsTextWrapped = True


def _format_of(value: CellValue) -> str | None:
    """The number format a value needs to read back as what it is (None: any will do)."""
    if isinstance(value, bool):
        return _BOOLEAN_FORMAT
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    return None
