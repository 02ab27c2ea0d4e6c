"""The 数据检查 sheet: every problem the reader and the data check found, one per line.

Staff's own columns beside it (a 处理意见 column) follow their problem from run to run
(:mod:`.carry`): a problem is known by its sheet, its customer (the row where it has no
customer ID, or is not in the customer sheet), its column and its kind, so a row inserted
above it changes nothing; a problem gone is kept at the bottom marked 已解决 for their notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..book.base import CellError, CellValue, ColumnRows, Problem, SheetSpec
from ..check.problems import Problems
from ..i18n import tr
from ..schedule.columns import cell_text
from .carry import RESOLVED, Carried, OurColumns, carry, read_staff, staff_added
from .plain_cells import plain_cells

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
    held = Problems.of(problems)
    fields = {name: held.field(name) for name in _FIELDS if name != "customer_id"}
    # Rows and values may hold numpy or pandas scalars; the other fields are text as typed.
    fields["row"], fields["value"] = plain_cells(fields["row"]), plain_cells(fields["value"])
    sheets, _ = pd.factorize(fields["sheet"], sort=True)
    order = np.lexsort((_numbers(fields["row"], 0), sheets))
    ordered = {name: values[order] for name, values in fields.items()}
    ordered["value"] = _shown(ordered["value"])
    ordered["customer_id"] = _customers(
        ordered["sheet"], ordered["row"], customer_ids, customer_sheet
    )
    empty = ["", None, "", None, tr("未发现问题", "no problems found"), "", "", ""]
    rows: Sequence[Sequence[CellValue]] = ColumnRows(
        [_COLUMNS], [ordered[name] for name in _FIELDS], [] if problems else [empty]
    )
    if staff is not None and not staff.empty:
        rows = carry(list(rows), staff, RESOLVED)
    return SheetSpec(
        name=CHECK_SHEET,
        rows=rows,
        widths=dict(_WIDTHS),
        freeze="A2",
        autofilter=True,
        tab_color="C00000",
    )


def _numbers(rows: np.ndarray, blank: int) -> np.ndarray:
    """Row numbers as integers, ``blank`` where a problem has none."""
    missing = pd.isna(rows)
    numbers = np.full(len(rows), blank, dtype=np.int64)
    numbers[~missing] = rows[~missing].astype(np.int64)
    return numbers


def _shown(values: np.ndarray) -> np.ndarray:
    """Problem values as shown: an error value as its text (this sheet holds no error cells)."""
    if CellError not in set(map(type, values)):
        return values
    errors = np.fromiter((isinstance(v, CellError) for v in values), bool, len(values))
    if errors.any():
        values = values.copy()
        values[errors] = [str(v) for v in values[errors]]
    return values


def _customers(
    sheets: np.ndarray, rows: np.ndarray, customer_ids: pd.Series | None, sheet: str
) -> np.ndarray:
    """The customer ID of each problem's row in the customer sheet, "" where there is none."""
    if customer_ids is None or not len(rows):
        return np.full(len(rows), "", dtype=object)
    where = np.where(sheets == sheet, _numbers(rows, -1), -1)
    found = customer_ids[~customer_ids.index.duplicated()].reindex(where)
    codes, uniques = pd.factorize(found.astype(object))
    # IDs are nearly always text: cell_text of a text is the text stripped
    as_text = str.strip if set(map(type, uniques)) == {str} else cell_text
    texts = np.array([*map(as_text, uniques), ""], dtype=object)
    ids: np.ndarray = texts[codes]  # a blank (code -1) takes the last: ""
    return ids
