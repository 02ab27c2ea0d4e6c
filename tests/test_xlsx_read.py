"""XlsxReader: finding the customer table in real files, typed values, refusals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook, SheetTypeEnum

from sheetcrm import _background
from sheetcrm.book import sheetstream, xlsx_read
from sheetcrm.book.base import CellError
from sheetcrm.book.namespaces import MAIN_NS
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.errors import InputError, WorkbookError
from sheetcrm.i18n import use_lang
from sheetcrm.table.header_row import HEADER_SCAN_ROWS
from sheetcrm.tuning import Tuning

HEADERS = ["客户编号", "客户名称", "手机号码/电话", "最近购买日期", "累计金额 (¥)"]
ROWS: list[list[Any]] = [
    ["C001", "杭州西湖茶业有限公司", "138 1234 5678", dt.datetime(2024, 1, 2), 12.5],
    ["C002", "宁波海运", "0571-88881234", "2024/3/5", "¥1,234.50"],
    ["C003", "上海某某", 13900001111, "not a date", 7],
]


def _workbook(
    path: Path,
    *,
    table: str | None = "客户表",
    origin: tuple[int, int] = (2, 1),
    headers: Sequence[str] = HEADERS,
    options: dict[str, Any] | None = None,
) -> Path:
    """A workbook with a title line, then the customer rows at origin (0-based), #N/A in C002."""
    book = xlsxwriter.Workbook(str(path), options or {})
    sheet = book.add_worksheet("客户")
    sheet.write(0, 0, "2024 客户名单")
    top, left = origin
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for j, header in enumerate(headers):
        sheet.write(top, left + j, header)
    for i, row in enumerate(ROWS, start=1):
        for j, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(top + i, left + j, value, dates)
            elif value is not None:
                sheet.write(top + i, left + j, value)
    # An error value in a number column (C002 has a text amount; give C003 #N/A instead).
    sheet.write_formula(top + 3, left + 4, "=NA()", None, "#N/A")
    if table:
        sheet.add_table(
            top,
            left,
            top + len(ROWS),
            left + len(headers) - 1,
            {"name": table, "columns": [{"header": h} for h in headers]},
        )
    book.add_worksheet("备注").write(0, 0, "nothing here")
    book.close()
    return path


def test_named_table_is_found_with_its_excel_coordinates(tmp_path: Path) -> None:
    reader = XlsxReader(_workbook(tmp_path / "t.xlsx"))
    (info,) = reader.tables()
    assert (info.name, info.sheet, info.header_row, info.first_column) == ("客户表", "客户", 3, 2)
    assert (info.last_row, info.last_column) == (6, 6)
    assert info.headers == tuple(HEADERS)
    table = reader.read_customers()
    assert (table.sheet, table.table, table.header_row, table.first_column) == (
        "客户",
        "客户表",
        3,
        2,
    )
    assert list(table.frame.index) == [4, 5, 6]
    assert table.frame.loc[5, "amount"] == pytest.approx(1234.5)
    assert table.frame.loc[4, "last_purchase"] == pd.Timestamp(2024, 1, 2)
    assert table.frame.loc[5, "last_purchase"] == pd.Timestamp(2024, 3, 5)
    assert table.frame.loc[4, "mobile"] == "13812345678"


def test_error_cells_and_unreadable_values_become_problems_at_their_cells(tmp_path: Path) -> None:
    table = XlsxReader(_workbook(tmp_path / "t.xlsx")).read_customers()
    where = {(p.row, p.column, p.kind) for p in table.problems}
    assert (6, "累计金额 (¥)", "error") in where
    assert (6, "最近购买日期", "invalid") in where
    assert pd.isna(table.frame.loc[6, "amount"])
    assert table.raw.loc[6, "累计金额 (¥)"] == CellError("#N/A")


def test_read_grid_maps_error_cells_and_blanks(tmp_path: Path) -> None:
    grid = XlsxReader(_workbook(tmp_path / "t.xlsx")).read_grid("客户")
    assert grid[0][0] == "2024 客户名单"
    assert grid[1][0] is None
    assert grid[5][5] == CellError("#N/A")
    assert isinstance(grid[3][4], dt.date)


def test_plain_range_without_a_table_is_found_by_its_header_row(tmp_path: Path) -> None:
    table = XlsxReader(_workbook(tmp_path / "t.xlsx", table=None, origin=(4, 0))).read_customers()
    assert (table.sheet, table.table, table.header_row, table.first_column) == ("客户", None, 5, 1)
    assert list(table.frame["id"]) == ["C001", "C002", "C003"]


def test_sheet_option_restricts_the_search(tmp_path: Path) -> None:
    reader = XlsxReader(_workbook(tmp_path / "t.xlsx", table=None))
    with use_lang("en"), pytest.raises(InputError, match="备注"):
        reader.read_customers(sheet="备注")


def test_nothing_matching_lists_the_sheets_and_headers_seen(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "t.xlsx", table=None, headers=["A", "B", "C", "D", "E"])
    with use_lang("en"), pytest.raises(InputError) as caught:
        XlsxReader(path).read_customers()
    message = str(caught.value)
    assert "客户" in message and "备注" in message and "--sheet" in message


def test_unknown_table_name_lists_the_tables(tmp_path: Path) -> None:
    reader = XlsxReader(_workbook(tmp_path / "t.xlsx"))
    with use_lang("en"), pytest.raises(InputError, match="客户表"):
        reader.read_customers(table="Customers")
    assert reader.read_customers(table="客户表").table == "客户表"


def test_overrides_map_unusual_headers(tmp_path: Path) -> None:
    headers = ["编号", "单位", "联系方式", "上次", "钱"]
    path = _workbook(tmp_path / "t.xlsx", table=None, headers=headers)
    overrides = {"id": "编号", "name": "单位", "mobile": "联系方式", "amount": "钱"}
    table = XlsxReader(path).read_customers(overrides=overrides)
    assert table.roles["mobile"] == "联系方式"
    assert table.frame.loc[4, "amount"] == pytest.approx(12.5)


