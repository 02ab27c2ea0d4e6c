"""The LibreOffice live book: UnoBook reads, writes and saves like the file book does.

One headless soffice serves the whole module (it takes seconds to start); every
test opens its own document in it and closes it again.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import (
    CellError,
    CellValue,
    ChartSeries,
    ChartSpec,
    ConditionalFill,
    ListValidation,
    ResultColumn,
    SheetSpec,
)
from sheetcrm.book.file import FileBook
from sheetcrm.book.live_uno import UnoBook
from sheetcrm.book.uno_session import OfficeSession, open_document
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.demo import write_demo
from sheetcrm.errors import InputError, WorkbookError
from sheetcrm.excel.buttons import BUTTONS, press
from sheetcrm.jobs import JobOptions
from sheetcrm.sheets.dashboard import DASHBOARD_SHEET
from sheetcrm.sheets.history import HISTORY_SHEET
from uno_env import grid_differences, uno_missing

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(uno_missing() is not None, reason=str(uno_missing())),
]

HEADERS = ["客户编号", "客户名称", "手机", "最近购买", "累计金额", "备注"]
INJECTIONS = ["=1+1", "+A1", "-2", "@SUM(A1)", '=HYPERLINK("http://x")']


@pytest.fixture(scope="module")
def office() -> Iterator[OfficeSession]:
    """One private headless LibreOffice for this module, always stopped at the end."""
    with OfficeSession() as session:
        yield session


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A customer Table with Chinese headers, dates, an #N/A, text numbers and an "=" name."""
    path = tmp_path / "客户.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("客户")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, 0, "客户管理表")  # a title line above the table
    rows: list[list[Any]] = [
        ["C001", '=HYPERLINK("x")', "13800138000", dt.date(2025, 3, 1), 100.5, "老客户"],
        ["C002", "张三", "13900139000", dt.date(2025, 4, 2), 2000, "-1"],
        ["C003", "李四", "13700137000", None, None, "@a"],
        ["C004", "王五", "13600136000", dt.date(2024, 12, 31), 0.25, None],
    ]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif value is not None:
                sheet.write_number(r, c, value)
    sheet.write_formula(4, 4, "=NA()", None, "#N/A")
    sheet.add_table(1, 0, 5, 5, {"name": "客户表", "columns": [{"header": h} for h in HEADERS]})
    sheet.write_string(8, 0, "表格下方的备注")  # below the table: not data
    book.close()
    return path


@pytest.fixture
def opened(office: OfficeSession, workbook: Path) -> Iterator[UnoBook]:
    """The workbook open in LibreOffice, saving to a copy beside it."""
    doc = office.load(workbook)
    try:
        yield UnoBook(doc, output=workbook.with_name("saved.xlsx"))
    finally:
        doc.close(True)


def test_read_grid_types_match_the_file_reader(opened: UnoBook, workbook: Path) -> None:
    grid = opened.read_grid("客户")
    assert grid[2][3] == dt.date(2025, 3, 1) and type(grid[2][3]) is dt.date
    assert grid[4][4] == CellError("#N/A")
    assert grid[2][4] == 100.5
    assert grid[2][2] == "13800138000"  # text that looks like a number stays text
    assert grid[2][1] == '=HYPERLINK("x")'  # text that looks like a formula stays text
    assert grid[4][3] is None
    assert grid_differences(grid, XlsxReader(workbook).read_grid("客户")) == []


def test_read_grid_types_formula_results_by_their_format(opened: UnoBook) -> None:
    sheet = opened.doc.Sheets.getByName("客户")
    sheet.getCellByPosition(7, 2).Formula = "=D3+1"  # a date formatted as one
    sheet.getCellByPosition(7, 2).NumberFormat = sheet.getCellByPosition(3, 2).NumberFormat
    sheet.getCellByPosition(7, 3).Formula = "=1/0"
    opened.write_columns(opened.read_customers(), [ResultColumn("是否", [True, False, None, True])])
    grid = opened.read_grid("客户")
    assert grid[2][7] == dt.date(2025, 3, 2)
    assert grid[3][7] == CellError("#DIV/0!")
    assert [row[6] for row in grid[2:6]] == [True, False, None, True]


def test_read_customers_takes_the_table(opened: UnoBook, workbook: Path) -> None:
    table = opened.read_customers()
    expected = XlsxReader(workbook).read_customers()
    assert (table.table, table.sheet, table.header_row, table.first_column) == (
        "客户表",
        "客户",
        2,
        1,
    )
    assert table.last_row == 6 and table.headers == HEADERS
    pd.testing.assert_frame_equal(table.frame, expected.frame)
    assert [p.row for p in table.problems] == [p.row for p in expected.problems]


