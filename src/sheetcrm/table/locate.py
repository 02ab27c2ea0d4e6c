"""Which table in a book is the customer list: the Excel Table named, else the Table naming the
most customer roles, else the sheet whose header row does; sheetcrm's own sheets never."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..book.base import CellValue, CustomerTable
from ..errors import InputError
from ..i18n import tr
from ..roles import CUSTOMER_ROLES
from ..settings import SETTINGS_SHEET
from .customer_table import build_customer_table
from .header_row import MIN_ROLES, find_header_row, header_cells, match_roles

__all__ = ["OWN_SHEETS", "TableInfo", "choose_table", "read_customer_table"]

# Sheets sheetcrm writes itself are never taken for the customer table.
OWN_SHEETS = frozenset(
    {SETTINGS_SHEET, "数据检查", "分级汇总", "跟进计划", "消息", "消息模板", "仪表盘", "运行记录"}
)


@dataclass(frozen=True)
class TableInfo:
    """An Excel Table (ListObject): its name, sheet, and Excel row/column numbers."""

    name: str
    sheet: str
    header_row: int
    first_column: int
    last_row: int
    last_column: int
    headers: tuple[str, ...]


def choose_table(
    tables: Sequence[TableInfo],
    *,
    sheet: str | None = None,
    table: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> TableInfo | None:
    """The Table named ``table``, else the one (on ``sheet``) naming the most customer roles."""
    if table:
        chosen = next((t for t in tables if t.name.casefold() == table.casefold()), None)
        if chosen is None:
            names = ", ".join(t.name for t in tables) or tr("无", "none")
            raise InputError(
                tr(
                    f"找不到名为「{table}」的 Excel 表格；现有表格：{names}",
                    f"there is no Excel Table named '{table}'; tables: {names}",
                )
            )
        return chosen
    best, best_score = None, MIN_ROLES - 1
    for candidate in tables:
        if (sheet and candidate.sheet != sheet) or candidate.sheet in OWN_SHEETS:
            continue
        score = len(match_roles(list(candidate.headers), CUSTOMER_ROLES, overrides))
        if score > best_score:
            best, best_score = candidate, score
    return best


def read_customer_table(
    tables: Sequence[TableInfo],
    sheets: Sequence[str],
    head: Callable[[str], Sequence[Sequence[CellValue]]],
    grid: Callable[[str], Sequence[Sequence[CellValue]] | np.ndarray],
    *,
    sheet: str | None = None,
    table: str | None = None,
    overrides: Mapping[str, str] | None = None,
    date1904: bool = False,
    leave_out: Collection[str] = (),
    grid_without: Callable[[str, int, int], np.ndarray] | None = None,
) -> CustomerTable:
    """The customer table: the named one, else the best-matching Table, else the best sheet.

    A book gives its Tables, its sheet names, the first rows of a sheet (``head``, blanks as
    None) and a whole sheet (``grid``); every book finds the table the same way. Columns
    headed by a ``leave_out`` text that end the table (a re-run's old results) are not data:
    a row holding only those is blank, and the raw frame has no such column. A book that can
    read a sheet without the cells from some column rightwards, below a row, gives
    ``grid_without(sheet, header index, column index)`` and those cells are not even read.
    """

    def build(
        name: str,
        header_row: int,
        first_column: int,
        header: Sequence[CellValue],
        **table: Any,
    ) -> CustomerTable:
        texts = ["" if text is None else str(text).strip() for text in header]
        while texts and not texts[-1]:
            texts.pop()
        data_width = len(texts)
        while data_width and texts[data_width - 1] in leave_out:
            data_width -= 1
        left_out = data_width < len(texts)
        cells = (
            grid_without(name, header_row - 1, first_column - 1 + data_width)
            if left_out and grid_without is not None
            else grid(name)
        )
        return build_customer_table(
            cells,
            name,
            header_row,
            first_column,
            date1904=date1904,
            overrides=overrides,
            data_width=data_width if left_out else None,
            **table,
        )

    chosen = choose_table(tables, sheet=sheet, table=table, overrides=overrides)
    if chosen is not None:
        return build(
            chosen.sheet,
            chosen.header_row,
            chosen.first_column,
            chosen.headers,
            table=chosen.name,
            last_row=chosen.last_row,
        )
    names = [sheet] if sheet else [name for name in sheets if name not in OWN_SHEETS]
    seen: list[str] = []
    best: tuple[int, str, int, int, Sequence[CellValue]] | None = None
    for name in names:
        rows = head(name)
        found = find_header_row(rows, CUSTOMER_ROLES, overrides)
        if found and (best is None or found[2] > best[0]):
            best = (found[2], name, found[0], found[1], header_cells(rows, found[0])[found[1] :])
        # The fullest row is the likeliest header: show it rather than a title line.
        fullest = max(rows, key=lambda row: sum(v is not None for v in row), default=[])
        seen.append(f"「{name}」: " + ", ".join(str(v) for v in fullest if v is not None)[:80])
    if best is None:
        raise InputError(
            tr(
                "找不到客户表：没有哪个工作表的表头能识别出至少 3 列（如 客户编号、客户名称、手机）。"
                f"看到的表头：{'; '.join(seen)}。请用 --sheet 指定工作表，或在设置表 [columns] 中指定对应关系",
                "no customer table found: no sheet has a header row with at least 3 known columns "
                f"(such as 客户编号/Customer ID, 客户名称/Customer, 手机/Mobile). Headers seen: {'; '.join(seen)}. "
                "Name the sheet with --sheet, or map your headers in the settings [columns] block",
            ),
            sheet=sheet,
        )
    _, name, header_index, first_index, header = best
    return build(name, header_index + 1, first_index + 1, header)
