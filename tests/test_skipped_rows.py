"""Rows left out (totals, section titles, repeated headers) are notes in 数据检查, not data
problems: they alone never make check or run exit 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job

AS_OF = dt.date(2026, 6, 1)


def _clean_list(path: Path, *extra: list[object]) -> Path:
    """Six customers the data check finds nothing wrong with, then the extra rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户编号", "客户名称", "手机", "累计金额", "购买次数", "最近购买日期"])
    for n in range(6):
        name = f"客户{'甲乙丙丁戊己'[n]}公司"
        sheet.append(
            [f"C{n}", name, f"1390571{n:04d}", 1000 * (n + 1), n + 1, dt.date(2026, 1, n + 1)]
        )
    for row in extra:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("job", ["check", "run"])
def test_a_totals_row_alone_does_not_fail_the_check(tmp_path: Path, job: str) -> None:
    path = _clean_list(tmp_path / "list.xlsx", [None, "合计", None, 21000, 21, None])
    with use_lang("zh"):
        report = run_job(job, FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    assert report.problems == 0 and report.exit_code == 0
    assert any("1 行不是客户" in line for line in report.lines)
    sheet = openpyxl.load_workbook(path, read_only=True)["数据检查"]
    texts = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert any("合计行" in text and "已跳过" in text for text in texts)  # still listed


def test_a_real_problem_beside_a_totals_row_still_fails(tmp_path: Path) -> None:
    path = _clean_list(
        tmp_path / "list.xlsx",
        ["C9", "客户庚公司", "12345", 100, 1, dt.date(2026, 2, 1)],  # not a mobile number
        [None, "合计", None, 21100, 22, None],
    )
    report = run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    assert report.problems >= 1 and report.exit_code == 1
