"""The 数据检查 sheet: every problem the reader and the data check found, one per line.

Staff's own columns beside it (a 处理意见 column) follow their problem from run to run
(:mod:`.carry`): a problem is known by its sheet, its customer (the row where it has no
customer ID, or is not in the customer sheet), its column and its kind, so a row inserted
above it changes nothing; a problem gone is kept at the bottom marked 已解决 for their notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter

import numpy as np
import pandas as pd

from ..book.base import CellError, CellValue, Problem, SheetSpec
from ..i18n import tr
from ..schedule.columns import cell_text
from .carry import RESOLVED, Carried, OurColumns, carry, read_staff, staff_added

__all__ = ["CHECK_SHEET", "problem_notes", "problems_sheet", "staff_columns"]

CHECK_SHEET = "数据检查"

_COLUMNS = (
    "工作表 Sheet",
    "行 Row",
    "列 Column",
    "值 Value",
    "问题 Problem",
    "建议 Suggestion",
    "客户编号 Customer ID",
    "类型 Kind",
)
_FIELDS = ("sheet", "row", "column", "value", "problem", "suggestion", "customer_id", "kind")
_OURS = OurColumns(
    {name: (header, *header.split(" ", 1)) for name, header in zip(_FIELDS, _COLUMNS, strict=True)}
)
# problem and suggestion read best wide
_WIDTHS = {0: 14, 1: 8, 2: 14, 3: 24, 4: 44, 5: 44, 6: 14, 7: 14}
_CELLS = attrgetter("sheet", "row", "column", "value", "problem", "suggestion")


def _keys(rows: Sequence[Mapping[str, CellValue]]) -> list[tuple[str, ...]]:
    """Each problem's key: sheet, column, kind and customer (else row), as text."""
    return [_key(fields) for fields in rows]


def _key(fields: Mapping[str, CellValue]) -> tuple[str, ...]:
    """A problem's key (see :func:`_keys`)."""
    customer = cell_text(fields.get("customer_id"))
    where = f"id:{customer}" if customer else f"row:{cell_text(fields.get('row'))}"
    return (*(cell_text(fields.get(name)) for name in ("sheet", "column", "kind")), where)


def staff_columns(head: Sequence[Sequence[CellValue]]) -> bool:
    """Whether staff added a column to the 数据检查 sheet whose first rows are ``head``."""
    return staff_added(head, _OURS)


def problem_notes(grid: Sequence[Sequence[CellValue]] | None) -> Carried:
    """The columns staff added to the previous 数据检查 sheet, by problem."""
    return read_staff(grid, _OURS, _keys)


def problems_sheet(
    problems: Sequence[Problem],
    customer_ids: pd.Series | None = None,
    customer_sheet: str = "",
    staff: Carried | None = None,
) -> SheetSpec:
    """The 数据检查 sheet listing every problem, sorted by sheet and row.

    ``customer_ids`` (by Excel row of ``customer_sheet``) names each row's customer;
    ``staff`` (:func:`problem_notes`) are the columns staff added last time.
    """
    sheets, _ = pd.factorize(np.array([p.sheet for p in problems], dtype=object), sort=True)
    numbers = np.array([p.row or 0 for p in problems], dtype=np.int64)
    ordered = [problems[i] for i in np.lexsort((numbers, sheets)).tolist()]
    ids = _customers(ordered, customer_ids, customer_sheet)
    rows: list[list[CellValue]] = [list(_COLUMNS)]
    for problem, customer in zip(ordered, ids, strict=True):
        value = problem.value
        shown = str(value) if isinstance(value, CellError) else value  # no errors in this sheet
        rows.append([*_CELLS(problem)[:3], shown, *_CELLS(problem)[4:], customer, problem.kind])
    if not problems:
        rows.append(["", None, "", None, tr("未发现问题", "no problems found"), "", "", ""])
    if staff is not None:
        rows = carry(rows, staff, RESOLVED)
    return SheetSpec(
        name=CHECK_SHEET,
        rows=rows,
        widths=dict(_WIDTHS),
        freeze="A2",
        autofilter=True,
        tab_color="C00000",
    )


def _customers(
    problems: Sequence[Problem], customer_ids: pd.Series | None, sheet: str
) -> list[str]:
    """The customer ID of each problem's row in the customer sheet, "" where there is none."""
    if customer_ids is None or not problems:
        return [""] * len(problems)
    rows = [p.row if p.sheet == sheet and p.row is not None else -1 for p in problems]
    found = customer_ids[~customer_ids.index.duplicated()].reindex(rows)
    return [cell_text(v) if not pd.isna(v) else "" for v in found.astype(object).tolist()]
