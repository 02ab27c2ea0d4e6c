"""Work in a worker process: the same result as here, errors as themselves, a fallback, a job
that goes on when a worker fails, and workers that end with their job."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import pickle
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from sheetcrm import _background, jobs
from sheetcrm.book import xlsx_write
from sheetcrm.book.file import FileBook
from sheetcrm.book.splice import splice_part
from sheetcrm.cli import main
from sheetcrm.demo import write_demo
from sheetcrm.errors import InputError
from sheetcrm.jobs import JobOptions
from sheetcrm.sheets import tiers as tier_sheets
from sheetcrm.sheets.check import CHECK_SHEET
from sheetcrm.tuning import Tuning


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


def test_another_error_has_the_work_redone_here_or_comes_back_as_its_text() -> None:
    with pytest.raises(ValueError, match="carries a lambda"):  # redone here: itself
        _background.start(_raise_unpicklable).result()
    with pytest.raises(_background.WorkerError, match=r"RuntimeError: .*carries a lambda"):
        _background.start(_raise_unpicklable, redo=False).result()  # could not be pickled


def test_a_pending_collected_while_the_turns_are_held_does_not_wait_for_them() -> None:
    # The collector may drop a Pending in a thread being started while the starter thread holds
    # the turns' lock and waits for that thread: waiting for the lock there hung a test run.
    pending = _background.start(_pid_and_sum, [1], elsewhere=False)
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with _background._turns._changed:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)

    def collect() -> None:
        pending.__del__()
        done.set()

    threading.Thread(target=collect, daemon=True).start()
    try:
        assert done.wait(5)
    finally:
        release.set()
        holder.join()


def test_a_worker_that_dies_has_its_work_redone_here() -> None:
    pending = _background.start(_die_unless_in, os.getpid())
    assert pending.elsewhere
    assert pending.result() == "redone here"


def test_without_a_python_interpreter_the_work_stays_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/opt/libreoffice/program/soffice.bin")
    pending = _background.start(_pid_and_sum, [4])
    assert not pending.elsewhere
    assert pending.result() == (os.getpid(), 4)


def test_work_not_redone_with_its_arguments_lets_go_of_them_once_a_worker_has_them() -> None:
    held: list[bool] = []
    redone: tuple[bool | Callable[[], tuple[int, int]], ...] = (True, False, lambda: (0, 0))
    for redo in redone:
        keys = np.arange(100_000)
        alive = weakref.ref(keys)
        pending = _background.start(_pid_and_sum, keys, redo=redo)
        del keys
        gc.collect()
        held.append(alive() is not None)
        assert pending.result()[1] == sum(range(100_000))
    assert held == [True, False, False]


def test_a_failed_worker_has_its_work_redone_by_the_function_given() -> None:
    pending = _background.start(_die_unless_in, os.getpid(), redo=lambda: "made again")
    assert pending.elsewhere
    assert pending.result() == "made again"
    here = _background.start(_die_unless_in, os.getpid(), elsewhere=False, redo=lambda: "no")
    assert here.result() == "redone here"  # no worker: the work itself, as given


def test_close_stops_a_worker_nobody_waits_for() -> None:
    pending = _background.start(time.sleep, 60)
    process = pending._process
    assert process is not None
    started = time.perf_counter()
    pending.close()
    assert process.poll() is not None  # gone, and reaped
    assert time.perf_counter() - started < 10


def _span(seconds: float) -> tuple[int, float, float]:
    started = time.time()
    time.sleep(seconds)
    return os.getpid(), started, time.time()


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set how many workers run at once, once those of earlier tests have ended."""

    def limit(workers: int) -> None:
        deadline = time.monotonic() + 30
        while _background._turns._running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _background._turns._running
        monkeypatch.setattr(_background._turns, "limit", workers)

    return limit


def test_workers_take_turns_one_per_spare_core(turns: Callable[[int], None]) -> None:
    turns(1)
    # Not redone here: a worker killed when the thread that started it ends would fail this.
    first, second = (_background.start(_span, 0.5, redo=False) for _ in range(2))
    assert first._process is not None
    assert second.elsewhere and second._process is None  # waits for the first to end
    (pid1, _, ended), (pid2, started, _) = first.result(), second.result()
    assert started >= ended
    assert len({os.getpid(), pid1, pid2}) == 3
    turns(2)
    both = [_background.start(_span, 0.1) for _ in range(2)]
    assert all(pending._process is not None for pending in both)  # two spare cores: at once
    assert [pending.result()[0] != os.getpid() for pending in both] == [True, True]