def test_date1904_is_read_from_the_workbook(tmp_path: Path) -> None:
    assert XlsxReader(_workbook(tmp_path / "a.xlsx")).date1904 is False
    path = _workbook(tmp_path / "b.xlsx", options={"date_1904": True})
    assert XlsxReader(path).date1904 is True


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        ("客户编号,客户名称\nC1,甲\n".encode(), "CSV"),
        (b"PK\x03\x04 truncated", "damaged"),
    ],
)
def test_unsupported_files_are_refused_with_the_fix(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with use_lang("en"), pytest.raises(WorkbookError, match=expected) as caught:
        XlsxReader(path)
    assert "save" in str(caught.value)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with use_lang("en"), pytest.raises(WorkbookError, match="damaged"):
        XlsxReader(path)


def test_read_array_is_the_grid_and_reaches_a_trailing_error_cell(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("S")
    sheet.write_row(0, 0, ["a", 1.5, ""])
    sheet.write_formula(3, 4, "=1/0", None, "#DIV/0!")  # the sheet's last cell, an error
    book.close()
    reader = XlsxReader(path)
    array = reader.read_array("S")
    assert array.shape == (4, 5)
    assert array[3, 4] == CellError("#DIV/0!")
    assert array[0, 2] is None
    assert reader.read_grid("S") == array.tolist()


def _big_sheet(path: Path, rows: int, *, date_1904: bool = False, shared: bool = True) -> Path:
    """A sheet whose second half starts in column C, with dates, errors and shared strings."""
    book = xlsxwriter.Workbook(
        str(path),
        {"date_1904": date_1904, "constant_memory": not shared, "strings_to_numbers": False},
    )
    sheet = book.add_worksheet("大表")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["编号", "名称", "日期", "金额"])
    for r in range(1, rows):
        if r < rows // 4:  # A to D at the top; the second half has only C and D
            sheet.write(r, 0, f"C{r:05d}")
            sheet.write(r, 1, "客户" + str(r % 13))
        sheet.write_datetime(r, 2, dt.datetime(2024, 1, 1) + dt.timedelta(days=r % 400), dates)
        if r % 97 == 0:
            sheet.write_formula(r, 3, "=NA()", None, "#N/A")
        else:
            sheet.write_number(r, 3, r * 1.25)
    book.close()
    return path


# Parts are for big sheets only; a small threshold sends this one down that path, and many
# pieces make the cuts fall mid-sheet.
IN_PARTS = Tuning(parts_from=1000, piece=4096)


def _sheet_rewritten(
    source: Path, path: Path, cells: bytes, rewrite: Callable[[re.Match[bytes]], bytes]
) -> Path:
    """A copy of a workbook, the cells of its first sheet matching ``cells`` rewritten."""
    with zipfile.ZipFile(source) as book, zipfile.ZipFile(path, "w") as copy:
        for info in book.infolist():
            data = book.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(cells, rewrite, data)
            copy.writestr(info, data)
    return path


def _whole(path: Path) -> Any:
    """The big sheet read whole by python-calamine's reader of the file (not a part book)."""
    reader = XlsxReader(path)
    # The oracle: a small sheet would otherwise be read alone, as a part book is.
    reader._alone = lambda *_, **__: None  # type: ignore[method-assign]
    return reader.read_array("大表")


def _typed(array: Any) -> list[list[tuple[type, Any]]]:
    """Cells with their types: 1.0 == True and a date is not a datetime."""
    return [[(type(value), value) for value in row] for row in array.tolist()]


@pytest.mark.parametrize(("shared", "date_1904"), [(True, False), (False, True), (False, False)])
def test_a_big_sheet_read_in_parts_is_the_sheet_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool, date_1904: bool
) -> None:
    path = _big_sheet(tmp_path / "big.xlsx", 3000, date_1904=date_1904, shared=shared)
    whole = _whole(path)
    starts, fast, on_disk = [], [], []
    parse, fast_values = xlsx_read._parse_part, xlsx_read._fast_values

    def spy(
        part: Path, *, below: int | None, fast: bool = False, strings: Any = None, marks: int = 0
    ) -> Any:
        on_disk.append(len([p for p in part.parent.glob("*.xlsx") if p.stem.isdigit()]))
        cells = parse(part, below=below, fast=fast, strings=strings, marks=marks)
        starts.append((cells.row, min(column for column, _ in cells.blocks)))
        return cells

    def spy_fast(part: Path, strings: Any, below: int, marks: int) -> Any:
        values = fast_values(part, strings, below, marks)
        fast.append(values is not None)
        return values

    monkeypatch.setattr(xlsx_read, "_parse_part", spy)
    monkeypatch.setattr(xlsx_read, "_fast_values", spy_fast)
    halves = XlsxReader(path, IN_PARTS).read_array("大表")
    # The first part starts at A1; the shared strings, all plain here, need no workbook of
    # their own (see test_shared_strings_are_decoded_once_and_read_as_whole).
    firsts, others = starts.count((0, 0)), [start for start in starts if start != (0, 0)]
    assert firsts == 1 and len(others) == IN_PARTS.parts - 1
    assert all(row > 0 and column == 0 for row, column in others)
    assert whole.shape == halves.shape == (3000, 4)
    assert _typed(whole) == _typed(halves)
    assert halves[97, 3] == CellError("#N/A") and halves[2910, 3] == CellError("#N/A")
    assert halves[2999, 0] is None and halves[2999, 2] == whole[2999, 2]
    # fastexcel reads the parts of one kind per column (those with texts in A and B as well),
    # but not in a 1904 book; the part holding the title and header is python-calamine's.
    assert fast == ([] if date_1904 else [True] * (IN_PARTS.parts - 1))
    assert not list(tmp_path.glob("**/1.xlsx"))  # the temporary parts are gone
    assert max(on_disk) <= 3  # each part deleted once parsed: two parsed, one being cut


