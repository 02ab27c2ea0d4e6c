"""Own sheets never outgrow a worksheet: a longer one keeps its first rows, ends with a note
row and is said on the console; a re-run reads the cut sheets back without the note."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue, SheetSpec
from sheetcrm.book.file import FileBook
from sheetcrm.i18n import Text, use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.sheets.row_limit import NOTE, within_rows
from sheetcrm.tuning import Tuning

AS_OF = dt.date(2026, 11, 2)
REST = Text("见别处", "see elsewhere")


@given(st.integers(0, 60), st.integers(2, 40), st.integers(0, 2))
def test_a_sheet_is_cut_to_the_limit_with_a_note_last(height: int, limit: int, heads: int) -> None:
    rows: list[list[CellValue]] = [[f"h{i}"] for i in range(heads)]
    rows += [[i, f"r{i}"] for i in range(height)]
    spec = SheetSpec(name="表", rows=rows, header_rows=heads)
    with use_lang("en"):
        cut, said = within_rows(spec, limit, REST)
    if len(rows) <= limit:
        assert cut is spec and said is None
        return
    assert said is not None and len(cut.rows) == limit
    assert list(cut.rows[:-1]) == rows[: limit - 1]  # the first rows, as they were
    (note,) = cut.rows[-1]
    assert isinstance(note, str) and note.startswith(NOTE) and note.endswith("see elsewhere")
    left_out = len(rows) - (limit - 1)
    assert f"the other {left_out} are not" in note and f"{left_out} 行未写入" in said.zh
    assert dataclasses.replace(cut, rows=spec.rows) == spec  # nothing else changed


def _rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [
        row for row in book[sheet].iter_rows(values_only=True) if any(v is not None for v in row)
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_run_cuts_its_long_sheets_and_says_so(book_path: Path, lang: str) -> None:
    limit = 40
    options = JobOptions(as_of=AS_OF, tuning=Tuning(sheet_rows=limit))
    with use_lang(lang):
        report = run_job("run", FileBook(book_path, backup=False), options)
    said = [line for line in report.lines if line.startswith("  !! ") and f" {limit} " in line]
    sheets = ("数据检查", "跟进计划", "消息")
    assert len(said) == len(sheets)
    for sheet in sheets:
        rows = _rows(book_path, sheet)
        assert len(rows) <= limit
        note = rows[-1][0]
        assert isinstance(note, str) and note.startswith(NOTE), sheet
        assert any(f"'{sheet}'" in line or f"「{sheet}」" in line for line in said)
    # Run again on the cut sheets: the note is no touch, no message and no problem of staff's.
    with use_lang(lang):
        again = run_job("run", FileBook(book_path, backup=False), options)
    assert len([line for line in again.lines if line.startswith("  !! ") and "40" in line]) == 3
    plan = _rows(book_path, "跟进计划")
    assert sum(1 for row in plan if isinstance(row[0], str) and row[0].startswith(NOTE)) == 1


def test_a_sheet_within_the_limit_has_no_note(book_path: Path) -> None:
    report = run_job("run", FileBook(book_path, backup=False), JobOptions(as_of=AS_OF))
    assert not [line for line in report.lines if "1048576" in line]
    assert not str(_rows(book_path, "数据检查")[-1][0]).startswith(NOTE)
