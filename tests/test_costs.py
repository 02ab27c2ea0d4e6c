"""Saying what was understood: the roles a job uses, what each missing one costs, and the
settings sheet's [columns] block filled in with what was detected (never over staff's rows)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.costs import COSTS, block_rows
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.roles import CUSTOMER_ROLES
from sheetcrm.settings import SETTINGS_SHEET, Settings, filled_settings_sheet, settings_sheet_spec
from sheetcrm.table.column_mapping import column_overrides

LISTS = Path(__file__).parent / "data" / "lists"
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def telesales(tmp_path: Path) -> Path:
    """A list without ID, contact or e-mail columns: 序号, 客户姓名, 所属销售, 成交次数…"""
    path = tmp_path / "telesales.xlsx"
    shutil.copy(LISTS / "telesales_cn.xlsx", path)
    return path


def _settings(path: Path) -> Settings:
    return Settings(XlsxReader(path).read_grid(SETTINGS_SHEET))


def _columns_block(path: Path) -> dict[str, tuple[object, object]]:
    return {
        str(record["role"]): (record["header"], record["note"])
        for _, record in _settings(path).block("columns").records()
    }


def test_every_role_has_a_cost_in_both_languages() -> None:
    assert set(COSTS) == {info.role for info in CUSTOMER_ROLES}
    assert all(zh and en and zh != en for zh, en in COSTS.values())


def test_a_job_starts_with_the_roles_it_uses_and_what_the_missing_ones_cost(
    telesales: Path,
) -> None:
    with use_lang("zh"):
        report = run_job("tier", FileBook(telesales, backup=False), JobOptions(as_of=AS_OF))
    assert report.lines[0].startswith("使用的列：")
    assert "累计金额「累计消费金额」" in report.lines[0]
    assert report.lines[1] == "缺少的列："
    assert "  - 没有客户编号：用名称+手机识别客户" in report.lines
    assert "  - 没有邮箱：不能发邮件" in report.lines
    assert not any("累计金额：" in line for line in report.lines)  # it has one


def test_the_console_lines_follow_the_console_language(telesales: Path) -> None:
    with use_lang("en"):
        report = run_job("check", FileBook(telesales, backup=False), JobOptions(as_of=AS_OF))
    assert report.lines[0].startswith("columns used: ")
    assert "  - no customer ID: customers are identified by name + mobile" in report.lines


def test_a_missing_amount_costs_what_the_issue_says(telesales: Path) -> None:
    table = XlsxReader(telesales).read_customers()
    del table.roles["amount"]
    with use_lang("zh"):
        rows = {row[0]: row for row in block_rows(table)}
    assert rows["amount"] == ("amount", None, "没有累计金额：分级只按次数和最近购买计算")
    assert rows["last_purchase"] == ("last_purchase", "最近成交日期", None)


def test_first_run_fills_the_columns_block_and_the_next_run_uses_it(telesales: Path) -> None:
    run_job("tier", FileBook(telesales, backup=False), JobOptions(as_of=AS_OF))
    block = _columns_block(telesales)
    assert [role for role in block] == [info.role for info in CUSTOMER_ROLES]
    assert block["amount"] == ("累计消费金额", None)
    assert block["owner"] == ("所属销售", None)
    assert block["id"][0] is None and "名称+手机" in str(block["id"][1])
    table = XlsxReader(telesales).read_customers()
    assert column_overrides(_settings(telesales)) == table.roles

    # Staff correct a guess in Excel: the next run uses their header.
    book = openpyxl.load_workbook(telesales)
    sheet = book[SETTINGS_SHEET]
    for row in sheet.iter_rows():
        if row[0].value == "owner":
            row[1].value = "手机号"  # nonsense on purpose: it must still be obeyed
    book.save(telesales)
    overrides = column_overrides(_settings(telesales))
    assert overrides["owner"] == "手机号"
    again = XlsxReader(telesales).read_customers(overrides=overrides)
    assert again.roles["owner"] == "手机号"


def test_an_existing_empty_columns_block_is_filled(telesales: Path) -> None:
    book = FileBook(telesales, backup=False)
    book.write_sheet(settings_sheet_spec())  # the defaults: [columns] empty
    book.save()
    report = run_job("tier", FileBook(telesales, backup=False), JobOptions(as_of=AS_OF))
    assert _columns_block(telesales)["amount"] == ("累计消费金额", None)
    assert any("[columns]" in line for line in report.lines)
    # The blocks below it are read as before.
    assert _settings(telesales).block("general").from_sheet


def test_staff_rows_in_the_columns_block_are_never_overwritten(telesales: Path) -> None:
    book = FileBook(telesales, backup=False)
    book.write_sheet(settings_sheet_spec({"columns": [("mobile", "手机号", "我们自己写的")]}))
    book.save()
    before = XlsxReader(telesales).read_grid(SETTINGS_SHEET)
    report = run_job("tier", FileBook(telesales, backup=False), JobOptions(as_of=AS_OF))
    assert XlsxReader(telesales).read_grid(SETTINGS_SHEET) == before
    assert not any("[columns]" in line for line in report.lines)


def test_filling_leaves_a_block_that_is_missing_or_holds_rows() -> None:
    grid = settings_sheet_spec().rows
    without = [row for row in grid if not (row and str(row[0]).startswith("[columns]"))]
    assert filled_settings_sheet(without, "columns", [("id", "编号", None)]) is None
    held = settings_sheet_spec({"columns": [("id", "编号", None)]}).rows
    assert filled_settings_sheet(held, "columns", [("name", "名称", None)]) is None
    filled = filled_settings_sheet(grid, "columns", [("id", "编号", None)])
    assert filled is not None
    assert column_overrides(Settings(filled.rows)) == {"id": "编号"}
    assert Settings(filled.rows).block("general").rows == Settings(grid).block("general").rows


def test_a_name_split_over_two_columns_is_not_mapped_to_one_half() -> None:
    # Mapping name → 姓 would stop the next run from joining 姓 + 名.
    table = XlsxReader(LISTS / "split_names_cn.xlsx").read_customers()
    with use_lang("zh"):
        rows = {row[0]: row for row in block_rows(table)}
    assert rows["name"] == ("name", None, "由两列（姓+名）合成")
    assert rows["id"] == ("id", "编号", None)
