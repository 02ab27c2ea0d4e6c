"""The writer holds neither the workbook file nor its big new parts in memory.

Parts are read again from the file only while it is the file that was read; big
written parts wait for the save in temporary files beside the output; those files
go after every save, successful or not, and the bytes written are those of the
in-memory way.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import shutil
import time
import types
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm import jobs
from sheetcrm.book.base import ResultColumn, SheetSpec
from sheetcrm.book.file import FileBook
from sheetcrm.book.package import Deflated, Package, deflate_stream
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.demo import write_big_customers, write_demo
from sheetcrm.errors import WorkbookError
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.tuning import Tuning

AS_OF = dt.date(2026, 12, 3)
IN_MEMORY = Tuning(spill_part=2**62)
SPILLED = Tuning(spill_part=0)  # every written part waits in a temporary file
IN_WORKER = Tuning(spill_part=0, background_part=0)  # and the customer sheet is a worker's
SHEET = "xl/worksheets/sheet1.xml"


def _litter(*folders: Path) -> list[str]:
    """Our temporary files left in these folders."""
    return sorted(p.name for f in folders for p in f.iterdir() if p.name.startswith(".~sheetcrm"))


class _Frozen(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _Frozen:
        return cls(2026, 12, 3, 9, 30)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run history's time stamp fixed, so that two runs write the same bytes."""
    monkeypatch.setattr(jobs, "dt", types.SimpleNamespace(**{**vars(dt), "datetime": _Frozen}))


def _run(book: Path, out: Path, tuning: Tuning) -> bytes:
    out.parent.mkdir(exist_ok=True)
    run_job("run", FileBook(book, out, tuning=tuning), JobOptions(as_of=AS_OF))
    gc.collect()
    return out.read_bytes()


def _small_book(tmp_path: Path, customers: int = 100) -> Path:
    path = tmp_path / "in" / "book.xlsx"
    path.parent.mkdir(exist_ok=True)
    write_demo(path, customers=customers)
    return path


# -- the compressed bytes, in memory or in a file ----------------------------------------------


def _joined(deflated: Deflated, read: int) -> bytes:
    """The compressed bytes, each piece copied before the next is read into the same buffer."""
    return b"".join(bytes(piece) for piece in deflated.chunks(read))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(st.binary(max_size=3000) | st.just(b"<row>abc</row>" * 300), max_size=25),
    limit=st.integers(0, 6000),
    batch=st.integers(1, 5000),
    read=st.integers(1, 5000),
)
def test_a_spilled_part_holds_the_same_compressed_bytes(
    tmp_path: Path, pieces: list[bytes], limit: int, batch: int, read: int
) -> None:
    spill = tmp_path / "part.part"
    spill.unlink(missing_ok=True)
    data = b"".join(pieces)
    kept = deflate_stream(iter(pieces), len(data), Tuning(spill_part=2**62, deflate_batch=batch))
    spilled = deflate_stream(
        iter(pieces), len(data), Tuning(spill_part=limit, deflate_batch=batch), spill
    )
    assert kept.spilled is None
    assert (spilled.spilled is not None) == (kept.compressed > limit) == spill.exists()
    assert spilled.pieces == ([] if spilled.spilled else kept.pieces)
    assert _joined(spilled, read) == b"".join(kept.pieces)
    assert (spilled.crc, spilled.size, spilled.compressed) == (kept.crc, len(data), kept.compressed)
    assert zlib.decompress(_joined(spilled, read), -15) == data


def test_a_failed_stream_removes_what_it_spilled(tmp_path: Path) -> None:
    def pieces() -> Iterator[bytes]:
        yield os.urandom(100_000)
        raise WorkbookError("stop")

    spill = tmp_path / "part.part"
    with pytest.raises(WorkbookError):
        deflate_stream(pieces(), 0, Tuning(spill_part=0, deflate_batch=1000), spill)
    assert not spill.exists()


def test_a_folder_it_cannot_write_to_keeps_big_parts_in_memory(tmp_path: Path) -> None:
    book = _small_book(tmp_path)
    package = Package(book, SPILLED, tmp_path / "gone" / "out.xlsx")
    data = b"<x>" + b"abc" * 100_000 + b"</x>"
    package.write_stream(SHEET, iter([data]), len(data))
    assert package.read(SHEET) == data
    out = io.BytesIO()
    package.save_to(out)
    assert b"".join(package.stream(SHEET)) == data
    assert _litter(tmp_path, book.parent) == []