def test_the_customer_grid_of_a_big_sheet_is_laid_out_by_column(tmp_path: Path) -> None:
    # The table takes a big sheet's columns as they are; other sheets' rows stay together.
    path = _big_sheet(tmp_path / "big.xlsx", 3000)
    reader = XlsxReader(path, dataclasses.replace(IN_PARTS, cached_cells=0))
    rows, columns = reader.read_array("大表"), reader.customer_source().grid("大表")
    assert isinstance(columns, np.ndarray) and np.isfortran(columns)
    assert rows.flags.c_contiguous and _typed(rows) == _typed(columns) == _typed(_whole(path))
    source = XlsxReader(path, IN_PARTS).customer_source()
    assert source.grid_without is not None and np.isfortran(source.grid_without("大表", 0, 3))


@pytest.mark.parametrize("scratch", ["roomy", "full", "missing"])
def test_parts_go_to_the_scratch_folder_where_it_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch: str
) -> None:
    path = _big_sheet(tmp_path / "big.xlsx", 3000)
    folder = tmp_path / "scratch"
    if scratch != "missing":
        folder.mkdir()
    if scratch == "full":  # a few bytes free: not enough for three parts
        monkeypatch.setattr(os, "statvfs", lambda _: SimpleNamespace(f_bavail=64, f_frsize=1))
    used: list[Path] = []
    parse = xlsx_read._parse_part

    def spy(part: Path, **options: Any) -> Any:
        used.append(part.parent.parent)
        return parse(part, **options)

    monkeypatch.setattr(xlsx_read, "_parse_part", spy)
    halves = XlsxReader(path, dataclasses.replace(IN_PARTS, scratch=str(folder))).read_array("大表")
    assert _typed(halves) == _typed(_whole(path))
    assert set(used) == {folder if scratch == "roomy" else Path(tempfile.gettempdir())}
    assert scratch == "missing" or not list(folder.iterdir())  # nothing left behind


def _ms_of_day(moment: dt.datetime) -> float:
    return (moment - moment.replace(hour=0, minute=0, second=0, microsecond=0)) / dt.timedelta(
        milliseconds=1
    )


_KINDS = ("number", "text", "bool", "date", "datetime", "time", "error", "blank")
_CELL = {
    "number": st.floats(-1e12, 1e12) | st.integers(-(10**9), 10**9),
    "text": st.text(st.sampled_from("ab 1。客户é\u3000"), max_size=4),
    "bool": st.booleans(),
    "date": st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 30)),
    # Not within a millisecond of midnight, unless at it: fastexcel's stamps are to the
    # millisecond, so such a cell reads as a date (a known edge, see xlsx_read._cells).
    "datetime": st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 30)).filter(
        lambda d: d.time() == dt.time() or 1 <= _ms_of_day(d) <= 86_399_000
    ),
    "time": st.times(),
    "error": st.just("#N/A"),
    "blank": st.none(),
}


@st.composite
def _columns(draw: st.DrawFn) -> list[list[tuple[str, Any]]]:
    """A few columns of cells, each of one kind or of a few kinds mixed, with some blanks."""
    rows = draw(st.integers(150, 400))
    columns = []
    for _ in range(draw(st.integers(1, 4))):
        kinds = draw(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=3, unique=True))
        # Most cells of the column's first kind: whole parts of one kind, as real sheets have.
        pick = st.sampled_from(kinds[:1] * 30 + kinds[1:] + ["blank"])
        cells = []
        for _ in range(rows):
            kind = draw(pick)
            cells.append((kind, draw(_CELL[kind])))
        columns.append(cells)
    return columns


@settings(max_examples=25, deadline=None)
@given(_columns())
def test_every_kind_of_cell_reads_the_same_in_parts_as_whole(
    columns: list[list[tuple[str, Any]]],
) -> None:
    # Parts of one kind per column go to fastexcel, the others to python-calamine: together
    # they must give exactly what python-calamine gives for the whole sheet.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kinds.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("大表")
        formats = {
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"}),
            "time": book.add_format({"num_format": "hh:mm:ss"}),
        }
        for column, cells in enumerate(columns):
            sheet.write_string(0, column, f"列{column}")
            for row, (kind, value) in enumerate(cells, start=1):
                if kind in formats:
                    sheet.write_datetime(row, column, value, formats[kind])
                elif kind == "error":
                    sheet.write_formula(row, column, "=NA()", None, value)
                elif kind == "text":
                    sheet.write_string(row, column, value)
                elif kind != "blank":
                    sheet.write(row, column, value)
        book.close()
        whole = XlsxReader(path).read_array("大表")
        parts = XlsxReader(path, IN_PARTS).read_array("大表")
    assert _typed(parts) == _typed(whole)


@pytest.mark.parametrize("cells_too", [False, True])
def test_rows_without_numbers_are_read_whole(tmp_path: Path, cells_too: bool) -> None:
    # Row numbers are optional in the file format (cell references too): where a part's rows
    # start is then only known counting from the top, so such a sheet is read in one go.
    path = _big_sheet(tmp_path / "big.xlsx", 3000, shared=False)
    unnumbered = tmp_path / "unnumbered.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(unnumbered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<(row|c) r="[A-Z]*\d+"' if cells_too else rb'<(row) r="\d+"', rb"<\1", data
                )
            target.writestr(info, data)
    whole = _whole(unnumbered)
    assert _typed(XlsxReader(unnumbered, IN_PARTS).read_array("大表")) == _typed(whole)
    assert whole[500, 0] == "C00500"


