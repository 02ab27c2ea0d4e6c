"""Helpers for tests that drive LibreOffice over UNO from the virtualenv.

``sheetcrm.book.uno_session`` finds Debian's python3-uno by itself; these helpers
say why a test must be skipped and compare grids read by different books, where
the same value may come back as 3 or 3.0, or as a date or a midnight datetime.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from sheetcrm.book.base import CellValue
from sheetcrm.book.uno_session import import_uno, soffice_path
from sheetcrm.errors import WorkbookError

__all__ = ["grid_differences", "same_value", "uno_missing"]


def uno_missing() -> str | None:
    """Why UNO tests cannot run here, None when soffice and python3-uno are both present."""
    if soffice_path() is None:
        return "LibreOffice (soffice) not installed: run tools/setup-libreoffice.sh"
    try:
        import_uno()
    except WorkbookError as exc:
        return str(exc)
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
