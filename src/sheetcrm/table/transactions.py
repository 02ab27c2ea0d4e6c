"""The transactions sheet (customer id, date, amount, product) typed by role."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..book.base import CellValue, Problem
from ..i18n import tr
from ..roles import TRANSACTION_ROLES
from ..values import is_blank
from .header_row import HEADER_SCAN_ROWS, find_header_row, match_roles
from .typed_table import build_table

__all__ = ["read_transactions_grid"]


def read_transactions_grid(
    grid: Sequence[Sequence[CellValue]], sheet: str, *, date1904: bool = False
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The transactions sheet typed by role (customer_id, date, amount, product), and its problems."""
    found = find_header_row(grid, TRANSACTION_ROLES) if grid else None
    if found is None:
        found = _two_role_header(grid)
    if found is None:
        return None, [
            Problem(
                sheet,
                None,
                None,
                None,
                tr(
                    "交易表缺少表头（客户编号、日期、金额）",
                    "the transactions sheet has no header (customer ID, date, amount)",
                ),
                tr(
                    "在第一行写上 客户编号、日期、金额", "put 客户编号, 日期, 金额 in the first row"
                ),
                "missing",
            )
        ]
    header_index, first, _ = found
    _, roles, frame, _, problems = build_table(
        grid, sheet, header_index, first, roles=TRANSACTION_ROLES, date1904=date1904
    )
    if not {"customer_id", "date"} <= set(roles):
        return None, problems
    frame = frame.dropna(subset=["customer_id", "date"])
    return frame, problems


def _two_role_header(grid: Sequence[Sequence[CellValue]]) -> tuple[int, int, int] | None:
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        if {"customer_id", "date"} <= set(match_roles(row, TRANSACTION_ROLES)):
            return index, next(i for i, v in enumerate(row) if not is_blank(v)), 2
    return None
