"""The plan merge's own frame steps: the same frames pandas makes, whatever the columns hold."""

from __future__ import annotations

import datetime as dt
from random import Random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.schedule.columns import date_ordinals
from sheetcrm.schedule.plan import (
    _blank_as_empty,
    _blank_ids,
    _filled,
    _first_positions,
    _IdCodes,
    _stacked,
    _sticky_owners,
    _taken,
)

_CELLS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.text(st.sampled_from("aé编号 0"), max_size=3),
    st.integers(-5, 5),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
)


@st.composite
def _frames(draw: st.DrawFn, extension: bool = False) -> pd.DataFrame:
    """A frame of a few columns (some of one other kind, an Int64 one if ``extension``), named
    from a small pool."""
    rows = draw(st.integers(0, 6))
    names = draw(st.lists(st.sampled_from(["touch_id", "due", "notes", "备注", "x"]), unique=True))
    frame = pd.DataFrame(index=pd.RangeIndex(rows))
    for name in names:
        kind = draw(st.sampled_from(["object", "int", "float", "blank", "Int64"][: 4 + extension]))
        if kind == "int":
            frame[name] = np.arange(rows, dtype=np.int64)
        elif kind == "Int64":  # an extension column, as priority
            frame[name] = pd.array([None, *range(1, rows)][:rows], dtype="Int64")
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
@given(_frames(extension=True), _frames(extension=True), st.randoms(use_true_random=False))
def test_stacked_and_taken_is_what_pandas_concat_and_iloc_make(
    top: pd.DataFrame, bottom: pd.DataFrame, random: Random
) -> None:
    order = list(range(len(top) + len(bottom)))
    random.shuffle(order)
    expected = pd.concat([top, bottom], ignore_index=True).iloc[order].reset_index(drop=True)
    got = _taken(_stacked(top, bottom), np.array(order, dtype=np.intp))
    pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-2, 5), max_size=12), st.integers(0, 7))
def test_first_positions_are_each_codes_first(codes: list[int], size: int) -> None:
    codes = [c for c in codes if c < size]  # codes are below the count of distinct ids
    got = _first_positions(np.array(codes, dtype=np.intp), size)
    assert got.tolist() == [codes.index(c) if c in codes else -1 for c in range(size)]


# Ids as the plan spells them (numbers 1 and 2) and texts near them: case, space, length, NUL.
_SPELT = ["T0000000001", "T0000000002"]
_NEAR = ["T000000000A", "T0000000001 ", "T00000000001", "T000000000\x00", "T0000000001\x00"]
_IDS = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["T1", "T2", "编号", "", " ", "nan", *_SPELT, *_NEAR]),
)
_OWNERS = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["张三", "Ann", "", 7, 7.0]))
_DUES = st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 5)))


@st.composite
def _previous_plans(draw: st.DrawFn) -> pd.DataFrame:
    """A previous plan's matching columns, odd cells included (blank, NaN, numbers)."""
    rows = draw(st.integers(0, 12))

    def column(cells: st.SearchStrategy[object]) -> pd.Series:
        """One column of ``rows`` cells."""
        return pd.Series(draw(st.lists(cells, min_size=rows, max_size=rows)), dtype=object)

    return pd.DataFrame(
        {
            "touch_id": column(_IDS),
            "customer_id": column(st.sampled_from(["C1", "C2", "客户3", 4])),
            "owner": column(_OWNERS),
            "due": column(_DUES),
            "status": column(st.sampled_from(["待跟进", "已完成", None])),
        }
    )


# Generated ids are never blank: hashes (numbers 1 to 3, "" reused), or a previous row's id.
_GENERATED = st.lists(
    st.sampled_from(["T1", "T2", "T3", "nan", "None", "编号", " ", *_SPELT, *_NEAR, 1, 2, 3]),
    max_size=8,
)


