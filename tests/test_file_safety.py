"""The file's safety: clear refusals for environment problems, the last-moment check under
our lock, backups that keep the original, and no litter left beside the workbook."""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book import backups, locks
from sheetcrm.book.package import Package
from sheetcrm.book.temp_files import temp_path
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.cli import main
from sheetcrm.demo import write_demo
from sheetcrm.errors import WorkbookError
from sheetcrm.settings import SETTINGS_SHEET

NAME = "客户名单.xlsx"
BACKUPS = ".sheetcrm-backups"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / NAME
    write_demo(path, customers=200)
    return path


@pytest.fixture
def book(demo: Path, tmp_path: Path) -> Path:
    path = tmp_path / "work" / NAME
    path.parent.mkdir()
    shutil.copy(demo, path)
    return path


def _check(book: Path, *more: str) -> list[str]:
    return ["check", str(book), "--lang", "en", "--as-of", "2026-11-20", *more]


# -- every environment problem: exit 2, a sentence naming the path and what to do ---------------

Setup = Callable[[Path, pytest.MonkeyPatch], tuple[list[str], str]]


def _directory(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    return _check(book.parent), str(book.parent)


def _missing(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    return _check(book.with_name("gone.xlsx")), "gone.xlsx"


def _not_a_workbook(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    fake = book.with_name("list.xlsx")
    fake.write_bytes(b"name,phone\n")
    return _check(fake), "list.xlsx"


def _read_only(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    book.chmod(0o444)  # the mode bits decide, as Excel honours the read-only attribute
    return _check(book), str(book)


def _no_permission(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    real = os.access
    mp.setattr("os.access", lambda p, mode: False if Path(p) == book else real(p, mode))
    return _check(book), str(book)


def _disk_full(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    def full(self: Package, stream: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    mp.setattr(Package, "save_to", full)
    return _check(book), str(book.parent)


def _export_is_a_file(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    target = book.with_name("out.txt")
    target.write_text("x")
    return ["plan", str(book), "--lang", "en", "--export", str(target)], str(target)


def _backup_folder_is_a_file(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    (book.parent / BACKUPS).write_text("in the way")
    return _check(book), BACKUPS


def _first_backup_is_a_folder(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    (book.parent / BACKUPS / "客户名单.first.xlsx").mkdir(parents=True)
    return _check(book), "客户名单.first.xlsx"


def _open_in_excel(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    owner = b"Alice"
    excel_lock = bytes([len(owner)]) + owner.ljust(53, b" ") + "Alice".encode("utf-16-le")
    book.with_name("~$" + book.name).write_bytes(excel_lock)
    return _check(book), "Excel"


def _another_sheetcrm(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    mp.setattr(locks, "LOCK_WAIT", 0.3)
    with locks.hold_lock(book):  # taken as another live sheetcrm would have it
        content = book.with_name("~$" + book.name).read_bytes()
    live = content.replace(f"pid={os.getpid()}".encode(), f"pid={os.getppid()}".encode())
    book.with_name("~$" + book.name).write_bytes(live)
    return _check(book), "another sheetcrm"


def _folder_not_writable(book: Path, mp: pytest.MonkeyPatch) -> tuple[list[str], str]:
    out = book.parent / "locked" / "out.xlsx"
    out.parent.mkdir()
    real = os.access
    mp.setattr("os.access", lambda p, mode: False if Path(p) == out.parent else real(p, mode))
    return _check(book, "-o", str(out)), str(out.parent)


CASES: dict[str, Setup] = {
    "directory": _directory,
    "missing": _missing,
    "not a workbook": _not_a_workbook,
    "read-only": _read_only,
    "no permission": _no_permission,
    "disk full": _disk_full,
    "export is a file": _export_is_a_file,
    "backup folder is a file": _backup_folder_is_a_file,
    "first backup is a folder": _first_backup_is_a_folder,
    "open in Excel": _open_in_excel,
    "another sheetcrm": _another_sheetcrm,
    "folder not writable": _folder_not_writable,
}
ADVICE = (
    "check",
    "save it",
    "choose",
    "close",
    "add",
    "move",
    "free",
    "name ",
    "shorten",
    "run again",
)


@pytest.mark.parametrize("case", CASES)
def test_environment_problems_exit_2_with_a_sentence(
    case: str, book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, named = CASES[case](book, monkeypatch)
    before = book.read_bytes()
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "internal error" not in err and named in err, err
    assert any(word in err for word in ADVICE), err
    assert book.read_bytes() == before


def test_disk_full_says_how_much_is_needed_and_free(
    book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _disk_full(book, monkeypatch)
    assert main(_check(book)) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "MB is free" in err
    assert not list(book.parent.glob(".~*")) and not list(book.parent.glob("~$*"))


def test_a_disk_that_fills_during_the_backup_leaves_the_workbook_as_it_was(
    book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(target: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(backups, "write_atomically", full)
    before = book.read_bytes()
    assert main(_check(book)) == 2
    assert "needs about" in capsys.readouterr().err
    assert book.read_bytes() == before
    assert not list(book.parent.glob(".~*")) and not list(book.parent.glob("~$*"))


def test_force_replaces_a_read_only_workbook(book: Path) -> None:
    before = book.read_bytes()
    book.chmod(0o444)
    assert main(_check(book, "--force")) in (0, 1)
    assert book.read_bytes() != before
    assert book.stat().st_mode & 0o777 == 0o444  # still read-only, as it was


# -- the last-moment check, under our lock ----------------------------------------------------


def test_a_change_just_before_the_replace_is_kept_and_ours_written_beside(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = PackageWriter(book)
    colleague = b"PK" + b"a colleague's save"
    write_temp = PackageWriter._write_temp

    def write_then_colleague_saves(self: PackageWriter, temp: Path) -> None:
        write_temp(self, temp)
        assert book.with_name("~$" + book.name).exists()  # the compare runs under our lock
        book.write_bytes(colleague)

    monkeypatch.setattr(PackageWriter, "_write_temp", write_then_colleague_saves)
    with pytest.raises(WorkbookError, match=r"changes are kept.*\(sheetcrm\)\.xlsx"):
        writer.save()
    assert book.read_bytes() == colleague
    beside = book.with_name("客户名单 (sheetcrm).xlsx")
    assert beside.read_bytes()[:2] == b"PK" and Package(beside).names()
    assert not (book.parent / BACKUPS).exists()
    assert sorted(p.name for p in book.parent.iterdir()) == sorted([NAME, beside.name])


def test_a_second_run_waits_for_our_lock(book: Path) -> None:
    lock = book.with_name("~$" + book.name)
    with locks.hold_lock(book):
        content = lock.read_bytes()
    lock.write_bytes(content.replace(f"pid={os.getpid()}".encode(), f"pid={os.getppid()}".encode()))
    threading.Timer(0.5, lock.unlink).start()  # the first run finishes meanwhile
    started = time.monotonic()
    assert main(_check(book)) in (0, 1)
    assert time.monotonic() - started >= 0.5
    assert not lock.exists()


def test_a_lock_left_by_a_killed_run_is_taken_over(book: Path) -> None:
    lock = book.with_name("~$" + book.name)
    with locks.hold_lock(book):
        content = lock.read_bytes()
    lock.write_bytes(content.replace(f"pid={os.getpid()}".encode(), b"pid=999999999"))
    assert main(_check(book)) in (0, 1)
    assert not lock.exists()


def test_a_symlink_stays_a_link_and_its_target_is_replaced(book: Path) -> None:
    link = book.parent / "link.xlsx"
    link.symlink_to(book)
    before = book.read_bytes()
    assert main(_check(link)) in (0, 1)
    assert link.is_symlink() and link.resolve() == book
    assert book.read_bytes() != before
    assert (book.parent / BACKUPS / "客户名单.first.xlsx").read_bytes() == before


# -- backups ------------------------------------------------------------------------------------


def test_backups_keep_the_first_and_the_last_five(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = book.read_bytes()
    for _ in range(8):
        assert main(_check(book)) in (0, 1)
    folder = book.parent / BACKUPS
    assert (folder / "客户名单.first.xlsx").read_bytes() == original
    runs = sorted(folder.glob("客户名单.2*.xlsx"))
    assert len(runs) == 5
    err = capsys.readouterr().err
    assert "removed 1 older backups, freeing" in err
    assert main(["backups", str(book), "--lang", "en"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 6 and listing[0].startswith("first")


def test_restore_puts_the_original_back_and_backs_up_the_current_file(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = book.read_bytes()
    main(_check(book))
    current = book.read_bytes()
    assert main(["restore", str(book), "--from", "first", "--lang", "en"]) == 0
    assert book.read_bytes() == original
    runs = sorted((book.parent / BACKUPS).glob("客户名单.2*.xlsx"))
    assert runs[-1].read_bytes() == current
    assert main(["restore", str(book), "--from", "1999", "--lang", "en"]) == 2
    assert "has no backup 1999" in capsys.readouterr().err


def test_no_backup_keeps_none(book: Path) -> None:
    assert main(_check(book, "--no-backup")) in (0, 1)
    assert not (book.parent / BACKUPS).exists()


# -- temporary files ----------------------------------------------------------------------------


def test_a_killed_runs_temporary_file_is_removed_and_said(
    book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = temp_path(book)
    dead = ours.with_name(ours.name.replace(f"-{os.getpid()}-", "-999999999-"))
    dead.write_bytes(b"half a workbook")
    os.utime(dead, (time.time() - 60, time.time() - 60))
    alive = ours.with_name(ours.name.replace(f"-{os.getpid()}-", f"-{os.getppid()}-"))
    alive.write_bytes(b"another run's, still writing")
    os.utime(alive, (time.time() - 60, time.time() - 60))
    assert main(_check(book)) in (0, 1)
    assert not dead.exists() and alive.exists()
    assert f"removed {dead.name}" in capsys.readouterr().err


def test_the_settings_sheet_says_how_many_run_backups_are_kept(book: Path) -> None:
    assert main(["settings", str(book), "--lang", "en"]) == 0
    wb = openpyxl.load_workbook(book)
    sheet = wb[SETTINGS_SHEET]
    row = next(r for r in sheet.iter_rows() if r[0].value == "backups")
    row[1].value = 2
    wb.save(book)
    for _ in range(4):
        assert main(_check(book)) in (0, 1)
    assert len(list((book.parent / BACKUPS).glob("客户名单.2*.xlsx"))) == 2


def test_an_owner_name_too_long_for_a_file_name_still_exports(tmp_path: Path) -> None:
    """Once an environment error (exit 2); now the calendar's file name is capped instead."""
    book = tmp_path / "book.xlsx"
    write_demo(book, customers=100)
    wb = openpyxl.load_workbook(book)
    sheet = wb["客户名单"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 9).value = "销" * 300  # 负责人: its name becomes a calendar's file name
    wb.save(book)
    export = tmp_path / "exports"
    args = ["plan", str(book), "--lang", "en", "--as-of", "2026-11-20"]
    assert main([*args, "-o", str(tmp_path / "copy.xlsx"), "--export", str(export)]) == 0
    calendars = list(export.glob("*.ics"))
    assert calendars and all(len(path.name.encode()) <= 255 for path in calendars)
