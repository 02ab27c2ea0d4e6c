"""The one placement rule every book follows: which column each result takes, which rows."""

from __future__ import annotations

import pytest

from sheetcrm.book.base import ResultColumn
from sheetcrm.book.placement import plan_columns, refuse_data, table_span
from sheetcrm.errors import WorkbookError


def _plan(headers: dict[int, str], *columns: ResultColumn, rows: list[int] | None = None):  # type: ignore[no-untyped-def]
    return plan_columns(
        columns,
        sheet="客户",
        header_row=1,
        first_column=1,
        last_row=max(rows or [3]),
        edge=3,
        header_texts=headers,
        rows=rows,
    )


TABLE = {1: "客户编号", 2: "客户名称", 3: "手机"}


def test_values_skip_the_blank_rows_the_frame_skipped() -> None:
    plan = _plan(TABLE, ResultColumn("等级", ["A", "B", "C", "D"]), rows=[2, 3, 5, 8])
    assert plan.rows_end == 8
    assert plan.aligned(["A", "B", "C", "D"]).tolist() == ["A", "B", None, "C", None, None, "D"]


def test_new_results_go_right_of_the_table() -> None:
    plan = _plan(TABLE, ResultColumn("客户等级", ["A"]), ResultColumn("分级得分", [1.0]))
    assert [(p.column, p.replaces) for p in plan.placements] == [(4, False), (5, False)]


def test_a_rerun_takes_its_columns_back_and_new_ones_go_round_them() -> None:
    headers = {**TABLE, 4: "分级得分"}
    plan = _plan(headers, ResultColumn("客户等级", ["A"]), ResultColumn("分级得分", [1.0]))
    assert [(p.column, p.replaces) for p in plan.placements] == [(5, False), (4, True)]


@pytest.mark.parametrize("old", ["客户等级", "Tier"])
@pytest.mark.parametrize("new", ["客户等级", "Tier"])
def test_a_column_is_reused_in_either_language(old: str, new: str) -> None:
    plan = _plan({**TABLE, 4: old}, ResultColumn(new, ["A"]))
    assert [(p.column, p.replaces) for p in plan.placements] == [(4, True)]


def test_user_data_in_a_new_column_is_refused_naming_the_cell() -> None:
    plan = _plan(TABLE, ResultColumn("客户等级", ["A", "B"]))
    refuse_data(plan, {4: [None, "", None]})  # blank: fine
    with pytest.raises(WorkbookError, match=r"D3"):
        refuse_data(plan, {4: [None, None, "note"]})


def test_the_table_reaches_as_far_as_its_excel_table() -> None:
    assert table_span(2, ["a", "b"], None) == 3
    assert table_span(2, ["a", "b"], 5) == 5
