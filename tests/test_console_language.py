"""What the engine says once is shown twice — in the workbook in its language, on the console
in the language of whoever ran the job — and the two never mix; the messages' reasons are
counted on the console and the dashboard; --export refuses the demo's identity before work."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.cli import main
from sheetcrm.errors import SettingsError
from sheetcrm.i18n import Text, both, tr, use_lang
from sheetcrm.jobs import JobOptions, JobReport, run_job

AS_OF = dt.date(2026, 12, 18)  # a Friday; the plan reaches 2027, a year chinesecalendar lacks
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _run(path: Path, console: str, written: str | None = None) -> JobReport:
    """The run job with the console in one language (as the locale would choose it) and the
    workbook in the settings' language."""
    if written is not None:
        run_job("settings", FileBook(path, backup=False), JobOptions())
        workbook = openpyxl.load_workbook(path)
        for row in workbook["sheetcrm 设置"].iter_rows():
            if row[0].value == "language":
                row[1].value = written
        workbook.save(path)
    with use_lang(console):
        return run_job("run", FileBook(path, backup=False), JobOptions(as_of=AS_OF))


def _sheet(path: Path, name: str) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True))


def test_text_is_shown_in_the_language_in_force() -> None:
    said = both(lambda: tr("今天", "today"))
    assert said == Text("今天", "today")
    with use_lang("zh"):
        assert str(said) == "今天" and f"{said}!" == "今天!"
    with use_lang("en"):
        assert str(said) == "today"


# What each language says of the 2027 estimate and of the demo's identity.
_SAID = {
    "zh": ("估算", "仍是示例公司", "条不发送（"),
    "en": ("are estimated", "is still the demo's", "not sent ("),
}


@pytest.mark.parametrize(("console", "written"), [("en", "zh"), ("zh", "en")])
def test_warnings_follow_the_console_while_the_book_keeps_its_language(
    book_path: Path, console: str, written: str
) -> None:
    report = _run(book_path, console, written)
    other = "zh" if console == "en" else "en"
    estimate, demo, not_sent = _SAID[console]
    warnings = [line for line in report.lines if line.lstrip().startswith("!")]
    assert any(estimate in line and "2027" in line for line in warnings)
    assert any(line.startswith("  !! ") and demo in line for line in warnings)
    assert not any(said in line for line in report.lines for said in _SAID[other])
    messages = next(line for line in report.lines if line.startswith(("消息：", "messages: ")))
    assert not_sent in messages
    if console == "en":  # the reasons too: none of 消息's Chinese reasons on this console
        assert not _CJK.search(messages), messages
    # The workbook keeps its own language: the plan's note and the messages' reasons.
    notes = [str(row[0]) for row in _sheet(book_path, "跟进计划") if str(row[0]).startswith("⚠")]
    assert notes and all(_SAID[written][0] in note for note in notes)
    sheet = _sheet(book_path, "消息")
    hints = {str(row[sheet[0].index(sheet[0][9])]) for row in sheet[1:]}
    assert any(h.startswith("不发送：" if written == "zh" else "not sent: ") for h in hints)


def test_the_dashboard_counts_the_messages_not_sent_by_reason(book_path: Path) -> None:
    report = _run(book_path, "zh")
    said = next(line for line in report.lines if line.startswith("消息："))
    counted = dict(
        (reason, int(count))
        for reason, count in re.findall(r"([^（；]+?) (\d+)", said.split("条不发送", 1)[1])
    )
    messages = _sheet(book_path, "消息")
    at = messages[0].index("提示")
    reasons = [
        str(row[at]).removeprefix("不发送：")
        for row in messages[1:]
        if str(row[at] or "").startswith("不发送：")
    ]
    assert reasons and counted == {r: reasons.count(r) for r in set(reasons)}
    assert _not_sent_table(book_path, len(counted)) == counted
    # The report job alone reads the same counts back from the 消息 sheet.
    with use_lang("zh"):
        run_job("report", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    assert _not_sent_table(book_path, len(counted)) == counted


def _not_sent_table(path: Path, rows: int) -> dict[str, int]:
    """The dashboard's table of messages not sent, by reason."""
    dashboard = _sheet(path, "仪表盘")
    title = next(i for i, row in enumerate(dashboard) if "不发送的消息（按原因）" in row)
    column = dashboard[title].index("不发送的消息（按原因）")
    return {
        str(row[column]): int(str(row[column + 1]))
        for row in dashboard[title + 2 : title + 2 + rows]
    }


def test_channels_are_counted_on_the_console(book_path: Path) -> None:
    report = _run(book_path, "en")
    said = next(line for line in report.lines if line.startswith("messages: "))
    ready = int(said.split()[1])
    per_channel = re.match(r"messages: \d+ ready \(([^)]*)\)", said)
    assert per_channel is not None
    counts = [int(part.rsplit(" ", 1)[1]) for part in per_channel.group(1).split(", ")]
    assert sum(counts) == ready


@pytest.mark.parametrize("job", ["run", "messages"])
def test_export_in_the_demo_companys_name_is_refused_before_any_work(
    book_path: Path, tmp_path: Path, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = book_path.read_bytes()
    out = tmp_path / "out"
    stages: list[str] = []
    options = JobOptions(as_of=AS_OF, export_dir=out, progress=stages.append)
    with pytest.raises(SettingsError, match=r"cell B\d+"):
        run_job(job, FileBook(book_path, backup=False), options)
    assert stages == []  # not even the customer table was read
    assert main([job, str(book_path), "--export", str(out), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "sheetcrm 设置" in err and re.search(r"cell B\d+", err) and "demo" in err
    assert book_path.read_bytes() == before and not out.exists()
    assert not (book_path.parent / ".sheetcrm-backups").exists()
