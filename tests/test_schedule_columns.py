"""Frame columns as arrays: the same texts and ranks whichever path the conversion takes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.schedule.columns import (
    cell_text,
    date_ordinals,
    flags,
    ordinal_dates,
    role_column,
    text_column,
)
from sheetcrm.schedule.ordering import text_rank


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(st.characters(exclude_characters="\x00"), max_size=4)),
        max_size=12,
    )
)
def test_text_columns_and_text_ranks_do_not_depend_on_the_path_taken(
    values: list[str | None],
) -> None:
    # (Ranks compare texts as numpy does, which ignores trailing NULs: not tested here.)
    column = pd.DataFrame({"name": values}, dtype=object)
    expected = ["" if v is None else v.strip() for v in values]
    assert text_column(column, "name").tolist() == expected
    repeated = pd.DataFrame({"name": values * 3}, dtype=object)  # few distinct: factorized
    assert text_column(repeated, "name").tolist() == expected * 3
    texts = np.array(expected, dtype=object)
    rank = text_rank(texts)
    assert [rank[i] < rank[j] for i in range(len(texts)) for j in range(len(texts))] == [
        texts[i] < texts[j] for i in range(len(texts)) for j in range(len(texts))
    ]


def test_cell_text_drops_a_whole_floats_point_and_trims() -> None:
    assert [cell_text(v) for v in (None, " ", 1001.0, 2.5, " 王 ")] == ["", "", "1001", "2.5", "王"]


def test_dates_go_to_ordinals_and_back_blanks_as_minus_one() -> None:
    day = dt.date(2026, 11, 23)
    ordinals = date_ordinals(pd.Series([day, None, "2026-11-24"], dtype=object))
    assert ordinals.tolist() == [day.toordinal(), -1, day.toordinal() + 1]
    assert ordinal_dates(ordinals).tolist() == [day, None, day + dt.timedelta(days=1)]


def test_a_missing_role_is_blank_and_unreadable_flags_are_no() -> None:
    frame = pd.DataFrame({"opt_out": ["是", "no", "maybe", None]}, dtype=object)
    assert flags(role_column(frame, "opt_out")).tolist() == [True, False, False, False]
    assert text_column(frame, "owner").tolist() == ["", "", "", ""]
    assert np.array_equal(text_rank(np.array(["b", "a", "b"], dtype=object)), [1, 0, 1])
