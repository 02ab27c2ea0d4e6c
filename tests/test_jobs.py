"""Jobs end to end on workbook files: read → engine → write, as the CLI and buttons run them."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import re
import weakref
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.cli import main
from sheetcrm.i18n import tr, use_lang
from sheetcrm.jobs import JOB_STAGES, JOBS, STAGES, JobOptions, run_job
from sheetcrm.settings import SETTINGS_SHEET
from sheetcrm.sheets.plan import PLAN_SHEET
from sheetcrm.tuning import Tuning

AS_OF = dt.date(2026, 11, 20)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_output_option_leaves_the_original_alone(book_path: Path, tmp_path: Path) -> None:
    before = _digest(book_path)
    out = tmp_path / "checked.xlsx"
    code = main(["check", str(book_path), "--output", str(out), "--as-of", AS_OF.isoformat()])
    assert code == 1  # the demo is messy on purpose
    assert _digest(book_path) == before
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert "数据检查" in names and SETTINGS_SHEET in names


def test_check_names_the_planted_problems(book_path: Path) -> None:
    with use_lang("en"):
        report = run_job("check", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    assert report.problems > 0 and report.exit_code == 1
    sheet = openpyxl.load_workbook(book_path, read_only=True)["数据检查"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    kinds = {row[-1] for row in rows}
    assert {"duplicate", "error", "blank"} <= kinds
    assert all(row[0] for row in rows)  # every problem names its sheet


def test_in_place_save_keeps_a_backup(book_path: Path) -> None:
    before = book_path.read_bytes()
    run_job("plan", FileBook(book_path), JobOptions(as_of=AS_OF))
    backups = list(book_path.parent.glob(".sheetcrm-backups/*.first.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == before


def test_plan_rerun_keeps_what_staff_typed(book_path: Path) -> None:
    run_job("plan", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    wb = openpyxl.load_workbook(book_path)
    ws = wb[PLAN_SHEET]
    header = [c.value for c in ws[1]]
    status, notes, ident = header.index("状态"), header.index("备注"), header.index("编号")
    edited = {}
    for row in list(ws.iter_rows(min_row=2, max_row=6)):
        row[status].value = "已完成"
        row[notes].value = "客户说下月再联系"
        edited[row[ident].value] = True
    wb.save(book_path)  # staff edit and save in "Excel"
    run_job("plan", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    ws = openpyxl.load_workbook(book_path, read_only=True)[PLAN_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    ids = [r[ident] for r in rows if r[ident]]
    assert len(ids) == len(set(ids)), "a re-run must not duplicate touches"
    kept = {r[ident]: (r[status], r[notes]) for r in rows if r[ident] in edited}
    assert len(kept) == len(edited)
    assert all(value == ("已完成", "客户说下月再联系") for value in kept.values())


def test_everything_else_in_the_file_is_untouched(book_path: Path) -> None:
    with zipfile.ZipFile(book_path) as original:
        before = {info.filename: original.read(info) for info in original.infolist()}
    run_job("messages", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    with zipfile.ZipFile(book_path) as changed:
        after = {info.filename: changed.read(info) for info in changed.infolist()}
    assert set(before) <= set(after)
    ours = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    untouched = [name for name in before if name not in ours]
    assert untouched and all(before[name] == after[name] for name in untouched)


def test_customer_named_like_a_formula_stays_text(book_path: Path) -> None:
    run_job(
        "messages",
        FileBook(book_path, backup=False),
        JobOptions(as_of=AS_OF, channels=("sms", "email")),
    )
    with zipfile.ZipFile(book_path) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            assert b"<f>HYPERLINK" not in package.read(name)


@pytest.mark.libreoffice
def test_libreoffice_reads_what_run_wrote(book_path: Path, tmp_path: Path) -> None:
    """The whole run's output opens in LibreOffice with every sheet and the same tiers."""
    from libreoffice import csv_sheets

    run_job("run", FileBook(book_path), JobOptions(as_of=AS_OF))
    book = FileBook(book_path)
    table = book.read_customers()
    sheets = csv_sheets(book_path, tmp_path / "csv")
    assert set(book.sheet_names()) <= set(sheets)
    rows = sheets[table.sheet]
    header = rows[table.header_row - 1]
    tier = header.index("客户等级")
    shown = {r: rows[r - 1][tier] for r in table.frame.index}
    written = book.read_grid(table.sheet)
    assert shown == {r: written[r - 1][tier] for r in table.frame.index}
    assert set(shown.values()) >= {"高价值客户", "普通客户"}


def _sheet_values(path: Path, skip: tuple[str, ...]) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    return {
        ws.title: list(ws.iter_rows(values_only=True))
        for ws in workbook.worksheets
        if ws.title not in skip
    }


