"""The 数据检查 sheet: problems sorted by sheet and row, headers, an all-clear line."""

from __future__ import annotations

from sheetcrm.book.base import CellError, Problem
from sheetcrm.i18n import use_lang
from sheetcrm.sheets.check import CHECK_SHEET, problems_sheet


def test_problems_sheet_sorts_and_describes() -> None:
    problems = [
        Problem("客户名单", 9, "手机", "1", "p9", "s9", "invalid_mobile"),
        Problem("交易记录", 3, "金额", CellError("#N/A"), "p3", "s3", "error"),
        Problem("客户名单", 2, "邮箱", "x", "p2", "s2", "invalid_email"),
    ]
    spec = problems_sheet(problems)
    assert spec.name == CHECK_SHEET == "数据检查"
    assert spec.rows[0] == [
        "工作表 Sheet",
        "行 Row",
        "列 Column",
        "值 Value",
        "问题 Problem",
        "建议 Suggestion",
        "客户编号 Customer ID",
        "类型 Kind",
    ]
    assert [row[1] for row in spec.rows[1:]] == [3, 2, 9]
    assert spec.rows[1][3] == "#N/A"  # error values are shown as text
    assert spec.freeze == "A2" and spec.autofilter and spec.widths


def test_problems_sheet_says_when_all_is_well() -> None:
    with use_lang("en"):
        spec = problems_sheet([])
    assert len(spec.rows) == 2
    assert "no problems" in str(spec.rows[1][4])
