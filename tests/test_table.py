"""Header roles and typed columns from grids of cell values (sheetcrm.table)."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellError, CellValue, CustomerTable
from sheetcrm.errors import MissingColumnError
from sheetcrm.headers import normalise_header
from sheetcrm.i18n import use_lang
from sheetcrm.roles import CUSTOMER_ROLES
from sheetcrm.table import column_types, grid_rows, not_customers
from sheetcrm.table.customer_table import build_customer_table
from sheetcrm.table.header_row import find_header_row, match_roles
from sheetcrm.table.locate import TableInfo, choose_table, read_customer_table
from sheetcrm.table.transactions import read_transactions_grid
from sheetcrm.values import is_blank

HEADERS = [
    "客户编号",
    "客户名称",
    "手机号码/电话",
    "累计金额（元）",
    "最近购买日期",
    "购买次数",
    "退订",
]


def test_header_variants_in_both_languages() -> None:
    roles = match_roles(HEADERS)
    assert roles["mobile"] == "手机号码/电话" and roles["amount"] == "累计金额（元）"
    english = match_roles(
        ["Customer ID", "Company", "Mobile Phone", "Total Spent (¥)", "E-mail", "Sales Rep"]
    )
    assert set(english) == {"id", "name", "mobile", "amount", "email", "owner"}
    assert normalise_header("  Ｅ－ｍａｉｌ ") == "email"


def test_left_most_header_wins_and_overrides_come_first() -> None:
    assert match_roles(["电话", "手机"])["mobile"] == "电话"
    assert (
        match_roles(["电话", "联系方式"], overrides={"mobile": "联系方式"})["mobile"] == "联系方式"
    )


def test_header_row_found_below_a_title() -> None:
    grid: list[list[CellValue]] = [["2026 年客户名单"], [], [None, *HEADERS], [None, "C1", "甲"]]
    assert find_header_row(grid) == (2, 1, 7)
    assert find_header_row([["a", "b"], [1, 2]]) is None


def _table(rows: list[list[CellValue]], *, date1904: bool = False) -> CustomerTable:
    return build_customer_table([HEADERS, *rows], "名单", 1, 1, date1904=date1904)


def test_typed_values_and_problems_name_row_and_column() -> None:
    with use_lang("en"):
        table = _table(
            [
                ["C1", "甲公司", "138 0013 8000", "¥1,234.50", dt.datetime(2024, 3, 5), 3, "是"],
                ["C2", "乙公司", None, "abc", "2024年3月5日", 2.5, "否"],
                [None, None, None, None, None, None, None],
                [7.0, "丙", None, CellError("#N/A"), 45356, "4", None],
            ]
        )
    frame = table.frame
    assert list(frame.index) == [2, 3, 5]
    assert frame.loc[2, "amount"] == 1234.5 and pd.isna(frame.loc[3, "amount"])
    assert (
        frame.loc[3, "last_purchase"] == pd.Timestamp(2024, 3, 5) == frame.loc[5, "last_purchase"]
    )
    assert str(frame["orders"].dtype) == "Int64" and frame.loc[5, "orders"] == 4
    assert (
        frame.loc[5, "id"] == "7"
        and bool(frame.loc[2, "opt_out"])
        and not bool(frame.loc[3, "opt_out"])
    )
    found = {(p.row, p.column, p.kind) for p in table.problems}
    assert found == {
        (3, "累计金额（元）", "invalid"),
        (3, "购买次数", "invalid"),
        (4, None, "blank"),
        (5, "累计金额（元）", "error"),
    }


def test_1904_serial_dates() -> None:
    table = _table([["C1", "甲", None, 1, 43894, 1, None]], date1904=True)
    assert table.frame.loc[2, "last_purchase"] == pd.Timestamp(2024, 3, 5)


def test_missing_id_or_name_is_refused_with_the_headers_seen() -> None:
    with use_lang("en"), pytest.raises(MissingColumnError, match=r"[Hh]eaders seen"):
        build_customer_table([["手机", "城市", "行业", "负责人"], ["1", "2", "3", "4"]], "s", 1, 1)


def test_transactions_sheet() -> None:
    frame, problems = read_transactions_grid(
        [
            ["客户编号", "日期", "金额", "产品"],
            ["C1", dt.datetime(2025, 1, 2), 10, "茶"],
            ["C1", "坏日期", 5, "茶"],
        ],
        "交易记录",
    )
    assert frame is not None and len(frame) == 1 and frame["amount"].sum() == 10
    assert problems[0].row == 3 and problems[0].column == "日期"


cell = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.dates(),
    st.sampled_from([CellError("#N/A"), "#DIV/0!"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell, min_size=7, max_size=7), max_size=12))
def test_any_grid_gives_a_table_or_problems_never_a_crash(rows: list[list[CellValue]]) -> None:
    table = _table(rows)
    frame = table.frame
    data_rows = [
        r
        for r in rows
        if any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in r)
    ]
    # Every row with something in it is a customer, or left out and said so (totals, titles…).
    left_out = [p for p in table.problems if p.kind == "skipped"]
    assert len(frame) + len(left_out) == len(data_rows)
    assert frame["amount"].dtype == "float64"


# ---- the fast paths give what the plain per-value paths give ---------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell, max_size=9), max_size=12))
def test_array_grid_list_grid_and_list_inference_agree(rows: list[list[CellValue]]) -> None:
    from_lists = _table(rows)
    width = len(HEADERS)
    grid: list[list[CellValue]] = [[*HEADERS], *rows]
    padded = [[*row[:width], *[None] * (width - len(row))] for row in grid]
    array = np.empty((len(padded), width), dtype=object)
    array[:, :] = padded
    from_array = build_customer_table(array, "名单", 1, 1)
    pd.testing.assert_frame_equal(from_array.frame, from_lists.frame)
    pd.testing.assert_frame_equal(from_array.raw, from_lists.raw)
    assert from_array.problems == from_lists.problems
    # raw is typed the way pandas types lists of the cells (as it was before arrays)
    kept = from_array.raw.index - 2
    expected = pd.DataFrame(
        {h: [padded[1 + i][c] for i in kept] for c, h in enumerate(HEADERS)},
        index=from_array.raw.index,
    )
    pd.testing.assert_frame_equal(from_array.raw, expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789 +-()\u00a0\u3000\t１２", max_size=14),
            st.text(max_size=6),
            st.none(),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=10,
    )
)
def test_phone_column_shortcut_equals_the_phone_parser(values: list[str | float | None]) -> None:
    info = next(r for r in CUSTOMER_ROLES if r.role == "mobile")
    typed, failures = column_types._typed_column(np.array(values, dtype=object), info, False)
    assert typed.tolist() == [column_types._parse_phone(v) for v in values]
    assert not failures


def test_choose_table_by_name_else_by_the_most_customer_roles() -> None:
    from sheetcrm.errors import InputError

    def info(name: str, sheet: str, *headers: str) -> TableInfo:
        return TableInfo(name, sheet, 1, 1, 10, len(headers), headers)

    small = info("Orders", "订单", "客户编号", "金额", "日期")
    full = info("Customers", "客户", "客户编号", "客户名称", "手机", "邮箱")
    own = info("Plan", "跟进计划", "客户编号", "客户名称", "手机", "邮箱", "负责人")
    tables = [small, full, own]
    assert choose_table(tables) is full  # sheetcrm's own sheets never count
    assert choose_table(tables, sheet="订单") is None  # fewer than three customer roles there
    assert choose_table(tables, table="orders") is small
    with pytest.raises(InputError, match="Customers"):
        choose_table(tables, table="Nope")


_TEXT = st.one_of(
    # No NUL: pandas' factorize compares texts only up to one ('' and '\x00' are one value
    # to it), and no cell holds one (XML cannot).
    st.text(st.characters(blacklist_characters="\x00"), max_size=8),
    st.sampled_from(
        [" 138 1234 5678 ", "ＡＢＣ", "\u3000", "a\u00a0b", "C001", "  ", "\u200b甲\ufeff"]
    ),
)
_TEXT_CELL = st.one_of(
    st.none(),
    _TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=False),
    st.builds(CellError, st.sampled_from(["#N/A", "#REF!"])),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
)  # no yes/no cells: distinct values merge False with 0 (equal in Python), cell by cell not


@settings(max_examples=150, deadline=None)
@given(
    # Texts only (ids, names: cleaned as they stand) and every kind of cell mixed.
    cells=st.lists(_TEXT, max_size=30) | st.lists(_TEXT_CELL, max_size=30),
    role=st.sampled_from(["name", "mobile", "email"]),
)
def test_text_cells_one_by_one_equal_the_distinct_values_way(
    cells: list[object], role: str
) -> None:
    # Columns of mostly distinct values are cleaned cell by cell; others once per distinct value.
    info = next(r for r in CUSTOMER_ROLES if r.role == role)
    values = np.array(cells, dtype=object)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(column_types, "mostly_distinct", lambda values: True)
        one_by_one, failures_one = column_types._typed_column(values, info, False)
        patch.setattr(column_types, "mostly_distinct", lambda values: False)
        distinct, failures_distinct = column_types._typed_column(values, info, False)
    assert one_by_one.tolist() == distinct.tolist()
    assert failures_one == failures_distinct


@pytest.mark.parametrize("leave_out", [(), ("客户等级", "RFM")])
def test_old_results_ending_the_table_are_not_data(leave_out: tuple[str, ...]) -> None:
    # A re-run's old results are not data, in every book: a row holding only those is blank.
    grid: list[list[CellValue]] = [
        ["客户编号", "客户名称", "手机", "客户等级", "RFM"],
        ["C1", "甲", "13800000001", "A", "555"],
        [None, None, None, "B", "444"],  # the customer was deleted, the old results stayed
        ["C3", "丙", "13800000003", "C", "333"],
    ]
    table = read_customer_table(
        [], ["名单"], lambda name: grid, lambda name: grid, leave_out=leave_out
    )
    assert list(table.frame.index) == ([2, 4] if leave_out else [2, 3, 4])
    assert table.headers == grid[0]  # the headers stay: the writer finds its old columns there
    assert list(table.raw.columns) == grid[0][: 3 if leave_out else None]  # no data, no raw cells


@pytest.mark.parametrize("layout", ["by column", "by row", "old results", "beside"])
def test_raw_columns_are_the_grids_only_where_it_holds_the_table_alone(layout: str) -> None:
    # A big sheet's grid comes column by column: the raw frame takes its columns as they are.
    # Any other grid is copied from, so that no cell outside the table is held all run long.
    cities: list[CellValue] = ["杭州", None, 3]
    rows: list[list[CellValue]] = [
        ["客户编号", "客户名称", "城市", "累计金额", *(["RFM"] if layout == "old results" else [])],
        *[[f"C{i}", f"客户{i % 7}", cities[i % 3], i * 1.5] for i in range(50)],
    ]
    if layout == "old results":
        for row in rows[1:]:
            row.append(None)  # read without them: blank below the header
    grid = np.array([[*row, *([None] if layout == "beside" else [])] for row in rows], object)
    grid[7, -1] = "备注" if layout == "beside" else grid[7, -1]
    grid = np.asfortranarray(grid) if layout != "by row" else grid
    table = read_customer_table(
        [], ["名单"], lambda name: grid[:30].tolist(), lambda name: grid, leave_out=("RFM",)
    )
    expected = [["" if v is None else v for v in row[:4]] for row in rows[1:]]
    assert [["" if v is None else v for v in row] for row in table.raw.to_numpy().tolist()] == (
        expected
    )
    # Columns of objects (pandas 3 makes a column of texts only its own string array).
    objects = [h for h in ("客户名称", "城市") if table.raw[h].dtype == object]
    shared = [np.shares_memory(table.raw[h].to_numpy(), grid) for h in objects]
    assert "城市" in objects and shared == [layout == "by column"] * len(objects)


def _list(rows: list[list[CellValue]], headers: list[str]) -> CustomerTable:
    return build_customer_table([headers, *rows], "名单", 1, 1)


def test_a_list_of_people_without_ids_gets_stable_keys() -> None:
    headers = ["序号", "客户姓名", "手机", "邮箱", "累计消费金额"]
    rows: list[list[CellValue]] = [
        [1, "张三", "13800000000", None, 100],
        [2, "李四", None, "li@x.cn", 200],
        [3, "王五", None, None, 300],
    ]
    table = _list(rows, headers)
    assert table.made_id and "id" not in table.roles and table.roles["name"] == "客户姓名"
    assert table.frame["id"].tolist() == ["张三·13800000000", "李四·li@x.cn", "王五"]
    # A re-run of the same list (rows moved) gives each customer the same key.
    again = _list([rows[2], rows[0], rows[1]], headers)
    assert sorted(again.frame["id"]) == sorted(table.frame["id"])


def test_a_list_needs_only_a_name_column() -> None:
    with use_lang("en"), pytest.raises(MissingColumnError, match="a name column"):
        _list([["138", 1.0]], ["手机", "累计金额"])


def test_split_names_read_as_people_write_them() -> None:
    chinese = _list([["王", "小明", "138"]], ["姓", "名", "手机"])
    assert chinese.frame["name"].tolist() == ["王小明"]
    english = _list(
        [["Smith", "Anna", "a@x.com"], [None, "Ben", None]], ["Last Name", "First Name", "Email"]
    )
    assert english.frame["name"].tolist() == ["Anna Smith", "Ben"]
    company = _list([["甲公司", "李", "雷"]], ["客户名称", "姓", "名"])
    assert company.frame["contact"].tolist() == ["李雷"]


def test_totals_sections_and_repeated_headers_are_not_customers() -> None:
    headers = ["客户编号", "客户名称", "成交次数", "成交金额"]
    rows: list[list[CellValue]] = [
        ["华东区", None, None, None],
        ["C1", "甲", 2, 100.0],
        ["C2", "乙", 3, 50.0],
        ["小计", None, 5, 150.0],
        [*headers],
        ["C3", "丙", 1, 10.0],
        ["C4", "丁", 1, 20.0],
        [None, None, 7, 180.0],  # unlabelled: the sum of every customer above
        ["Grand Total", None, 7, 180.0],
    ]
    table = _list(rows, headers)
    assert table.frame["id"].tolist() == ["C1", "C2", "C3", "C4"]
    skipped = [p.row for p in table.problems if p.kind == "skipped"]
    assert skipped == [2, 5, 6, 9, 10]


class _Text(str):
    """A str subclass: is_blank takes it as a text."""


@given(
    st.lists(
        st.none()
        | st.floats(allow_nan=True)
        | st.builds(np.float64, st.floats(allow_nan=True))
        | st.text(st.sampled_from(" \t\n\u3000\u00a0a甲"), max_size=3)
        | st.builds(_Text, st.sampled_from(["", " ", "a"]))
        | st.integers()
        | st.booleans()
        | st.just(CellError("#N/A"))
        | st.just(pd.NaT)
        | st.dates(),
        max_size=30,
    )
)
def test_blank_cells_are_what_is_blank_says(cells: list[Any]) -> None:
    values = np.empty(len(cells), dtype=object)
    values[:] = cells
    assert grid_rows._blank_cells(values).tolist() == [is_blank(cell) for cell in cells]


@given(
    st.lists(
        st.none()
        | st.floats(allow_nan=True)
        | st.sampled_from([" 合计", "合计", "Sum", "sub-total", "总计：", "甲", "", "t", 7])
        | st.text(max_size=3),
        max_size=20,
    )
)
def test_texts_starting_as_totals_are_looked_at_and_no_other_cell(cells: list[object]) -> None:
    # The cheap look before a label is matched: a text's first character, as pandas gives it.
    values = np.array(cells, dtype=object)
    texts = pd.Series(values).where(pd.Series(values).map(type).eq(str))
    start = texts.where(texts.notna(), "").astype(str).str[:1]
    expected = np.flatnonzero(start.isin(set("合总小共汇gGsStT")).to_numpy())
    assert not_customers._starting_as_totals(values).tolist() == expected.tolist()


def test_units_in_headers_scale_the_column() -> None:
    table = _list(
        [["C1", "甲", 1.5], ["C2", "乙", "2万"]], ["客户编号", "客户名称", "合同总额（万元）"]
    )
    assert table.frame["amount"].tolist() == [15_000.0, 200_000_000.0]


def test_values_that_are_not_what_they_seem_are_problems() -> None:
    headers = ["客户编号", "客户名称", "累计金额", "最近购买日期", "购买次数"]
    rows: list[list[CellValue]] = [
        ["C1", "甲", float("inf"), "9999-12-31", "1,2,3"],
        ["C2", "乙", "inf", "2024-02-29T25:00", 3],
        ["C3", "丙", 10.0, "2024-02-29", 2],
    ]
    table = _list(rows, headers)
    bad = sorted((p.row, p.column) for p in table.problems if p.kind == "invalid")
    assert bad == [
        (2, "最近购买日期"),
        (2, "累计金额"),
        (2, "购买次数"),
        (3, "最近购买日期"),
        (3, "累计金额"),
    ]
    assert table.frame["amount"].isna().tolist() == [True, True, False]


def test_an_ambiguous_date_column_is_one_problem_not_a_guess() -> None:
    headers = ["客户编号", "客户名称", "最近购买日期"]
    table = _list([["C1", "甲", "3/4/2024"], ["C2", "乙", "5/6/2024"]], headers)
    problems = [p for p in table.problems if p.column == "最近购买日期"]
    assert len(problems) == 1 and problems[0].row is None
    assert table.frame["last_purchase"].isna().all()
    day_first = _list([["C1", "甲", "3/4/2024"], ["C2", "乙", "25/6/2024"]], headers)
    assert day_first.frame["last_purchase"].tolist() == [
        pd.Timestamp(2024, 4, 3),
        pd.Timestamp(2024, 6, 25),
    ]


def test_invisible_characters_do_not_make_another_customer() -> None:
    headers = ["客户编号", "客户名称", "手机"]
    rows: list[list[CellValue]] = [
        ["C1", "甲公司", "138"],
        ["C1\u200b", "\ufeff甲公司", "138"],
        ["C1\u00a0", "甲\u3000公司", "138"],
    ]
    table = _list(rows, headers)
    assert table.frame["id"].nunique() == 1
    assert table.frame["name"].tolist()[:2] == ["甲公司", "甲公司"]


@pytest.mark.parametrize("huge", [1e308, -1e308, 1.7e308])
def test_amounts_whose_sum_overflows_read_without_a_warning(huge: float) -> None:
    """Looking for unlabelled totals sums the amounts: near the float limit the sums overflow,
    which is not a problem of the table's (the check reports such amounts) and finds no total."""
    rows: list[list[CellValue]] = [
        ["C1", "甲", None, huge, None, 1, None],
        ["C2", "乙", None, huge, None, 2, None],
        ["C3", "丙", None, 1.0, None, 3, None],
        [None, None, None, 2 * 1.0, None, 6, None],  # adds up the orders, not the amounts
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = _table(rows)
    assert list(table.frame.index) == [2, 3, 4, 5]
    assert table.frame.loc[2, "amount"] == huge
