"""Work in a worker process: the same result as here, errors as themselves, and a fallback."""

from __future__ import annotations

import os
import sys
import time

import pytest

from sheetcrm import _background
from sheetcrm.errors import InputError


def _pid_and_sum(numbers: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def _raise_input_error() -> None:
    raise InputError("the amount is text", sheet="客户", row=7, column="金额")


def _raise_unpicklable() -> None:
    error = ValueError("carries a lambda")
    # An attribute no exception declares: the lambda in it is what cannot be pickled.
    error.handler = lambda: None  # type: ignore[attr-defined]
    raise error


def _die_unless_in(pid: int) -> str:
    if os.getpid() != pid:
        os._exit(3)  # the worker dies without answering
    return "redone here"


def test_work_runs_in_another_process_with_the_same_result() -> None:
    pending = _background.start(_pid_and_sum, list(range(100_000)))
    assert pending.elsewhere
    pid, total = pending.result()
    assert pid != os.getpid()
    assert total == sum(range(100_000))


def test_not_elsewhere_runs_here_when_asked() -> None:
    pending = _background.start(_pid_and_sum, [1, 2], elsewhere=False)
    assert not pending.elsewhere
    assert pending.result() == (os.getpid(), 3)


def test_an_error_comes_back_as_itself_with_its_fields() -> None:
    pending = _background.start(_raise_input_error)
    with pytest.raises(InputError) as caught:
        pending.result()
    assert (caught.value.sheet, caught.value.row, caught.value.column) == ("客户", 7, "金额")
    assert str(caught.value) == "sheet '客户', row 7, column '金额': the amount is text"


def test_an_error_that_cannot_be_pickled_comes_back_as_its_text() -> None:
    with pytest.raises(RuntimeError, match="carries a lambda"):
        _background.start(_raise_unpicklable).result()


def test_a_worker_that_dies_has_its_work_redone_here() -> None:
    pending = _background.start(_die_unless_in, os.getpid())
    assert pending.elsewhere
    assert pending.result() == "redone here"


def test_without_a_python_interpreter_the_work_stays_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/opt/libreoffice/program/soffice.bin")
    pending = _background.start(_pid_and_sum, [4])
    assert not pending.elsewhere
    assert pending.result() == (os.getpid(), 4)


def test_close_stops_a_worker_nobody_waits_for() -> None:
    pending = _background.start(time.sleep, 60)
    process = pending._process
    assert process is not None
    started = time.perf_counter()
    pending.close()
    assert process.poll() is not None  # gone, and reaped
    assert time.perf_counter() - started < 10
