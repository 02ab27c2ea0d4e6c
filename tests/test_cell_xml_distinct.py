"""A column of mostly distinct text is encoded cell by cell, not hashed: the same cell XML."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book import cell_xml
from sheetcrm.book.cell_xml import CellStyles, cells_xml, encode

_STYLES = CellStyles(None, 5, 6)
_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=6),
    st.sampled_from(["", " a ", "_x0041_", "<&>", "客户", "a\nb", "\x01"]),
    st.builds(np.str_, st.sampled_from(["a", "客户", ""])),
)
_BLANK = st.sampled_from([None, math.nan, pd.NA, pd.NaT])


def _cells(values: np.ndarray, style: int | None, sample: int, fast: bool | None) -> list[bytes]:
    rows = np.arange(1, len(values) + 1).astype(bytes).astype(object)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cell_xml, "_SAMPLE", sample)
        if fast is not None:
            patch.setattr(cell_xml, "_mostly_distinct_text", lambda values: fast)
        encoded = encode(values, style, _STYLES, False)
    return list(cells_xml("B", encoded, rows, slice(None)))


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.one_of(_TEXT, _BLANK), max_size=40),
    style=st.sampled_from([None, 7]),
    sample=st.integers(1, 5),
)
def test_distinct_text_cell_by_cell_writes_what_hashing_writes(
    texts: list[object], style: int | None, sample: int
) -> None:
    values = np.empty(len(texts), dtype=object)
    values[:] = texts
    hashed = _cells(values, style, sample, fast=False)
    assert _cells(values, style, sample, fast=None) == hashed  # the sample decides
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        assert _cells(values, style, sample, fast=True) == hashed  # cell by cell throughout


def test_only_long_columns_of_mostly_distinct_text_skip_hashing() -> None:
    distinct = np.array([f"客户{i}" for i in range(5000)], dtype=object)
    assert cell_xml._mostly_distinct_text(distinct)
    assert not cell_xml._mostly_distinct_text(distinct[:100])  # short: hashing is cheap
    assert not cell_xml._mostly_distinct_text(np.array(["a", "b"] * 2500, dtype=object))
    mixed = distinct.copy()
    mixed[4999] = 5  # one number: not a text column
    assert not cell_xml._mostly_distinct_text(mixed)
    unhashable = distinct.copy()
    unhashable[0] = {"a": 1}
    assert not cell_xml._mostly_distinct_text(unhashable)


@pytest.mark.parametrize(
    "values",
    [
        ["", "\x000", "a\x00b", "a\x00c"],  # pandas 2 hashes text only up to a NUL
        ["\ud800", "a\udfff b", "a\udfff b", "c"],  # and every text with a lone surrogate alike
        [0, np.False_, np.True_, 1],  # numpy's bool is no Number, yet equal to 0 and 1
        ["\ud800", pd.NA, None, "x"],  # blanks among texts encoded one by one
    ],
)
def test_distinct_values_keep_the_xml_each_value_has(values: list[Any]) -> None:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    encoded = encode(column, None, _STYLES, False)
    one_by_one = [cell_xml._cell_tail(v, None, _STYLES, False).encode() for v in values]
    assert list(encoded.tails[encoded.codes]) == one_by_one
