"""The due touches as columns: plain values, blanks as None, a touch's dict only of its values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.messages.records import Touches

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
