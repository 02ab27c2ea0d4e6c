"""An old-style NAME.bak.xlsx beside a workbook becomes its first backup, never deleted silently."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from sheetcrm.book.backups import BACKUP_FOLDER, keep_backup, list_backups
from sheetcrm.cli import main

AS_OF = "2026-06-01"


def _old_bak(book: Path) -> Path:
    return book.with_name(f"{book.stem}.bak{book.suffix}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_old_backup_becomes_the_first_and_the_user_is_told(
    book_path: Path, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _old_bak(book_path)
    old.write_bytes(b"the workbook as it was before, kept by an old sheetcrm")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    before = book_path.read_bytes()
    assert main(["check", str(book_path), "--as-of", AS_OF, "--lang", lang]) in (0, 1)
    err = capsys.readouterr().err
    first = book_path.parent / BACKUP_FOLDER / f"{book_path.stem}.first.xlsx"
    assert not old.exists()
    assert first.read_bytes() == b"the workbook as it was before, kept by an old sheetcrm"
    assert first.stat().st_mtime == 1_700_000_000  # moved, so its date still says how old
    assert old.name in err and str(first) in err
    assert ("作为最早的备份" if lang == "zh" else "kept as the first backup") in err
    backups = list_backups(book_path)
    assert [b.which for b in backups][:1] == ["first"] and len(backups) == 2
    assert backups[1].path.read_bytes() == before  # this run's original: a run backup
    # The next run has nothing more to move and says nothing about it.
    assert main(["check", str(book_path), "--as-of", AS_OF, "--lang", lang]) in (0, 1)
    assert old.name not in capsys.readouterr().err
    assert first.read_bytes() == b"the workbook as it was before, kept by an old sheetcrm"


def test_with_a_first_backup_already_the_old_one_is_left_alone(tmp_path: Path) -> None:
    book = tmp_path / "客户.xlsx"
    book.write_bytes(b"one")
    first = keep_backup(book, io.BytesIO(b"one")).path
    old = _old_bak(book)
    old.write_bytes(b"older")
    kept = keep_backup(book, io.BytesIO(b"two"))
    assert kept.adopted is None and kept.adopted_note() is None
    assert old.read_bytes() == b"older" and first.read_bytes() == b"one"


@pytest.mark.parametrize("odd", ["folder", "symlink"])
def test_an_old_backup_that_is_not_a_plain_file_stays_put(tmp_path: Path, odd: str) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"now")
    old = _old_bak(book)
    if odd == "folder":
        old.mkdir()
    else:
        (tmp_path / "elsewhere.xlsx").write_bytes(b"elsewhere")
        old.symlink_to(tmp_path / "elsewhere.xlsx")
    kept = keep_backup(book, io.BytesIO(b"now"))
    assert kept.adopted is None
    assert kept.path.read_bytes() == b"now" and kept.path.name == "book.first.xlsx"
    assert old.exists() or old.is_symlink()


def test_only_this_workbooks_old_backup_is_taken(tmp_path: Path) -> None:
    book = tmp_path / "a.xlsx"
    book.write_bytes(b"a")
    other = tmp_path / "ab.bak.xlsx"  # another workbook's (ab.xlsx)
    other.write_bytes(b"ab")
    kept = keep_backup(book, io.BytesIO(b"a"))
    assert kept.adopted is None and other.read_bytes() == b"ab"
    assert kept.path.read_bytes() == b"a"