def _generated(wanted: list[str | int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The generated ids as build_plan holds them (hashed numbers, ids reused) and as text."""
    hashed = np.array([w if isinstance(w, int) else 0 for w in wanted], dtype=np.uint64)
    reuse = np.array([w if isinstance(w, str) else "" for w in wanted], dtype=object)
    texts = np.array([w if isinstance(w, str) else f"T{w:010x}" for w in wanted], dtype=object)
    return hashed, reuse, texts


@settings(max_examples=300, deadline=None)
@given(_previous_plans(), _GENERATED)
def test_id_codes_find_the_status_as_the_frame_indexed_by_id(
    existing: pd.DataFrame, wanted: list[str | int]
) -> None:
    # What build_plan did before: the whole frame indexed by id, blank and repeated ids dropped.
    known = existing.set_index(existing["touch_id"].astype(str), drop=False)
    known = known[known.index != ""]
    known = known[~known.index.duplicated()]
    hashed, reuse, generated = _generated(wanted)
    codes = _IdCodes.of(existing, hashed, reuse)
    if codes is None:
        assert existing.empty
        return
    got, matched = codes.first_status(existing["status"].to_numpy(dtype=object))
    expected = known["status"].reindex(generated).to_numpy(dtype=object)
    assert pd.isna(got).tolist() == pd.isna(expected).tolist()
    assert [g for g in got if not pd.isna(g)] == [e for e in expected if not pd.isna(e)]
    assert matched.tolist() == pd.Index(generated, dtype=object).isin(known.index).tolist()


@settings(max_examples=300, deadline=None)
@given(_previous_plans(), _GENERATED, st.data())
def test_id_codes_match_as_the_merge_did(
    existing: pd.DataFrame, wanted: list[str | int], data: st.DataObject
) -> None:
    # What the merge did before: ids filled with "", each previous row matched with the first
    # new touch of its id; the new touches kept are some of the generated, in any order.
    hashed, reuse, generated = _generated(wanted)
    codes = _IdCodes.of(existing, hashed, reuse)
    if codes is None:
        return
    rows = data.draw(st.lists(st.integers(0, len(wanted) - 1), max_size=8)) if wanted else []
    kept = [generated[r] for r in rows]
    found, known, has_id = codes.matches(codes.generated[np.array(rows, dtype=np.intp)])
    ids = existing["touch_id"].fillna("").astype(str).tolist()
    assert found.tolist() == [kept.index(p) if p in kept and p else -1 for p in ids]
    assert known.tolist() == [k in ids for k in kept]
    assert has_id.tolist() == [p != "" for p in ids]


@settings(max_examples=300, deadline=None)
@given(_previous_plans(), st.lists(st.sampled_from(["C1", "C2", "客户3", "4", "C9"]), max_size=8))
def test_sticky_owners_are_the_latest_owner_per_customer(
    existing: pd.DataFrame, customers: list[str]
) -> None:
    # What build_plan did before: sorted by due date and id as objects, grouped per customer
    # (ids made text by numpy, as pandas 2's astype(str) did: pandas 3's keeps NaN).
    ids = np.array(customers, dtype=object)
    owned = existing[existing["owner"].fillna("").astype(str) != ""]
    texts = owned["touch_id"].to_numpy(dtype=object).astype(str).astype(object)
    owned = owned.iloc[np.lexsort((texts, date_ordinals(owned["due"])))]
    sticky = owned.groupby(owned["customer_id"].astype(str))["owner"].last()
    got = _sticky_owners(existing, ids)
    if not len(sticky):
        assert got is None
        return
    # Looked up value by value: Series.map makes whole-number owners floats on pandas 3.
    expected = np.array([str(sticky[c]) if c in sticky.index else "" for c in ids], object)
    assert got is not None
    assert got.tolist() == expected.tolist()


@pytest.mark.filterwarnings("ignore:Downcasting object dtype arrays")  # pandas 2 still does it
@settings(max_examples=300, deadline=None)
@given(_frames())
def test_blanks_as_empty_are_what_fillna_makes(frame: pd.DataFrame) -> None:
    names = list(frame.columns)
    expected = frame.copy()
    expected[names] = expected[names].fillna("")
    got = frame.copy()
    _blank_as_empty(got, names)
    pd.testing.assert_frame_equal(got, expected)
    for name in names:  # the same values, type by type (2 and 2.0 are equal)
        assert [type(v) for v in got[name]] == [type(v) for v in expected[name]]


_ODD_CELLS = st.one_of(
    _CELLS,
    st.sampled_from([pd.NA, pd.NaT, "", " ", "\u3000", "T1 ", 0, 0.0, False]),
)


@pytest.mark.filterwarnings("ignore:Downcasting object dtype arrays")  # pandas 2 still does it
@settings(max_examples=300, deadline=None)
@given(st.lists(_ODD_CELLS, max_size=12), st.booleans())
def test_filled_and_blank_ids_are_what_the_text_of_each_cell_says(
    cells: list[object], as_str: bool
) -> None:
    column = pd.Series(cells, dtype=object)
    if as_str:  # a column pandas 3 types as text (blanks as NaN)
        column = column.map(lambda v: v if pd.isna(v) else str(v)).astype(str)
    assert _filled(column).tolist() == (column.fillna("").astype(str) != "").tolist()
    frame = pd.DataFrame({"touch_id": column})
    expected = column.fillna("").astype(str).str.strip() == ""
    assert _blank_ids(frame).tolist() == expected.tolist()