def test_the_head_of_a_big_sheet_comes_from_its_first_rows_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain range (no Table) is found by its header in the first rows: on a big sheet those
    # are parsed alone, not the whole sheet.
    path = _big_sheet(tmp_path / "big.xlsx", 3000)
    whole = _whole(path)
    reader = XlsxReader(path, IN_PARTS)
    monkeypatch.setattr(reader, "sheet_names", lambda: ["大表"])
    monkeypatch.setattr(reader, "_book", None)  # the whole-sheet parser is not asked
    head = reader._head("大表")
    assert len(head) == HEADER_SCAN_ROWS
    expected = [[None if v == "" else v for v in row] for row in whole[:HEADER_SCAN_ROWS].tolist()]
    assert head == expected
    assert head[0] == ["编号", "名称", "日期", "金额"]


@pytest.mark.parametrize(("rows", "piece"), [(3000, 4096), (3000, 2**24), (12, 4096), (31, 64)])
def test_the_head_of_a_big_sheet_parses_no_more_rows_than_it_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, piece: int
) -> None:
    # Only the first rows are inflated and parsed, however big a piece the tuning asks for
    # (a 数据检查 of a million rows read back for its header: not its first 16 MB).
    path = _big_sheet(tmp_path / "big.xlsx", rows)
    parsed: list[int] = []
    values = xlsx_read._calamine_values

    def spy(part: Path, *, marked: bool) -> Any:
        parsed.append(len(found := values(part, marked=marked)))
        return found

    monkeypatch.setattr(xlsx_read, "_calamine_values", spy)
    reader = XlsxReader(path, dataclasses.replace(IN_PARTS, piece=piece))
    head = reader._head("大表")
    monkeypatch.undo()
    expected = _whole(path)[:HEADER_SCAN_ROWS].tolist()
    assert head == [[None if v == "" else v for v in row] for row in expected]
    assert parsed == [min(rows, HEADER_SCAN_ROWS)]


def test_left_out_columns_of_a_big_sheet_are_not_read_below_the_header(tmp_path: Path) -> None:
    # A re-run leaves out its old result columns, which end the table: rows are cut where they
    # start, below the header row; everything else reads as before.
    path = _big_sheet(tmp_path / "big.xlsx", 3000)
    whole = _whole(path)
    without = XlsxReader(path, IN_PARTS)._read_array_without("大表", 0, 3)
    assert without.shape == whole.shape
    assert without[:, :3].tolist() == whole[:, :3].tolist()
    assert without[0].tolist() == whole[0].tolist()  # the header row, whole
    amounts = without[:, 3]
    # Gone below the header, in its own piece too, error cells too (they are not read either).
    assert all(value is None for value in amounts[1:])
    assert whole[2910, 3] == CellError("#N/A") and amounts[2910] is None


@pytest.mark.parametrize("from_column", [None, 3, 2, 1])
def test_parts_are_a_share_of_the_sheet_however_much_of_each_row_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_column: int | None
) -> None:
    # A re-run cuts half of each row off: its parts are still a seventh of the sheet each,
    # not two (fewer, bigger parts: a longer wait for the last one, more scratch at once).
    path = _big_sheet(tmp_path / "big.xlsx", 3000)
    parsed: list[int | None] = []
    parse = xlsx_read._parse_part

    def spy(part: Path, **options: Any) -> Any:
        parsed.append(options["below"])
        return parse(part, **options)

    monkeypatch.setattr(xlsx_read, "_parse_part", spy)
    reader = XlsxReader(path, IN_PARTS)
    if from_column is None:
        reader.read_array("大表")
    else:
        reader._read_array_without("大表", 0, from_column)
    assert len(parsed) == IN_PARTS.parts and parsed.count(None) == 1


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # The column's cell and all right of it go.
        (
            '<c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2"><v>3</v></c>',
            '<c r="A2"><v>1</v></c>',
        ),
        # No cell in the column itself: the row stays as it is (read, not lost).
        (
            '<c r="A2"><v>1</v></c><c r="C2"><v>3</v></c>',
            '<c r="A2"><v>1</v></c><c r="C2"><v>3</v></c>',
        ),
        # BA is not B: a longer column name with the same start is not where the cut goes.
        (
            '<c r="A2"><v>1</v></c><c r="BA2"><v>5</v></c>',
            '<c r="A2"><v>1</v></c><c r="BA2"><v>5</v></c>',
        ),
        ('<c r="A2"/><c r="B2" s="3"/><c r="C2" t="s"><v>0</v></c>', '<c r="A2"/>'),
    ],
)
def test_rows_are_cut_where_the_left_out_column_starts(row: str, expected: str) -> None:
    piece = f'<row r="2">{row}</row><row r="3"><c r="A3"><v>9</v></c></row>'.encode()
    cut = xlsx_read._RowTails(1, b"").cut(piece)
    assert cut == f'<row r="2">{expected}</row><row r="3"><c r="A3"><v>9</v></c></row>'.encode()


_ROW_CELL = st.tuples(
    st.sampled_from(["A", "B", "BA", "BB", "AB", "C", "CB"]),
    st.sampled_from(["<v>1</v>", '<is><t>B3 &lt;c r="B9"/&gt;</t></is>', "", "<v>B</v>"]),
)


@given(
    rows=st.lists(st.lists(_ROW_CELL, max_size=5), max_size=6),
    column=st.integers(0, 2),
    prefix=st.sampled_from(["", "x:"]),
    ending=st.sampled_from(["", "</x:sheetData></x:worksheet>", "</sheetData>"]),
)
def test_rows_are_cut_as_each_row_alone_would_be(
    rows: list[list[tuple[str, str]]], column: int, prefix: str, ending: str
) -> None:
    # Whatever the cells (none in the column, a longer name with its start, its letter in a
    # text), each row loses the same tail it would lose cut by itself, and nothing else.
    def row(number: int, cells: list[tuple[str, str]]) -> str:
        body = "".join(
            f'<{prefix}c r="{name}{number}"' + (f">{inner}</{prefix}c>" if inner else "/>")
            for name, inner in cells
        )
        return f'<{prefix}row r="{number}">{body}</{prefix}row>'

    def alone(text: str) -> str:
        found = re.search(rf'<{prefix}c r="{"ABC"[column]}[0-9]', text)
        return text if found is None else text[: found.start()] + f"</{prefix}row>"

    texts = [row(number, cells) for number, cells in enumerate(rows, start=2)]
    cut = xlsx_read._RowTails(column, prefix.encode()).cut(("".join(texts) + ending).encode())
    assert cut.decode() == "".join(map(alone, texts)) + ending


