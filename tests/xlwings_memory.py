"""An xlwings engine that keeps a workbook in memory, for driving xlwings' own front end in tests.

``xlwings.Book``/``Sheet``/``Range`` and their converters are xlwings' real code; only the
engine layer below them (what ``_xlwindows``/``_xlmac`` do over COM/AppleScript) is ours. Each
impl class subclasses ``xlwings.base_classes``, so a call xlwings has but this engine does
not model raises ``NotImplementedError``, and a call xlwings does not have at all is an
``AttributeError`` in the front end. Like Excel, a value assigned to a cell is parsed: "=…"
becomes a formula and "00123" a number unless it starts with Excel's ' text prefix.

``sheet.api`` and ``range.api`` model the few native calls sheetcrm makes where xlwings has
none (:mod:`sheetcrm.book.excel_native`): the tab colour and the sheet's AutoFilter, in both
dialects (COM's ``Tab.Color``, appscript's ``tab.color.set``); any other native call raises
``NotImplementedError``, as a platform without that call fails.

Every call from the front end into the engine (a COM round trip on Windows) is counted in
:data:`CALLS`, by ``Class.attribute``.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import xlwings as xw
from xlwings import base_classes

from sheetcrm.a1 import cell_ref, parse_range, range_ref
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.table.header_row import HEADER_SCAN_ROWS

__all__ = ["CALLS", "Formula", "MemoryBook", "book_from_file", "memory_book"]

CALLS: Counter[str] = Counter()
_MAX_ROWS, _MAX_COLUMNS = 1_048_576, 16_384
_TAB_COLOR = re.compile(rb'<tabColor rgb="(\w+)"')
_AUTOFILTER = re.compile(rb'<autoFilter ref="([^"]+)"\s*(/?)>')
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula (what Excel makes of assigned text starting with "=")."""

    text: str


class _NoApi:
    """Stands for a native object: there (truthy), but no native call works here but those
    a subclass models."""

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"the memory engine has no native API ({name})")


class _Property(_NoApi):
    """An appscript property: ``get()`` and ``set(value)`` over a getter and a setter."""

    def __init__(self, get: Any, put: Any = None) -> None:
        self._get, self._put = get, put

    def get(self) -> Any:
        CALLS["native.get"] += 1
        return self._get()

    def set(self, value: Any) -> None:
        CALLS["native.set"] += 1
        self._put(value)


class _Tab(_NoApi):
    """A sheet's tab: COM's ``Tab.Color`` (BGR) and appscript's ``tab.color`` (RGB list)."""

    _data: _Data

    def __init__(self, data: _Data) -> None:
        object.__setattr__(self, "_data", data)

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "Color":
            raise NotImplementedError(f"the memory engine has no native API (Tab.{name})")
        CALLS["native.Tab.Color="] += 1
        self._data.tab_color = f"{value & 255:02X}{value >> 8 & 255:02X}{value >> 16 & 255:02X}"

    @property
    def color(self) -> _Property:
        def put(rgb: list[int]) -> None:
            self._data.tab_color = "".join(f"{part:02X}" for part in rgb)

        return _Property(lambda: self._data.tab_color, put)


class _FilterRange(_NoApi):
    """The range of a sheet's AutoFilter, by its address."""

    def __init__(self, data: _Data) -> None:
        self._data = data

    @property
    def Address(self) -> str:  # noqa: N802 - COM's name
        return _absolute(self._data.autofilter or "")

    def get_address(self) -> str:
        return _absolute(self._data.autofilter or "")


class _AutoFilter(_NoApi):
    """A sheet's AutoFilter object: COM's ``AutoFilter.Range``, appscript's ``range_object``."""

    def __init__(self, data: _Data) -> None:
        self._data = data

    @property
    def Range(self) -> _FilterRange:  # noqa: N802 - COM's name
        return _FilterRange(self._data)

    range_object = Range  # appscript's name


