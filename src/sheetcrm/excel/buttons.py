"""The ribbon buttons: each button id runs one job on the open workbook, like ``sheetcrm <job>``.

The add-in's one VBA callback passes the pressed button's id to :func:`on_button`
through ``RunPython``; :func:`press` is the code path every button takes, so tests
(and the LibreOffice door) run exactly what Excel runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SheetCRMError, UsageError
from ..i18n import tr
from ..package_data import package_data

if TYPE_CHECKING:
    from ..book.base import Book
    from ..jobs import JobOptions, JobReport

__all__ = ["BUTTONS", "GUIDE", "on_button", "press"]

# Ribbon button id (customUI.xml) → job name; "help" is answered here, not by a job.
BUTTONS: dict[str, str] = {
    "crmCheck": "check",
    "crmTier": "tier",
    "crmPlan": "plan",
    "crmMessages": "messages",
    "crmDashboard": "report",
    "crmSettings": "settings",
    "crmHelp": "help",
}

# The user's guide (Windows and macOS), shipped with the package.
GUIDE = package_data("docs/excel-addin.md")


def _help() -> JobReport:
    from ..jobs import JobReport

    return JobReport(
        job="help",
        lines=[
            tr(
                "SheetCRM 客户管理：每个按钮对当前工作簿运行与命令行 `sheetcrm <任务>` 相同的任务。",
                "SheetCRM: each button runs the same job as `sheetcrm <job>` on the open workbook.",
            ),
            tr(f"使用指南：{GUIDE}", f"User's guide: {GUIDE}"),
            tr(
                "工作表函数：在单元格中输入 =CRM_ 即可看到全部函数。",
                "Worksheet functions: type =CRM_ in a cell to see them all.",
            ),
        ],
    )


def press(button_id: str, book: Book, options: JobOptions | None = None) -> JobReport:
    """Run the job behind a ribbon button on a book and report what it did."""
    job = BUTTONS.get(button_id)
    if job is None:
        raise UsageError(
            tr(
                f"未知的按钮「{button_id}」；可用：{', '.join(BUTTONS)}",
                f"unknown button '{button_id}'; known buttons: {', '.join(BUTTONS)}",
            )
        )
    if job == "help":
        return _help()
    # Imported here so that the add-in still loads (and Help still answers) if a job is broken.
    from ..jobs import JobOptions, run_job

    return run_job(job, book, options or JobOptions())


def on_button(button_id: str) -> None:
    """The ``RunPython`` target: run a button's job on the calling workbook and say how it went."""
    import xlwings as xw

    from ..book.live_excel import ExcelBook
    from ..jobs import JobOptions

    book = xw.Book.caller()
    app = book.app

    def progress(step: str) -> None:
        app.status_bar = f"SheetCRM: {step}"

    excel = ExcelBook(book)
    try:
        report = press(button_id, excel, JobOptions(progress=progress))
        # What this Excel could not be given (a tab colour on a Mac…) follows the report.
        lines = report.lines + [f"  ! {warning}" for warning in excel.warnings]
        app.alert("\n".join(lines) or tr("完成。", "Done."), title="SheetCRM")
    except SheetCRMError as exc:
        app.alert(str(exc), title=tr("SheetCRM：未完成", "SheetCRM: not done"), mode="critical")
    finally:
        app.status_bar = False  # hands the status bar back to Excel