@pytest.mark.parametrize("own_mark", [False, True])
def test_shared_strings_are_decoded_once_and_read_as_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_mark: bool
) -> None:
    # Parts hold each shared string's index, not the table (copied into every part, it was
    # parsed once per part); a sheet whose own text holds that mark is read whole instead.
    path = tmp_path / "shared.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("大表")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["名称", "备注", "金额"])
    for r in range(1, 2000):
        sheet.write_string(r, 0, f"客户 {r % 300} & <公司>")
        if r % 7 == 0:
            sheet.write_rich_string(r, 1, "富", bold, "文本", f"{r % 5}")
        elif r % 11 == 0:
            sheet.write_string(r, 1, "\ue000" + str(r) if own_mark else " 前后空格 ")
        sheet.write_number(r, 2, r)
    book.close()
    whole = _typed(_whole(path))
    tables: list[bool] = []
    real = xlsx_read._PartBook

    def spy(*args: Any, **kwargs: Any) -> Any:
        tables.append("sharedStrings" in args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(xlsx_read, "_PartBook", spy)
    parts = XlsxReader(path, IN_PARTS).read_array("大表")
    assert _typed(parts) == whole
    assert parts[7, 1] == "富文本2" and parts[1, 0] == "客户 1 & <公司>"
    if own_mark:
        assert parts[11, 1] == "\ue00011"
    else:  # the table once (a workbook of its own), the parts without it
        assert tables.count(True) == 1 and len(tables) == IN_PARTS.parts + 1


@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="ab客 ", max_size=4)), max_size=30),
    st.lists(st.sampled_from(["甲", "乙", ""]), min_size=1, max_size=3),
)
@settings(max_examples=100, deadline=None)
def test_a_text_column_takes_shared_strings_by_index_and_keeps_inline_ones(
    cells: list[str | None], strings: list[str]
) -> None:
    import pyarrow as pa

    # Some cells stand for a shared string (the mark, then its index), the rest are inline.
    column = [
        f"\ue000{len(cell) % len(strings)}" if cell is not None and cell.startswith("a") else cell
        for cell in cells
    ]
    table = np.array(strings, dtype=object)
    got = xlsx_read._cells(pa.array(column, type=pa.string()), table)
    assert got is not None
    expected = [
        strings[int(c[1:])] if c is not None and c.startswith("\ue000") else c for c in column
    ]
    # Empty texts, shared or inline, read blank (as in the grid of a sheet read whole).
    assert got.tolist() == [c or None for c in expected]
    plain = xlsx_read._cells(pa.array(column, type=pa.string()), None)
    assert plain is not None and plain.tolist() == [c or None for c in column]


@pytest.mark.parametrize("prefix", ["", "x:"])
@given(
    items=st.lists(
        st.sampled_from(
            [
                "<{p}si/>",
                "<{p}si><{p}t>a:si</{p}t></{p}si>",
                "<{p}si><{p}r><{p}t>b</{p}t></{p}r></{p}si>",
            ]
        ),
        max_size=20,
    )
)
@settings(max_examples=50, deadline=None)
def test_shared_items_are_counted_as_matched(prefix: str, items: list[str]) -> None:
    body = "".join(item.format(p=prefix) for item in items)
    table = f'<{prefix}sst xmlns:x="{MAIN_NS}">{body}</{prefix}sst>'.encode()
    assert xlsx_read._item_count(table) == len(items) == len(xlsx_read._SHARED_ITEM.findall(table))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.text(st.sampled_from("<>/rowc客 "), max_size=12), max_size=20),
    cuts=st.lists(st.integers(0, 400), max_size=12),
    first=st.integers(0, 30),
)
def test_row_pieces_give_the_part_back_cut_only_after_a_row(
    rows: list[str], cuts: list[int], first: int
) -> None:
    # Any chunking, a closing tag split across chunks or rows' texts that look like one.
    xml = "".join(f"<row>{row}</row>" for row in rows).encode()
    edges = sorted({min(cut, len(xml)) for cut in cuts} | {min(first, len(xml)), len(xml)})
    chunks = [xml[a:b] for a, b in itertools.pairwise(edges)]
    pieces = list(sheetstream.row_pieces(xml[: edges[0]], iter(chunks), b"</row>"))
    assert b"".join(pieces) == xml
    assert all(type(piece) is bytes for piece in pieces)
    assert all(piece.endswith(b"</row>") for piece in pieces[:-1])
    assert all(piece for piece in pieces)


_PLAIN_TEXT = st.lists(
    st.sampled_from(["a", "客", " ", "\t", "\n", "\r", "&", ">", "]]", "_", "_x0041_", "_X", "x"]),
    max_size=6,
).map("".join)


@st.composite
def _shared_item(draw: st.DrawFn) -> str:
    """One item of a shared-strings table, of any of the ways Excel and others write them."""
    text = escape(draw(_PLAIN_TEXT))
    return draw(
        st.sampled_from(
            [
                f"<si><t>{text}</t></si>",
                f"<si><t>{text}</t></si>",
                f'<si><t xml:space="preserve">{text}</t></si>',
                f"<si><r><t>{text}</t></r><r><rPr><b/></rPr><t>z</t></r></si>",
                f'<si><t>{text}</t><rPh sb="0" eb="1"><t>ふ</t></rPh></si>',
                "<si/>",
                "<si><t/></si>",
                f"<si><t>{text}&#23458;&lt;</t></si>",
            ]
        )
    )


_PLAIN_ITEM = _PLAIN_TEXT.map(lambda text: f"<si><t>{escape(text)}</t></si>")


