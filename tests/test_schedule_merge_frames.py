"""The plan merge's own frame steps: the same frames pandas makes, whatever the columns hold."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.schedule.plan import _first_of, _stacked

_CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.text(st.sampled_from("aé编号 0"), max_size=3),
    st.integers(-5, 5),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
)


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    """A frame of a few columns (some of one other kind), named from a small pool."""
    rows = draw(st.integers(0, 6))
    names = draw(st.lists(st.sampled_from(["touch_id", "due", "notes", "备注", "x"]), unique=True))
    frame = pd.DataFrame(index=pd.RangeIndex(rows))
    for name in names:
        kind = draw(st.sampled_from(["object", "int", "float", "blank"]))
        if kind == "int":
            frame[name] = np.arange(rows, dtype=np.int64)
        elif kind == "float":
            frame[name] = np.linspace(0, 1, rows)
        elif kind == "blank":  # a column of blanks only, as done_date of new touches
            frame[name] = pd.Series([None] * rows, dtype=object)
        else:
            frame[name] = pd.Series(
                draw(st.lists(_CELLS, min_size=rows, max_size=rows)), dtype=object
            )
    return frame


@pytest.mark.filterwarnings("error:Mismatched null-like")  # None and NaN told apart
@settings(max_examples=300, deadline=None)
@given(_frames(), _frames())
def test_stacked_frames_are_what_pandas_concat_makes(
    top: pd.DataFrame, bottom: pd.DataFrame
) -> None:
    expected = pd.concat([top, bottom], ignore_index=True)
    got = _stacked(top, bottom)
    pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["T1", "T2", "T3", "编号", ""]), max_size=10),
    st.lists(st.sampled_from(["T1", "T2", "T4", "编号", "", "nan"]), max_size=10),
)
def test_first_of_finds_the_first_row_of_each_id(index: list[str], wanted: list[str]) -> None:
    found = _first_of(pd.Index(index, dtype=object), pd.Series(wanted, dtype=object))
    expected = [index.index(w) if w in index else -1 for w in wanted]
    assert found.tolist() == expected
