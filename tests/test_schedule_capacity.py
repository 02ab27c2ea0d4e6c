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
def test_levelling_never_exceeds_capacity_nor_moves_earlier(
    touches: list[tuple[str, int]], cap: int
) -> None:
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


def _level_day_by_day(due: np.ndarray, keys: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Levelling for one rep as the rule says it, with nothing skipped: the reference."""
    result = np.full(len(due), -1, dtype=np.int64)
    waiting: list[int] = []
    for day, cap in enumerate(caps):
        waiting += [i for i in range(len(due)) if due[i] == day]
        waiting.sort(key=lambda i: keys[i])
        for i in waiting[:cap]:
            result[i] = day
        waiting = waiting[cap:]
    return result


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 10**6)), max_size=80, unique_by=lambda t: t[1]
    ),
    st.lists(st.integers(0, 4), min_size=8, max_size=8),
)
def test_levelling_equals_the_day_by_day_rule(
    touches: list[tuple[int, int]], caps: list[int]
) -> None:
    # Touches that can no longer get a day are dropped from the queue early; which touch
    # lands on which day must not change.
    due = np.array([t[0] for t in touches], dtype=np.int64)
    keys = np.array([t[1] for t in touches], dtype=np.int64)
    booked = np.array([1, 0, 0, 2, 0, 0, 0, 1])
    owner = np.full(len(touches), "a", dtype=object)
    placed = level(owner, due, keys, {"a": 4}, 8, {"a": booked})
    expected = _level_day_by_day(due, keys, np.maximum(4 - booked, 0))
    assert placed.tolist() == expected.tolist()
    caps_only = level(owner, due, keys, {"a": max(caps)}, 8, {"a": max(caps) - np.array(caps)})
    assert caps_only.tolist() == _level_day_by_day(due, keys, np.array(caps)).tolist()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["王", "李", "\ufffesms", None]),
            st.integers(0, 9),
            st.integers(0, 10**6),
        ),
        max_size=80,
        unique_by=lambda t: t[2],
    ),
    st.integers(0, 3),
)
def test_reps_interleaved_are_levelled_each_as_alone(
    touches: list[tuple[str | None, int, int]], cap: int
) -> None:
    # Each rep's touches picked out of the mixed list (a touch without owner gets no day).
    owner = np.array([t[0] for t in touches], dtype=object)
    due = np.array([t[1] for t in touches], dtype=np.int64)
    keys = np.array([t[2] for t in touches], dtype=np.int64)
    capacity = {"王": cap, "李": cap + 1, "\ufffesms": 2 * cap}
    booked = {"李": np.array([1, 0, 2, 0, 0, 0, 0, 0])}
    placed = level(owner, due, keys, capacity, 8, booked)
    assert np.all(placed[owner == None] == -1)  # noqa: E711 (elementwise)
    for name, limit in capacity.items():
        mine = owner == name
        alone = level(owner[mine], due[mine], keys[mine], {name: limit}, 8, booked)
        assert placed[mine].tolist() == alone.tolist()
        taken = np.maximum(limit - booked.get(name, np.zeros(8, dtype=np.int64)), 0)
        assert alone.tolist() == _level_day_by_day(due[mine], keys[mine], taken).tolist()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C3", "C1", "C2", "C10", "C1"]),
            st.sampled_from(["", "王", "李", "周"]),
            st.integers(0, 3),
        ),
        max_size=30,
    )
)
def test_new_owners_follow_customer_id_order_and_capacity(
    customers: list[tuple[str, str, int]],
) -> None:
    ids = np.array([c[0] for c in customers], dtype=object)
    owners = np.array([c[1] for c in customers], dtype=object)
    load = np.array([c[2] for c in customers], dtype=np.int64)
    reps = [Rep("王", 2), Rep("李", 1), Rep("王", 3, frozenset({"phone"}))]
    sets = [frozenset({"phone"}) if i % 2 else frozenset() for i in range(len(customers))]
    got = assign_owners(ids, owners, sets, load, reps)
    # The reference: loads counted one customer at a time, then the unowned customers
    # with touches in customer-ID order (stable), each to the least weighted load.
    names = [rep.name for rep in reps]
    position = {name: i for i, name in enumerate(names)}
    rep_load = np.zeros(len(reps), dtype=np.int64)
    for owner, count in zip(owners, load, strict=True):
        if owner in position:
            rep_load[position[owner]] += count
    expected = owners.copy()
    for i in sorted(range(len(ids)), key=lambda i: ids[i]):
        if expected[i] or not load[i]:
            continue
        fits = [r for r, rep in enumerate(reps) if rep.handles(sets[i])] or list(range(len(reps)))
        chosen = min(fits, key=lambda r: (rep_load[r] / reps[r].capacity, fits.index(r)))
        expected[i] = names[chosen]
        rep_load[chosen] += load[i]
    assert got.tolist() == expected.tolist()
