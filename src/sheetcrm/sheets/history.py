"""The run history sheet (运行记录): the earlier runs' rows read back, this run's appended."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..book.base import Book, CellValue, SheetSpec
from ..report.history import AS_OF, COMPLETION, RUN_AT, tier_revenue

__all__ = ["HISTORY_SHEET", "earlier_rows", "history_sheet"]

HISTORY_SHEET = "运行记录"

# Amount columns, earlier runs' included, known by how their headers start.
_MONEY = ("累计金额", "风险金额", tier_revenue(""))


def earlier_rows(book: Book) -> list[list[CellValue]] | None:
    """The run history as the earlier runs left it, or None before the first run."""
    return book.read_grid(HISTORY_SHEET) if HISTORY_SHEET in book.sheet_names() else None


def history_sheet(
    grid: Sequence[Sequence[CellValue]] | None, row: Mapping[str, CellValue]
) -> SheetSpec:
    """The run history with this run appended; earlier rows are carried over exactly as read."""
    old_header = [str(v) if v is not None else "" for v in grid[0]] if grid else []
    header = old_header + [key for key in row if key not in old_header]
    body = [list(line) + [None] * (len(header) - len(line)) for line in (grid or [])[1:]]
    body = [line for line in body if any(v not in (None, "") for v in line)]
    body.append([row.get(key) for key in header])
    return SheetSpec(
        name=HISTORY_SHEET,
        rows=[header, *body],
        widths={i: max(12.0, min(28.0, len(h) * 1.6)) for i, h in enumerate(header)},
        number_formats={i: fmt for i, key in enumerate(header) if (fmt := _format(key))},
        freeze="C2",
    )


def _format(header: str) -> str | None:
    """The number format of a history column, by its header."""
    if header == RUN_AT:
        return "yyyy-mm-dd hh:mm"
    if header == AS_OF:
        return "yyyy-mm-dd"
    if header == COMPLETION:
        return "0.0%"
    return "#,##0" if header.startswith(_MONEY) else None
