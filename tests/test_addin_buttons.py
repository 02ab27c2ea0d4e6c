"""Ribbon buttons: ids map to jobs, press() is the CLI's path, on_button() reports in Excel's way."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

import sheetcrm.jobs
from sheetcrm.book.base import Book
from sheetcrm.book.file import FileBook
from sheetcrm.book.live_excel import ExcelBook
from sheetcrm.demo import write_demo
from sheetcrm.errors import InputError, UsageError
from sheetcrm.excel import buttons
from sheetcrm.excel.buttons import BUTTONS, on_button, press
from sheetcrm.jobs import JobOptions, JobReport, run_job
from sheetcrm.settings import SETTINGS_SHEET

AS_OF = dt.date(2026, 6, 30)


def test_every_button_but_help_names_a_job() -> None:
    assert set(BUTTONS.values()) - {"help"} <= set(sheetcrm.jobs.JOBS)
    assert sorted(BUTTONS.values()) == sorted(
        ["check", "tier", "plan", "messages", "report", "settings", "help"]
    )


# A stand-in the press never reads: the job is faked, or none runs.
NO_BOOK: Book = object()  # type: ignore[assignment]


@pytest.mark.parametrize("button", sorted(set(BUTTONS) - {"crmHelp"}))
def test_press_runs_the_buttons_job(button: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any, JobOptions | None]] = []

    def fake_run_job(name: str, book: Any, options: JobOptions | None = None) -> JobReport:
        calls.append((name, book, options))
        return JobReport(job=name, lines=["ok"])

    monkeypatch.setattr(sheetcrm.jobs, "run_job", fake_run_job)
    options = JobOptions()
    assert press(button, NO_BOOK, options).job == BUTTONS[button]
    assert calls == [(BUTTONS[button], NO_BOOK, options)]


def test_help_says_where_the_guide_is_without_a_job() -> None:
    report = press("crmHelp", NO_BOOK)
    assert report.job == "help"
    assert any(str(buttons.GUIDE) in line for line in report.lines)
    assert buttons.GUIDE.name == "excel-addin.md"


def test_unknown_button_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match="crmNope"):
        press("crmNope", NO_BOOK)


@pytest.mark.parametrize("button", ["crmCheck", "crmSettings"])
def test_a_button_gives_what_the_cli_job_gives(button: str, tmp_path: Path) -> None:
    write_demo(tmp_path / "a.xlsx", customers=100, as_of=AS_OF)
    shutil.copyfile(tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    options = JobOptions(as_of=AS_OF)
    press(button, FileBook(tmp_path / "a.xlsx", backup=False), options)
    run_job(BUTTONS[button], FileBook(tmp_path / "b.xlsx", backup=False), options)
    a, b = FileBook(tmp_path / "a.xlsx"), FileBook(tmp_path / "b.xlsx")
    assert a.sheet_names() == b.sheet_names()
    assert SETTINGS_SHEET in a.sheet_names()  # the job did write
    for sheet in a.sheet_names():
        assert a.read_grid(sheet) == b.read_grid(sheet), sheet


class FakeApp:
    def __init__(self) -> None:
        self.status: list[object] = []
        self.alerts: list[tuple[str, dict[str, Any]]] = []

    @property
    def status_bar(self) -> object:
        return self.status[-1] if self.status else None

    @status_bar.setter
    def status_bar(self, value: object) -> None:
        self.status.append(value)

    def alert(self, prompt: str, **kwargs: Any) -> None:
        self.alerts.append((prompt, kwargs))


class FakeXlBook:
    def __init__(self) -> None:
        self.app = FakeApp()


@pytest.fixture
def excel(monkeypatch: pytest.MonkeyPatch) -> FakeXlBook:
    import xlwings as xw

    book = FakeXlBook()
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    return book


def test_on_button_shows_progress_then_the_report(
    excel: FakeXlBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_press(button_id: str, book: Any, options: JobOptions) -> JobReport:
        assert isinstance(book, ExcelBook) and book.book is excel
        options.progress("分级")
        book.warnings.append("could not colour the sheet tabs")
        return JobReport(job="tier", lines=["A: 3", "B: 5"])

    monkeypatch.setattr(buttons, "press", fake_press)
    on_button("crmTier")
    assert excel.app.status == ["SheetCRM: 分级", False]
    assert excel.app.alerts == [
        ("A: 3\nB: 5\n  ! could not colour the sheet tabs", {"title": "SheetCRM"})
    ]


def test_on_button_turns_a_refusal_into_a_message_box(
    excel: FakeXlBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(button_id: str, book: Any, options: JobOptions) -> JobReport:
        raise InputError("不是日期 not a date", sheet="客户", row=7, column="最近购买")

    monkeypatch.setattr(buttons, "press", refuse)
    on_button("crmTier")
    ((prompt, kwargs),) = excel.app.alerts
    assert "row 7" in prompt and "最近购买" in prompt
    assert kwargs["mode"] == "critical"
    assert excel.app.status[-1] is False
