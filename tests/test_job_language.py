"""--lang (else the settings' language) decides what sheetcrm writes; a run in the other
language re-uses the result columns; the console follows --lang, the settings, the locale."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.cli import main
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.tiering import TierSettings

LISTS = Path(__file__).parent / "data" / "lists"
AS_OF = "2026-06-01"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "list.xlsx"
    shutil.copy(LISTS / "telesales_cn.xlsx", path)
    return path


def _header(path: Path) -> list[str]:
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(row for row in rows if row and "客户姓名" in row)
    return [str(cell) for cell in header if cell is not None]


def test_switching_language_reuses_the_result_columns(book: Path, tmp_path: Path) -> None:
    once = tmp_path / "once.xlsx"
    shutil.copy(book, once)
    assert main(["tier", str(once), "--as-of", AS_OF, "--lang", "zh"]) == 0
    assert main(["tier", str(book), "--as-of", AS_OF, "--lang", "en"]) == 0
    english = _header(book)
    assert "Tier" in english and "Tier reason" in english and "客户等级" not in english
    assert main(["tier", str(book), "--as-of", AS_OF, "--lang", "zh"]) == 0
    assert _header(book) == _header(once)
    assert "分级原因" in _header(book) and "Tier reason" not in _header(book)


def test_lang_decides_the_texts_written(book: Path) -> None:
    assert main(["tier", str(book), "--as-of", AS_OF, "--lang", "en"]) == 0
    workbook = openpyxl.load_workbook(book, read_only=True)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    at = next(i for i, row in enumerate(rows) if row and "Tier" in row)
    column = rows[at].index("Tier")
    tiers = {row[column] for row in rows[at + 1 :] if row[column]}
    assert tiers and not any("客户" in str(tier) for tier in tiers)


def test_the_console_follows_the_settings_when_no_language_is_chosen(book: Path) -> None:
    run_job("settings", FileBook(book, backup=False), JobOptions())
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["sheetcrm 设置"]
    for row in sheet.iter_rows():
        if row[0].value == "language":
            row[1].value = "en"
    workbook.save(book)
    options = JobOptions(as_of=dt.date(2026, 6, 1))
    report = run_job("tier", FileBook(book, backup=False), options)  # no language chosen
    assert report.lines[0].startswith("columns used: ")
    with use_lang("zh"):  # a chosen language wins over the settings
        report = run_job("tier", FileBook(book, backup=False), options)
    assert report.lines[0].startswith("使用的列：")


def _tier_changes_and_migration(path: Path) -> tuple[set[str], list[str]]:
    """The tier-change column's values and the migration matrix's row names (分级汇总 G2:G)."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    at = next(
        i for i, row in enumerate(rows) if row and ("等级变化" in row or "Tier change" in row)
    )
    column = next(rows[at].index(h) for h in ("等级变化", "Tier change") if h in rows[at])
    changes = {str(row[column]) for row in rows[at + 1 :] if row[column] is not None}
    summary = list(workbook["分级汇总"].iter_rows(min_col=7, max_col=7, values_only=True))
    return changes, [str(row[0]) for row in summary[1:] if row[0] is not None]


@pytest.mark.parametrize("first", ["zh", "en"])
def test_a_switch_of_language_keeps_the_tier_change_honest(book: Path, first: str) -> None:
    """A customer whose tier did not change shows "=" after a run in the other language, and
    the migration matrix names last run's tiers as this run does; and back again."""
    other = "en" if first == "zh" else "zh"
    tiers = TierSettings.default().tiers
    names = {"zh": {t.label_zh for t in tiers}, "en": {t.label_en for t in tiers}}
    assert main(["tier", str(book), "--as-of", AS_OF, "--lang", first]) == 0
    for lang in (other, first):
        assert main(["tier", str(book), "--as-of", AS_OF, "--lang", lang]) == 0
        changes, before = _tier_changes_and_migration(book)
        assert changes == {"="}
        assert before and set(before) <= names[lang]