def test_read_customers_finds_a_plain_range_by_its_headers(
    office: OfficeSession, tmp_path: Path
) -> None:
    path = tmp_path / "plain.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("说明").write_string(0, 0, "这里没有客户")
    sheet = book.add_worksheet("名单")
    sheet.write_string(0, 0, "2026 年客户")
    sheet.write_row(2, 1, HEADERS[:3])
    sheet.write_row(3, 1, ["C9", "赵六", "13500135000"])
    book.close()
    doc = office.load(path)
    try:
        live = UnoBook(doc)
        table = live.read_customers()
        with pytest.raises(InputError, match="no Excel Table named '客户表'"):
            live.read_customers(table="客户表")
    finally:
        doc.close(True)
    expected = XlsxReader(path).read_customers()
    assert (table.sheet, table.table, table.header_row, table.first_column) == ("名单", None, 3, 2)
    pd.testing.assert_frame_equal(table.frame, expected.frame)


def test_write_columns_grows_the_table_and_keeps_text_as_text(
    opened: UnoBook, workbook: Path
) -> None:
    table = opened.read_customers()
    opened.write_columns(
        table,
        [
            ResultColumn("等级", INJECTIONS[:4], width=12),
            ResultColumn("下次跟进", [dt.date(2026, 1, 5), None, dt.date(2026, 2, 1), None]),
            ResultColumn("得分", [0.5, 1.0, float("nan"), 2.0], number_format="0.0%"),
        ],
    )
    # A second run replaces its columns instead of adding more.
    again = opened.read_customers()
    opened.write_columns(again, [ResultColumn("等级", ["A", "B", "C", "D"])])
    saved = opened.save()
    reader = XlsxReader(saved)
    info = reader.tables()[0]
    assert (info.name, info.header_row, info.last_row, info.last_column) == ("客户表", 2, 6, 9)
    assert list(info.headers) == [*HEADERS, "等级", "下次跟进", "得分"]
    grid = reader.read_grid("客户")
    assert [row[6] for row in grid[2:6]] == ["A", "B", "C", "D"]
    assert [row[7] for row in grid[2:6]] == [dt.date(2026, 1, 5), None, dt.date(2026, 2, 1), None]
    assert grid[8][0] == "表格下方的备注"
    sheet = openpyxl.load_workbook(saved)["客户"]
    assert sheet["I3"].number_format == "0.0%" and sheet["I5"].value is None
    assert sheet.column_dimensions["G"].width == pytest.approx(12, abs=1)


def test_injection_text_is_never_a_formula(opened: UnoBook) -> None:
    table = opened.read_customers()
    opened.write_columns(table, [ResultColumn("等级", INJECTIONS[:4])])
    opened.write_sheet(SheetSpec("消息", [["正文"], *([text] for text in INJECTIONS)]))
    sheet = openpyxl.load_workbook(opened.save())
    assert [c.value for c in sheet["客户"]["G"][2:6]] == INJECTIONS[:4]
    assert {c.data_type for c in sheet["客户"]["G"][2:6]} == {"s"}
    assert [c.value for c in sheet["消息"]["A"][1:]] == INJECTIONS
    assert {c.data_type for c in sheet["消息"]["A"][1:]} == {"s"}


def test_write_columns_refuses_to_overwrite_user_data(opened: UnoBook) -> None:
    table = opened.read_customers()
    opened.doc.Sheets.getByName("客户").getCellByPosition(6, 4).String = "别动"
    with pytest.raises(WorkbookError, match="G5"):
        opened.write_columns(table, [ResultColumn("等级", ["A"] * 4)])


_cells = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
        str.strip
    ),
    st.sampled_from([*INJECTIONS, "00123", "1e5", "TRUE", "#N/A"]),
    st.floats(-1e12, 1e12, allow_nan=False).map(lambda x: round(x, 6)),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
    st.booleans(),
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(_cells, min_size=4, max_size=4))
@example(values=[None, None, None, dt.datetime(2080, 1, 1, 0, 0, 46)])  # its serial ends in …9999
def test_written_columns_read_back_as_written(opened: UnoBook, values: list[Any]) -> None:
    table = opened.read_customers()
    opened.write_columns(table, [ResultColumn("结果", values)])
    grid = opened.read_grid("客户")
    assert grid_differences([row[6:7] for row in grid[2:6]], [[v] for v in values]) == []


