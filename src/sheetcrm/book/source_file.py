"""The workbook file as it was read: fingerprinted as it streams, opened again only while unchanged.

The writer does not keep the file in memory: it reads parts from it again (and
copies unchanged parts from it at save), so every such read must be of the very
file that was read first. The file's identity (size, mtime, device and inode)
says so at once; a file whose identity changed is still the same when its
content hashes the same (touched, or copied back), else it is refused. No
handle stays open between reads: on Windows an open handle stops Excel from
saving the workbook, and stops our own replace of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkbookError
from ..i18n import tr

__all__ = ["Fingerprint", "SourceFile", "changed_message"]


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when read: enough to notice it changed since."""

    size: int
    mtime_ns: int
    file_id: tuple[int, int]  # (device, inode): a file replaced under the same name differs
    sha256: str


def changed_message(path: Path) -> str:
    """The refusal of a workbook that changed after it was read, so nothing was saved."""
    return tr(
        f"{path.name} 在 sheetcrm 读取之后被修改过，为免覆盖这些修改，本次不保存。请重新运行",
        f"{path.name} changed after sheetcrm read it; nothing was saved so those "
        "changes are not overwritten. Run sheetcrm again",
    )


def _identity(stat: os.stat_result) -> tuple[int, int, tuple[int, int]]:
    return stat.st_size, stat.st_mtime_ns, (stat.st_dev, stat.st_ino)


def _digest(handle: io.BufferedReader) -> str:
    """The sha256 of a whole open file, read in pieces (never whole in memory)."""
    handle.seek(0)
    digest = hashlib.file_digest(handle, "sha256").hexdigest()
    handle.seek(0)
    return digest


class SourceFile:
    """A file read once, opened again only while it is proven to be the same file."""

    def __init__(self, path: Path, fingerprint: Fingerprint) -> None:
        self.path, self.fingerprint = Path(path), fingerprint

    @classmethod
    def fingerprinted(
        cls, handle: io.BufferedReader, path: Path, since: os.stat_result
    ) -> SourceFile:
        """The file open in handle, hashed as it streams; refused if it changed since it was
        opened (``since``: its stat then)."""
        digest = _digest(handle)
        now = _identity(os.fstat(handle.fileno()))
        if now != _identity(since):
            raise WorkbookError(changed_message(path))
        return cls(path, Fingerprint(*now, digest))

    @contextlib.contextmanager
    def open(self) -> Iterator[io.BufferedReader]:
        """The file open for reading, proven unchanged before and after the reads made with it."""
        try:
            handle = self.path.open("rb")
        except OSError:
            raise WorkbookError(changed_message(self.path)) from None
        with handle:
            if not self._same(handle):
                raise WorkbookError(changed_message(self.path))
            yield handle
            # A file written in place while it was read has a new mtime.
            if _identity(os.fstat(handle.fileno()))[:2] != self._identity()[:2]:
                raise WorkbookError(changed_message(self.path))

    def unchanged(self) -> bool:
        """True when the file on disk holds what was read: its content hashed again, so that
        even a change that kept the size and put the mtime back is seen (the last check)."""
        try:
            with self.path.open("rb") as handle:
                return _digest(handle) == self.fingerprint.sha256
        except OSError:
            return False

    def _identity(self) -> tuple[int, int, tuple[int, int]]:
        found = self.fingerprint
        return found.size, found.mtime_ns, found.file_id

    def _same(self, handle: io.BufferedReader) -> bool:
        """True when handle is open on the file read: the same identity, else the same content
        (then that identity is remembered, so the file is hashed once more at most)."""
        now = _identity(os.fstat(handle.fileno()))
        if now == self._identity():
            return True
        if now[0] != self.fingerprint.size or _digest(handle) != self.fingerprint.sha256:
            return False
        self.fingerprint = dataclasses.replace(
            self.fingerprint, size=now[0], mtime_ns=now[1], file_id=now[2]
        )
        return True