# -- the same bytes as in memory, whole runs on varied books ------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: write_demo(p, customers=150), id="demo"),
        pytest.param(lambda p: write_big_customers(p, 1500, names="prefix"), id="prefix"),
        pytest.param(
            lambda p: write_big_customers(p, 1200, names="english", shared_strings=True),
            id="english-shared",
        ),
        pytest.param(lambda p: write_big_customers(p, 1000, names="people", seed=7), id="people"),
    ],
)
def test_a_run_and_a_rerun_write_the_same_bytes_spilled_or_not(
    tmp_path: Path, make: object, frozen_clock: None
) -> None:
    book = tmp_path / "book.xlsx"
    make(book)  # type: ignore[operator]
    first = {
        name: _run(book, tmp_path / name / "first.xlsx", tuning)
        for name, tuning in [("memory", IN_MEMORY), ("spilled", SPILLED), ("worker", IN_WORKER)]
    }
    assert first["memory"] == first["spilled"] == first["worker"]
    rerun = {
        name: _run(tmp_path / "memory" / "first.xlsx", tmp_path / name / "again.xlsx", tuning)
        for name, tuning in [("memory", IN_MEMORY), ("spilled", SPILLED), ("worker", IN_WORKER)]
    }
    assert rerun["memory"] == rerun["spilled"] == rerun["worker"]
    assert _litter(tmp_path, *(tmp_path / name for name in first)) == []


def test_in_place_runs_leave_nothing_behind_and_back_up_the_original(tmp_path: Path) -> None:
    book = _small_book(tmp_path, 120)
    original = book.read_bytes()
    for tuning in (SPILLED, IN_WORKER):
        run_job("run", FileBook(book, tuning=tuning), JobOptions(as_of=AS_OF))
        gc.collect()
        assert _litter(book.parent) == []
    backups = book.parent / ".sheetcrm-backups"
    assert (backups / "book.first.xlsx").read_bytes() == original


# -- the file read again only while it is the one read ----------------------------------------


def _flip_in_place(path: Path) -> None:
    """Another program rewrote the file in place (same size, same inode, new content)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    time.sleep(0.01)
    with path.open("r+b") as handle:
        handle.write(bytes(data))


def _replaced_same_size_and_time(path: Path) -> None:
    """Replaced by a different file of the same size and mtime (a copy keeping times)."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    other = path.with_name("other.tmp")
    other.write_bytes(bytes(data))
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other.replace(path)


def _replaced_by_another_workbook(path: Path) -> None:
    write_demo(path.with_name("other.xlsx"), customers=100, seed=1)
    path.with_name("other.xlsx").replace(path)


def _gone(path: Path) -> None:
    path.unlink()


def _saved(package: Package) -> bytes:
    out = io.BytesIO()
    package.save_to(out)
    return out.getvalue()


READS: dict[str, Callable[[Package], object]] = {
    "read": lambda package: package.read("xl/workbook.xml"),
    "stream": lambda package: b"".join(package.stream(SHEET)),
    "save": lambda package: _saved(package),
}


def _touched(path: Path) -> None:
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))


def _copied_back(path: Path) -> None:
    """The same bytes under a new inode (a sync tool's or a colleague's copy of it)."""
    copy = path.with_name("copy.tmp")
    shutil.copyfile(path, copy)
    copy.replace(path)


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (_flip_in_place, True),
        (_replaced_same_size_and_time, True),
        (_replaced_by_another_workbook, True),
        (_gone, True),
        (_touched, False),
        (_copied_back, False),
    ],
)
@pytest.mark.parametrize("read", list(READS))
def test_the_file_is_read_again_only_while_it_holds_what_was_read(
    tmp_path: Path, change: Callable[[Path], None], refused: bool, read: str
) -> None:
    book = _small_book(tmp_path)
    package = Package(book)
    expected = READS[read](Package(book))
    change(book)
    if refused:
        with pytest.raises(WorkbookError, match="changed after sheetcrm read it"):
            READS[read](package)
        return
    assert READS[read](package) == expected
    assert READS[read](package) == expected  # the new identity remembered


def test_a_file_written_during_a_stream_is_refused_at_its_end(tmp_path: Path) -> None:
    book = tmp_path / "big.xlsx"
    write_big_customers(book, 3000)
    package = Package(book, Tuning(piece=8192))
    chunks = package.stream(SHEET)
    next(chunks)
    _touched(book)  # a program wrote into the file meanwhile: its mtime tells
    with pytest.raises(WorkbookError, match="changed after sheetcrm read it"):
        for _ in chunks:
            pass


