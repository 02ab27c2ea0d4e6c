"""Helpers for tests that drive LibreOffice over UNO from the virtualenv.

``sheetcrm.book.uno_session`` finds Debian's python3-uno by itself; these helpers
say why a test must be skipped and compare grids read by different books, where
the same value may come back as 3 or 3.0, or as a date or a midnight datetime.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from sheetcrm.book.base import CellValue
from sheetcrm.book.uno_session import import_uno, soffice_path
from sheetcrm.errors import WorkbookError

__all__ = ["grid_differences", "office_python_differs", "same_value", "uno_missing"]


def uno_missing() -> str | None:
    """Why UNO tests cannot run here, None when soffice and python3-uno are both present."""
    if soffice_path() is None:
        return "LibreOffice (soffice) not installed: run tools/setup-libreoffice.sh"
    try:
        import_uno()
    except WorkbookError as exc:
        return str(exc)
    return None


def office_python_differs() -> str | None:
    """Why sheetcrm cannot run inside LibreOffice from this interpreter, None when it can.

    A macro runs in LibreOffice's own Python (on Debian the system one, which libpyuno links);
    an extension built here points it at this interpreter's packages, whose compiled parts
    (numpy, pandas) only load in the same Python version.
    """
    soffice = soffice_path()
    if soffice is None:
        return "LibreOffice (soffice) not installed: run tools/setup-libreoffice.sh"
    bridge = Path(soffice).resolve().parent / "libpyuno.so"
    found = re.search(rb"libpython(3\.\d+)", bridge.read_bytes()) if bridge.exists() else None
    if found is None:
        return None  # a LibreOffice with its own Python: nothing to compare
    office = found.group(1).decode()
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if office != here:
        return f"LibreOffice runs Python {office}; these tests run on {here}"
    return None


def _plain(value: CellValue) -> CellValue:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value


def same_value(a: CellValue, b: CellValue) -> bool:
    """True when two cell values mean the same (3 == 3.0, a date == its midnight datetime)."""
    a, b = _plain(a), _plain(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return type(a) is type(b) and a == b


def _trimmed(grid: Sequence[Sequence[CellValue]]) -> list[list[CellValue]]:
    rows = [list(row) for row in grid]
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def grid_differences(
    a: Sequence[Sequence[CellValue]], b: Sequence[Sequence[CellValue]], limit: int = 10
) -> list[str]:
    """The first cells where two grids differ, as "A1: x != y" lines (trailing blanks ignored)."""
    left, right = _trimmed(a), _trimmed(b)
    out = []
    for r in range(max(len(left), len(right))):
        row_a = left[r] if r < len(left) else []
        row_b = right[r] if r < len(right) else []
        for c in range(max(len(row_a), len(row_b))):
            x = row_a[c] if c < len(row_a) else None
            y = row_b[c] if c < len(row_b) else None
            if not same_value(x, y):
                out.append(f"R{r + 1}C{c + 1}: {x!r} != {y!r}")
                if len(out) >= limit:
                    return out
    return out
