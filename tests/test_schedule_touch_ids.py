"""Touch ids: stable across runs, versions and machines; made per column as per touch."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.schedule.touch_ids import (
    ID_NUMBERS,
    hashed_ids,
    id_numbers,
    id_texts,
    text_hash,
    touch_id,
    touch_ids,
)

AS_OF = dt.date(2026, 11, 23)


def test_touch_ids_are_stable_and_distinct() -> None:
    a = touch_id("C1", "A#1", AS_OF)
    assert a == touch_id("C1", "A#1", AS_OF)
    assert a.startswith("T") and len(a) == 11
    assert len({a, touch_id("C2", "A#1", AS_OF), touch_id("C1", "A#2", AS_OF)}) == 3
    # Ids are written into staff's sheets: they may never change from one version to the next.
    assert a == "Tdbc97449e2"
    assert touch_id("客户 7", "新客户 new#2", AS_OF + dt.timedelta(days=1)) == "T5b79a729d0"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.text(max_size=6), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(700_000, 800_000))),
)
def test_ids_from_hashes_made_once_equal_ids_made_per_touch(
    ids: list[str], touches: list[tuple[int, int, int]]
) -> None:
    customer_ids = np.array(ids, dtype=object)
    keys = np.array(["A#1", "新客户 new#2", "B#1"], dtype=object)
    who = np.array([t[0] % len(ids) for t in touches], dtype=np.int64)
    step = np.array([t[1] for t in touches], dtype=np.int64)
    nominal = np.array([t[2] for t in touches], dtype=np.int64)
    once = hashed_ids(text_hash(customer_ids)[who], text_hash(keys)[step], nominal)
    assert once.tolist() == touch_ids(customer_ids[who], keys[step], nominal).tolist()


def _hex_digit_by_digit(digest: np.ndarray) -> np.ndarray:
    """The id text of each digest as first written: one shift and index per hex digit."""
    shifts = np.arange(60, 20, -4, dtype=np.uint64)
    digits = np.array(list("0123456789abcdef"))[
        ((digest[:, None] >> shifts[None, :]) & np.uint64(15)).astype(np.intp)
    ]
    letters = np.concatenate([np.full((len(digest), 1), "T"), digits], axis=1)
    return np.ascontiguousarray(letters).view("<U11").ravel().astype(object)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40))
def test_ids_are_spelt_as_the_digit_by_digit_hex(digests: list[int]) -> None:
    # With a zero step and date the mix is the customer hash itself: its digest spread over
    # every bit, each digit 0-f met.
    mixed = np.array(digests, dtype=np.uint64)
    zero = np.zeros(len(mixed), dtype=np.uint64)
    got = hashed_ids(mixed, zero, zero.astype(np.int64))
    want = _hex_digit_by_digit(pd.util.hash_array(mixed)) if len(mixed) else np.empty(0, object)
    assert got.tolist() == want.tolist()
    assert all(type(v) is str for v in got)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, ID_NUMBERS - 1), max_size=20))
def test_an_ids_number_is_read_back_from_its_text(numbers: list[int]) -> None:
    texts = id_texts(np.array(numbers, dtype=np.uint64))
    assert texts.tolist() == [f"T{n:010x}" for n in numbers]
    assert id_numbers(texts).tolist() == numbers


# Ids, and texts near an id's spelling: a character added, cut or changed (case, NUL, space).
_SPELT_IDS = st.integers(0, ID_NUMBERS - 1).map(lambda n: f"T{n:010x}")
_NEAR_IDS = st.tuples(
    _SPELT_IDS, st.integers(0, 11), st.sampled_from(["", "A", "\x00", " ", "é", "0"])
)
_CELLS = st.one_of(
    _SPELT_IDS,
    _NEAR_IDS.map(lambda near: near[0][: near[1]] + near[2] + near[0][near[1] :]),
    _NEAR_IDS.map(lambda near: near[0][: near[1]] + near[2] + near[0][near[1] + 1 :]),
    _NEAR_IDS.map(lambda near: (near[0] + near[2]).upper()),
    st.none(),
    st.just(float("nan")),
    st.integers(),
    st.dates(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELLS, max_size=20))
def test_only_strings_spelt_as_ids_read_as_numbers(values: list[object]) -> None:
    got = id_numbers(np.array(values, dtype=object))
    want = [
        int(v[1:], 16) if isinstance(v, str) and re.fullmatch("T[0-9a-f]{10}", v) else -1
        for v in values
    ]
    assert got.tolist() == want
