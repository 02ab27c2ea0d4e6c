"""Problems held as columns read exactly as the list of Problem objects they stand for."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellError, Problem
from sheetcrm.check import Problems, kind_counts
from sheetcrm.check.problems import FIELDS
from sheetcrm.sheets.check import problems_sheet

_TEXT = st.text(alphabet="ab客户 \u00a0é", max_size=6)
_VALUES = st.one_of(
    st.none(),
    _TEXT,
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.just(CellError("#N/A")),
    st.just(np.int64(7)),
    st.just(pd.NaT),
    st.just(pd.NA),
)
_PROBLEMS = st.lists(
    st.builds(
        Problem,
        sheet=st.sampled_from(["客户名单", "交易记录", "Sheet 2"]),
        row=st.one_of(st.none(), st.integers(1, 1_048_576)),
        column=st.one_of(st.none(), _TEXT),
        value=_VALUES,
        problem=_TEXT,
        suggestion=_TEXT,
        kind=st.sampled_from(["duplicate", "missing", "range", "skipped", "error", "重复"]),
    ),
    max_size=12,
)


def _fields(problems: list[Problem] | Problems) -> list[tuple[object, ...]]:
    """Each problem's fields: tuples take the very same object as equal (a NaN, pandas' NA),
    where Python 3.13's dataclass == compares field by field."""
    return [tuple(getattr(p, name) for name in FIELDS) for p in problems]


@settings(max_examples=150, deadline=None)
@given(_PROBLEMS, _PROBLEMS, st.integers(0, 12))
def test_problems_read_as_their_list(first: list[Problem], second: list[Problem], cut: int) -> None:
    listed = first + second
    held = Problems.joined([first, Problems.of(second)])
    assert len(held) == len(listed)
    assert _fields(list(held)) == _fields(listed) and held == listed and listed == held
    assert held != [*listed, Problem("s", 1, "c", None, "p")]
    assert not listed or held != listed[:-1]
    assert not listed or held != ["not a problem"] * len(listed)
    assert _fields([held[i] for i in range(-len(listed), len(listed))]) == _fields(listed + listed)
    assert _fields(held[cut:]) == _fields(listed[cut:])
    assert _fields(first + Problems.of(second)) == _fields(listed)
    assert _fields(Problems.of(first) + second) == _fields(listed)
    assert kind_counts(held) == kind_counts(listed) == Counter(p.kind for p in listed)
    # The order of first appearance breaks ties in most_common, as Counter's own does.
    assert kind_counts(held).most_common() == Counter(p.kind for p in listed).most_common()
    to_fix = held.without_kinds({"skipped"})
    assert _fields(to_fix) == _fields([p for p in listed if p.kind != "skipped"])


@settings(max_examples=100, deadline=None)
@given(_PROBLEMS)
def test_the_check_sheet_is_the_same_from_columns_or_objects(problems: list[Problem]) -> None:
    ids = pd.Series(["C1", " C2 ", None], index=[2, 3, 4], dtype=object)
    as_objects = problems_sheet(problems, ids, "客户名单")
    as_columns = problems_sheet(Problems.of(problems), ids, "客户名单")
    rows = [[(type(v), v) for v in row] for row in as_objects.rows]
    assert rows == [[(type(v), v) for v in row] for row in as_columns.rows]


def test_an_index_out_of_range_is_refused() -> None:
    held = Problems.of([Problem("s", 1, "c", None, "p")])
    assert held[-1] == held[0]
    for index in (1, -2):
        try:
            held[index]
        except IndexError:
            continue
        raise AssertionError(index)