class _SheetApi(_NoApi):
    """A Worksheet's native object: its tab and its AutoFilter, in both dialects."""

    _sheet: Sheet

    def __init__(self, sheet: Sheet) -> None:
        object.__setattr__(self, "_sheet", sheet)

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "AutoFilterMode" or value:  # Excel lets a macro only turn it off
            raise NotImplementedError(f"the memory engine has no native API ({name}={value})")
        CALLS["native.AutoFilterMode="] += 1
        self._sheet._data.autofilter, self._sheet._data.filtering = None, False

    def Activate(self) -> None:  # noqa: N802 - COM's name
        CALLS["native.Activate"] += 1
        self._sheet._book._app._active = self._sheet

    activate_object = Activate  # appscript's name

    @property
    def Tab(self) -> _Tab:  # noqa: N802 - COM's name
        return _Tab(self._sheet._data)

    tab = Tab  # appscript's name

    @property
    def AutoFilterMode(self) -> bool:  # noqa: N802 - COM's name
        CALLS["native.AutoFilterMode"] += 1
        return self._sheet._data.autofilter is not None

    @property
    def FilterMode(self) -> bool:  # noqa: N802 - COM's name
        return self._sheet._data.filtering

    @property
    def AutoFilter(self) -> _AutoFilter:  # noqa: N802 - COM's name
        return _AutoFilter(self._sheet._data)

    autofilter_object = AutoFilter  # appscript's name

    @property
    def autofilter_mode(self) -> _Property:
        data = self._sheet._data

        def put(on: bool) -> None:
            if on:
                raise NotImplementedError("Excel lets a macro only turn the AutoFilter off")
            data.autofilter, data.filtering = None, False

        return _Property(lambda: data.autofilter is not None, put)

    @property
    def filter_mode(self) -> _Property:
        return _Property(lambda: self._sheet._data.filtering)


class _RangeApi(_NoApi):
    """A Range's native object: only its AutoFilter toggle (COM's and appscript's)."""

    def __init__(self, rng: Range) -> None:
        self._range = rng

    def AutoFilter(self) -> None:  # noqa: N802 - COM's name
        """Without arguments, Excel's toggle: arrows on this range, or off if the sheet has some."""
        CALLS["native.AutoFilter"] += 1
        data = self._range._sheet._data
        data.autofilter = None if data.autofilter else self._range._address().replace("$", "")
        data.filtering = False

    def autofilter_range(self) -> None:
        self.AutoFilter()


def _absolute(ref: str) -> str:
    """An A1 range as Excel's Address gives it ("$A$1:$D$9")."""
    return range_ref(*parse_range(ref), absolute=True) if ref else ""


class _Counted:
    """Counts each public attribute the front end reads or sets on an impl object."""

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_") and name != "options":
            CALLS[f"{type(self).__name__}.{name}"] += 1
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and name != "options":
            CALLS[f"{type(self).__name__}.{name}="] += 1
        object.__setattr__(self, name, value)


def _parse_a1(ref: str) -> tuple[tuple[int, int], tuple[int, int]]:
    try:
        r1, c1, r2, c2 = parse_range(ref.split("!")[-1])
    except ValueError:
        raise ValueError(f"not an A1 range: {ref!r}") from None
    return (r1, c1), (r2, c2)


def _stored(value: Any) -> Any:
    """What Excel stores for a value assigned from a macro."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:] or None
        if value.startswith("="):
            return Formula(value)
        if _NUMBER.match(value):
            return float(value)
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


@dataclass
class _Data:
    """One sheet's contents and formats."""

    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    bold: set[tuple[int, int]] = field(default_factory=set)
    widths: dict[int, float] = field(default_factory=dict)
    wrap: set[tuple[int, int]] = field(default_factory=set)
    validations: list[tuple[str, list[str]]] = field(default_factory=list)
    conditional: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    freeze: str | None = None
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # "RRGGBB"
    tab_color: str | None = None  # "RRGGBB"
    autofilter: str | None = None  # the sheet's own AutoFilter range, e.g. "A1:D9"
    filtering: bool = False  # its criteria hide rows now
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