def test_a_file_replaced_before_writing_is_refused(tmp_path: Path) -> None:
    book = _small_book(tmp_path)
    out = tmp_path / "out" / "o.xlsx"
    out.parent.mkdir()
    fb = FileBook(book, out, tuning=IN_WORKER)
    table = fb.read_customers()
    _replaced_by_another_workbook(book)
    with pytest.raises(WorkbookError, match="changed after sheetcrm read it"):
        fb.write_columns(table, [ResultColumn("等级", ["A"] * len(table.frame))])  # refused now
        fb.save()
    assert not out.exists()
    assert _litter(book.parent, out.parent) == []


# -- temporary files gone after every failure -------------------------------------------------


def _writer(tmp_path: Path, tuning: Tuning = SPILLED) -> tuple[FileBook, Path]:
    book = _small_book(tmp_path, 100)
    out = tmp_path / "out" / "o.xlsx"
    out.parent.mkdir(exist_ok=True)
    fb = FileBook(book, out, tuning=tuning)
    table = fb.read_customers()
    grades = ["A" if i % 2 else "B" for i in range(len(table.frame))]
    fb.write_columns(table, [ResultColumn("等级", grades)])
    fb.write_sheet(SheetSpec("长表", [["编号"], *([i] for i in range(5000))]))
    return fb, out


def _save_fails(fb: FileBook, monkeypatch: pytest.MonkeyPatch) -> tuple[type[Exception], str]:
    """The disk fails once the new file is written."""
    save_to = Package.save_to

    def half(self: Package, stream: io.BufferedWriter) -> None:
        save_to(self, stream)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Package, "save_to", half)
    return OSError, "Input/output"


def _file_replaced(fb: FileBook, monkeypatch: pytest.MonkeyPatch) -> tuple[type[Exception], str]:
    """The workbook is saved by someone else: the save is refused."""
    _replaced_by_another_workbook(fb.path)
    return WorkbookError, "changed after sheetcrm read it"


@pytest.mark.parametrize("tuning", [SPILLED, IN_WORKER])
@pytest.mark.parametrize("fail", [_save_fails, _file_replaced])
def test_a_failed_save_leaves_nothing_behind(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tuning: Tuning,
    fail: Callable[[FileBook, pytest.MonkeyPatch], tuple[type[Exception], str]],
) -> None:
    fb, out = _writer(tmp_path, tuning)
    assert _litter(out.parent)  # the big parts wait beside the output
    error, message = fail(fb, monkeypatch)
    with pytest.raises(error, match=message):
        fb.save()
    assert not out.exists()
    assert _litter(tmp_path / "in", out.parent) == []


def test_a_writer_given_up_without_saving_leaves_nothing_behind(tmp_path: Path) -> None:
    fb, out = _writer(tmp_path, IN_WORKER)
    del fb
    gc.collect()
    assert _litter(tmp_path / "in", out.parent) == []


def test_a_worker_killed_midway_is_redone_here_and_leaves_nothing(tmp_path: Path) -> None:
    book = tmp_path / "in" / "big.xlsx"
    book.parent.mkdir()
    write_big_customers(book, 20_000)
    values = [f"等级{i % 7}" for i in range(20_000)]
    outputs = []
    for tuning, kill in [
        # Pieces and batches cut alike: the same bytes. Small batches: the file starts early.
        (Tuning(spill_part=2**62, piece=65536, deflate_batch=65536), False),
        (Tuning(spill_part=0, background_part=0, piece=65536, deflate_batch=65536), True),
    ]:
        out = tmp_path / f"out{kill}" / "o.xlsx"
        out.parent.mkdir()
        fb = FileBook(book, out, tuning=tuning)
        fb.write_columns(fb.read_customers(), [ResultColumn("等级", values)])
        if kill:
            ((_, pending),) = fb._writer._pending
            process = pending._process
            assert process is not None
            deadline = time.monotonic() + 60
            while not _litter(out.parent) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert process.poll() is None  # mid-way: its temporary file is being written
            process.kill()
        fb.save()
        outputs.append(out.read_bytes())
        assert _litter(book.parent, out.parent) == []
    assert outputs[0] == outputs[1]


def test_the_last_check_before_the_replace_sees_a_change_that_put_the_mtime_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = _small_book(tmp_path)
    writer = PackageWriter(book, SPILLED)
    writer.write_sheet(SheetSpec("长表", [["编号"], *([i] for i in range(5000))]))
    write_temp = PackageWriter._write_temp

    def write_then_changed(self: PackageWriter, temp: Path) -> None:
        write_temp(self, temp)
        stat = book.stat()
        _flip_in_place(book)
        os.utime(book, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # size and identity as read

    monkeypatch.setattr(PackageWriter, "_write_temp", write_then_changed)
    with pytest.raises(WorkbookError, match=r"changes are kept.*\(sheetcrm\)\.xlsx"):
        writer.save()
    assert _litter(book.parent) == []
