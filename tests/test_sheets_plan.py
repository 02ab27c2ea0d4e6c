"""The 跟进计划 sheet: the touch frame laid out for staff, and read back as staff left it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue
from sheetcrm.errors import InputError
from sheetcrm.i18n import use_lang
from sheetcrm.schedule import (
    STATUS_CANCELLED,
    STATUS_DONE,
    STATUS_OPEN,
    TOUCH_COLUMNS,
    PlanResult,
)
from sheetcrm.schedule.columns import cell_text
from sheetcrm.sheets.plan import PLAN_SHEET, _texts, parse_plan_sheet, plan_rows, plan_sheet

AS_OF = dt.date(2026, 11, 23)


def touches(*extras: str) -> pd.DataFrame:
    """Three touches as the engine gives them: due today, overdue, and done."""
    rows = [
        ("T0000000001", AS_OF, STATUS_OPEN, None, "phone"),
        ("T0000000002", AS_OF - dt.timedelta(days=3), STATUS_OPEN, None, "visit"),
        ("T0000000003", AS_OF - dt.timedelta(days=7), STATUS_DONE, AS_OF, "email"),
    ]
    frame = pd.DataFrame(
        [
            {
                "touch_id": touch,
                "customer_id": f"C{i}",
                "customer": f"客户{i}",
                "contact": f"联系人{i}",
                "owner": "王",
                "channel": channel,
                "due": due,
                "purpose": "回访",
                "template": "revisit",
                "priority": i + 1,
                "status": status,
                "done_date": done,
                "notes": "",
                "step": "A#1",
                "cancel_reason": "",
                **{name: f"{name} {i}" for name in extras},
            }
            for i, (touch, due, status, done, channel) in enumerate(rows)
        ],
        dtype=object,
    )
    frame.attrs["extra_columns"] = list(extras)
    return frame


def grid_of(frame: pd.DataFrame, lang: str = "zh") -> list[list[CellValue]]:
    extras = list(frame.attrs.get("extra_columns", []))
    result = PlanResult(frame, frame.iloc[0:0], [], AS_OF, extras)
    return [list(row) for row in plan_sheet(result, lang).rows]


def test_plan_sheet_has_status_dropdown_highlighting_and_date_formats() -> None:
    spec = plan_sheet(PlanResult(touches(), pd.DataFrame(), [], AS_OF), "zh")
    header = list(spec.rows[0])
    assert spec.name == PLAN_SHEET
    status_col = header.index("状态")
    assert any(v.column == status_col and "已完成" in v.options for v in spec.validations)
    formulas = [c.formula for c in spec.conditional]
    assert any("TODAY()" in f and "<" in f for f in formulas)
    assert spec.number_formats[header.index("跟进日期")] == "yyyy-mm-dd"
    assert [row[header.index("渠道")] for row in spec.rows[1:]] == ["电话", "拜访", "邮件"]
    assert [row[header.index("提醒")] for row in spec.rows[1:]] == ["今天", "逾期", ""]


def test_rows_follow_the_language_and_keep_staff_columns_at_the_right() -> None:
    with use_lang("en"):
        frame = touches("电话备注")
        headers, rows = plan_rows(PlanResult(frame, frame.iloc[0:0], [], AS_OF, ["电话备注"]))
    assert headers[:3] == ["Touch ID", "Customer ID", "Customer"]
    assert headers[-1] == "电话备注"
    assert [row[headers.index("Status")] for row in rows] == ["Open", "Open", "Done"]
    assert rows[0][-1] == "电话备注 0"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sheet_reads_back_as_the_frame_it_was_made_from(lang: str) -> None:
    frame = touches("电话备注")
    back = parse_plan_sheet(grid_of(frame, lang), PLAN_SHEET)
    assert back.attrs["extra_columns"] == ["电话备注"]
    assert list(back.index) == [2, 3, 4]  # Excel row numbers
    expected = frame.set_axis(back.index)
    pd.testing.assert_frame_equal(back, expected[[*TOUCH_COLUMNS, "电话备注"]])


def test_moved_columns_bilingual_headers_and_blank_rows_are_read() -> None:
    grid: list[list[CellValue]] = [
        ["状态 Status", "Customer ID", "touch_id", "跟进日期"],
        ["cancelled", "C9", "T1", "2026-11-24"],
        [None, None, None, None],
        ["", "C8", "", None],
    ]
    frame = parse_plan_sheet(grid, PLAN_SHEET)
    assert list(frame.index) == [2, 4]
    assert frame["status"].tolist() == [STATUS_CANCELLED, STATUS_OPEN]
    assert frame["due"].tolist() == [dt.date(2026, 11, 24), None]
    assert frame["touch_id"].tolist() == ["T1", ""]
    assert frame["owner"].tolist() == [None, None]  # a column the sheet lacks


def test_parse_plan_sheet_reads_english_statuses_and_text_dates() -> None:
    grid = grid_of(touches(), "en")
    header = grid[0]
    grid[1][header.index("Status")] = "Completed"
    grid[1][header.index("Done date")] = "2026年11月24日"
    frame = parse_plan_sheet(grid, PLAN_SHEET)
    assert frame["status"].iloc[0] == STATUS_DONE
    assert frame["done_date"].iloc[0] == dt.date(2026, 11, 24)


def test_parse_plan_sheet_names_the_cell_of_an_unknown_status_or_date() -> None:
    grid = grid_of(touches())
    grid[1][grid[0].index("状态")] = "maybe"
    with pytest.raises(InputError, match=r"row 2.*状态.*maybe"):
        parse_plan_sheet(grid, PLAN_SHEET)
    grid = grid_of(touches())
    grid[2][grid[0].index("完成日期")] = "someday"
    with pytest.raises(InputError, match=r"row 3.*完成日期"):
        parse_plan_sheet(grid, PLAN_SHEET)


def test_an_empty_sheet_is_an_empty_plan() -> None:
    frame = parse_plan_sheet([], PLAN_SHEET)
    assert frame.empty and list(frame.columns) == list(TOUCH_COLUMNS)


class _Text(str):
    """A str subclass, as some readers hand back."""


_TEXT_CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", "  ", " T1 ", "张三", "C1", "\u3000客户\u3000", "1", "True"]),
    st.builds(_Text, st.sampled_from([" x ", "y"])),
    st.integers(-2, 2),
    st.floats(-2, 2, allow_nan=False),
    st.booleans(),
    st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 3)),
    st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT_CELLS, max_size=12))
def test_text_columns_read_back_as_each_distinct_value_did(cells: list[object]) -> None:
    # As first read: the whole column factorized, strings trimmed, the rest made text.
    column = pd.Series(cells, dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    parsed = [v.strip() if type(v) is str else cell_text(v) for v in uniques]
    expected = [[*parsed, ""][c] for c in codes]
    got = _texts(column.to_numpy(dtype=object))
    assert got.tolist() == expected
    assert all(type(v) is str for v in got)


def test_a_column_of_few_distinct_texts_holds_each_text_once() -> None:
    # The reader makes a string per cell: the plan keeps one per distinct text (a full plan's
    # owners, purposes and steps are 650,000 cells each).
    cells = np.array([f" 张三{i % 3} " for i in range(3000)], dtype=object)
    cells[::7] = None
    got = _texts(cells)
    assert len({id(v) for v in got}) == 4  # three names and the blank
    assert got.tolist() == [cell_text(v) for v in cells]
