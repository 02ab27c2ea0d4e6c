"""Capacity levelling and owner assignment."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.schedule.capacity import Rep, assign_owners, level


def test_existing_owners_keep_customers_and_new_ones_go_to_least_load() -> None:
    owners = assign_owners(
        np.array(["C3", "C1", "C2", "C4"], dtype=object),
        np.array(["王", "", "", ""], dtype=object),
        [frozenset({"phone"})] * 4,
        np.array([5, 1, 1, 1]),
        [Rep("王", 10), Rep("李", 10)],
    )
    assert list(owners) == ["王", "李", "李", "李"]


def test_a_rep_who_does_not_handle_visits_gets_no_visit_customers() -> None:
    owners = assign_owners(
        np.array(["C1", "C2"], dtype=object),
        np.array(["", ""], dtype=object),
        [frozenset({"visit"}), frozenset({"visit"})],
        np.array([1, 1]),
        [Rep("王", 10, frozenset({"phone"})), Rep("李", 10)],
    )
    assert list(owners) == ["李", "李"]


def test_customers_without_touches_stay_unassigned() -> None:
    owners = assign_owners(
        np.array(["C1"], dtype=object),
        np.array([""], dtype=object),
        [frozenset()],
        np.array([0]),
        [Rep("王", 1)],
    )
    assert list(owners) == [""]


def test_priority_wins_the_day_and_the_rest_moves_on() -> None:
    placed = level(
        np.array(["王"] * 3, dtype=object),
        np.array([0, 0, 0]),
        np.array([2, 0, 1]),  # smaller key = higher priority
        {"王": 1},
        5,
    )
    assert list(placed) == [2, 0, 1]


def test_slots_already_booked_are_left_free() -> None:
    placed = level(
        np.array(["王"] * 2, dtype=object),
        np.array([0, 0]),
        np.array([0, 1]),
        {"王": 2},
        3,
        {"王": np.array([2, 1, 0])},
    )
    assert list(placed) == [1, 2]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 9)), max_size=60),
    st.integers(0, 4),
)
def test_levelling_never_exceeds_capacity_nor_moves_earlier(touches, cap: int) -> None:
    owner = np.array([t[0] for t in touches], dtype=object)
    due = np.array([t[1] for t in touches], dtype=np.int64)
    placed = level(owner, due, np.arange(len(touches)), {"a": cap, "b": cap + 1}, 10)
    for name, limit in (("a", cap), ("b", cap + 1)):
        days = placed[(owner == name) & (placed >= 0)]
        assert np.bincount(days, minlength=10).max(initial=0) <= limit
    assert np.all((placed < 0) | (placed >= due))
    # nothing is left out while its rep still had room on a day it could have used
    for i in np.flatnonzero(placed < 0):
        limit = cap if owner[i] == "a" else cap + 1
        used = np.bincount(placed[(owner == owner[i]) & (placed >= 0)], minlength=10)
        assert np.all(used[due[i] :] >= limit)