def _dashboard(rows: int) -> SheetSpec:
    body: list[list[CellValue]] = [
        ["ABCD"[i % 4], i + 1, dt.date(2026, 1, i + 1)] for i in range(rows)
    ]
    return SheetSpec(
        "分级汇总",
        [["等级", "人数", "日期"], *body],
        widths={0: 20},
        number_formats={1: "#,##0"},
        validations=[ListValidation(0, ["A", "B", "C", "D"])],
        conditional=[ConditionalFill((0, 2), 'AND($B2>2,$A2="A")', "FFC7CE", "9C0006")],
        charts=[
            ChartSpec(
                "doughnut",
                "等级分布",
                f"A2:A{rows + 1}",
                [ChartSeries("人数", f"B2:B{rows + 1}")],
                "E2",
            )
        ],
        bold_cells=[(2, 1)],
        cell_formats={(1, 1): "0.00"},
    )


def test_write_sheet_rewrites_values_formats_and_niceties(opened: UnoBook) -> None:
    opened.write_sheet(_dashboard(6))
    opened.write_sheet(_dashboard(3))  # the second run clears what the first left
    assert opened.read_grid("分级汇总")[-1] == ["C", 3.0, dt.date(2026, 1, 3)]
    saved = opened.save()
    assert len(XlsxReader(saved).read_grid("分级汇总")) == 4
    sheet = openpyxl.load_workbook(saved)["分级汇总"]
    assert sheet["A1"].font.b and sheet["B3"].font.b and not sheet["B4"].font.b
    assert sheet["B3"].number_format == "#,##0" and sheet["B2"].number_format == "0.00"
    assert sheet["C2"].is_date
    assert sheet.auto_filter.ref == "A1:C4"
    assert sheet.column_dimensions["A"].width == pytest.approx(20, abs=1)
    [validation] = sheet.data_validations.dataValidation
    assert validation.type == "list" and "A2" in validation.sqref
    [fill] = sheet.conditional_formatting
    assert [rule.formula for rule in fill.rules] == [['AND($B2>2,$A2="A")']]
    assert len(sheet._charts) == 1


def test_save_in_place_stores_the_document(office: OfficeSession, workbook: Path) -> None:
    doc = office.load(workbook)
    try:
        book = UnoBook(doc)
        book.write_sheet(SheetSpec("消息", [["正文"], ["您好"]]))
        assert book.save() == workbook
    finally:
        doc.close(True)
    assert XlsxReader(workbook).read_grid("消息") == [["正文"], ["您好"]]


def test_every_button_in_libreoffice_matches_the_cli(office: OfficeSession, tmp_path: Path) -> None:
    demo = tmp_path / "demo.xlsx"
    write_demo(demo, customers=100)
    cli = tmp_path / "cli.xlsx"
    shutil.copyfile(demo, cli)
    as_of = dt.date(2026, 6, 1)  # both doors must see the same "today"
    for button in BUTTONS:
        press(button, FileBook(cli, backup=False), JobOptions(as_of=as_of))
    doc = office.load(demo)
    try:
        book = UnoBook(doc, output=tmp_path / "uno.xlsx")
        reports = {button: press(button, book, JobOptions(as_of=as_of)) for button in BUTTONS}
    finally:
        doc.close(True)
    assert reports["crmTier"].columns and reports["crmDashboard"].sheets
    expected, seen = XlsxReader(cli), XlsxReader(tmp_path / "uno.xlsx")
    assert seen.sheet_names() == expected.sheet_names()
    assert [t.headers for t in seen.tables()] == [t.headers for t in expected.tables()]
    for sheet in expected.sheet_names():
        want, got = expected.read_grid(sheet), seen.read_grid(sheet)
        if sheet == HISTORY_SHEET:  # column A is the moment each run happened
            want, got = ([row[1:] for row in grid] for grid in (want, got))
        assert grid_differences(got, want) == [], sheet
    dashboard = openpyxl.load_workbook(tmp_path / "uno.xlsx")[DASHBOARD_SHEET]
    assert len(dashboard._charts) == 5


def test_missing_file_is_refused_before_starting_libreoffice(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="does not exist"), open_document(tmp_path / "无.xlsx"):
        pass


def test_missing_libreoffice_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(WorkbookError, match="libreoffice-calc-nogui python3-uno"):
        OfficeSession()
