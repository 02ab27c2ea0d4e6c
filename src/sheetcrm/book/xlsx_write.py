"""The preserving workbook writer: edits the .xlsx package instead of rebuilding it.

Only sheetcrm's own sheets, the result columns of the customer table (cells,
dimension, widths, the Excel Table around them) and the few styles they need
are written; every other part of the file is copied byte for byte. The
customer sheet is edited as a stream of ``<row>`` elements, never as a tree,
so a full 1,048,576-row sheet costs about its own size in memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import math
import numbers
import os
import posixpath
import re
import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from lxml import etree

from .. import _background
from ..a1 import (
    MAX_COLUMN,
    MAX_ROW,
    cell_ref,
    column_from_bytes,
    column_letter,
    parse_cell,
    parse_range,
    range_ref,
)
from ..errors import WorkbookError
from ..i18n import tr
from ..values import excel_serial
from .base import CellError, CellValue, ResultColumn, SheetSpec
from .charts import drawing_parts
from .namespaces import MAIN_NS, OFFICE_REL_NS, office_rel
from .package import (
    Deflated,
    Fingerprint,
    Package,
    deflate_stream,
    fingerprint,
    parse_xml,
    serialize,
    stream_part,
)
from .sheetstream import row_pieces, sheet_start
from .styles import Styles, argb

__all__ = ["PackageWriter"]

_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
_CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_MAX_TEXT = 32767  # Excel's limit on characters in one cell
# From this size (sheet XML, bytes: about 60,000 customers) result columns are written by a
# forked child while the jobs go on: on a full sheet that takes a second core for ~20 s.
_BACKGROUND_PART = 64 * 2**20
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_HEADER_FILL = "DDEBF7"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in text as an escaped character; a literal one must itself be escaped.
_EXCEL_ESCAPE = re.compile("(_x[0-9A-Fa-f]{4}_)")
# Characters that stop text going into XML as it is (escapes or cleaning needed).
_UNSAFE = re.compile(f"{_ILLEGAL_XML.pattern[:-1]}&<>\n]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR_R = re.compile(rb'\br\s*=\s*["\']([A-Za-z]*)(\d+)["\']')
_ATTR_T = re.compile(rb'\bt\s*=\s*["\'](\w+)["\']')
_ATTR_S = re.compile(rb'\bs\s*=\s*["\'](\d+)["\']')
_SPANS = re.compile(rb'\s+spans\s*=\s*["\'][^"\']*["\']')
_CELL_REFS = re.compile(rb'<c r="([A-Z]+)\d+"')
_CONTENT = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_SHARED_ITEM = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", re.S)
_DIMENSION = re.compile(rb'(<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*")([^"]*)(")')
_COLS = re.compile(rb"<(\w+:)?cols>(.*?)</(?:\w+:)?cols>", re.S)
_REF_LETTERS = re.compile(rb"[A-Z]{1,3}(?=\d)")
_TAG_NAME_END = frozenset(b" >/\t\r\n")  # what may follow a tag's name
_ROW_OPEN = re.compile(rb'<row(?: r="(\d+)")?')
_ROW_SPANS = re.compile(rb'(<row r="\d+") spans="[^"]*"')
_SPANS_LEFT = re.compile(rb"<row\b[^>]*\sspans=")


def _clean_text(text: str) -> str:
    """Text safe for a cell: legal XML characters, literal _xHHHH_ kept, Excel's length."""
    text = _EXCEL_ESCAPE.sub(r"_x005F\1", _ILLEGAL_XML.sub("", text))
    return text[:_MAX_TEXT]


def _preserve(text: str) -> str:
    """The xml:space attribute text needs so Excel keeps its outer spaces and line breaks."""
    return ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""


def _plain(text: str) -> bool:
    """True for text that goes into a cell as it is: no escapes, cleaning, outer spaces or excess."""
    # Separate tests: a pattern with alternatives is tried at every character, a class is not.
    return (
        len(text) <= _MAX_TEXT
        and text == text.strip()
        and not _UNSAFE.search(text)
        and ("_x" not in text or not _EXCEL_ESCAPE.search(text))
    )


def _is_blank(value: object) -> bool:
    """True for values that leave a cell empty: None, NaN, NaT, pandas NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and NA are the values unequal to themselves
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class _CellStyles:
    """The style indexes a value may need on top of its column's own style."""

    plain: int | None
    date: int
    datetime: int


def _cell_xml(
    ref: str, value: CellValue, style: int | None, styles: _CellStyles, date1904: bool
) -> bytes:
    """One ``<c>`` element; text is always an inline string, never a formula."""
    tail = _cell_tail(value, style, styles, date1904)
    return f'<c r="{ref}{tail}'.encode() if tail else b""


def _cell_tail(value: CellValue, style: int | None, styles: _CellStyles, date1904: bool) -> str:
    """A ``<c>`` element from the quote that ends its ``r`` on ("" for no cell at all)."""
    if _is_blank(value):
        return f'" s="{style}"/>' if style else ""
    style_attr = f' s="{style}"' if style else ""
    if isinstance(value, str) and _plain(value):  # most text: as it is
        return f'"{style_attr} t="inlineStr"><is><t>{value}</t></is></c>'
    if isinstance(value, CellError):
        return f'"{style_attr} t="e"><v>{escape(value.code)}</v></c>'
    if isinstance(value, bool | np.bool_):
        return f'"{style_attr} t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, numbers.Integral):
        return f'"{style_attr}><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isinf(number):
            return f'"{style_attr} t="e"><v>#NUM!</v></c>'
        return f'"{style_attr}><v>{number!r}</v></c>'
    if isinstance(value, dt.date):
        is_datetime = isinstance(value, dt.datetime)
        if style is None:
            style = styles.datetime if is_datetime else styles.date
        serial = excel_serial(value, date1904)
        text = repr(serial) if is_datetime else str(int(serial))
        return f'" s="{style}"><v>{text}</v></c>'
    text = _clean_text(str(value))
    return f'"{style_attr} t="inlineStr"><is><t{_preserve(text)}>{escape(text)}</t></is></c>'