@st.composite
def _shared_table(draw: st.DrawFn, size: int) -> bytes:
    """A shared-strings table of up to ``size`` items, mostly plain, its first and last plain
    (then split, not left to calamine whole), with what calamine changes before and after."""
    middle = draw(st.lists(st.one_of(_PLAIN_ITEM, _PLAIN_ITEM, _shared_item()), max_size=size))
    items = [draw(_PLAIN_ITEM), *middle, draw(_PLAIN_ITEM)]
    head = draw(st.sampled_from(['<?xml version="1.0"?>\n', '<?xml version="1.0"?>\r\n', ""]))
    note = draw(st.sampled_from(["", ' note="_x0041_ _X &amp; &#13;"']))
    tail = draw(st.sampled_from(["", "\r\n"]))
    return f'{head}<sst xmlns="{MAIN_NS}"{note} count="9">{"".join(items)}</sst>{tail}'.encode()


def _reader() -> XlsxReader:
    """A reader that decodes shared-strings tables, of no file."""
    reader = XlsxReader.__new__(XlsxReader)
    reader.date1904, reader.tuning = False, Tuning()
    return reader


@settings(max_examples=200, deadline=None)
@given(items=st.lists(_shared_item(), max_size=12))
def test_plain_shared_strings_read_as_calamine_reads_them(items: list[str]) -> None:
    # Plain items are taken as written, the others decoded by calamine: the same texts.
    table = (
        f'<?xml version="1.0"?>\n<sst xmlns="{MAIN_NS}" count="9">{"".join(items)}</sst>'.encode()
    )
    reader, count = _reader(), xlsx_read._item_count(table)
    assert reader._shared_strings(table).tolist() == reader._decoded_strings(table, count).tolist()


@settings(max_examples=100, deadline=None)
@given(table=_shared_table(60))
def test_many_plain_shared_strings_read_as_calamine_reads_them(table: bytes) -> None:
    # What calamine changes first or last in the first and last item, or in a separator's
    # neighbours, white space at either end, tags inside the pieces that hold several items.
    reader, count = _reader(), xlsx_read._item_count(table)
    assert reader._shared_strings(table).tolist() == reader._decoded_strings(table, count).tolist()


def _odd_in_each_piece(text: str, pieces: list[str], count: int) -> list[int]:
    """The pieces calamine decodes, found as before: by looking in each."""
    start, end = text.find("<si><t>"), text.rfind("</t></si>")
    outside = text.count("<", 0, start) + text.count("<", end + len("</t></si>"))
    tags = len(pieces) != count or text.count("<") != 4 * count + outside
    return [
        at
        for at, piece in enumerate(pieces)
        if (tags and "<" in piece)
        or any(needle in piece for needle in ("&", "\r", "_x", "_X"))
        or piece.strip(" \t\n") is not piece
    ]


@settings(max_examples=500, deadline=None)
@given(table=_shared_table(200))
def test_plain_strings_found_by_place_are_those_each_piece_holds(table: bytes) -> None:
    # What calamine changes found in the table and placed in its pieces: the same pieces as
    # looking in each (never a separator's or the table's start or end).
    count = xlsx_read._item_count(table)
    plain = xlsx_read._PlainStrings.of(table, count)
    assert plain is not None
    assert plain.others == _odd_in_each_piece(table.decode(), plain.pieces, count)


def test_the_head_of_a_big_sheet_takes_the_shared_strings_its_rows_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As Excel saves a full sheet, its table holds millions of items; the first rows use the
    # first few, so the head's workbook holds those alone and reads the same.
    path = _big_sheet(tmp_path / "big.xlsx", 3000, shared=True)
    with zipfile.ZipFile(path) as package:
        full = package.read("xl/sharedStrings.xml")
    given: list[bytes] = []
    real = xlsx_read._PartBook

    def spy(*args: Any, **kwargs: Any) -> Any:
        given.append(args[3]["sharedStrings"])
        return real(*args, **kwargs)

    monkeypatch.setattr(xlsx_read, "_PartBook", spy)
    head = XlsxReader(path, IN_PARTS)._head("大表")
    monkeypatch.undo()
    assert head == [[None if v == "" else v for v in row] for row in _whole(path)[:30].tolist()]
    assert len(given) == 1 and len(given[0]) < len(full) // 10


_ITEMS = st.lists(st.text(alphabet="ab客<>&\n ", max_size=3).map(escape), max_size=8)


@given(_ITEMS, st.integers(0, 10), st.sampled_from(["", "x:"]), st.integers(1, 40))
@settings(max_examples=100, deadline=None)
def test_a_shared_strings_table_is_cut_after_its_first_items(
    texts: list[str], count: int, prefix: str, size: int
) -> None:
    # In pieces cut anywhere (a tag split between two), namespaced or not, rich text or not.
    def item(at: int, text: str) -> str:
        if at % 3 == 2:  # rich text: runs of their own
            return f"<{prefix}si><{prefix}r><{prefix}t>{text}</{prefix}t></{prefix}r></{prefix}si>"
        return f"<{prefix}si><{prefix}t>{text}</{prefix}t></{prefix}si>"

    xmlns = f'xmlns{":x" if prefix else ""}="{MAIN_NS}"'
    start = f'<?xml version="1.0"?><{prefix}sst {xmlns} count="9" uniqueCount="{len(texts)}">'
    items = [item(at, text) for at, text in enumerate(texts)]
    table = f"{start}{''.join(items)}</{prefix}sst>".encode()
    pieces = iter([table[at : at + size] for at in range(0, len(table), size)])
    cut = xlsx_read._first_items(pieces, count)
    expected = table if count >= len(texts) else f"{start}{''.join(items[:count])}</{prefix}sst>"
    assert cut == (expected if isinstance(expected, bytes) else expected.encode())


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            b'<row r="1"><c r="A1" t="s"><v>4</v></c><c r="B1" s="2" t="s"><v> 17 </v></c></row>',
            [4, 17],
        ),
        (b'<row r="1"><x:c r="A1" t="s"><x:v>3</x:v></x:c></row>', [3]),
        (b'<row r="1"><c r="A1" t="str"><v>x</v></c><c r="B1" t="n"><v>5</v></c></row>', []),
        # A cell unlike Excel writes (its value after a formula): the whole table is taken.
        (b'<row r="1"><c r="A1" t="s"><f>X</f><v>3</v></c></row>', None),
    ],
)
def test_the_shared_string_indices_of_rows_are_found_or_none(
    rows: bytes, expected: list[int] | None
) -> None:
    assert xlsx_read._shared_indices(rows) == expected


