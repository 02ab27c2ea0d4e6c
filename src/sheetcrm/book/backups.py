"""Backups of a workbook in ``.sheetcrm-backups`` beside it: the first one kept for good, the last N runs'.

``NAME.first.xlsx`` is the workbook as it was before sheetcrm first replaced it and
is never overwritten; ``NAME.2026-12-03-101500.xlsx`` is what each later run
replaced, the oldest beyond N removed. Every backup is written whole under a
temporary name and renamed into place.

Before this folder, sheetcrm kept one ``NAME.bak.xlsx`` beside the workbook. The first backup
made under this scheme moves such a file into the folder as ``NAME.first.xlsx`` (it is older than
anything a later run replaces) and says so; with a first backup there already, it is left alone.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import WorkbookError
from ..i18n import tr
from .locks import hold_lock
from .temp_files import temp_path

__all__ = [
    "BACKUP_FOLDER",
    "KEEP",
    "Backup",
    "Kept",
    "find_backup",
    "keep_backup",
    "list_backups",
    "restore",
    "write_atomically",
]

BACKUP_FOLDER = ".sheetcrm-backups"
KEEP = 5  # run backups kept besides the first
_STAMP = "%Y-%m-%d-%H%M%S"


@dataclass(frozen=True)
class Backup:
    """One backup file: which (``first`` or its time stamp), when it was made, its size."""

    path: Path
    which: str
    when: dt.datetime
    size: int


@dataclass(frozen=True)
class Kept:
    """What one backup did: the file written, the old ones removed and the bytes freed."""

    path: Path
    removed: list[Path]
    freed: int
    adopted: tuple[Path, Path] | None = None  # an old-style NAME.bak.xlsx → the first backup

    def adopted_note(self) -> str | None:
        """The sentence that tells where an old-style backup went, when one was moved."""
        if self.adopted is None:
            return None
        old, first = self.adopted
        return tr(
            f"旧的备份 {old.name} 已移到 {first}，作为最早的备份保留（未删除）",
            f"the old backup {old.name} was moved to {first} and is kept as the "
            "first backup (nothing deleted)",
        )


def _folder(book: Path) -> Path:
    return book.parent / BACKUP_FOLDER


def _old_style(book: Path) -> Path | None:
    """The single backup beside the workbook that sheetcrm kept before this folder, if any."""
    old = book.with_name(f"{book.stem}.bak{book.suffix}")
    return old if old.is_file() and not old.is_symlink() else None


def list_backups(book: Path) -> list[Backup]:
    """The workbook's backups, the first one first, then the runs' oldest to newest."""
    folder = _folder(book)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        which = _which(book, path)
        if which is None or not path.is_file():
            continue
        stat = path.stat()
        found.append(Backup(path, which, dt.datetime.fromtimestamp(stat.st_mtime), stat.st_size))
    return sorted(found, key=lambda b: (b.which != "first", b.which))


def _which(book: Path, path: Path) -> str | None:
    """``first`` or the time stamp a backup's file name holds; None for any other file."""
    if not (path.name.startswith(book.stem + ".") and path.suffix == book.suffix):
        return None
    which = path.name[len(book.stem) + 1 : -len(book.suffix)]
    if which == "first":
        return which
    try:
        dt.datetime.strptime(which[:17], _STAMP)
    except ValueError:
        return None
    return which


def find_backup(book: Path, which: str | None) -> Backup:
    """The backup named by ``which`` (``first``, a time stamp or its start; newest when None)."""
    backups = list_backups(book)
    chosen = [b for b in backups if which is None or b.which.startswith(which)]
    if not chosen:
        names = ", ".join(b.which for b in backups) or tr("无", "none")
        raise WorkbookError(
            tr(
                f"{book} 没有备份 {which or ''}；现有备份：{names}（用 sheetcrm backups 查看）",
                f"{book} has no backup {which or ''}; its backups: {names} "
                "(list them with sheetcrm backups)",
            )
        )
    return chosen[-1]


def keep_backup(book: Path, source: IO[bytes], keep: int = KEEP) -> Kept:
    """Store what source holds (the workbook about to be replaced, read from its start) as its
    first or newest backup; prune."""
    folder = _folder(book)
    try:
        folder.mkdir(exist_ok=True)
        first = folder / f"{book.stem}.first{book.suffix}"
        if first.is_dir():
            raise IsADirectoryError(0, "is a folder", str(first))
        adopted = None if first.exists() else _adopt(book, first)
        if not first.exists():
            target = first
        else:
            stamp = dt.datetime.now().strftime(_STAMP)
            target = folder / f"{book.stem}.{stamp}{book.suffix}"
            count = 1
            while target.exists():  # two runs in one second
                count += 1
                target = folder / f"{book.stem}.{stamp}-{count}{book.suffix}"
        write_atomically(target, source)
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:
        raise WorkbookError(
            tr(
                f"无法写入备份 {error.filename or folder}：那里有一个同名的文件或文件夹挡着。"
                "请把它移走或改名，或加 --no-backup",
                f"cannot write the backup {error.filename or folder}: a file or folder of that "
                "name is in the way; move or rename it, or add --no-backup",
            )
        ) from None
    removed, freed = [], 0
    runs = [b for b in list_backups(book) if b.which != "first"]
    for old in runs[: max(len(runs) - keep, 0)]:
        old.path.unlink(missing_ok=True)
        removed.append(old.path)
        freed += old.size
    return Kept(target, removed, freed, adopted)


def _adopt(book: Path, first: Path) -> tuple[Path, Path] | None:
    """Move an old-style ``NAME.bak.xlsx`` in as the first backup (a rename: it keeps its date);
    (the file moved, where to), or None when there is none or it cannot be moved (it stays put)."""
    old = _old_style(book)
    if old is None:
        return None
    try:
        old.replace(first)  # the same folder tree: a rename; the save holds the workbook's lock
    except OSError:
        return None  # it stays beside the workbook, as it was
    return old, first


def restore(book: Path, which: str | None, keep: int = KEEP) -> tuple[Backup, Kept | None]:
    """Put a backup back in place of the workbook atomically, backing up the current file first."""
    chosen = find_backup(book, which)
    data = chosen.path.read_bytes()  # before pruning can remove it
    with hold_lock(book):
        kept = None
        if book.exists():
            with book.open("rb") as current:
                kept = keep_backup(book, current, keep)
        write_atomically(book.resolve(), io.BytesIO(data))
    return chosen, kept


def write_atomically(target: Path, source: IO[bytes]) -> None:
    """Write what source holds (read in pieces) to target, whole or not at all."""
    temp = temp_path(target)
    try:
        with temp.open("wb") as handle:
            shutil.copyfileobj(source, handle, 2**20)
            handle.flush()
            os.fsync(handle.fileno())
        if target.is_dir():
            raise IsADirectoryError(0, "is a folder", str(target))
        temp.replace(target)
    finally:
        temp.unlink(missing_ok=True)