class Engine:
    """The engine: how xlwings' converters prepare values for it and clean what it returns.

    Not counted: these run in Python, per value, on every platform."""

    name = "memory"
    type = "desktop"

    @property
    def apps(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        """As Excel takes a value over COM: blanks as "", dates as date-times."""
        if x is None or (isinstance(x, float) and x != x):
            return ""
        if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
            return dt.datetime(x.year, x.month, x.day)
        return x

    @staticmethod
    def clean_value_data(
        data: Any, datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: Any
    ) -> list[list[Any]]:
        """As xlwings cleans what Excel returns: blanks as ``empty_as``, dates built."""

        def clean(value: Any) -> Any:
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.datetime):
                return datetime_builder(
                    value.year,
                    value.month,
                    value.day,
                    value.hour,
                    value.minute,
                    value.second,
                    value.microsecond,
                )
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            return value

        return [[clean(c) for c in row] for row in data]


class _Window(_NoApi):
    """The active window, which freezes the panes of the sheet it shows: COM's
    ``FreezePanes``/``SplitRow``/``SplitColumn``, appscript's ``freeze_panes``/``split_row``/…"""

    def __init__(self, app: App) -> None:
        object.__setattr__(self, "_app", app)
        object.__setattr__(self, "_split", [0, 0])

    def __setattr__(self, name: str, value: Any) -> None:
        CALLS[f"native.{name}="] += 1
        if name == "FreezePanes":
            self._freeze(value)
        elif name in ("SplitRow", "SplitColumn"):
            self._split[name == "SplitColumn"] = value
        else:
            raise NotImplementedError(f"the memory engine has no native API (Window.{name})")

    def _freeze(self, on: bool) -> None:
        sheet: Sheet = self._app._active
        row, column = self._split
        sheet._data.freeze = cell_ref(row + 1, column + 1) if on else None

    def _splitter(self, at: int) -> _Property:
        def put(value: int) -> None:
            self._split[at] = value

        return _Property(lambda: self._split[at], put)

    @property
    def freeze_panes(self) -> _Property:
        return _Property(lambda: self._app._active._data.freeze is not None, self._freeze)

    @property
    def split_row(self) -> _Property:
        return self._splitter(0)

    @property
    def split_column(self) -> _Property:
        return self._splitter(1)


class _AppApi(_NoApi):
    """Excel's Application: only its active window (COM's and appscript's names)."""

    def __init__(self, window: _Window) -> None:
        self._window = window

    @property
    def ActiveWindow(self) -> _Window:  # noqa: N802 - COM's name
        return self._window

    active_window = ActiveWindow  # appscript's name


class App(_Counted, base_classes.App):
    """The application: one engine, its books, the sheet its window shows.

    ``engine_freezes``: xlwings' ``freeze_panes`` works (as on xlwings' own engines); False
    is classic Excel's, where it is not implemented and the window freezes instead.
    """

    def __init__(self, engine_freezes: bool = True) -> None:
        self._engine = Engine()
        self._engine_freezes = engine_freezes
        self._active: Sheet | None = None
        self._window = _Window(self)

    @property
    def api(self) -> _AppApi:
        return _AppApi(self._window)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def version(self) -> str:
        return "16.0"

    @property
    def pid(self) -> int:
        return 1


class MemoryBook(_Counted, base_classes.Book):
    """A workbook in memory."""

    def __init__(self, fullname: str = "C:/data/客户.xlsx", engine_freezes: bool = True) -> None:
        self._app = App(engine_freezes)
        self._fullname = fullname
        self._sheets: list[Sheet] = []

    @property
    def name(self) -> str:
        return self._fullname.rsplit("/", 1)[-1]

    @property
    def fullname(self) -> str:
        return self._fullname

    @property
    def app(self) -> App:
        return self._app

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    def _add_sheet(self, name: str, rows: list[list[Any]] | None = None) -> Sheet:
        """Test setup: a sheet holding these values from A1 (stored as read from a file)."""
        sheet = Sheet(self, name)
        for r, row in enumerate(rows or [], start=1):
            for c, value in enumerate(row, start=1):
                if value not in (None, ""):
                    sheet._data.cells[(r, c)] = (
                        float(value)
                        if isinstance(value, int) and not isinstance(value, bool)
                        else value
                    )
        self._sheets.append(sheet)
        return sheet

    def _sheet(self, name: str) -> Sheet:
        return next(s for s in self._sheets if s._name.casefold() == name.casefold())


