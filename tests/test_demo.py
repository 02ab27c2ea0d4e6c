"""The demo workbook: deterministic, consistent with its transactions, and messy as documented."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.base import CellValue
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.check import check_customers
from sheetcrm.demo import (
    CUSTOMER_HEADERS,
    CUSTOMER_SHEET,
    TABLE_NAME,
    TRANSACTION_SHEET,
    build_demo,
    write_big_customers,
    write_demo,
)
from sheetcrm.values import parse_date, parse_number

CUSTOMERS = 300


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_demo(path, customers=CUSTOMERS)
    return path


def values(path: Path) -> dict[str, list[tuple[CellValue, ...]]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_two_runs_write_the_same_cells(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    write_demo(again, customers=CUSTOMERS)
    assert values(demo) == values(again)
    other = tmp_path / "other.xlsx"
    write_demo(other, customers=CUSTOMERS, seed=7)
    assert values(other) != values(demo)


def test_layout(demo: Path) -> None:
    book = openpyxl.load_workbook(demo)
    assert book.sheetnames == [CUSTOMER_SHEET, TRANSACTION_SHEET, "说明"]
    sheet = book[CUSTOMER_SHEET]
    assert tuple(c.value for c in sheet[1]) == CUSTOMER_HEADERS
    assert TABLE_NAME in sheet.tables
    assert sheet.tables[TABLE_NAME].tableStyleInfo.name == "TableStyleMedium2"
    assert sheet.freeze_panes == "A2"
    assert tuple(c.value for c in book[TRANSACTION_SHEET][1]) == (
        "客户编号",
        "日期",
        "金额",
        "产品",
    )


def test_summary_columns_agree_with_transactions(demo: Path) -> None:
    data = build_demo(CUSTOMERS)
    orders: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for customer_id, day, amount, _ in data.transactions:
        assert data.as_of - dt.timedelta(days=550) <= day <= data.as_of
        orders[customer_id].append((day, amount))
    spoilt = set(data.mess["error"])
    rows = values(demo)[CUSTOMER_SHEET]
    checked = 0
    for excel_row, row in enumerate(rows[1:], start=2):
        if excel_row in spoilt or all(v is None for v in row):
            continue
        mine = orders.get(str(row[0]), [])
        assert (row[11] or 0) == len(mine)
        assert parse_number(row[12]) == pytest.approx(round(sum(a for _, a in mine), 2))
        if mine:
            assert parse_date(row[9]) == min(d for d, _ in mine)
            assert parse_date(row[10]) == max(d for d, _ in mine)
        checked += 1
    assert checked >= CUSTOMERS


def test_behaviour_mix() -> None:
    data = build_demo(2000)
    rows = [r for r in data.customers if r]
    once = sum(r[11] == 1 for r in rows) / len(rows)
    assert 0.38 <= once <= 0.55
    assert sum(r[11] == 0 for r in rows) >= 10  # prospects
    owners = {r[8] for r in rows}
    assert None in owners and len(owners - {None}) == 6
    assert any(isinstance(r[3], str) and r[3].endswith("总") for r in rows)
    assert any(str(r[1]).startswith("=") for r in rows)


def test_planted_mess_counts() -> None:
    mess = build_demo(CUSTOMERS).mess
    assert 6 <= len(mess["duplicate"]) <= 10
    assert len(mess["landline"]) >= 5 and len(mess["invalid_mobile"]) >= 3
    assert len(mess["text_amount"]) >= 10 and len(mess["text_date"]) >= 10
    assert 2 <= len(mess["blank_row"]) <= 3 and len(mess["opt_out"]) >= 3
    assert len(mess["error"]) == len(mess["invalid_email"]) == len(mess["formula_text"]) == 1


def test_check_finds_the_planted_problems(demo: Path) -> None:
    mess = build_demo(CUSTOMERS).mess
    table = XlsxReader(demo).read_customers()
    assert (table.sheet, table.table) == (CUSTOMER_SHEET, TABLE_NAME)
    result = check_customers(table, today=dt.date(2026, 11, 20))
    found = defaultdict(set)
    for problem in table.problems + result.problems:
        found[problem.kind].add(problem.row)
    assert found["landline"] == set(mess["landline"])
    assert found["invalid_mobile"] == set(mess["invalid_mobile"])
    assert found["invalid_email"] == set(mess["invalid_email"])
    assert found["duplicate"] == set(mess["duplicate"])
    assert found["blank"] == set(mess["blank_row"])
    assert found["error"] == set(mess["error"])
    assert not found["range"] and not found["missing"]
    assert table.frame.loc[mess["formula_text"][0], "name"].startswith("=HYPERLINK")


def test_big_customers_have_the_table(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    write_big_customers(path, 500)
    table = XlsxReader(path).read_customers()
    assert table.table == TABLE_NAME and len(table.frame) == 500
    assert table.problems == []
    assert set(table.roles) >= {"id", "name", "mobile", "amount", "last_purchase"}
