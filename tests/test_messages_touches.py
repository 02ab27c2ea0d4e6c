"""The due touches as columns: plain values, blanks as None, a touch's dict only of its values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.messages.composing import _due_touches
from sheetcrm.messages.records import Touches
from sheetcrm.messages.templates import normalise_channel
from sheetcrm.schedule.statuses import STATUS_OPEN

_CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.just(pd.NaT),
    st.sampled_from(["", "  ", "短信", "sms", " T1 "]),
    st.integers(0, 3),
    st.floats(0, 3, allow_nan=False),
    st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_CELLS, _CELLS), max_size=8))
def test_touch_columns_hold_each_touch_s_non_blank_values(
    cells: list[tuple[object, object]],
) -> None:
    frame = pd.DataFrame(
        {"channel": pd.Series([c for c, _ in cells], dtype=object)},
    )
    frame["due"] = pd.Series([d for _, d in cells], dtype=object)
    touches = Touches(frame)
    assert touches.values("template") == [None] * len(cells)  # a column the plan lacks
    for n, row in enumerate(touches.values("channel")):
        record = touches.record(n)
        assert set(record) <= {"channel", "due"}
        assert record.get("channel") == row
        given = cells[n][0]
        assert (row is None) == (pd.isna(given) or (isinstance(given, str) and not given.strip()))
    assert all(v is not None for n in range(len(cells)) for v in touches.record(n).values())


def test_touches_of_an_empty_plan_have_no_rows() -> None:
    touches = Touches(pd.DataFrame({"due": np.empty(0, dtype=object)}))
    assert touches.values("due") == [] and touches.values("channel") == []


def _due_touches_by_frame_masks(plan: pd.DataFrame, as_of: dt.date, until: dt.date) -> pd.DataFrame:
    """The due touches as first chosen: each mask applied to the whole frame in turn."""
    touches = plan[plan["status"].astype(str).str.strip() == STATUS_OPEN]
    if "due" not in touches.columns:
        return touches
    due = pd.to_datetime(touches["due"], errors="coerce")
    wanted = (due.isna() | (due <= pd.Timestamp(until))).to_numpy()
    touches, due = touches[wanted], due[wanted]
    keys = pd.DataFrame(
        {
            "customer": touches["customer_id"].astype(str).str.strip(),
            "channel": touches["channel"].map(normalise_channel),
            "day": due.clip(lower=pd.Timestamp(as_of)),
        }
    )
    return touches[~keys.duplicated().to_numpy()]


_PLAN_ROWS = st.tuples(
    st.one_of(
        st.none(), st.just(float("nan")), st.sampled_from(["待跟进", " 待跟进 ", "已完成", "", 3])
    ),
    st.one_of(
        st.none(),
        st.just(pd.NaT),
        st.sampled_from(["", "2026-12-01", "not a date"]),
        st.dates(dt.date(2026, 11, 28), dt.date(2026, 12, 8)),
    ),
    st.one_of(st.none(), st.sampled_from(["C1", " C1", "客户2", ""]), st.integers(1, 2)),
    st.one_of(st.none(), st.sampled_from(["sms", "短信", "Email", "电话", ""])),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PLAN_ROWS, max_size=12), st.booleans(), st.integers(0, 3))
def test_due_touches_are_what_the_frame_masks_chose(
    rows: list[tuple[object, object, object, object]], with_due: bool, days: int
) -> None:
    names = ["status", "due", "customer_id", "channel"]
    plan = pd.DataFrame(
        {n: pd.Series([r[i] for r in rows], dtype=object) for i, n in enumerate(names)}
    )
    plan["notes"] = pd.Series(range(len(rows)), dtype=np.int64)  # a column of another kind
    plan.index = pd.RangeIndex(2, len(rows) + 2)  # Excel rows, not positions
    if not with_due:
        plan = plan.drop(columns="due")
    as_of = dt.date(2026, 12, 3)
    until = as_of + dt.timedelta(days=days)
    expected = _due_touches_by_frame_masks(plan, as_of, until)
    pd.testing.assert_frame_equal(_due_touches(plan, as_of, until), expected)
