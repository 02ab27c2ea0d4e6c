"""The xlwings book adapter, through xlwings' own Book/Sheet/Range over an in-memory engine."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.book.base import (
    ChartSeries,
    ChartSpec,
    ConditionalFill,
    ListValidation,
    ResultColumn,
    SheetSpec,
)
from sheetcrm.book.live_excel import MOST_DATE_RUNS, ExcelBook, date_runs
from sheetcrm.errors import WorkbookError
from sheetcrm.i18n import use_lang
from xlwings_memory import CALLS, Formula, memory_book

ROWS: list[list[Any]] = [
    ["客户名单", None, None],
    ["客户编号", "客户名称", "手机"],
    ["C001", "华东五金", "13800138000"],
    ["C002", "南方建材", "13900139000"],
]


def _cells(book: Any, sheet: str) -> dict[tuple[int, int], Any]:
    return dict(book.sheets[sheet].impl._data.cells)


def _column(book: Any, sheet: str, column: int, rows: range) -> list[Any]:
    cells = _cells(book, sheet)
    return [cells.get((r, column)) for r in rows]


def test_reads_the_customer_table_below_a_title_and_writes_a_result_column() -> None:
    xl = memory_book({"说明": [["readme"]], "客户": ROWS})
    book = ExcelBook(xl)
    assert book.sheet_names() == ["说明", "客户"]
    table = book.read_customers()
    assert (table.sheet, table.header_row, table.first_column) == ("客户", 2, 1)
    assert list(table.frame["id"]) == ["C001", "C002"]
    book.write_columns(table, [ResultColumn("分级", ["A", "00123"], number_format="@")])
    # Text goes in behind Excel's ' prefix: Excel keeps it as typed, "00123" included.
    assert _column(xl, "客户", 4, range(2, 5)) == ["分级", "A", "00123"]
    assert xl.sheets["客户"].impl._data.number_formats[(3, 4)] == "@"
    assert book.save() == "C:/data/客户.xlsx"


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    xl = memory_book({"客户": ROWS})
    book = ExcelBook(xl)
    table = book.read_customers()
    book.write_columns(table, [ResultColumn("备注2", ['=HYPERLINK("http://x")', "=1+1"])])
    values = _column(xl, "客户", 4, range(3, 5))
    assert values == ['=HYPERLINK("http://x")', "=1+1"]
    assert not any(isinstance(v, Formula) for v in _cells(xl, "客户").values())


def test_values_land_on_their_customers_rows_past_blank_rows() -> None:
    rows = [ROWS[1], ROWS[2], [None, None, None], ROWS[3]]
    xl = memory_book({"客户": rows})
    book = ExcelBook(xl)
    table = book.read_customers()
    book.write_columns(table, [ResultColumn("客户等级", ["A", "B"])])
    assert _column(xl, "客户", 4, range(1, 5)) == ["客户等级", "A", None, "B"]


def test_user_data_in_the_way_is_refused_and_nothing_is_written() -> None:
    rows = [[*row, None, None] for row in ROWS]
    rows[3][4] = "staff note"  # column E, row 4: where the second result would go
    xl = memory_book({"客户": rows})
    book = ExcelBook(xl)
    table = book.read_customers()
    before = _cells(xl, "客户")
    with pytest.raises(WorkbookError, match=r"E4"):
        book.write_columns(table, [ResultColumn("客户等级", ["A", "B"]), ResultColumn("x", [1, 2])])
    assert _cells(xl, "客户") == before


def test_a_rerun_and_a_language_switch_reuse_the_columns() -> None:
    xl = memory_book({"客户": ROWS})
    book = ExcelBook(xl)
    book.write_columns(book.read_customers(), [ResultColumn("客户等级", ["A", "B"])])
    book.write_columns(book.read_customers(), [ResultColumn("客户等级", ["C", "D"])])
    assert _column(xl, "客户", 4, range(2, 5)) == ["客户等级", "C", "D"]
    book.write_columns(book.read_customers(), [ResultColumn("Tier", ["B", "A"])])
    assert _column(xl, "客户", 4, range(2, 5)) == ["Tier", "B", "A"]
    assert _column(xl, "客户", 5, range(2, 5)) == [None, None, None]


def test_an_excel_table_grows_over_the_results() -> None:
    xl = memory_book({"客户": ROWS[1:]})
    xl.sheets["客户"].tables.add(xl.sheets["客户"].range("A1:C3"), name="客户表")
    book = ExcelBook(xl)
    table = book.read_customers()
    assert table.table == "客户表"
    book.write_columns(table, [ResultColumn("客户等级", ["A", "B"])])
    assert xl.sheets["客户"].tables["客户表"].range.address == "$A$1:$D$3"


def test_write_sheet_writes_what_the_file_door_writes() -> None:
    xl = memory_book({"客户": ROWS})
    book = ExcelBook(xl, platform="win32")
    spec = SheetSpec(
        name="跟进计划",
        rows=[["客户", "状态", "金额"], ["甲", "待跟进", 3.5], ["乙", "=已完成"]],
        widths={0: 12},
        number_formats={2: "#,##0.00"},
        validations=[ListValidation(1, ["待跟进", "已完成"])],
        conditional=[ConditionalFill((0, 2), '$B2="待跟进"', "FFC7CE", "9C0006")],
        charts=[ChartSpec("bar", "金额", "A2:A3", [ChartSeries("金额", "C2:C3")], "E2")],
        freeze="A2",
        tab_color="4472C4",
    )
    book.write_sheet(spec)
    book.write_sheet(spec)  # a rerun replaces everything
    sheet = xl.sheets["跟进计划"].impl._data
    assert sheet.cells == {
        (1, 1): "客户",
        (1, 2): "状态",
        (1, 3): "金额",
        (2, 1): "甲",
        (2, 2): "待跟进",
        (2, 3): 3.5,
        (3, 1): "乙",
        (3, 2): "=已完成",
    }
    assert {(1, c) for c in (1, 2, 3)} <= sheet.bold
    assert {sheet.fills[(1, c)] for c in (1, 2, 3)} == {"DDEBF7"} and (2, 1) not in sheet.fills
    assert (sheet.tab_color, sheet.autofilter) == ("4472C4", "A1:C3")
    assert book.warnings == []
    assert sheet.widths[1] == 12 and sheet.number_formats[(2, 3)] == "#,##0.00"
    assert sheet.validations == [("$B$2:$B$3", ["待跟进", "已完成"])]
    [(where, rule)] = sheet.conditional
    assert where == "$A$2:$C$3" and rule["formula"] == '=$B2="待跟进"'
    assert sheet.freeze == "A2"
    [chart] = sheet.charts
    assert (chart._type, chart._title, chart._source, chart._categories) == (
        "bar_clustered",
        "金额",
        "跟进计划!$C$2:$C$3",
        "跟进计划!$A$2:$A$3",
    )
    assert [s._name for s in chart._series] == ["金额"]


def _write_calls(customers: int) -> int:
    rows = [["客户编号", "客户名称", "手机"]] + [
        [f"C{i:06d}", f"客户{i}", f"139{i:08d}"] for i in range(customers)
    ]
    xl = memory_book({"客户": rows})
    book = ExcelBook(xl)
    table = book.read_customers()
    CALLS.clear()
    book.write_columns(
        table,
        [
            ResultColumn("客户等级", ["A"] * customers),
            ResultColumn("分级得分", [1.0] * customers),
            ResultColumn("下次跟进", [dt.date(2026, 6, 1), None] * (customers // 2)),
        ],
    )
    return sum(CALLS.values())


def test_the_calls_do_not_grow_with_the_customers() -> None:
    assert _write_calls(10) == _write_calls(3_000)


def _own_sheet(rows: list[list[Any]]) -> SheetSpec:
    return SheetSpec(name="消息", rows=rows, tab_color="2E75B6", freeze=None)


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_tab_colour_and_filter_through_each_platforms_object_model(platform: str) -> None:
    xl = memory_book({"客户": ROWS})
    book = ExcelBook(xl, platform=platform)
    book.write_sheet(_own_sheet([["客户", "发送日"], ["甲", dt.date(2026, 6, 1)]]))
    sheet = xl.sheets["消息"].impl._data
    assert (sheet.tab_color, sheet.autofilter) == ("2E75B6", "A1:B2")
    book.write_sheet(SheetSpec(name="消息", rows=[["客户"]], autofilter=False))
    sheet = xl.sheets["消息"].impl._data
    assert sheet.autofilter is None and sheet.cells == {(1, 1): "客户"}  # a rerun's own filter
    assert book.warnings == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_a_native_object_model_the_rest_is_written_and_said_once(lang: str) -> None:
    xl = memory_book({"客户": ROWS})
    book = ExcelBook(xl, platform="emscripten")  # e.g. xlwings Lite: no .api
    with use_lang(lang):
        book.write_sheet(_own_sheet([["客户", "发送日"], ["甲", dt.date(2026, 6, 1)]]))
        book.write_sheet(_own_sheet([["客户"], ["乙"]]))
    sheet = xl.sheets["消息"].impl._data
    assert sheet.cells == {(1, 1): "客户", (2, 1): "乙"} and sheet.fills[(1, 1)] == "DDEBF7"
    assert sheet.tab_color is None and sheet.autofilter is None
    word = "标签" if lang == "zh" else "tabs"
    assert len(book.warnings) == 3 and sum(word in w for w in book.warnings) == 1


def test_a_filtered_sheet_keeps_its_filter_and_is_told_why() -> None:
    xl = memory_book({"客户": ROWS})
    data = xl.sheets["客户"].impl._data
    data.autofilter, data.filtering = "A2:C4", True  # staff are looking at some rows only
    book = ExcelBook(xl, platform="win32")
    book.write_columns(book.read_customers(), [ResultColumn("客户等级", ["A", "B"])])
    assert data.autofilter == "A2:C4" and data.filtering
    assert _column(xl, "客户", 4, range(2, 5)) == ["客户等级", "A", "B"]
    [warning] = book.warnings
    assert "客户" in warning


def test_an_unfiltered_sheets_filter_grows_and_dates_look_as_in_the_file() -> None:
    xl = memory_book({"客户": ROWS})
    data = xl.sheets["客户"].impl._data
    data.autofilter = "A2:C3"  # one row short: the file door widens it to the last customer too
    book = ExcelBook(xl, platform="darwin")
    moment = dt.datetime(2026, 6, 1, 9, 30)
    book.write_columns(book.read_customers(), [ResultColumn("时间", [moment, dt.date(2026, 6, 2)])])
    assert data.autofilter == "A2:D4"
    assert (data.number_formats[(3, 4)], data.number_formats[(4, 4)]) == (
        "yyyy-mm-dd hh:mm",
        "yyyy-mm-dd",
    )


_CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.dates(),
    st.datetimes(),
    st.text(max_size=3),
    st.floats(allow_nan=False),
)


@given(st.lists(_CELLS, max_size=30))
def test_date_runs_format_every_date_and_nothing_else(values: list[Any]) -> None:
    runs = date_runs(values, most=len(values))
    capped = date_runs(values)
    assert capped == (runs if len(runs) <= MOST_DATE_RUNS else [])  # a mixed column: no calls
    formatted: dict[int, str] = {}
    for first, last, fmt in runs:
        assert isinstance(values[first], dt.date) and isinstance(values[last], dt.date)
        for index in range(first, last + 1):
            assert index not in formatted  # runs do not overlap
            formatted[index] = fmt
    for index, value in enumerate(values):
        if isinstance(value, dt.date):
            want = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
            assert formatted[index] == want
        elif index in formatted:
            assert value in (None, "")  # only blanks between dates of one kind take a format
    # Fewest calls: a run ends only where a non-blank of another kind comes.
    for (_, last, fmt), (first, _, next_fmt) in itertools.pairwise(runs):
        between = values[last + 1 : first]
        assert fmt != next_fmt or any(v not in (None, "") for v in between)


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_classic_excel_freezes_through_the_window_of_the_sheet(platform: str) -> None:
    xl = memory_book({"客户": ROWS}, engine_freezes=False)  # xlwings' freeze_panes: not there
    book = ExcelBook(xl, platform=platform)
    book.write_sheet(
        SheetSpec(name="跟进计划", rows=[["客户", "状态"], ["甲", "待跟进"]], freeze="C2")
    )
    assert xl.sheets["跟进计划"].impl._data.freeze == "C2"
    assert xl.sheets["客户"].impl._data.freeze is None and book.warnings == []


def test_where_nothing_can_freeze_the_panes_the_warning_says_so() -> None:
    xl = memory_book({"客户": ROWS}, engine_freezes=False)
    book = ExcelBook(xl, platform="emscripten")
    with use_lang("en"):
        book.write_sheet(SheetSpec(name="跟进计划", rows=[["客户"]], freeze="A2", autofilter=False))
    assert xl.sheets["跟进计划"].impl._data.freeze is None
    assert [w for w in book.warnings if "freeze" in w] == [
        "could not freeze the header rows (this Excel does not support it); everything else is "
        "written"
    ]