def test_run_with_worker_processes_writes_what_it_writes_alone(
    book_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetcrm import _background
    from sheetcrm.sheets.history import HISTORY_SHEET

    started: list[bool] = []
    start = _background.start

    def spy(*args: Any, **kwargs: Any) -> Any:
        pending = start(*args, **kwargs)
        started.append(pending.elsewhere)
        return pending

    monkeypatch.setattr(_background, "start", spy)
    outputs, reports = [], []
    for elsewhere in (False, True):
        tuning = Tuning(
            background_part=0 if elsewhere else 2**62, background_rows=0 if elsewhere else 10**9
        )
        out = tmp_path / f"run-{elsewhere}.xlsx"
        with use_lang("en"):
            book = FileBook(book_path, out, tuning=tuning)
            reports.append(run_job("run", book, JobOptions(as_of=AS_OF, tuning=tuning)).lines)
        outputs.append(_sheet_values(out, skip=(HISTORY_SHEET,)))  # it records the clock
    assert started == [False, True, True]  # names here; then names and columns in workers
    assert reports[0] == reports[1]
    assert outputs[0] == outputs[1]
    assert outputs[0]["客户名单"][0][-1]  # the result columns are there


def test_a_rerun_that_leaves_the_old_results_unread_writes_the_same(
    book_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sheetcrm.book import xlsx_read
    from sheetcrm.sheets.history import HISTORY_SHEET

    first = tmp_path / "first.xlsx"
    run_job("run", FileBook(book_path, first), JobOptions(as_of=AS_OF))
    again = tmp_path / "again.xlsx"
    run_job("run", FileBook(first, again), JobOptions(as_of=AS_OF))
    # Again, read in parts: the previous run's result cells are cut out below the header.
    left_out: list[int] = []
    real = xlsx_read._RowTails

    def spy(column: int, prefix: bytes) -> Any:
        left_out.append(column)
        return real(column, prefix)

    monkeypatch.setattr(xlsx_read, "_RowTails", spy)
    in_parts = tmp_path / "again-in-parts.xlsx"
    in_parts_tuning = Tuning(parts_from=1000, piece=8192)
    run_job("run", FileBook(first, in_parts, tuning=in_parts_tuning), JobOptions(as_of=AS_OF))
    skip = (HISTORY_SHEET,)
    assert _sheet_values(in_parts, skip) == _sheet_values(again, skip)
    table = XlsxReader(first).read_customers()
    tier = table.headers.index("客户等级")
    assert left_out == [table.first_column + tier]  # the results after the tier, 0-based


@pytest.mark.parametrize("job", JOBS)
def test_progress_shows_each_declared_stage_once_in_order(job: str, book_path: Path) -> None:
    seen: list[str] = []
    with use_lang("en"):
        run_job(
            job, FileBook(book_path, backup=False), JobOptions(as_of=AS_OF, progress=seen.append)
        )
        declared = [tr(*STAGES[stage]) for stage in JOB_STAGES[job]]
    assert seen == declared
    # A second run reads what the first wrote (plan, messages, history): the same stages.
    seen.clear()
    with use_lang("en"):
        run_job(
            job, FileBook(book_path, backup=False), JobOptions(as_of=AS_OF, progress=seen.append)
        )
    assert seen == declared


def test_run_lets_go_of_the_check_and_the_messages_once_their_sheets_are_written(
    book_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full sheet's 数据检查 and 消息 are not held to the save: the dashboard keeps counts."""
    from sheetcrm import jobs

    results: dict[str, weakref.ref[Any]] = {}
    for name in ("check", "messages"):
        made = getattr(jobs.Run, name).func

        def spy(run: Any, _made: Any = made, _name: str = name) -> Any:
            result = _made(run)
            results[_name] = weakref.ref(result)
            return result

        held = functools.cached_property(spy)
        held.__set_name__(jobs.Run, name)
        monkeypatch.setattr(jobs.Run, name, held)
    alive_at_save: dict[str, bool] = {}
    book = FileBook(book_path, tmp_path / "out.xlsx")
    save = book.save

    def spying_save() -> Path:
        gc.collect()
        alive_at_save.update({name: ref() is not None for name, ref in results.items()})
        return save()

    monkeypatch.setattr(book, "save", spying_save)
    report = run_job("run", book, JobOptions(as_of=dt.date(2026, 12, 3)))
    assert alive_at_save == {"check": False, "messages": False}
    # The dashboard's counts are still the console's: problems per kind, messages per channel.
    rows = [
        [value for value in row if value is not None]
        for row in openpyxl.load_workbook(tmp_path / "out.xlsx")["仪表盘"].iter_rows(
            values_only=True
        )
    ]
    kinds = rows.index(["数据问题（按类型）"]) + 2
    shown = {row[0]: row[1] for row in rows[kinds:] if len(row) == 2 and str(row[0]).isascii()}
    said = dict(
        line.strip().split(": ")
        for line in report.lines
        if line.startswith("  ")
        and line.count(": ") == 1
        and line.strip().split(": ")[0].isidentifier()
    )
    assert shown and {kind: str(count) for kind, count in shown.items()} == said
    channels = rows.index(["渠道", "条数"]) + 1
    said_ready = next(line for line in report.lines if line.startswith(("消息：", "messages:")))
    ready = int(re.search(r"\d+", said_ready)[0])  # type: ignore[index]
    assert sum(row[1] for row in rows[channels : channels + 2]) == ready
