"""The messages step end to end on the demo workbook: what the console and the 消息 sheet say."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.errors import SettingsError
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.messages import demo_identity
from sheetcrm.settings import SETTINGS_SHEET, Settings, settings_sheet_spec
from sheetcrm.sheets.messages import MESSAGES_SHEET

AS_OF = dt.date(2026, 11, 20)


def test_the_console_counts_messages_not_sent_by_reason(book_path: Path) -> None:
    with use_lang("zh"):
        report = run_job("messages", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    line = next(line for line in report.lines if line.startswith("消息："))
    total = int(re.search(r"(\d+) 条不发送", line).group(1))  # type: ignore[union-attr]
    reasons = line.split("条不发送", 1)[1]  # after the ready ones' count per channel
    counts = [int(n) for n in re.findall(r" (\d+)(?=[；）])", reasons)]
    assert "已退订 / 勿扰" in line and "没有有效的手机号" in line
    assert sum(counts) == total > 0
    grid = XlsxReader(book_path).read_grid(MESSAGES_SHEET)
    marked = [row for row in grid[1:] if str(row[9] or "").startswith("不发送：")]
    assert len(marked) == total


def test_the_demo_company_is_warned_about_and_never_exported(
    book_path: Path, tmp_path: Path
) -> None:
    with use_lang("zh"):
        report = run_job("messages", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
        warning = next(line for line in report.lines if line.startswith("  !! "))
        assert SETTINGS_SHEET in warning and "示例科技" in warning
        with pytest.raises(SettingsError) as info:
            run_job(
                "messages",
                FileBook(book_path, backup=False),
                JobOptions(as_of=AS_OF, export_dir=tmp_path / "out"),
            )
    assert (
        info.value.sheet == SETTINGS_SHEET and info.value.cell[0] == "B" and info.value.cell != "B0"
    )
    assert not (tmp_path / "out").exists()


def test_an_own_signature_and_sender_pass() -> None:
    grid = [list(row) for row in settings_sheet_spec().rows]
    assert demo_identity(Settings(grid)) is not None
    for row in grid:
        if row and row[0] == "signature":
            row[1] = "【好运来】"
    assert "sender" in str(demo_identity(Settings(grid)))
    for row in grid:
        if row and row[0] == "sender":
            row[1] = "好运来 <hi@haoyunlai.cn>"
    assert demo_identity(Settings(grid)) is None