def test_a_result_asked_for_starts_its_worker_at_once(turns: Callable[[int], None]) -> None:
    turns(1)
    sleeping = _background.start(time.sleep, 60)
    waiting = _background.start(_pid_and_sum, [1, 2, 3])
    started = time.perf_counter()
    pid, total = waiting.result()
    assert (total, pid != os.getpid()) == (6, True)
    assert time.perf_counter() - started < 30
    sleeping.close()


def test_work_dropped_or_closed_while_waiting_never_starts(
    turns: Callable[[int], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    turns(1)
    started: list[tuple[Any, ...]] = []
    launch = _background.Pending._launch

    def spy(pending: _background.Pending[Any]) -> bool:
        started.append(pending._args)
        return launch(pending)

    monkeypatch.setattr(_background.Pending, "_launch", spy)
    sleeping = _background.start(time.sleep, 60)
    dropped = _background.start(_pid_and_sum, [1])
    closed = _background.start(_pid_and_sum, [2])
    last = _background.start(_pid_and_sum, [3])
    del dropped
    gc.collect()
    closed.close()
    assert not closed.elsewhere
    sleeping.close()
    assert last.result()[1] == 3  # the one still wanted took its turn
    deadline = time.monotonic() + 10
    while _background._turns._running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _background._turns._running == 0
    assert started == [(60,), ([3],)]  # neither the dropped work nor the closed one
    assert closed.result()[0] == os.getpid()  # asked for after all: done here


def _big_answer(size: int) -> bytes:
    return b"x" * size


def test_an_answer_bigger_than_a_pipe_is_read_as_it_comes_and_the_worker_ends(
    turns: Callable[[int], None],
) -> None:
    turns(1)
    pending = _background.start(_big_answer, 8 * 2**20)
    process = pending._process
    assert process is not None
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.returncode == 0  # ended without anyone asking: its answer was read
    assert pending.result() == b"x" * 8 * 2**20


def _out_of_memory(*args: object) -> None:
    raise MemoryError("std::bad_alloc")


def _splice_out_of_memory_in_a_worker(*args: Any, **kwargs: Any) -> Any:
    if os.getpid() != int(os.environ["TEST_JOB_PID"]):
        raise MemoryError("std::bad_alloc")
    return splice_part(*args, **kwargs)


def _sleep_instead(*args: object) -> None:
    time.sleep(60)


def test_a_worker_out_of_memory_has_its_work_redone_here() -> None:
    pending = _background.start(_die_unless_in, os.getpid())
    assert pending.result() == "redone here"
    failing = _background.start(_out_of_memory)
    assert failing.elsewhere
    with pytest.raises(MemoryError):
        failing.result()  # redone here, where it fails the same way


def test_a_failed_worker_says_why_when_the_work_is_not_redone() -> None:
    with pytest.raises(_background.WorkerError, match="MemoryError: std::bad_alloc"):
        _background.start(_out_of_memory, redo=False).result()
    with pytest.raises(_background.WorkerError, match="exit code 3"):
        _background.start(_die_unless_in, os.getpid(), redo=False).result()
    with pytest.raises(_background.WorkerError, match="MemoryError"):
        _background.start(_out_of_memory, elsewhere=False, redo=False).result()
    with pytest.raises(InputError):  # the data's fault is not the worker's
        _background.start(_raise_input_error, redo=False).result()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "客户名单.xlsx"
    write_demo(path)
    return path


def test_workers_out_of_memory_leave_a_finished_workbook_and_a_message(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both workers on a small book.
    monkeypatch.setattr(JobOptions, "__init__", _with_tuning(JobOptions, Tuning(background_rows=0)))
    monkeypatch.setattr(jobs, "near_names", _out_of_memory)
    monkeypatch.setattr(xlsx_write, "splice_part", _splice_out_of_memory_in_a_worker)
    monkeypatch.setattr(FileBook, "__init__", _with_tuning(FileBook, Tuning(background_part=0)))
    monkeypatch.setenv("TEST_JOB_PID", str(os.getpid()))
    out = tmp_path / "out.xlsx"
    code = main(["run", str(demo), "--output", str(out), "--as-of", "2026-11-20", "--lang", "en"])
    assert code == 1  # the demo's data has problems; not 3
    assert (
        "near-identical names not checked: MemoryError: std::bad_alloc" in capsys.readouterr().err
    )
    workbook = openpyxl.load_workbook(out, read_only=True)
    check = [row for row in workbook[CHECK_SHEET].iter_rows(values_only=True)]
    unchecked = [row for row in check if "std::bad_alloc" in str(row[4])]
    assert len(unchecked) == 1
    # --lang decides what is written into the book too
    assert unchecked[0][4] == "near-identical names not checked: MemoryError: std::bad_alloc"
    header = next(workbook["客户名单"].iter_rows(values_only=True))
    assert tier_sheets.old_result_headers() & set(header)  # spliced here after all


def _with_tuning(kind: type, tuning: Tuning) -> Any:
    """``kind``'s ``__init__`` with ``tuning`` where the caller gives none."""
    real = getattr(kind, "__init__")  # noqa: B009 (mypy: __init__ read off a class is unsound)

    def init(self: object, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("tuning", tuning)
        real(self, *args, **kwargs)

    return init


_JOB = """
import sys
sys.path.insert(0, {tests!r})
from sheetcrm import _background, jobs
from sheetcrm.book.file import FileBook
from sheetcrm.tuning import Tuning
import test_background
jobs.near_names = test_background._sleep_instead
tuning = Tuning(background_part=0, background_rows=0)
_background._turns.limit = 2  # both workers at once, whatever the cores
jobs.run_job("run", FileBook({book!r}, {out!r}, tuning=tuning), jobs.JobOptions(tuning=tuning))
"""


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended: only its entry waits to be reaped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="lists children in /proc")
def test_workers_end_with_a_killed_job(demo: Path, tmp_path: Path) -> None:
    script = _JOB.format(
        tests=str(Path(__file__).parent), book=str(demo), out=str(tmp_path / "out.xlsx")
    )
    job = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline and job.poll() is None:
            workers |= _children(job.pid)  # names (sleeping) and the splice: both started
            time.sleep(0.05)
        assert workers, "the job started no worker"
        assert any(_alive(pid) for pid in workers)
    finally:
        job.kill()
        job.wait()
    time.sleep(2)
    assert not [pid for pid in workers if _alive(pid)]


def test_a_splice_sent_to_a_worker_holds_each_distinct_value_once(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full sheet's result columns as objects were a quarter of a gigabyte pickled, and a
    # gigabyte in the worker; most of them repeat a few values (tiers, scores, segments).
    sent: list[Any] = []
    real = _background.start

    def start(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if (
            getattr(work, "func", work) is splice_part
        ):  # as the worker gets it (the splice lets go of its values)
            sent.append(pickle.loads(pickle.dumps(args[0])))
        return real(work, *args, **kwargs)

    monkeypatch.setattr(_background, "start", start)  # xlsx_write calls it by the module
    monkeypatch.setattr(FileBook, "__init__", _with_tuning(FileBook, Tuning(background_part=0)))
    book = FileBook(demo, output=tmp_path / "out.xlsx", backup=False)
    jobs.run_job("tier", book, JobOptions(as_of=dt.date(2026, 11, 20)))
    (job,) = sent
    tiers = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["客户名单"]
    rows = list(tiers.iter_rows(min_row=2, values_only=True))
    for target, column in zip(job.targets, job.values, strict=True):
        cells = [row[target.column - 1] for row in rows]
        shown = [value for value in column.values if value != ""]  # "" is written as no cell
        assert len(shown) == len({(type(v), v) for v in cells if v is not None})
        assert column.codes.dtype == np.min_scalar_type(len(column.values))  # blank: one more
        assert len(column.codes) == len(rows)


def _niceness() -> int:
    return os.nice(0)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice() on Windows")
def test_a_worker_yields_its_core_unless_this_process_waits_for_it_as_it_goes() -> None:
    ours = os.nice(0)
    assert _background.start(_niceness).result() == min(ours + 19, 19)
    assert _background.start(_niceness, nice=False).result() == ours