class Sheets(_Counted, base_classes.Sheets):
    """The sheets of a book, in tab order."""

    def __init__(self, book: MemoryBook) -> None:
        self._book = book

    def __call__(self, name_or_index: str | int) -> Sheet:
        if isinstance(name_or_index, str):
            return self._book._sheet(name_or_index)
        return self._book._sheets[name_or_index - 1]

    def __len__(self) -> int:
        return len(self._book._sheets)

    def __iter__(self) -> Any:
        return iter(list(self._book._sheets))

    def add(
        self, before: Sheet | None = None, after: Sheet | None = None, name: str | None = None
    ) -> Sheet:
        sheets = self._book._sheets
        taken = {s._name for s in sheets}
        number = len(sheets) + 1
        while f"Sheet{number}" in taken:
            number += 1
        sheet = Sheet(self._book, name or f"Sheet{number}")
        if before is not None:
            sheets.insert(sheets.index(before), sheet)
        elif after is not None:
            sheets.insert(sheets.index(after) + 1, sheet)
        else:
            sheets.append(sheet)
        return sheet


class Sheet(_Counted, base_classes.Sheet):
    """A worksheet."""

    def __init__(self, book: MemoryBook, name: str) -> None:
        self._book, self._name, self._data = book, name, _Data()

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def book(self) -> MemoryBook:
        return self._book

    @property
    def index(self) -> int:
        return self._book._sheets.index(self) + 1

    def range(self, arg1: Any, arg2: Any = None) -> Range:
        if isinstance(arg1, Range):
            arg1 = arg1._top
        if isinstance(arg2, Range):
            arg2 = arg2._bottom
        if isinstance(arg1, str):
            if "," in arg1:
                return Range(self, *_parse_a1(arg1.split(",")[0]), areas=arg1)
            top, bottom = _parse_a1(arg1)
            return Range(self, top, bottom)
        if len(arg1) == 4:
            row, col, rows, cols = arg1
            return Range(self, (row, col), (row + rows - 1, col + cols - 1))
        return Range(self, tuple(arg1), tuple(arg2 or arg1))

    @property
    def cells(self) -> Range:
        return Range(self, (1, 1), (_MAX_ROWS, _MAX_COLUMNS))

    @property
    def used_range(self) -> Range:
        cells = self._data.cells
        if not cells:
            return Range(self, (1, 1), (1, 1))
        return Range(self, (1, 1), (max(r for r, _ in cells), max(c for _, c in cells)))

    def clear(self) -> None:
        old = self._data
        # Excel's Clear leaves objects and the sheet's own settings.
        self._data = _Data(
            tables=old.tables,
            charts=old.charts,
            tab_color=old.tab_color,
            autofilter=old.autofilter,
            filtering=old.filtering,
        )

    @property
    def api(self) -> _SheetApi:
        return _SheetApi(self)

    @property
    def tables(self) -> Tables:
        return Tables(self)

    @property
    def charts(self) -> Charts:
        return Charts(self)

    @property
    def freeze_panes(self) -> FreezePanes:
        if not self._book._app._engine_freezes:
            raise NotImplementedError  # as xlwings' Windows and Mac engines
        return FreezePanes(self)


