"""Sort orders: text ranks as numpy orders the texts, packed keys as np.lexsort orders them."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.schedule.ordering import sort_order, text_rank


def _numpy_rank(values: np.ndarray) -> np.ndarray:
    """The rank a stable sort of the texts numpy makes of the values gives (the old way)."""
    texts = values.astype(str)
    order = np.argsort(texts, kind="stable")
    ordered = texts[order]
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.cumsum(np.append(len(texts) > 0, ordered[1:] != ordered[:-1])) - 1
    return rank


# Short texts over a few letters, so equal texts and shared heads are common: ASCII, CJK,
# an ideographic space, a NUL (numpy drops trailing ones), a letter beyond the BMP.
_TEXTS = st.text(st.sampled_from("aZ0 \x00客户王\u3000\U0001f600"), max_size=5)
_CELLS = st.one_of(
    _TEXTS,
    st.none(),
    st.just(float("nan")),
    st.integers(-3, 3),
    st.floats(-2, 2),
    st.booleans(),
    st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 3)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_CELLS, max_size=40), st.integers(1, 60))
def test_text_ranks_are_the_ranks_of_numpys_sort(values: list[object], copies: int) -> None:
    cells = np.array(values, dtype=object)
    assert np.array_equal(text_rank(cells), _numpy_rank(cells))
    # Repeated (few distinct: ranked by factorize, strings only) and long texts (several words).
    repeated = np.tile(cells, copies)
    assert np.array_equal(text_rank(repeated), _numpy_rank(repeated))
    long = np.array([f"{v}{'x' * 30}{v}" if isinstance(v, str) else v for v in values] * 2)
    assert np.array_equal(text_rank(long.astype(object)), _numpy_rank(long.astype(object)))


def test_text_ranks_of_ids_hold_one_per_distinct_text_in_order() -> None:
    ids = np.array([f"C{i:07d}" for i in (5, 3, 9, 3, 1_000_000)], dtype=object)
    assert text_rank(ids).tolist() == [1, 0, 2, 0, 3]
    assert text_rank(np.array([], dtype=object)).tolist() == []
    assert text_rank(np.array(["", "", ""], dtype=object)).tolist() == [0, 0, 0]


_KEY_KINDS = {
    "small": st.integers(0, 3),
    "wide": st.integers(-(2**62), 2**62),  # too wide to pack: lexsort
    "whole": st.sampled_from([1.0, 2.0, 99.0]),  # priorities: cast to integers
    "float": st.sampled_from([1.0, 2.0, 99.0, 1.5, -0.5, float("nan")]),  # ranked first
    "bool": st.booleans(),
}


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, 30),
    st.lists(st.sampled_from(sorted(_KEY_KINDS)), min_size=1, max_size=5),
    st.data(),
)
def test_sort_order_is_lexsorts_order_ties_by_text_included(
    rows: int, kinds: list[str], data: st.DataObject
) -> None:
    keys = [
        np.array(data.draw(st.lists(_KEY_KINDS[kind], min_size=rows, max_size=rows)))
        for kind in kinds
    ]
    ties = np.array(data.draw(st.lists(_CELLS, min_size=rows, max_size=rows)), dtype=object)
    assert np.array_equal(sort_order(keys), np.lexsort(keys))
    assert np.array_equal(sort_order(keys, ties=ties), np.lexsort((_numpy_rank(ties), *keys)))


def test_sort_order_packs_dates_ranks_and_priorities_as_the_merge_gives_them() -> None:
    rng = np.random.default_rng(7)
    due = rng.integers(739_000, 739_400, 5_000)
    keys = (rng.integers(0, 4_000, 5_000), rng.choice([1.0, 2.0, 99.0], 5_000), due)
    ids = np.array([f"T{n:010x}" for n in rng.integers(0, 50, 5_000)], dtype=object)
    assert np.array_equal(sort_order(keys, ties=ids), np.lexsort((_numpy_rank(ids), *keys)))
