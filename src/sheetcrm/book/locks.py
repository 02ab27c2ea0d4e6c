"""Our lock beside a workbook: Excel's ``~$NAME`` owner file, so Excel users see it is busy.

The lock is made with ``O_EXCL`` (one winner, never two), names this process, and
is removed when the holder is done; a lock left by a process that is gone is
taken over. Excel's own ``~$`` file (or another sheetcrm's) is waited for a few
seconds, then refused with a sentence saying who holds it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import WorkbookError
from ..i18n import tr

__all__ = ["LOCK_WAIT", "hold_lock", "lock_path", "pid_alive"]

LOCK_WAIT = 5.0  # seconds a second run waits for the first before refusing
_MAGIC = b"sheetcrm "
_held: dict[Path, int] = {}  # locks this process holds, and how many holders nest in each


def lock_path(book: Path) -> Path:
    """The owner file Excel (and sheetcrm) keep beside an open workbook."""
    return book.with_name("~$" + book.name)


def pid_alive(pid: int) -> bool:
    """True while a process with this id runs on this machine."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _is_sheetcrm(lock: Path) -> bool:
    try:
        return lock.read_bytes().startswith(_MAGIC)
    except OSError:
        return False


def _holder(lock: Path) -> int | None:
    """The pid of the sheetcrm on this host holding the lock; None for Excel's or a foreign one."""
    try:
        content = lock.read_bytes()[:200]
    except OSError:
        return None
    if not content.startswith(_MAGIC):
        return None
    text = content[len(_MAGIC) :].decode(errors="replace")
    fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
    if fields.get("host") != socket.gethostname():
        return None
    try:
        return int(fields.get("pid", ""))
    except ValueError:
        return None


def _try_create(lock: Path) -> bool:
    try:
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError as error:
        raise WorkbookError(
            tr(
                f"无法在 {lock.parent} 中创建锁文件 {lock.name}（{error.strerror}），请检查该文件夹的权限",
                f"cannot make the lock file {lock.name} in {lock.parent} ({error.strerror}); "
                "check the folder's permissions",
            )
        ) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(_MAGIC + f"pid={os.getpid()} host={socket.gethostname()}\n".encode())
    return True


def _busy_message(book: Path, lock: Path, by_sheetcrm: bool) -> str:
    if by_sheetcrm:
        return tr(
            f"{book} 正被另一个 sheetcrm 处理（锁文件 {lock.name}），请等它结束后再运行",
            f"{book} is being worked on by another sheetcrm (lock file {lock.name}); "
            "run again when it has finished",
        )
    return tr(
        f"{book} 正在 Excel 中打开（锁文件 {lock.name}），请先在 Excel 中关闭它（或用 sheetcrm 按钮在 Excel 里运行）",
        f"{book} is open in Excel (lock file {lock.name}); close it there first "
        "(or run sheetcrm from the button inside Excel)",
    )


@contextlib.contextmanager
def hold_lock(book: Path, wait: float | None = None) -> Iterator[Path]:
    """Hold the workbook's lock (re-entrant in this process); refuse after ``wait`` seconds."""
    wait = LOCK_WAIT if wait is None else wait
    book = Path(book).resolve()
    lock = lock_path(book)
    if book in _held:
        _held[book] += 1
    else:
        deadline = time.monotonic() + wait
        while not _try_create(lock):
            holder = _holder(lock)
            if holder is None:  # Excel's, or a sheetcrm's on another computer: no waiting
                raise WorkbookError(_busy_message(book, lock, _is_sheetcrm(lock)))
            if holder != os.getpid() and not pid_alive(holder):
                lock.unlink(missing_ok=True)  # left by a sheetcrm that was killed
                continue
            if time.monotonic() >= deadline:
                raise WorkbookError(_busy_message(book, lock, True))
            time.sleep(0.1)
        _held[book] = 1
    try:
        yield lock
    finally:
        _held[book] -= 1
        if not _held[book]:
            del _held[book]
            lock.unlink(missing_ok=True)