class Range(_Counted, base_classes.Range):
    """A rectangle of cells (or, for a chart's source, several, as an address)."""

    def __init__(
        self,
        sheet: Sheet,
        top: tuple[int, int],
        bottom: tuple[int, int],
        areas: str | None = None,
    ) -> None:
        self._sheet, self._top, self._bottom, self._areas = sheet, top, bottom, areas
        self.options: dict[str, Any] = {}

    def _each(self) -> Any:
        (r1, c1), (r2, c2) = self._top, self._bottom
        return ((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))

    @property
    def sheet(self) -> Sheet:
        return self._sheet

    @property
    def api(self) -> _RangeApi:
        return _RangeApi(self)

    @property
    def coords(self) -> tuple[str, int, int, int, int]:
        rows, cols = self._shape()
        return self._sheet._name, self._top[0], self._top[1], rows, cols

    def _shape(self) -> tuple[int, int]:
        return self._bottom[0] - self._top[0] + 1, self._bottom[1] - self._top[1] + 1

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape()

    def __len__(self) -> int:
        rows, cols = self._shape()
        return rows * cols

    def __call__(self, arg1: int, arg2: int | None = None) -> Range:
        if arg2 is None:
            raise NotImplementedError("Range(i): a cell by its position in the range")
        cell = (self._top[0] + arg1 - 1, self._top[1] + arg2 - 1)
        return Range(self._sheet, cell, cell)

    @property
    def row(self) -> int:
        return self._top[0]

    @property
    def column(self) -> int:
        return self._top[1]

    @property
    def address(self) -> str:
        return self._address()

    def _address(self) -> str:
        if self._areas:
            return self._areas
        (r1, c1), (r2, c2) = self._top, self._bottom
        if (r1, c1) == (r2, c2):
            return cell_ref(r1, c1, absolute=True)
        return range_ref(r1, c1, r2, c2, absolute=True)

    def get_address(self, row_absolute: bool, col_absolute: bool, external: bool) -> str:
        return self._address()

    @property
    def raw_value(self) -> Any:
        (r1, c1), (r2, c2) = self._top, self._bottom
        cells = self._sheet._data.cells
        rows = [[_shown(cells.get((r, c))) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
        return rows[0][0] if (r1, c1) == (r2, c2) else rows

    @raw_value.setter
    def raw_value(self, value: Any) -> None:
        rows = value if isinstance(value, list | tuple) else [[value]]
        rows = [row if isinstance(row, list | tuple) else [row] for row in rows]
        cells = self._sheet._data.cells
        r0, c0 = self._top
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                stored = _stored(item)
                if stored is None:
                    cells.pop((r0 + r, c0 + c), None)
                else:
                    cells[(r0 + r, c0 + c)] = stored

    def clear_contents(self) -> None:
        for cell in self._each():
            self._sheet._data.cells.pop(cell, None)

    @property
    def number_format(self) -> str | None:
        formats = {self._sheet._data.number_formats.get(cell, "General") for cell in self._each()}
        return formats.pop() if len(formats) == 1 else None

    @number_format.setter
    def number_format(self, value: str) -> None:
        for cell in self._each():
            self._sheet._data.number_formats[cell] = value

    @property
    def column_width(self) -> float:
        return self._sheet._data.widths.get(self._top[1], 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        for column in range(self._top[1], self._bottom[1] + 1):
            self._sheet._data.widths[column] = value

    @property
    def wrap_text(self) -> bool:
        return all(cell in self._sheet._data.wrap for cell in self._each())

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        for cell in self._each():
            (self._sheet._data.wrap.add if value else self._sheet._data.wrap.discard)(cell)

    @property
    def color(self) -> tuple[int, int, int] | None:
        fills = {self._sheet._data.fills.get(cell) for cell in self._each()}
        fill = fills.pop() if len(fills) == 1 else None
        return (int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16)) if fill else None

    @color.setter
    def color(self, value: str | tuple[int, int, int] | None) -> None:
        fills = self._sheet._data.fills
        for cell in self._each():
            if value is None:
                fills.pop(cell, None)
            else:
                text = value if isinstance(value, str) else "".join(f"{v:02X}" for v in value)
                fills[cell] = text.lstrip("#").upper()

    @property
    def font(self) -> Font:
        return Font(self)

    @property
    def data_validation(self) -> DataValidation:
        return DataValidation(self)

    @property
    def conditional_formats(self) -> ConditionalFormats:
        return ConditionalFormats(self)


def _shown(value: Any) -> Any:
    """A stored cell as Excel's Value returns it (a formula's result is unknown here)."""
    if isinstance(value, Formula):
        return value.text
    return "" if value is None else value


class Font(_Counted, base_classes.Font):
    """A range's font (bold only)."""

    def __init__(self, rng: Range) -> None:
        self._range = rng

    @property
    def bold(self) -> bool:
        return all(cell in self._range._sheet._data.bold for cell in self._range._each())

    @bold.setter
    def bold(self, value: bool) -> None:
        bold = self._range._sheet._data.bold
        for cell in self._range._each():
            (bold.add if value else bold.discard)(cell)


class DataValidation(_Counted, base_classes.DataValidation):
    """A range's validation rule (lists only)."""

    def __init__(self, rng: Range) -> None:
        self._range = rng

    def set_list(self, source: Any, in_cell_dropdown: bool) -> None:
        self._range._sheet._data.validations.append((self._range._address(), list(source)))

    def delete(self) -> None:
        self._range._sheet._data.validations.clear()


class ConditionalFormats(_Counted, base_classes.ConditionalFormats):
    """A range's conditional formats (custom formulas only)."""

    def __init__(self, rng: Range) -> None:
        self._range = rng

    def add_custom(self, spec: dict[str, Any]) -> None:
        self._range._sheet._data.conditional.append((self._range._address(), spec))

    def clear(self) -> None:
        self._range._sheet._data.conditional.clear()


class FreezePanes(_Counted, base_classes.FreezePanes):
    """The frozen panes: the top-left cell of the scrolling pane."""

    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet

    def freeze_at(self, frozen_range: str) -> None:
        self._sheet._data.freeze = frozen_range.replace("$", "")

    def unfreeze(self) -> None:
        self._sheet._data.freeze = None


class _Named(_Counted):
    """A sheet's collection of named things (its Tables or charts), by name or 1-based index."""

    _kind: str  # the list in the sheet's data that holds them

    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet

    def _items(self) -> list[Any]:
        items: list[Any] = getattr(self._sheet._data, self._kind)
        return items

    def __call__(self, name_or_index: str | int) -> Any:
        if isinstance(name_or_index, str):
            return next(item for item in self._items() if item._name == name_or_index)
        return self._items()[name_or_index - 1]

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Any:
        return iter(list(self._items()))

    def __contains__(self, key: str) -> bool:
        return any(item._name == key for item in self._items())


class Table(_Counted, base_classes.Table):
    """An Excel Table (ListObject): a name and a range with a header row."""

    def __init__(self, sheet: Sheet, name: str, top: tuple[int, int], bottom: tuple[int, int]):
        self._sheet, self._name, self._top, self._bottom = sheet, name, top, bottom

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def range(self) -> Range:
        return Range(self._sheet, self._top, self._bottom)

    @property
    def header_row_range(self) -> Range:
        return Range(self._sheet, self._top, (self._top[0], self._bottom[1]))

    @property
    def show_totals(self) -> bool:
        return False

    @show_totals.setter
    def show_totals(self, value: bool) -> None:
        raise NotImplementedError("a Table's totals row is not modelled")

    def resize(self, rng: Any) -> None:
        cells = rng.impl  # xlwings hands Table.resize its own Range
        self._top, self._bottom = cells._top, cells._bottom


class Tables(_Named, base_classes.Tables):
    """The Tables on a sheet."""

    _kind = "tables"

    def add(
        self,
        source_type: Any = None,
        source: Any = None,
        link_source: Any = None,
        has_headers: Any = True,
        destination: Any = None,
        table_style_name: Any = None,
        name: str | None = None,
    ) -> Table:
        cells = source.impl  # xlwings hands Tables.add its own Range
        table = Table(self._sheet, name or f"Table{len(self) + 1}", cells._top, cells._bottom)
        self._sheet._data.tables.append(table)
        return table


class Chart(_Counted, base_classes.Chart):
    """A native chart: its type, title, source and category ranges, series names."""

    def __init__(self, sheet: Sheet, name: str, chart_type: str | None) -> None:
        self._sheet, self._name = sheet, name
        self._type = chart_type or "column_clustered"
        self._title: str | None = None
        self._source: str | None = None
        self._categories: str | None = None
        self._series: list[ChartSeries] = []

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def chart_type(self) -> str:
        return self._type

    @chart_type.setter
    def chart_type(self, value: str) -> None:
        self._type = value

    @property
    def title(self) -> str | None:
        return self._title

    @title.setter
    def title(self, value: str | None) -> None:
        self._title = value

    def set_source_data(self, rng: Range, plot_by: Any = None) -> None:
        self._source = f"{rng._sheet._name}!{rng._address()}"
        count = rng._areas.count(",") + 1 if rng._areas else rng._shape()[1]
        self._series = [ChartSeries(f"Series{i + 1}") for i in range(count)]

    def set_x_axis_values(self, rng: Range) -> None:
        self._categories = f"{rng._sheet._name}!{rng._address()}"

    @property
    def series(self) -> ChartSeriesCollection:
        return ChartSeriesCollection(self)

    def delete(self) -> None:
        self._sheet._data.charts.remove(self)


class ChartSeries(_Counted, base_classes.ChartSeries):
    """One series of a chart (its name)."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    def set(self, *, name: Any = None, **_: Any) -> None:
        if isinstance(name, str):
            self._name = name


class ChartSeriesCollection(_Counted, base_classes.ChartSeriesCollection):
    """A chart's series, by position."""

    def __init__(self, chart: Chart) -> None:
        self._chart = chart

    def __call__(self, index: int) -> ChartSeries:
        return self._chart._series[index - 1]

    def __len__(self) -> int:
        return len(self._chart._series)

    def __iter__(self) -> Any:
        return iter(list(self._chart._series))


class Charts(_Named, base_classes.Charts):
    """The charts on a sheet."""

    _kind = "charts"

    def add(
        self,
        left: float = 0,
        top: float = 0,
        width: float = 355,
        height: float = 211,
        chart_type: str | None = None,
        source: Range | None = None,
        plot_by: Any = None,
        name: str | None = None,
        anchor: Range | None = None,
        style: Any = None,
    ) -> Chart:
        chart = Chart(self._sheet, name or f"Chart {len(self) + 1}", chart_type)
        if source is not None:
            chart.set_source_data(source, plot_by)
        self._sheet._data.charts.append(chart)
        return chart


def memory_book(
    sheets: dict[str, list[list[Any]]],
    fullname: str = "C:/data/客户.xlsx",
    engine_freezes: bool = True,
) -> Any:
    """An ``xlwings.Book`` (xlwings' own class) over a new in-memory book with these sheets."""
    impl = MemoryBook(fullname, engine_freezes)
    for name, rows in sheets.items():
        impl._add_sheet(name, rows)
    return xw.Book(impl=impl)


def book_from_file(path: Path) -> Any:
    """An ``xlwings.Book`` holding a workbook file's values, Excel Tables, tab colours and
    AutoFilters, as Excel opens it."""
    reader = XlsxReader(path)
    xl = memory_book({name: reader.read_grid(name) for name in reader.sheet_names()})
    for table in reader.tables():
        sheet = xl.sheets[table.sheet]
        cells = sheet.range(
            (table.header_row, table.first_column), (table.last_row, table.last_column)
        )
        sheet.tables.add(cells, name=table.name)
    # The header rows' bold and fills (what a result header copies), as styled in the file.
    styled = openpyxl.load_workbook(path, read_only=True)
    for ws in styled.worksheets:
        data = xl.sheets[ws.title].impl._data
        for row in ws.iter_rows(max_row=HEADER_SCAN_ROWS):
            for cell in row:
                if not hasattr(cell, "column"):
                    continue  # an empty cell of a short row
                if cell.font is not None and cell.font.b:
                    data.bold.add((cell.row, cell.column))
                if cell.fill is not None and cell.fill.fill_type == "solid":
                    data.fills[(cell.row, cell.column)] = cell.fill.fgColor.rgb[-6:].upper()
    styled.close()
    with zipfile.ZipFile(path) as package:
        for name, part in reader._parts.items():
            xml = package.read(part)
            data = xl.sheets[name].impl._data
            tab = _TAB_COLOR.search(xml)
            data.tab_color = tab.group(1)[-6:].decode().upper() if tab else None
            found = _AUTOFILTER.search(xml)
            data.autofilter = found.group(1).decode() if found else None
            data.filtering = bool(found and not found.group(2) and b"<filterColumn" in xml)
    return xl
