"""The one name pattern of sheetcrm's temporary files beside a workbook, and their clean-up.

A file is written whole under a temporary name and then renamed into place, so a
killed run leaves at most such a file behind: ``.~sheetcrm-<pid>-<random>.xlsx``.
A big part written waits for the save beside it as ``.~sheetcrm-<pid>-<random>.part``
(named by the run, even when its worker process writes it). The pid says whether
the run that made it is still alive.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from .locks import pid_alive

__all__ = ["remove_stale", "temp_path"]

_PATTERN = re.compile(r"^\.~sheetcrm-(\d+)-[0-9a-f]+(\.\w+)?$")


def temp_path(beside: Path, suffix: str | None = None) -> Path:
    """A fresh temporary name in beside's folder, with beside's suffix unless another is given
    (never created here)."""
    ending = beside.suffix if suffix is None else suffix
    return beside.with_name(f".~sheetcrm-{os.getpid()}-{secrets.token_hex(4)}{ending}")


def remove_stale(folder: Path, before: float) -> list[tuple[Path, int]]:
    """Remove our temporary files older than ``before`` whose run is gone; each with its size."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in entries:
        match = _PATTERN.match(path.name)
        if not match or int(match[1]) == os.getpid() or pid_alive(int(match[1])):
            continue
        try:
            stat = path.stat()
            if stat.st_mtime >= before:
                continue
            path.unlink()
        except OSError:
            continue  # gone meanwhile, or not ours to remove: left alone
        removed.append((path, stat.st_size))
    return removed
