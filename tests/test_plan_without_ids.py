"""跟进计划 without its 编号 column (staff deleted it): rows are matched by customer, channel and
due date, no touch is planned twice, staff's statuses and notes are kept, and a warning says so
(issue 19)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.sheets.plan import PLAN_SHEET

AS_OF = dt.date(2026, 11, 20)
Key = tuple[object, ...]


def _day(value: object) -> object:
    return value.date() if isinstance(value, dt.datetime) else value


def _touches(path: Path) -> tuple[Counter[Key], list[str]]:
    """The plan's rows as (customer, channel, due, status, notes), counted; and the ids."""
    rows = list(
        openpyxl.load_workbook(path, read_only=True)[PLAN_SHEET].iter_rows(values_only=True)
    )
    at = {str(h): i for i, h in enumerate(rows[0])}
    wanted = [at[h] for h in ("客户编号", "渠道", "跟进日期", "状态", "备注")]
    counted = Counter(tuple(_day(row[i]) for i in wanted) for row in rows[1:])
    return counted, [str(row[at["编号"]] or "") for row in rows[1:]]


def _staff_edits(path: Path, delete_ids: bool) -> None:
    """Staff mark some touches done or skipped with a note, and maybe delete 编号."""
    book = openpyxl.load_workbook(path)
    sheet = book[PLAN_SHEET]
    header = [c.value for c in sheet[1]]
    status, notes = header.index("状态"), header.index("备注")
    for row in list(sheet.iter_rows(min_row=2, max_row=60))[::3]:
        row[status].value = "已完成" if row[0].row % 2 else "已跳过"
        row[notes].value = f"备注 {row[0].row}"
    if delete_ids:
        sheet.delete_cols(header.index("编号") + 1)
    book.save(path)


@pytest.mark.parametrize("later", [0, 3])
def test_a_plan_without_ids_is_the_plan_with_them(
    book_path: Path, tmp_path: Path, later: int
) -> None:
    run_job("plan", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    first, _ = _touches(book_path)
    with_ids = tmp_path / "with ids.xlsx"
    shutil.copy(book_path, with_ids)
    _staff_edits(with_ids, delete_ids=False)
    _staff_edits(book_path, delete_ids=True)

    options = JobOptions(as_of=AS_OF + dt.timedelta(days=later))
    run_job("plan", FileBook(with_ids, backup=False), options)
    report = run_job("plan", FileBook(book_path, backup=False), options)
    # The console's language follows the locale here: the column is named 编号 in either.
    warning = [line for line in report.lines if line.startswith("  !") and "编号" in line]
    assert len(warning) == 1 and PLAN_SHEET in warning[0]
    touches, ids = _touches(book_path)
    assert all(ids)  # the column is back, every row has its id again
    # Statuses, notes and touches as if never deleted (with ids, a touch the cadence moved
    # leaves a cancelled row behind; matched by date, its row moves with it).
    expected = _touches(with_ids)[0]
    assert +Counter({k: n for k, n in touches.items() if k[3] != "已取消"}) == +Counter(
        {k: n for k, n in expected.items() if k[3] != "已取消"}
    )
    # No touch planned twice (the plan itself may level two steps onto one day, never more).
    by_day = Counter(key[:3] for key in touches.elements() if key[3] != "已取消")
    before = Counter(key[:3] for key in first.elements())
    assert all(n <= max(1, before[key]) for key, n in by_day.items())
    assert sum(1 for key in touches.elements() if key[4]) == 20  # every note kept
