"""The book contracts: result columns land on their own customer's row."""

from __future__ import annotations

import pandas as pd

from sheetcrm.book.base import CustomerTable, ResultColumn


def _table(rows: list[int]) -> CustomerTable:
    frame = pd.DataFrame({"id": [f"C{r}" for r in rows]}, index=rows)
    return CustomerTable("客户", None, 1, 1, ["客户编号"], {"id": "客户编号"}, frame, frame)


def test_values_skip_the_blank_rows_the_frame_skipped() -> None:
    table = _table([2, 3, 5, 8])  # rows 4, 6 and 7 are blank in the sheet
    spread = table.by_row(ResultColumn("等级", ["A", "B", "C", "D"]))
    assert list(spread.values) == ["A", "B", None, "C", None, None, "D"]
    assert spread.header == "等级"


def test_a_table_without_gaps_is_left_as_it_is() -> None:
    column = ResultColumn("等级", ["A", "B"])
    assert _table([2, 3]).by_row(column) is column
    empty = ResultColumn("等级", [])
    assert _table([]).by_row(empty) is empty
