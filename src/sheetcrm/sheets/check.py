"""The 数据检查 sheet: every problem the reader and the data check found, one per line."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import numpy as np
import pandas as pd

from ..book.base import CellError, CellValue, Problem, SheetSpec
from ..i18n import tr

__all__ = ["CHECK_SHEET", "problems_sheet"]

CHECK_SHEET = "数据检查"

_COLUMNS = (
    "工作表 Sheet",
    "行 Row",
    "列 Column",
    "值 Value",
    "问题 Problem",
    "建议 Suggestion",
    "类型 Kind",
)
_WIDTHS = {0: 14, 1: 8, 2: 14, 3: 24, 4: 44, 5: 44, 6: 14}  # problem and suggestion read best wide
_FIELDS = attrgetter("sheet", "row", "column", "value", "problem", "suggestion", "kind")


def problems_sheet(problems: Sequence[Problem]) -> SheetSpec:
    """The 数据检查 sheet listing every problem, sorted by sheet and row."""
    sheets, _ = pd.factorize(np.array([p.sheet for p in problems], dtype=object), sort=True)
    numbers = np.array([p.row or 0 for p in problems], dtype=np.int64)
    rows: list[Sequence[CellValue]] = [list(_COLUMNS)]
    rows += map(_FIELDS, [problems[i] for i in np.lexsort((numbers, sheets)).tolist()])
    for at, row in enumerate(rows):
        if isinstance(row[3], CellError):  # shown as its code: the check sheet holds no errors
            rows[at] = (*row[:3], str(row[3]), *row[4:])
    if not problems:
        rows.append(["", None, "", None, tr("未发现问题", "no problems found"), "", ""])
    return SheetSpec(
        name=CHECK_SHEET,
        rows=rows,
        widths=dict(_WIDTHS),
        freeze="A2",
        autofilter=True,
        tab_color="C00000",
    )