@pytest.mark.parametrize("inline_rows", [3000, 300, 0])
def test_shared_strings_are_decoded_only_for_parts_holding_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inline_rows: int
) -> None:
    # Our own sheets, written inline, in a book Excel saved (a shared-strings table of
    # millions): read back without decoding that table; where later rows hold shared strings,
    # it is decoded once, when the first part holding them is parsed.
    shared = _big_sheet(tmp_path / "shared.xlsx", 3000, shared=True)
    with zipfile.ZipFile(shared) as source:
        items = ElementTree.fromstring(source.read("xl/sharedStrings.xml"))
    texts = ["".join(item.itertext()) for item in items]

    def inline(cell: re.Match[bytes]) -> bytes:
        if int(cell.group(2)) > inline_rows:
            return cell.group(0)
        text = escape(texts[int(cell.group(3))]).encode()
        return b'%s t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>' % (
            cell.group(1),
            text,
        )

    path = _sheet_rewritten(
        shared,
        tmp_path / "mixed.xlsx",
        rb'(<c r="[A-Z]+(\d+)"(?: s="\d+")?) t="s"><v>(\d+)</v></c>',
        inline,
    )
    decoded: list[int] = []
    real = XlsxReader._shared_strings

    def spy(self: XlsxReader, table: bytes) -> Any:
        decoded.append(len(table))
        return real(self, table)

    monkeypatch.setattr(XlsxReader, "_shared_strings", spy)
    parts = XlsxReader(path, IN_PARTS).read_array("大表")
    assert len(decoded) == (0 if inline_rows == 3000 else 1)
    assert _typed(parts) == _typed(_whole(shared)) == _typed(_whole(path))


