"""A1 notation: letters, references, ranges and sheet quoting round-trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.a1 import (
    MAX_COLUMN,
    MAX_ROW,
    cell_ref,
    column_from_bytes,
    column_letter,
    column_number,
    column_numbers,
    parse_cell,
    parse_range,
    quote_sheet,
    range_ref,
    sheet_ref,
    unquote_sheet,
)

_ROWS = st.integers(1, MAX_ROW)
_COLUMNS = st.integers(1, MAX_COLUMN)


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 703, MAX_COLUMN)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "AAA",
        "XFD",
    ]


@given(_COLUMNS)
def test_column_letters_round_trip(number: int) -> None:
    letters = column_letter(number)
    assert column_number(letters) == number
    assert column_number(letters.lower()) == number
    assert column_from_bytes(letters.encode()) == number


@given(_ROWS, _COLUMNS, st.booleans())
def test_cell_references_round_trip(row: int, column: int, absolute: bool) -> None:
    ref = cell_ref(row, column, absolute=absolute)
    assert ref.startswith("$") == absolute
    assert parse_cell(ref) == (row, column)


@given(_ROWS, _COLUMNS, _ROWS, _COLUMNS, st.booleans())
def test_ranges_round_trip(r1: int, c1: int, r2: int, c2: int, absolute: bool) -> None:
    assert parse_range(range_ref(r1, c1, r2, c2, absolute=absolute)) == (r1, c1, r2, c2)


def test_one_cell_is_a_range_of_one() -> None:
    assert parse_range("$B$5") == (5, 2, 5, 2)


@pytest.mark.parametrize("ref", ["", "5B", "B", "ABCD1", "B5:", "B-5", "B5 C6"])
def test_bad_references_are_refused_naming_them(ref: str) -> None:
    with pytest.raises(ValueError, match="is not an A1"):
        parse_range(ref) if ":" in ref else parse_cell(ref)


def test_sheet_names_are_quoted_for_formulas() -> None:
    assert sheet_ref("客户 表", "$A$1") == "'客户 表'!$A$1"
    assert quote_sheet("it's") == "'it''s'"
    assert unquote_sheet("Sheet1") == "Sheet1"


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=31))
def test_sheet_quoting_round_trips(name: str) -> None:
    assert unquote_sheet(quote_sheet(name)) == name


@given(st.lists(st.tuples(_COLUMNS, _ROWS), min_size=1, max_size=20))
def test_column_numbers_of_many_references_at_once(cells: list[tuple[int, int]]) -> None:
    starts = [f"{column_letter(c)}{r}".encode()[:3].ljust(3, b'"') for c, r in cells]
    grid = np.frombuffer(b"".join(starts), np.uint8).reshape(-1, 3)
    assert column_numbers(grid).tolist() == [c for c, _ in cells]
    assert column_numbers(np.frombuffer(b'1"x', np.uint8).reshape(1, 3)).tolist() == [0]