def _distinct(values: np.ndarray, uniform: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(code of each value, one value per code); blank values get code -1.

    Values count as the same only when equal and of the same type, so that
    True, 1 and 1.0 (equal in Python) keep their own cell XML. ``uniform``
    says every value has one type (a typed column), which spares that test.
    """
    try:
        by_value, uniques = pd.factorize(values)
    except TypeError:  # an unhashable value: every cell on its own
        return np.arange(len(values)), values
    if uniform or len({kind for kind in set(map(type, values)) if _is_number(kind)}) < 2:
        return by_value, np.asarray(uniques, dtype=object)
    by_type, types = pd.factorize(np.fromiter(map(type, values), object, len(values)))
    codes, keys = pd.factorize(np.where(by_value < 0, -1, by_value * len(types) + by_type))
    first = np.empty(len(keys), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(values))[::-1]  # the first value of each code
    blank = keys < 0
    if blank.any():  # blank values: code -1, and the codes after theirs move down by one
        gone = int(np.flatnonzero(blank)[0])
        codes = np.where(codes == gone, -1, codes - (codes > gone))
        first = first[~blank]
    return codes, values[first]


def _is_number(kind: type) -> bool:
    return issubclass(kind, numbers.Number)


@dataclass(frozen=True)
class _Encoded:
    """A column's cells as tails (XML from the quote ending ``r`` on) shared by equal values."""

    codes: np.ndarray  # the tail of each value; blank values take the last one
    tails: np.ndarray  # bytes; b"" where no cell is written at all


def _encode(
    values: np.ndarray,
    style: int | None,
    styles: _CellStyles,
    date1904: bool,
    uniform: bool = False,
) -> _Encoded:
    """The tails of a column's values, each distinct value encoded once."""
    # Result columns repeat few distinct values (tiers, scores, dates): encode each one once.
    codes, distinct = _distinct(values, uniform)
    codes = np.where(codes < 0, len(distinct), codes)  # blank cells take the last tail
    codes = codes.astype(np.min_scalar_type(len(distinct)))  # small to send to a worker
    style_attr = f' s="{style}"' if style else ""
    text_head = f'"{style_attr} t="inlineStr"><is><t>'
    # Plain text, nearly every distinct value of a big column, skips _cell_tail's type tests.
    tails = [
        f"{text_head}{v}</t></is></c>".encode()
        if type(v) is str and _plain(v)
        else _cell_tail(v, style, styles, date1904).encode()
        for v in distinct
    ]
    tails.append(_cell_tail(None, style, styles, date1904).encode())
    return _Encoded(codes, np.array(tails, dtype=object))


def _cells_xml(letters: str, encoded: _Encoded, rows: np.ndarray, part: slice) -> np.ndarray:
    """The ``<c>`` XML (bytes) of encoded values ``part`` in the given rows (b"" for no cell)."""
    codes = encoded.codes[part]
    cells = f'<c r="{letters}'.encode() + rows + encoded.tails[codes]
    no_cell = encoded.tails == b""
    if no_cell.any():
        cells[no_cell[codes]] = b""
    return cells


def _column_cells(
    letters: str,
    style: int | None,
    values: np.ndarray,
    rows: np.ndarray,
    styles: _CellStyles,
    date1904: bool,
) -> np.ndarray:
    """The ``<c>`` XML (bytes) of a column's values in the given rows (b"" for no cell)."""
    return _cells_xml(letters, _encode(values, style, styles, date1904), rows, slice(None))


class _EncodedRows:
    """The new cells of each row, joined a block of rows at a time.

    Each column comes encoded once (:func:`_encode`); blocks keep the joined
    XML small on a million-row sheet.
    """

    BLOCK = 32768

    def __init__(
        self, targets: list[_Target], encoded: list[_Encoded], header_row: int, rows_end: int
    ) -> None:
        self.targets, self.encoded = targets, encoded
        self.no_cell = [e.tails == b"" for e in encoded]  # per tail: no cell written at all
        self.header_row, self.rows_end = header_row, rows_end
        self.start = -1
        self.columns: list[np.ndarray] = []
        self.rows: np.ndarray = np.empty(0, dtype=object)

    def _columns(self, first: int, last: int) -> list[np.ndarray]:
        """The new cells of rows first..last, one array per target column."""
        data_first = max(first, self.header_row + 1)
        numbers = np.arange(data_first, last + 1).astype(bytes).astype(object)
        part = slice(data_first - self.header_row - 1, last - self.header_row)
        columns = []
        for target, encoded in zip(self.targets, self.encoded, strict=True):
            cells = _cells_xml(target.letters, encoded, numbers, part)
            if first == self.header_row:
                cells = np.concatenate([np.array([target.header], dtype=object), cells])
            columns.append(cells)
        return columns

    def weave(self, rows: list[bytes], first: int, close: bytes) -> Iterator[bytes]:
        """Rows first.. (each up to its closing tag), each with its new cells and ``close``
        after it, joined a few thousand rows at a time."""
        if first == self.header_row:  # the header row gets the headers
            yield rows[0] + b"".join(target.header for target in self.targets) + close
            rows, first = rows[1:], first + 1
        # A grid of references: [row, (prefix, number, tail) per column, close] for each row,
        # joined at once. Nothing is built per cell; a million-row sheet has 15 million cells.
        for at in range(0, len(rows), 8192):
            count = min(8192, len(rows) - at)
            start = first + at
            grid = np.empty((count, 3 * len(self.targets) + 2), dtype=object)
            grid[:, 0] = rows[at : at + count]
            grid[:, -1] = close
            numbers = np.arange(start, start + count).astype(bytes).astype(object)
            part = slice(start - self.header_row - 1, start - self.header_row - 1 + count)
            columns = zip(self.targets, self.encoded, self.no_cell, strict=True)
            for column, (target, encoded, no_cell) in enumerate(columns):
                codes = encoded.codes[part]
                grid[:, 3 * column + 1] = f'<c r="{target.letters}'.encode()
                grid[:, 3 * column + 2] = numbers
                grid[:, 3 * column + 3] = encoded.tails[codes]
                if no_cell.any():  # no cell at all: no reference either
                    grid[no_cell[codes], 3 * column + 1 : 3 * column + 3] = b""
            yield b"".join(grid.ravel().tolist())

    def _load(self, row: int) -> int:
        start = self.header_row + (row - self.header_row) // self.BLOCK * self.BLOCK
        if start != self.start:
            self.columns = self._columns(start, min(start + self.BLOCK - 1, self.rows_end))
            self.rows = np.fromiter(
                map(b"".join, zip(*self.columns, strict=True)), object, len(self.columns[0])
            )
            self.start = start
        return row - start

    def joined(self, row: int) -> bytes:
        """All new cells of a row, in column order."""
        index = self._load(row)  # first: loading a block replaces self.rows
        joined: bytes = self.rows[index]
        return joined

    def cells(self, row: int) -> list[tuple[int, bytes]]:
        """(column, XML) of each new cell of a row."""
        index = self._load(row)
        return [
            (target.column, cells[index])
            for target, cells in zip(self.targets, self.columns, strict=True)
            if cells[index]
        ]


def _uniform(values: Sequence[CellValue]) -> bool:
    """True for a typed array of values (one type throughout, blanks aside)."""
    # numpy and pandas' masked dtypes alike; object, string and category columns can mix types.
    return getattr(getattr(values, "dtype", None), "kind", "O") in "biufmM"


def _padded(
    values: Sequence[CellValue], count: int, positions: np.ndarray | None = None
) -> np.ndarray:
    """A column's values as an object array of length count, None where no value goes.

    Value i goes to positions[i] (default: i).
    """
    if positions is not None and np.array_equal(positions, np.arange(len(positions))):
        positions = None  # row after row from the first, no gap (the usual table): in order
    array = np.full(count, None, dtype=object)
    if isinstance(values, np.ndarray | pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        values = values.tolist()  # native scalars, as the cell XML is built from them
    filled = min(len(values), count if positions is None else len(positions))
    if positions is None:
        array[:filled] = values[:filled]
    else:
        array[positions[:filled]] = values[:filled]
    return array


def _xml_text(raw: bytes) -> str:
    """Unescape the text content of an XML element given as bytes."""
    return etree.fromstring(b"<x>" + raw + b"</x>").text or ""


@dataclass
class _Cell:
    """A cell of an existing row: its column and its XML as found."""

    column: int
    xml: bytes
    attrs: bytes
    body: bytes | None

    @property
    def empty(self) -> bool:
        return not self.body or not _CONTENT.search(self.body)

    @property
    def formula(self) -> bool:
        return bool(self.body) and _FORMULA.search(self.body or b"") is not None


def _cells(body: bytes, row: int) -> list[_Cell]:
    """The cells of a row body, with positions computed for cells lacking ``r``."""
    found: list[_Cell] = []
    column = 0
    for match in _CELL.finditer(body):
        attrs = match.group(1)
        ref = _ATTR_R.search(attrs)
        column = column_from_bytes(ref.group(1)) if ref and ref.group(1) else column + 1
        xml = match.group(0)
        if not ref:  # give it an explicit position: cells inserted before it would shift it
            xml = re.sub(
                rb"^<((?:\w+:)?c)\b",
                rb'<\1 r="' + cell_ref(row, column).encode() + b'"',
                xml,
            )
        found.append(_Cell(column, xml, attrs, match.group(2)))
    return found


@dataclass
class _Target:
    """Where one result column goes and how its cells look."""

    column: int
    letters: str
    title: str  # the header text as written (also the Excel Table column name)
    header: bytes
    values: Sequence[CellValue]
    style: int | None
    replace: bool  # a column sheetcrm wrote before (else: must be empty)


class _SharedStrings:
    """The shared string table, split into items lazily (only header cells need it)."""

    def __init__(self, data: bytes | None) -> None:
        self.data = data
        self.items: list[bytes] | None = None

    def text(self, index: int) -> str:
        if self.items is None:
            self.items = [m.group(1) or b"" for m in _SHARED_ITEM.finditer(self.data or b"")]
        if not 0 <= index < len(self.items):
            return ""
        item = _PHONETIC.sub(b"", self.items[index])
        return "".join(_xml_text(piece) for piece in _TEXT.findall(item))


def _cell_text(cell: _Cell, shared: _SharedStrings) -> str:
    """The text a header cell shows (numbers as written), stripped."""
    body = cell.body or b""
    kind = _ATTR_T.search(cell.attrs)
    kind_name = kind.group(1) if kind else b"n"
    if kind_name == b"inlineStr":
        return "".join(
            _xml_text(piece) for piece in _TEXT.findall(_PHONETIC.sub(b"", body))
        ).strip()
    value = _VALUE.search(body)
    if not value:
        return ""
    if kind_name == b"s":
        return shared.text(int(value.group(1))).strip()
    return _xml_text(value.group(1)).strip()


@dataclass(frozen=True)
class _MergePlan:
    """What merging new cells into each existing row needs, worked out once per sheet."""

    first_target: int
    first_letters: bytes
    replaced: dict[int, _Target]  # the target of each result column
    letters: frozenset[bytes]  # the column letters of the targets
    rerun: bool  # every result column replaces one sheetcrm wrote before
    sheet: str


@dataclass
class _SheetEntry:
    name: str
    part: str
    element: etree._Element


class PackageWriter:
    """Edits a workbook file in place of rebuilding it; changes are kept until :meth:`save`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._load()

    def _load(self) -> None:
        """Read the file as it is on disk now; pending changes are forgotten."""
        self.package = Package(self.path)
        self.fingerprint: Fingerprint = fingerprint(self.path, self.package.data)
        self._workbook = parse_xml(
            self.package.read(self.package.workbook_part), self.package.workbook_part
        )
        if self._workbook.tag != f"{{{MAIN_NS}}}workbook":
            raise WorkbookError(
                tr(
                    f"{self.path.name} 是“严格 Open XML”格式，请在 Excel 中另存为普通的 Excel 工作簿 (.xlsx)",
                    f"{self.path.name} is in Strict Open XML format; save it in Excel as an ordinary "
                    "Excel Workbook (.xlsx)",
                )
            )
        pr = self._workbook.find(f"{{{MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self._styles: Styles | None = None
        self._shared_strings: _SharedStrings | None = None
        self._drop_calc_chain = False
        # Result columns being written by a worker process: (part, its compressed XML and
        # whether a formula was overwritten), stored by _settle.
        self._pending: list[tuple[str, _background.Pending[tuple[Deflated, bool]]]] = []

    # -- workbook structure ---------------------------------------------------------------

    def _sheets(self) -> list[_SheetEntry]:
        rels = self.package.rels(self.package.workbook_part)
        entries = []
        for element in self._workbook.iter(f"{{{MAIN_NS}}}sheet"):
            part = rels.target(element.get(f"{{{OFFICE_REL_NS}}}id", ""))
            if part:
                entries.append(_SheetEntry(element.get("name", ""), part, element))
        return entries

    def _find_sheet(self, name: str) -> _SheetEntry | None:
        """The sheet with this name (Excel compares names case-insensitively)."""
        return next((s for s in self._sheets() if s.name.casefold() == name.casefold()), None)

    def _styles_(self) -> Styles:
        if self._styles is None:
            self._styles = Styles(self.package)
        return self._styles

    def _cell_styles(self, base: int | None = None) -> _CellStyles:
        styles = self._styles_()
        return _CellStyles(
            base,
            styles.cell_xf(base=base or 0, number_format=_DATE_FORMAT),
            styles.cell_xf(base=base or 0, number_format=_DATETIME_FORMAT),
        )

    # -- whole sheets ----------------------------------------------------------------------

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a worksheet that sheetcrm owns."""
        _check_sheet_name(spec.name)
        existing = self._find_sheet(spec.name)
        if existing is not None:
            if self.package.content_type(existing.part) != _WORKSHEET_TYPE:
                raise WorkbookError(
                    tr(
                        f"工作表“{spec.name}”已存在且不是普通工作表（可能是图表页），请改名或删除后重试",
                        f"sheet '{spec.name}' exists and is not a worksheet (a chart sheet?); "
                        "rename or delete it and try again",
                    )
                )
            part = existing.part
            if _FORMULA.search(self.package.read(part)):  # the calc chain would name lost formulas
                self._drop_calc_chain = True
            self._drop_sheet_parts(part)
        else:
            part = self.package.new_part_name("xl/worksheets/sheet{}.xml")
            rels = self.package.rels(self.package.workbook_part)
            rel_id = rels.add(office_rel("worksheet"), part)
            rels.save()
            sheets = self._workbook.find(f"{{{MAIN_NS}}}sheets")
            assert sheets is not None
            ids = [int(s.get("sheetId", "0")) for s in sheets]
            element = etree.SubElement(
                sheets, f"{{{MAIN_NS}}}sheet", name=spec.name, sheetId=str(max(ids, default=0) + 1)
            )
            element.set(f"{{{OFFICE_REL_NS}}}id", rel_id)
            self.package.write(self.package.workbook_part, serialize(self._workbook))
            self.package.set_content_type(part, _WORKSHEET_TYPE)
        drawing_id = self._write_drawing(part, spec) if spec.charts else None
        # About 40 bytes a cell: enough to tell a big sheet (compressed faster) from a small one.
        size_hint = 40 * sum(map(len, spec.rows))
        self.package.write_stream(part, self._sheet_xml(spec, drawing_id), size_hint)

    def _drop_sheet_parts(self, part: str) -> None:
        """Delete what only the old version of one of our sheets used (drawings, charts, …)."""
        doomed: list[str] = []
        pending = [part]
        while pending:
            source = pending.pop()
            for _, _, target in self.package.rels(source).items():
                if target not in doomed and target != part and self.package.exists(target):
                    doomed.append(target)
                    pending.append(target)
        others = self._references(exclude={part, *doomed})
        for target in doomed:
            if target not in others:
                rels = self.package.rels(target)
                if self.package.exists(rels.path):
                    self.package.delete(rels.path)
                self.package.delete(target)
        sheet_rels = self.package.rels(part)
        if self.package.exists(sheet_rels.path):
            self.package.delete(sheet_rels.path)

    def _references(self, exclude: set[str]) -> set[str]:
        """Every part referenced from a relationship file whose source is not excluded."""
        found: set[str] = set()
        for name in self.package.names():
            if not name.endswith(".rels"):
                continue
            folder, file = posixpath.split(name)
            source = posixpath.join(posixpath.dirname(folder), file[: -len(".rels")])
            if source not in exclude:
                found.update(target for _, _, target in self.package.rels(source).items())
        return found

    def _write_drawing(self, part: str, spec: SheetSpec) -> str:
        """Add the drawing and chart parts for a sheet's charts; the sheet's rel id to it."""
        parts = drawing_parts(spec.charts, spec.name, spec.rows)
        drawing = self.package.new_part_name("xl/drawings/drawing{}.xml")
        self.package.write(drawing, parts.drawing_xml)
        self.package.set_content_type(drawing, _DRAWING_TYPE)
        drawing_rels = self.package.rels(drawing)
        for index, chart_xml in enumerate(parts.charts):
            chart = self.package.new_part_name("xl/charts/chart{}.xml")
            self.package.write(chart, chart_xml)
            self.package.set_content_type(chart, _CHART_TYPE)
            rel_id = drawing_rels.add(office_rel("chart"), chart)
            if rel_id != f"rId{index + 1}":
                raise AssertionError(f"drawing relationship {rel_id} out of order")
        drawing_rels.save()
        sheet_rels = self.package.rels(part)
        rel_id = sheet_rels.add(office_rel("drawing"), drawing)
        sheet_rels.save()
        return rel_id

    def _sheet_xml(self, spec: SheetSpec, drawing_id: str | None) -> Iterator[bytes]:
        """The worksheet XML of a sheet sheetcrm owns, in pieces."""
        styles = self._styles_()
        cell_styles = self._cell_styles()
        width = max((len(row) for row in spec.rows), default=0)
        height = len(spec.rows)
        header_style = styles.cell_xf(bold=True, fill=_HEADER_FILL)
        column_styles = {
            c: styles.cell_xf(number_format=fmt) for c, fmt in spec.number_formats.items()
        }
        out: list[str] = [f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{OFFICE_REL_NS}">']
        if spec.tab_color:
            out.append(f'<sheetPr><tabColor rgb="{argb(spec.tab_color)}"/></sheetPr>')
        out.append(f'<dimension ref="{range_ref(1, 1, max(height, 1), max(width, 1))}"/>')
        out.append(f"<sheetViews>{_sheet_view(spec.freeze)}</sheetViews>")
        out.append('<sheetFormatPr defaultRowHeight="15"/>')
        if spec.widths:
            cols = "".join(
                f'<col min="{c + 1}" max="{c + 1}" width="{w:g}" customWidth="1"/>'
                for c, w in sorted(spec.widths.items())
            )
            out.append(f"<cols>{cols}</cols>")
        head = "".join(out).encode()
        out = ["</sheetData>"]
        first_data = spec.header_rows + 1
        last_data = max(height, first_data)
        if spec.autofilter and height and width:
            out.append(f'<autoFilter ref="{range_ref(spec.header_rows, 1, height, width)}"/>')
        for priority, fill in enumerate(spec.conditional, start=1):
            dxf = styles.dxf(fill.fill, fill.font)
            sqref = range_ref(first_data, fill.columns[0] + 1, last_data, fill.columns[1] + 1)
            out.append(
                f'<conditionalFormatting sqref="{sqref}"><cfRule type="expression" dxfId="{dxf}" '
                f'priority="{priority}"><formula>{escape(fill.formula.lstrip("="))}</formula></cfRule>'
                "</conditionalFormatting>"
            )
        if spec.validations:
            out.append(f'<dataValidations count="{len(spec.validations)}">')
            for validation in spec.validations:
                letters = column_letter(validation.column + 1)
                out.append(
                    f'<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                    f'sqref="{letters}{first_data}:{letters}{last_data}">'
                    f"<formula1>{escape(_list_formula(spec.name, letters, validation.options))}</formula1>"
                    "</dataValidation>"
                )
            out.append("</dataValidations>")
        out.append(
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        )
        if drawing_id:
            out.append(f'<drawing r:id="{drawing_id}"/>')
        out.append("</worksheet>")
        yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + head + b"<sheetData>"
        yield from self._sheet_rows(spec, width, header_style, column_styles, cell_styles)
        yield "".join(out).encode()

    def _sheet_rows(
        self,
        spec: SheetSpec,
        width: int,
        header_style: int,
        column_styles: dict[int, int],
        cell_styles: _CellStyles,
    ) -> Iterator[bytes]:
        """The ``<row>`` elements of a sheet sheetcrm owns, a block of rows at a time."""
        first = min(spec.header_rows, len(spec.rows))
        for r, row in enumerate(spec.rows[:first]):
            header = (
                _cell_xml(cell_ref(r + 1, c + 1), v, header_style, cell_styles, self.date1904)
                for c, v in enumerate(row)
            )
            yield b'<row r="%d">%s</row>' % (r + 1, b"".join(header))
        # Cells with their own style, in row order so new styles are numbered as they always were.
        bold = {(r, c) for r, c in spec.bold_cells}
        own = [
            (r, c)
            for r, c in sorted(bold | {cell for cell, fmt in spec.cell_formats.items() if fmt})
            if first <= r < len(spec.rows) and c < len(spec.rows[r])
        ]
        next_own = 0
        for start in range(first, len(spec.rows), _EncodedRows.BLOCK):
            body = spec.rows[start : start + _EncodedRows.BLOCK]
            numbers = np.arange(start + 1, start + len(body) + 1).astype(bytes).astype(object)
            lengths = np.fromiter(map(len, body), np.int64, len(body))
            columns = []
            for c in range(width):
                values = _padded([row[c] if len(row) > c else None for row in body], len(body))
                letters = column_letter(c + 1)
                style = column_styles.get(c)
                cells = _column_cells(letters, style, values, numbers, cell_styles, self.date1904)
                cells[lengths <= c] = b""  # a short row has no cell there at all
                columns.append(cells)
            while next_own < len(own) and own[next_own][0] < start + len(body):
                r, c = own[next_own]
                next_own += 1
                style = self._styles_().cell_xf(
                    bold=(r, c) in bold,
                    number_format=spec.cell_formats.get((r, c)) or spec.number_formats.get(c),
                )
                ref = cell_ref(r + 1, c + 1)
                columns[c][r - start] = _cell_xml(
                    ref, body[r - start][c], style, cell_styles, self.date1904
                )
            joined = map(b"".join, zip(*columns, strict=True)) if columns else (b"" for _ in body)
            yield b"".join(
                b'<row r="%d">%s</row>' % (n, cells) for n, cells in enumerate(joined, start + 1)
            )

    # -- result columns --------------------------------------------------------------------

    def write_columns(
        self,
        sheet: str,
        header_row: int,
        first_column: int,
        last_row: int,
        table: str | None,
        headers: list[str],
        columns: Sequence[ResultColumn],
        rows: Sequence[int] | None = None,
    ) -> None:
        """Add or replace result columns at the right edge of the customer table.

        Value i of each column goes to sheet row rows[i] (default: the rows right below the
        header, one after another): the customer frame skips blank rows.
        """
        if not columns:
            return
        entry = self._find_sheet(sheet)
        if entry is None:
            raise WorkbookError(
                tr(f"找不到工作表“{sheet}”", f"there is no sheet '{sheet}' in the workbook")
            )
        self._settle()  # columns written earlier are part of the sheet read now
        size = self.package.size(entry.part)
        header_cells = self._header(entry.part, header_row, sheet)
        table_part, table_root = self._table(entry, table) if table else (None, None)
        table_box = parse_range(table_root.get("ref", "A1")) if table_root is not None else None
        edge = first_column + len(headers) - 1
        if table_box:
            edge = max(edge, table_box[3])
        header_texts = {
            cell.column: _cell_text(cell, self._shared()) for cell in header_cells or []
        }
        edge_cell = next((cell for cell in header_cells or [] if cell.column == edge), None)
        header_style = _ATTR_S.search(edge_cell.attrs) if edge_cell else None
        header_s = int(header_style.group(1)) if header_style else None
        targets = self._plan_targets(
            columns, header_texts, first_column, edge, header_row, header_s, sheet
        )
        longest = max(len(c.values) for c in columns)
        if rows is None:
            positions = None
            rows_end = max(last_row, header_row + longest)
        else:
            positions = np.asarray(rows, dtype=np.int64)[:longest] - header_row - 1
            if len(positions) < longest or (positions < 0).any():
                raise ValueError("rows must give a row below the header for every value")
            rows_end = max(last_row, header_row + 1 + int(positions.max(initial=-1)))
        if rows_end > MAX_ROW:
            raise WorkbookError(
                tr(
                    f"工作表“{sheet}”的结果需写到第 {rows_end} 行，超过 Excel 上限 {MAX_ROW} 行",
                    f"sheet '{sheet}': results would reach row {rows_end}, past Excel's last row "
                    f"{MAX_ROW}; split the table",
                )
            )
        widths = {t.column: c.width for t, c in zip(targets, columns, strict=True) if c.width}
        styles, count = self._cell_styles(), rows_end - header_row
        by_column = sorted(targets, key=lambda t: t.column)
        job = _SpliceJob(
            self.path,
            self.fingerprint.sha256,
            entry.part,
            sheet,
            [dataclasses.replace(t, values=()) for t in by_column],  # the values are encoded
            [
                _encode(
                    _padded(t.values, count, positions),
                    t.style,
                    styles,
                    self.date1904,
                    _uniform(t.values),
                )
                for t in by_column
            ],
            header_row,
            rows_end,
            widths,
            size,
        )
        if size >= _BACKGROUND_PART and not self.package.is_changed(entry.part):
            self._pending.append((entry.part, _background.start(_splice_part, job)))
        else:  # written now: an error shows at once
            self._store(entry.part, _splice_part(job, self.package))
        if table_part is not None and table_root is not None and table_box is not None:
            self._grow_table(table_part, table_root, table_box, rows_end, targets, header_texts)

    def _header(self, part: str, header_row: int, sheet: str) -> list[_Cell] | None:
        """The cells of a sheet's header row (None if it has no such row)."""
        # Read and let go: the splice reads the part again, maybe in a worker process.
        with contextlib.closing(self.package.stream(part)) as chunks:
            first, sheet_data = sheet_start(chunks, sheet)
            name = sheet_data.group(1) or b""
            last = 0
            for index, piece in enumerate(row_pieces(first, chunks, b"</%srow>" % name)):
                begin = sheet_data.end() if index == 0 else 0
                cells, last = _header_cells(piece, header_row, name.decode(), begin, last)
                if cells is not None:
                    return cells
        return None

    def _settle(self) -> None:
        """Store the result columns written in the background (waiting for them if need be)."""
        while self._pending:
            part, pending = self._pending.pop(0)
            self._store(part, pending.result())

    def _store(self, part: str, spliced: tuple[Deflated, bool]) -> None:
        deflated, formula_replaced = spliced
        self.package.write_deflated(part, deflated)
        self._drop_calc_chain |= formula_replaced

    def _shared(self) -> _SharedStrings:
        if self._shared_strings is None:
            part = next(
                (
                    target
                    for _, rel_type, target in self.package.rels(self.package.workbook_part).items()
                    if rel_type == office_rel("sharedStrings") and self.package.exists(target)
                ),
                None,
            )
            self._shared_strings = _SharedStrings(self.package.read(part) if part else None)
        return self._shared_strings

    def _plan_targets(
        self,
        columns: Sequence[ResultColumn],
        header_texts: dict[int, str],
        first_column: int,
        edge: int,
        header_row: int,
        header_style: int | None,
        sheet: str,
    ) -> list[_Target]:
        """Choose a column for each result: its old column if it has one, else the next free."""
        styles = self._styles_()
        by_text: dict[str, int] = {}
        for column, text in sorted(header_texts.items()):
            if column >= first_column and text:
                by_text.setdefault(text, column)
        # Columns a previous run wrote keep their place; new ones go round them.
        reserved = {by_text[r.header.strip()] for r in columns if r.header.strip() in by_text}
        taken: set[int] = set()
        targets = []
        next_free = edge + 1
        for result in columns:
            header = result.header.strip()
            old = by_text.get(header)
            replace = old is not None and old not in taken
            if old is not None and replace:
                column = old
            else:
                while next_free in taken or next_free in reserved:
                    next_free += 1
                column = next_free
            if column > MAX_COLUMN:
                raise WorkbookError(
                    tr(
                        f"工作表“{sheet}”右侧没有空列可写结果了，请删除不用的列",
                        f"sheet '{sheet}' has no free column left for results; delete unused columns",
                    )
                )
            taken.add(column)
            style = (
                styles.cell_xf(number_format=result.number_format) if result.number_format else None
            )
            letters = column_letter(column)
            title = _clean_text(result.header)
            header_xml = _cell_xml(
                f"{letters}{header_row}", title, header_style, self._cell_styles(), self.date1904
            )
            targets.append(
                _Target(column, letters, title, header_xml, result.values, style, replace)
            )
        return targets

    def _table(self, entry: _SheetEntry, name: str) -> tuple[str, etree._Element]:
        """The part and parsed XML of an Excel Table on a sheet."""
        for _, rel_type, part in self.package.rels(entry.part).items():
            if rel_type != office_rel("table") or not self.package.exists(part):
                continue
            root = parse_xml(self.package.read(part), part)
            if name.casefold() in (
                root.get("name", "").casefold(),
                root.get("displayName", "").casefold(),
            ):
                return part, root
        raise WorkbookError(
            tr(
                f"工作表“{entry.name}”上没有名为“{name}”的表格",
                f"sheet '{entry.name}' has no Excel table named '{name}'",
            )
        )

    def _grow_table(
        self,
        part: str,
        root: etree._Element,
        box: tuple[int, int, int, int],
        rows_end: int,
        targets: list[_Target],
        header_texts: dict[int, str],
    ) -> None:
        """Widen an Excel Table over the result columns, one tableColumn per new column."""
        first_row, first_col, last_row, last_col = box
        new_last_col = max(last_col, *(t.column for t in targets))
        new_last_row = max(last_row, rows_end)
        ref = range_ref(first_row, first_col, new_last_row, new_last_col)
        root.set("ref", ref)
        auto = root.find(f"{{{MAIN_NS}}}autoFilter")
        if auto is not None:
            auto.set("ref", ref)
        columns = root.find(f"{{{MAIN_NS}}}tableColumns")
        assert columns is not None
        names = {t.column: t.title for t in targets}
        next_id = max((int(c.get("id", "0")) for c in columns), default=0) + 1
        for column in range(last_col + 1, new_last_col + 1):
            etree.SubElement(
                columns,
                f"{{{MAIN_NS}}}tableColumn",
                id=str(next_id),
                name=names.get(column)
                or header_texts.get(column)
                or f"Column{column - first_col + 1}",
            )
            next_id += 1
        columns.set("count", str(len(columns)))
        self.package.write(part, serialize(root))

    # -- saving ----------------------------------------------------------------------------

    def save(self, output: Path | None = None, *, backup: bool = True) -> Path:
        """Write the workbook atomically (in place with a backup, or to output); the path written."""
        target = Path(output) if output else self.path
        in_place = target.resolve() == self.path.resolve()
        self._settle()
        self._check_target(target, in_place)
        self._finish_parts()
        descriptor, name = tempfile.mkstemp(
            dir=target.parent, prefix=".~sheetcrm-", suffix=target.suffix
        )
        temp = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                self.package.save_to(handle)
                handle.flush()
                os.fsync(handle.fileno())
            if self.path.exists():  # mkstemp makes the file private; keep the original's mode
                temp.chmod(self.path.stat().st_mode & 0o777)
            if in_place and backup:
                self._backup()
            temp.replace(target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if in_place:
            self._load()  # later changes start from what is on disk now
        return target

    def _check_target(self, target: Path, in_place: bool) -> None:
        lock = target.with_name("~$" + target.name)
        if lock.exists():
            raise WorkbookError(
                tr(
                    f"{target.name} 正在 Excel 中打开，请先在 Excel 中关闭它（或用 sheetcrm 按钮在 Excel 里运行）",
                    f"{target.name} is open in Excel; close it there first (or run sheetcrm from "
                    "the button inside Excel)",
                )
            )
        # Content decides: a file touched (new mtime) but not changed is safe to overwrite.
        if in_place and (
            not self.path.exists() or fingerprint(self.path).sha256 != self.fingerprint.sha256
        ):
            raise WorkbookError(_changed_message(self.path))
        folder = target.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise WorkbookError(
                tr(
                    f"无法写入文件夹 {folder}，请检查权限或换一个保存位置",
                    f"cannot write to folder {folder}; check its permissions or choose another place",
                )
            )

    def _backup(self) -> None:
        """Keep the original as <name>.bak.<suffix>, replacing an older backup."""
        backup = self.path.with_name(f"{self.path.stem}.bak{self.path.suffix}")
        temp = backup.with_name(".~" + backup.name)
        try:
            temp.write_bytes(self.package.data)
            temp.replace(backup)
        finally:
            temp.unlink(missing_ok=True)

    def _finish_parts(self) -> None:
        """Store the pending style changes and drop a calculation chain that went stale."""
        if self._styles is not None:
            self._styles.save()
        if self._drop_calc_chain:
            rels = self.package.rels(self.package.workbook_part)
            for rel_id, rel_type, part in rels.items():
                if rel_type == office_rel("calcChain"):
                    rels.remove(rel_id)
                    if self.package.exists(part):
                        self.package.delete(part)
            rels.save()
            self._drop_calc_chain = False


def _changed_message(path: Path) -> str:
    return tr(
        f"{path.name} 在 sheetcrm 读取之后被修改过，为免覆盖这些修改，本次不保存。请重新运行",
        f"{path.name} changed after sheetcrm read it; nothing was saved so those "
        "changes are not overwritten. Run sheetcrm again",
    )


def _has_formula(xml: bytes) -> bool:
    """True when cell XML holds a formula (``<f>``, maybe with a namespace prefix)."""
    # A substring test first: the regular expression is the slow part on a million rows.
    return (b"<f" in xml or b":f" in xml) and _FORMULA.search(xml) is not None


def _split_at(body: bytes, first_target: int) -> tuple[int | None, set[int]]:
    """Where a row's cells of column first_target and beyond start, and their columns.

    Walks back from the end of the row. The position is None when that cannot
    be told cheaply (a cell without ``r``, prefixed tags): parse the whole row.
    """
    position = len(body)
    seen: set[int] = set()
    while True:
        start = body.rfind(b"<c", 0, position)
        while start >= 0 and body[start + 2 : start + 3] not in (b" ", b">", b"/"):
            start = body.rfind(b"<c", 0, start)  # <col…>, <color…>: not a cell
        if start < 0:
            return (0 if b"<" not in body[:position] else None), seen
        ref = _ATTR_R.search(body, start, body.find(b">", start))
        if not ref or not ref.group(1):
            return None, seen
        column = column_from_bytes(ref.group(1))
        if column < first_target:
            return position, seen
        seen.add(column)
        position = start


@dataclass(frozen=True)
class _RowTag:
    """Where one ``<row>`` element is: its number, tag, attributes and closing tag."""

    number: int
    start: int  # the "<" of <row
    body: int  # just after the opening tag's ">"
    close: int | None  # the "<" of </row>; None for a self-closing row
    attrs: bytes
    has_ref: bool


def _row_tags(
    data: bytes, prefix: str, begin: int = 0, stop: int | None = None, last: int = 0
) -> Iterator[_RowTag]:
    """Each ``<row>`` starting within data[begin:stop], without copying its cells.

    A row without ``r`` follows the one before; ``last`` is the number of the row before begin.

    Rows are found with bytes.find, not a regular expression: on a million-row
    sheet a lazy ``.*?`` up to ``</row>`` costs several times more.
    """
    opening = f"<{prefix}row".encode()
    closing = f"</{prefix}row>".encode()
    skip = len(opening)
    stop = len(data) if stop is None else stop
    position = data.find(opening, begin, stop)
    while position >= 0:
        if data[position + skip] not in _TAG_NAME_END:  # <rowBreaks> and the like
            position = data.find(opening, position + 1, stop)
            continue
        tag_end = data.find(b">", position)
        self_closing = data[tag_end - 1] == 0x2F  # "/>"
        attrs = data[position + skip : tag_end - self_closing]
        if attrs.startswith(b' r="'):  # how Excel writes it: no search needed
            last, has_ref = int(attrs[4 : attrs.index(b'"', 4)]), True
        else:
            ref = _ATTR_R.search(attrs)
            last, has_ref = (int(ref.group(2)), True) if ref else (last + 1, False)
        close = None if self_closing else data.find(closing, tag_end)
        yield _RowTag(last, position, tag_end + 1, close, attrs, has_ref)
        end = tag_end + 1 if close is None else close + len(closing)
        position = data.find(opening, end, stop)


def _last_column(data: bytes, begin: int, end: int) -> int | None:
    """The column of the last cell in data[begin:end] (0: no cell), None if not told cheaply."""
    at = data.rfind(b"<c", begin, end)
    while at >= 0 and data[at + 2] not in _TAG_NAME_END:  # <col…>, <color…>: not a cell
        at = data.rfind(b"<c", begin, at)
    if at < 0:
        return 0 if data.find(b"<", begin, end) < 0 else None
    if not data.startswith(b' r="', at + 2):
        return None
    letters = _REF_LETTERS.match(data, at + 6)
    return column_from_bytes(letters.group()) if letters else None


def _header_cells(
    piece: bytes, header_row: int, prefix: str, begin: int, last: int
) -> tuple[list[_Cell] | None, int]:
    """The header row's cells if this piece holds them ([] if it is past them), else None;
    and the number of the piece's last row (``last``: the row before it)."""
    for tag in _row_tags(piece, prefix, begin, last=last):
        if tag.number == header_row:
            return _cells(piece[tag.body : tag.close] if tag.close else b"", tag.number), last
        if tag.number > header_row:
            return [], last
        last = tag.number
    close = piece.find(b"</%ssheetData>" % prefix.encode(), begin)
    return ([] if close >= 0 else None), last


def _columns_left_of(grid: np.ndarray, first_target: int) -> bool:
    """True when each row of grid (bytes ' r="' and a cell reference's start) is left of a column."""
    if not (grid[:, :4] == np.frombuffer(b' r="', np.uint8)).all():
        return False
    letters = grid[:, 4:7].astype(np.int64)
    is_letter = (letters >= 65) & (letters <= 90)
    width = is_letter.cumprod(axis=1).sum(axis=1)  # the letters before the row number
    value = letters - 64
    column = np.select(
        [width == 1, width == 2],
        [value[:, 0], value[:, 0] * 26 + value[:, 1]],
        value[:, 0] * 676 + value[:, 1] * 26 + value[:, 2],
    )
    return bool((width > 0).all() and (column < first_target).all())


@dataclass(frozen=True)
class _SpliceJob:
    """What writing result cells into a sheet part needs: small, picklable, for a worker."""

    path: Path
    sha256: str  # of the file as it was read: a worker refuses a file changed since
    part: str
    sheet: str
    targets: list[_Target]  # in column order, values left out (encoded holds them)
    encoded: list[_Encoded]
    header_row: int
    rows_end: int
    widths: dict[int, float]
    size: int  # of the part's XML as read


def _splice_part(job: _SpliceJob, package: Package | None = None) -> tuple[Deflated, bool]:
    """The sheet part with the result cells written in, compressed; True if a formula went.

    Without a package (in a worker process) the part is streamed from the file, which must
    be unchanged.
    """
    if package is None:
        with job.path.open("rb") as file:
            if hashlib.file_digest(file, "sha256").hexdigest() != job.sha256:
                raise WorkbookError(_changed_message(job.path))
        chunks = stream_part(job.path, job.part)
    else:
        chunks = package.stream(job.part)
    first, sheet_data = sheet_start(chunks, job.sheet)
    name = sheet_data.group(1) or b""
    splicer = _RowSplicer(job, name)
    xml = splicer.splice(row_pieces(first, chunks, b"</%srow>" % name), sheet_data)
    return deflate_stream(xml, job.size), splicer.formula_replaced


class _RowSplicer:
    """Writes the result cells into the rows of a customer sheet, piece by piece.

    Pieces where every row is plain (Excel's ``<row r="…">``, each cell with an
    ``r``, nothing at or right of the result columns, no gap to fill) are
    spliced in bulk: split at the closing tags, new cells put in between. Any
    other piece goes row by row, merging cells where a row has some in the way.
    """

    def __init__(self, job: _SpliceJob, name: bytes) -> None:
        by_column = job.targets
        self.job, self.name = job, name
        self.encoded = _EncodedRows(by_column, job.encoded, job.header_row, job.rows_end)
        self.prefix = name.decode()
        self.open_row, self.close_row = b"<%srow" % name, b"</%srow>" % name
        self.header_row, self.rows_end = job.header_row, job.rows_end
        self.first_target = by_column[0].column
        self.first_letters = by_column[0].letters
        ours = "|".join(t.letters for t in by_column)
        self.not_ours = re.compile(f'<c(?! r="(?:{ours})\\d)'.encode())  # any other cell
        self.targets = by_column
        self.expected = self.header_row  # the next row number that must exist in the output
        self.last = 0  # the number of the last row read (a row without r follows it)
        self.past = False  # True once a row below the results went out
        self.formula_replaced = False  # True once a formula in a result column was overwritten
        self.plan = _MergePlan(
            self.first_target,
            by_column[0].letters.encode(),
            {t.column: t for t in by_column},
            frozenset(t.letters.encode() for t in by_column),
            all(t.replace for t in by_column),
            job.sheet,
        )

    def splice(
        self, segments: Iterable[bytes], sheet_data: re.Match[bytes]
    ) -> Iterator[bytes | memoryview]:
        """The sheet XML in pieces, target cells written into rows header_row..rows_end.

        Unchanged stretches are views of the pieces, not copies.
        """
        sheet = self.job.sheet
        closing = b"</%ssheetData>" % self.name
        done = False
        for index, piece in enumerate(segments):
            view = memoryview(piece)
            position = 0
            if index == 0:
                yield self.head(piece[: sheet_data.start()])
                if sheet_data.group(2):  # <sheetData/>: no rows at all
                    yield b"<%ssheetData>" % self.name
                    yield from self.fresh_rows(self.rows_end + 1)
                    yield closing
                    yield view[sheet_data.end() :]
                    done = True
                    continue
                yield view[sheet_data.start() : sheet_data.end()]
                position = sheet_data.end()
            if done or self.past:  # the results are all out: the rest as it is
                yield view[position:]
                done = done or piece.find(closing, position) >= 0
                continue
            close = piece.find(closing, position)
            stop = close if close >= 0 else len(piece)
            bulk = self.bulk(piece, position, stop)
            if bulk is None:
                position = yield from self.rows(piece, view, position, stop)
            else:
                yield from bulk
                position = stop
            if close >= 0:
                yield view[position:close]
                yield from self.fresh_rows(self.rows_end + 1)  # rows past the last existing one
                yield view[close:]
                done = True
            else:
                yield view[position:]
        if not done:
            raise WorkbookError(
                tr(
                    f"工作表“{sheet}”已损坏（没有 sheetData）",
                    f"sheet '{sheet}' is damaged (no sheetData)",
                )
            )

    def head(self, xml: bytes) -> bytes:
        """The XML before the rows, its dimension and column widths made to fit the results."""
        job = self.job
        xml = _update_dimension(xml, job.header_row, job.rows_end, job.targets[-1].column)
        return _add_widths(xml, job.widths, self.name)

    def fresh_rows(self, until: int) -> Iterator[bytes]:
        """New rows for the results in rows the sheet does not have, up to row until."""
        while self.expected < until and self.expected <= self.rows_end:
            cells = self.encoded.joined(self.expected)
            if cells:
                yield b'<%srow r="%d">' % (self.name, self.expected) + cells + self.close_row
            self.expected += 1

    def bulk(self, piece: bytes, begin: int, stop: int) -> list[bytes] | None:
        """The rows in piece[begin:stop] with their new cells, or None if they are not all plain."""
        if self.prefix:
            return None
        found = _ROW_OPEN.findall(piece, begin, stop)
        count = len(found)
        if count < 2 or b"" in found:
            return None  # rows whose r is not the first attribute
        numbers = np.array(found).astype(np.int64)
        first, last = int(numbers[0]), int(numbers[-1])
        if first < self.expected or last > self.rows_end or last - first + 1 != count:
            return None  # rows above the header, gaps to fill, rows below the results
        if not (np.diff(numbers) == 1).all():
            return None  # rows out of order
        region = piece if begin == 0 and stop == len(piece) else piece[begin:stop]
        if b"spans" in region:  # a hint Excel recomputes; stale once cells are added
            region = _ROW_SPANS.sub(rb"\1", region)
            if _SPANS_LEFT.search(region):
                return None
        rows = region.split(self.close_row)
        if len(rows) != count + 1:
            return None  # self-closing rows
        if not self.left_of_results(rows[:-1]):
            kept = self.without_old_results(rows[:-1]) if self.plan.rerun else None
            if kept is None:
                return None  # cells in the way
            rows[:-1] = kept
        out = list(self.fresh_rows(first))
        self.expected = last + 1
        self.last = last
        out += self.encoded.weave(rows[:-1], first, self.close_row)
        out.append(rows[-1])
        return out

    def left_of_results(self, rows: list[bytes]) -> bool:
        """True when the last cell of every row has its ``r`` first and is left of the results.

        Cells in a row come in column order, so only the last one can be in the way.
        """
        # ' r="' and up to three letters after each row's last "<c"; rows without cells pass.
        ends = [
            row[at + 2 : at + 9] if (at := row.rfind(b"<c")) >= 0 else b' r="A1' for row in rows
        ]
        grid = np.array(ends, dtype="S7").view(np.uint8).reshape(-1, 7)
        return _columns_left_of(grid, self.first_target)

    def without_old_results(self, rows: list[bytes]) -> list[bytes] | None:
        """The rows cut before the result cells a previous run left at their end, if that is all.

        None when a row has anything else at or right of the results (user data, a formula).
        """
        marker = b'<c r="' + self.first_letters.encode()
        starts = [row.find(marker) for row in rows]
        if -1 in starts:
            return None
        after = b"".join(
            [
                row[at + len(marker) : at + len(marker) + 1]
                for row, at in zip(rows, starts, strict=True)
            ]
        )
        if len(after) != len(rows) or not after.isdigit():
            return None  # a longer column name that starts with the same letters
        heads = [row[:at] for row, at in zip(rows, starts, strict=True)]
        if not self.left_of_results(heads):
            return None
        tails = b"".join([row[at:] for row, at in zip(rows, starts, strict=True)])
        if self.not_ours.search(tails) or _has_formula(tails):
            return None
        return heads

    def rows(
        self, piece: bytes, view: memoryview, position: int, stop: int
    ) -> Generator[bytes | memoryview, None, int]:
        """The rows in piece[position:stop] one by one; returns where the output got to."""
        for tag in _row_tags(piece, self.prefix, position, stop, self.last):
            number = self.last = tag.number
            if number < self.header_row:
                continue
            if number > self.rows_end:  # rows below the results: the rest goes out unchanged
                yield view[position : tag.start]
                position = tag.start
                yield from self.fresh_rows(self.rows_end + 1)
                self.past = True
                break
            if number > self.expected:
                yield view[position : tag.start]
                position = tag.start
                yield from self.fresh_rows(number)
            self.expected = max(self.expected, number + 1)
            attrs = tag.attrs
            if tag.close is None or not tag.has_ref or b"spans" in attrs:
                if b"spans" in attrs:  # a hint Excel recomputes; stale once cells are added
                    attrs = _SPANS.sub(b"", attrs)
                if not tag.has_ref:
                    attrs = b' r="%d"' % number + attrs
                yield view[position : tag.start]
                yield self.open_row + attrs + b">"
                position = tag.body
                if tag.close is None:  # <row …/>: no cells yet
                    yield self.encoded.joined(number) + self.close_row
                    continue
            last = None if self.prefix else _last_column(piece, tag.body, tag.close)
            if last is None or last >= self.first_target:
                # Cells at or right of the results (a re-run, or something in the way): merge.
                yield view[position : tag.body]
                yield self.merge(piece[tag.body : tag.close], number, self.encoded.joined(number))
            else:  # every cell is left of the results, which go on the end
                yield view[position : tag.close]
                yield self.encoded.joined(number)
            position = tag.close
        return position

    def merge(self, body: bytes, row: int, joined: bytes) -> bytes:
        """A row body with the new cells in column order, old cells of target columns replaced."""
        if not body or body.isspace():
            return joined
        plan = self.plan
        replaced, first_target, sheet = plan.replaced, plan.first_target, plan.sheet
        if plan.rerun:  # a re-run: our old cells end the row, swap them whole
            start = body.find(b'<c r="%s%d"' % (plan.first_letters, row))
            tail = body[start:] if start >= 0 else b""
            refs = _CELL_REFS.findall(tail)
            if (
                refs
                and len(refs) == tail.count(b"<c")
                and plan.letters.issuperset(refs)
                and not _has_formula(tail)
            ):
                return body[:start] + joined
        split, seen = _split_at(body, first_target)
        if split == len(body):
            return body + joined  # the first run: append on the right
        # Cells left of the targets stay as they are; only the tail is taken apart.
        head, tail = (body[:split], body[split:]) if split is not None else (b"", body)
        only_ours = split is not None and seen <= replaced.keys() and plan.rerun
        if only_ours and not _has_formula(tail):
            return head + joined  # a re-run: the tail is our old cells, swap it whole
        kept: list[tuple[int, bytes]] = []
        for cell in _cells(tail, row):
            target = replaced.get(cell.column)
            if target is None:
                kept.append((cell.column, cell.xml))
                continue
            if not target.replace and not cell.empty:
                raise WorkbookError(
                    tr(
                        f"工作表“{sheet}”的 {target.letters} 列（单元格 {target.letters}{row}）已有数据，"
                        f"sheetcrm 要把结果写在这一列。请把这些数据移到别处后重试",
                        f"sheet '{sheet}' column {target.letters} (cell {target.letters}{row}) holds data, "
                        "and sheetcrm needs that column for its results; move that data elsewhere and "
                        "try again",
                    )
                )
            if cell.formula:
                self.formula_replaced = True
        merged = sorted(kept + self.encoded.cells(row), key=lambda item: item[0])
        return head + b"".join(xml for _, xml in merged)


def _update_dimension(head: bytes, header_row: int, rows_end: int, last_col: int) -> bytes:
    """The sheet XML before the rows with ``<dimension>`` grown to cover the written cells."""
    match = _DIMENSION.search(head)
    if match is None:
        return head
    try:
        r1, c1, r2, c2 = parse_range(match.group(2).decode())
    except ValueError:
        r1, c1, r2, c2 = header_row, 1, rows_end, last_col
    ref = range_ref(min(r1, header_row), c1, max(r2, rows_end), max(c2, last_col))
    return head[: match.start(2)] + ref.encode() + head[match.end(2) :]


def _add_widths(head: bytes, widths: dict[int, float], prefix: bytes) -> bytes:
    """The sheet XML before the rows with ``<col>`` widths for result columns not yet covered."""
    if not widths:
        return head
    cols_match = _COLS.search(head)
    covered: set[int] = set()
    if cols_match:
        for col in re.finditer(
            rb'<(?:\w+:)?col\b[^>]*?\bmin="(\d+)"[^>]*?\bmax="(\d+)"', cols_match.group(2)
        ):
            covered.update(range(int(col.group(1)), min(int(col.group(2)), MAX_COLUMN) + 1))
    fresh = b"".join(
        b"<" + prefix + f'col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'.encode()
        for c, w in sorted(widths.items())
        if c not in covered
    )
    if not fresh:
        return head
    if cols_match:
        # <col> elements must be sorted; merge ours in by min.
        existing = re.findall(
            rb"<(?:\w+:)?col\b[^>]*?/>|<(?:\w+:)?col\b.*?</(?:\w+:)?col>", cols_match.group(2), re.S
        )
        new = re.findall(rb"<(?:\w+:)?col\b[^>]*?/>", fresh)
        ordered = sorted(existing + new, key=_col_min)
        return head[: cols_match.start(2)] + b"".join(ordered) + head[cols_match.end(2) :]
    return head + b"<" + prefix + b"cols>" + fresh + b"</" + prefix + b"cols>"  # before the rows


def _col_min(col: bytes) -> int:
    match = re.search(rb'\bmin="(\d+)"', col)
    return int(match.group(1)) if match else 0


def _sheet_view(freeze: str | None) -> str:
    """A sheetView, with frozen panes above and left of the cell ``freeze``."""
    if not freeze or freeze.upper() == "A1":
        return '<sheetView workbookViewId="0"/>'
    try:
        row, column = parse_cell(freeze)
    except ValueError:
        raise ValueError(f"freeze must be a cell like 'A2', not {freeze!r}") from None
    x_split, y_split = column - 1, row - 1
    pane = "bottomRight" if x_split and y_split else ("bottomLeft" if y_split else "topRight")
    splits = (f' xSplit="{x_split}"' if x_split else "") + (
        f' ySplit="{y_split}"' if y_split else ""
    )
    return (
        f'<sheetView workbookViewId="0"><pane{splits} topLeftCell="{freeze.upper()}" '
        f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{freeze.upper()}" '
        f'sqref="{freeze.upper()}"/></sheetView>'
    )


def _list_formula(sheet: str, letters: str, options: Sequence[str]) -> str:
    """The formula1 of a list validation: the options quoted (Excel allows 255 characters)."""
    text = ",".join(option.replace('"', '""') for option in options)
    if len(text) > 255 or any("," in option for option in options):
        raise WorkbookError(
            tr(
                f"工作表“{sheet}”{letters} 列的下拉选项太长或含逗号（{text[:40]}…），请缩短选项",
                f"the drop-down options of sheet '{sheet}' column {letters} are too long or contain "
                f"a comma ({text[:40]}…); shorten them",
            )
        )
    return f'"{text}"'


def _check_sheet_name(name: str) -> None:
    """Refuse a sheet name Excel would not accept."""
    if (
        not name
        or len(name) > 31
        or _BAD_SHEET_CHARS.search(name)
        or name.startswith("'")
        or name.endswith("'")
    ):
        raise WorkbookError(
            tr(
                f"工作表名“{name}”不可用：最多 31 个字符，不能含 [ ] : * ? / \\，不能以 ' 开头或结尾",
                f"sheet name '{name}' is not allowed: at most 31 characters, none of [ ] : * ? / \\, "
                "and no ' at either end",
            )
        )