def _small_book(path: Path, *, date_1904: bool, deep: int) -> Path:
    """A book as Excel users make them: shared strings (``deep`` of them first, in a sheet
    of their own), rich text, dates, errors, blanks, a chart sheet among the sheets."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    if deep:
        book.add_worksheet("前").write_column(0, 0, [f"文本{i}" for i in range(deep)])
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=S!$C$2:$C$5"})
    book.add_chartsheet("图").set_chart(chart)
    sheet = book.add_worksheet("S")
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["名称", "备注", "金额", "日期", "是否"])
    for r in range(1, 40):
        sheet.write_string(r, 0, f"客户 {r % 9} & <公司>")
        if r % 5 == 0:
            sheet.write_rich_string(r, 1, "富", bold, "文本")
        elif r % 7 == 0:
            sheet.write_formula(r, 1, "=1/0", None, "#DIV/0!")
        sheet.write_number(r, 2, r * 1.5)
        sheet.write_datetime(r, 3, dt.datetime(2024, 1, r % 28 + 1), day)
        sheet.write_boolean(r, 4, r % 2 == 0)
    sheet.write_string(45, 6, " 前后空格 ")  # past a gap of blank rows and columns
    book.close()
    return path


@pytest.mark.parametrize(
    ("date_1904", "deep", "alone_bytes"),
    [(False, 0, None), (True, 0, None), (False, 60_000, None), (False, 0, 1000)],
)
def test_small_sheets_are_read_alone_as_the_file_reader_reads_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    date_1904: bool,
    deep: int,
    alone_bytes: int | None,
) -> None:
    # A small sheet is parsed alone, with the shared strings it uses, so the file's own
    # reader (which parses the whole table when opened) is opened only for a sheet using
    # items deep in a big table, or too big to be searched for them first.
    path = _small_book(tmp_path / "small.xlsx", date_1904=date_1904, deep=deep)
    if alone_bytes is not None:
        monkeypatch.setattr(xlsx_read, "_ALONE_BYTES", alone_bytes)
    oracle = XlsxReader(path)
    oracle._alone = lambda *_, **__: None  # type: ignore[method-assign]
    reader = XlsxReader(path)
    listed = CalamineWorkbook.from_path(str(path)).sheets_metadata
    assert reader.sheet_names() == [m.name for m in listed if m.typ == SheetTypeEnum.WorkSheet]
    assert reader.customer_source().head("S") == oracle.customer_source().head("S")
    array = reader.read_array("S")
    assert _typed(array) == _typed(oracle.read_array("S"))
    assert array[7, 1] == CellError("#DIV/0!") and array[45, 6] == " 前后空格 "
    # Opened only for the deep strings, or for a sheet past the size read alone.
    assert ("_book" in vars(reader)) == (bool(deep) or alone_bytes is not None)


@pytest.mark.parametrize("fast", [True, False])
def test_a_text_of_the_sheets_own_starting_with_the_index_mark_is_read_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    # Shared-string cells reach the parts as the mark and their index; a text of the sheet's
    # own that starts so (the mark, then digits: an index to the parser) is found once parsed,
    # and the sheet read whole: nothing is taken for a shared string it is not.
    path = _sheet_rewritten(
        _big_sheet(tmp_path / "shared.xlsx", 3000, shared=True),
        tmp_path / "own.xlsx",
        rb'(<c r="B\d*0") t="s"><v>\d+</v></c>',  # B10, B20, ...: the mark, then digits
        lambda cell: b'%s t="inlineStr"><is><t>\xee\x80\x807</t></is></c>' % cell.group(1),
    )
    if not fast:
        monkeypatch.setattr(xlsx_read, "_fast_values", lambda *_: None)
    parts = XlsxReader(path, IN_PARTS).read_array("大表")
    assert parts[9, 1] == "\ue0007" and parts[10, 1] == "客户10"  # B10, B11
    assert _typed(parts) == _typed(_whole(path))


@pytest.mark.parametrize("which", ["bundled", pytest.param("wider", marks=pytest.mark.corpus)])
def test_every_sheet_excel_made_reads_alone_as_the_file_reader_reads_it(
    which: str, corpus_dir: Path, bundled_corpus_dir: Path
) -> None:
    # Files Excel made (chart sheets, empty sheets, rich text, comments, VBA, ...): each small
    # sheet read alone gives the values, the head and the sheet list python-calamine does.
    books = sorted((bundled_corpus_dir if which == "bundled" else corpus_dir).glob("*.xls[xm]"))
    assert len(books) >= (30 if which == "bundled" else 900)
    for path in books:
        reader, oracle = XlsxReader(path), XlsxReader(path)
        oracle._alone = lambda *_, **__: None  # type: ignore[method-assign]
        listed = CalamineWorkbook.from_path(str(path)).sheets_metadata
        names = [m.name for m in listed if m.typ == SheetTypeEnum.WorkSheet]
        assert reader.sheet_names() == names, path.name
        for name in names:
            where = (path.name, name)
            assert _typed(reader.read_array(name)) == _typed(oracle.read_array(name)), where
            assert reader.customer_source().head(name) == oracle.customer_source().head(name), where


def _typed_first(tmp_path: Path) -> Path:
    """A big sheet some of whose shared-string cells have their type before their style."""
    return _sheet_rewritten(
        _big_sheet(tmp_path / "shared.xlsx", 3000, shared=True),
        tmp_path / "typed first.xlsx",
        rb'<c r="(B\d*7)" t="s"><v>(\d+)</v></c>',
        lambda cell: b'<c r="%s" t="s" s="0"><v>%s</v></c>' % cell.groups(),
    )


def test_shared_strings_typed_before_their_style_are_read_as_written(tmp_path: Path) -> None:
    # Excel writes a cell's type last; a writer that does not (t="s" before s=) leaves cells
    # the parts' one replace does not mark: found, and the sheet read whole.
    path = _typed_first(tmp_path)
    parts = XlsxReader(path, IN_PARTS).read_array("大表")
    assert parts[616, 1] == "客户" + str(616 % 13)  # B617
    assert _typed(parts) == _typed(_whole(path))


@pytest.mark.parametrize("shared", [True, False])
def test_cells_typed_by_an_iso_text_are_read_as_the_file_reader_reads_them(
    tmp_path: Path, shared: bool
) -> None:
    # t="d" cells (LibreOffice and other writers make them): a part holding one is read by
    # python-calamine, as the file's reader is (fastexcel reads a midnight as a date).
    path = _sheet_rewritten(
        _big_sheet(tmp_path / "dates.xlsx", 3000, shared=shared),
        tmp_path / "iso.xlsx",
        rb'<c r="(C\d*3)" s="1"><v>\d+</v></c>',
        lambda cell: b'<c r="%s" t="d"><v>2025-02-03T00:00:00</v></c>' % cell.group(1),
    )
    parts = XlsxReader(path, IN_PARTS).read_array("大表")
    assert _typed(parts)[2012][2] == (dt.datetime, dt.datetime(2025, 2, 3))  # C2013
    assert _typed(parts) == _typed(_whole(path))


# A worker process cuts the customer table (the sheet read by column) of this size and up.
BY_A_WORKER = dataclasses.replace(IN_PARTS, background_part=0)


def _cut_then_die(job: Any) -> None:
    """A worker that makes two parts, then dies without answering (killed, out of memory)."""
    made = xlsx_read._cut_parts(job, lambda: None, {})
    for part in itertools.islice(made, 2):
        ready = part.path.with_suffix(".ready")
        ready.write_text(f"[{'null' if part.below is None else part.below}, {part.shared}, true]")
    os._exit(3)


@pytest.mark.parametrize(("shared", "from_column"), [(True, None), (True, 2), (False, 1)])
def test_a_table_a_worker_cuts_reads_as_one_cut_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool, from_column: int | None
) -> None:
    # The same parts, cells, error cells and columns left out, cut in another process.
    path = _big_sheet(tmp_path / "big.xlsx", 3000, shared=shared)
    here = XlsxReader(path, IN_PARTS)._read_array_without("大表", 0, from_column)
    workers: list[Any] = []
    start = _background.start

    def spy(*args: Any, **kwargs: Any) -> Any:
        workers.append(start(*args, **kwargs))
        return workers[-1]

    monkeypatch.setattr(_background, "start", spy)
    there = XlsxReader(path, BY_A_WORKER)._read_array_without("大表", 0, from_column)
    assert len(workers) == 1 and workers[0].finished  # it ran, and ended
    assert _typed(there) == _typed(here)
    assert there.flags.f_contiguous
    assert there[97, 3] == (CellError("#N/A") if from_column is None else None)  # D98


def test_a_table_whose_worker_dies_is_cut_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _big_sheet(tmp_path / "big.xlsx", 3000)
    monkeypatch.setattr(xlsx_read, "_cut_elsewhere", _cut_then_die)
    there = XlsxReader(path, BY_A_WORKER)._read_array_without("大表", 0, None)
    assert _typed(there) == _typed(_whole(path))


def test_a_table_a_worker_finds_to_be_read_whole_is(tmp_path: Path) -> None:
    # The worker meets a shared string typed before its style: it says so, and the sheet is
    # read whole here (see test_shared_strings_typed_before_their_style_are_read_as_written).
    path = _typed_first(tmp_path)
    there = XlsxReader(path, BY_A_WORKER)._read_array_without("大表", 0, None)
    assert _typed(there) == _typed(_whole(path))
