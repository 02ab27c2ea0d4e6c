"""The run's plan: the previous plan sheet is read once and let go once merged."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from pathlib import Path

from sheetcrm.book.file import FileBook
from sheetcrm.jobs import JobOptions, Run, run_job

AS_OF = dt.date(2026, 11, 20)


def _rerun(book_path: Path, tmp_path: Path) -> Run:
    """A run on the output of a first plan job: its 跟进计划 is the previous plan."""
    first = tmp_path / "first.xlsx"
    run_job("plan", FileBook(book_path, first), JobOptions(as_of=AS_OF))
    return Run(FileBook(first, tmp_path / "again.xlsx"), JobOptions(as_of=AS_OF))


def test_the_previous_plan_is_let_go_once_merged(book_path: Path, tmp_path: Path) -> None:
    run = _rerun(book_path, tmp_path)
    previous = run.existing_plan
    assert previous is not None and len(previous)
    held = weakref.ref(previous)
    del previous
    touches = run.plan.touches
    gc.collect()
    assert held() is None  # nothing keeps the previous plan's frame
    assert run.touches is touches  # what the later steps read is this run's plan
    assert "existing_plan" not in vars(run)


def test_without_a_plan_built_the_touches_are_the_sheets(book_path: Path, tmp_path: Path) -> None:
    run = _rerun(book_path, tmp_path)
    touches = run.touches
    assert touches is not None and len(touches)
    assert touches is run.existing_plan
