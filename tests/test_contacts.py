"""The contact rules: phone numbers normalised, plain mobiles found, cells as text, e-mails."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm import contacts
from sheetcrm.book.base import CellError

_FAST_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _mobiles_slowly(values: pd.Series) -> tuple[list[str], list[str]]:
    """Every cell stripped of separators and prefix, then the regex or phonenumbers."""
    numbers, kinds = [], []
    for value in values:
        text = contacts._phone_text(value)
        stripped = contacts._CN_PREFIX.sub("", contacts._SEPARATORS.sub("", text))
        if _FAST_MOBILE.match(stripped):
            numbers.append(stripped)
            kinds.append("mobile")
        elif text:
            number, kind = contacts.parse_phone(text)
            numbers.append(number)
            kinds.append(kind)
        else:
            numbers.append("")
            kinds.append("blank")
    return numbers, kinds


_PHONE_PIECES = st.sampled_from(
    [
        "138",
        "1381234",
        "5678",
        "+86",
        "0086",
        "86",
        "0571",
        "-",
        " ",
        ".",
        "(",
        ")",
        "（",
        "—",
        "8888",
        "1234",
        "2",
        "１",
        "+1",
        "415",
        "\n",
        "/",
        "_",
    ]
)
_PHONES = st.one_of(
    st.lists(_PHONE_PIECES, max_size=6).map("".join),
    st.from_regex(r"1[0-9]{10}", fullmatch=True),
    st.text(alphabet="0123456789 -+()", max_size=16),
    st.floats(min_value=1e9, max_value=2e10).map(float),
    st.none(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PHONES, min_size=1, max_size=8))
def test_mobile_fast_path_equals_the_slow_path(values: list[object]) -> None:
    series = pd.Series(values, index=range(2, 2 + len(values)), dtype=object)
    number, kind = contacts.normalise_phones(series)
    assert (number.tolist(), kind.tolist()) == _mobiles_slowly(series)


_TEXT_CELLS = st.one_of(
    st.none(),
    st.text(alphabet=" \t\u3000ab\u00a0Aİ", max_size=4),
    st.floats(allow_infinity=False),
    st.integers(-5, 5),
    st.just(CellError("#N/A")),
    st.just(pd.NaT),
    st.just(np.str_(" X ")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXT_CELLS, max_size=8), st.booleans(), st.booleans())
def test_texts_equal_converting_cell_by_cell(
    cells: list[object], lower: bool, text_only: bool
) -> None:
    """Columns all text (the mapped shortcut) and mixed columns give what each cell gives."""
    if text_only:
        cells = [cell for cell in cells if cell is None or isinstance(cell, str)]
    column = pd.Series(cells, index=range(2, 2 + len(cells)), dtype=object)
    convert = contacts._email_text if lower else contacts._phone_text
    expected = [
        (cell.strip().lower() if lower else cell.strip())
        if type(cell) is str
        else ("" if cell is None else convert(cell))
        for cell in cells
    ]
    assert contacts.cell_texts(column, convert, lower=lower).tolist() == expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(["wang", "@", ".", "163", "com", "con", "gmial", "qq", ",", "a1", ""]),
            max_size=6,
        ).map("".join),
        max_size=8,
    )
)
def test_emails_ok_equal_one_address_at_a_time(emails: list[str]) -> None:
    expected = [
        bool(contacts.EMAIL.match(e)) and e.rsplit("@", 1)[1] not in contacts.DOMAIN_TYPOS
        for e in emails
    ]
    assert contacts.emails_ok(np.array(emails, dtype=object)).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"1[0-9]{10}", fullmatch=True),
            st.text(alphabet="0123456789１٣²+ -", min_size=10, max_size=12),
        ),
        max_size=8,
    )
)
def test_plain_mobiles_equal_the_pattern(texts: list[str]) -> None:
    plain = contacts.plain_mobiles(pd.Series(texts, dtype=object))
    assert plain.tolist() == [bool(_FAST_MOBILE.match(text)) for text in texts]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", ("13812345678", "mobile")),
        ("+86 138-1234-5678", ("13812345678", "mobile")),
        ("008613812345678", ("13812345678", "mobile")),
        ("8613812345678", ("13812345678", "mobile")),
        (13812345678.0, ("13812345678", "mobile")),
        ("+44 7911 123456", ("+447911123456", "mobile")),
        ("0044 7911 123456", ("+447911123456", "mobile")),
        ("0512-61098253", ("0512 6109 8253", "landline")),
        ("not a phone", ("", "invalid")),
        ("12345", ("", "invalid")),
        (None, ("", "blank")),
    ],
)
def test_one_phone(raw: object, expected: tuple[str, str]) -> None:
    assert contacts.phone(raw) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(_PHONES, min_size=1, max_size=8))
def test_one_phone_equals_the_column(values: list[object]) -> None:
    numbers, kinds = contacts.normalise_phones(pd.Series(values, dtype=object))
    assert [contacts.phone(v) for v in values] == list(zip(numbers, kinds, strict=True))


def test_mask_phone() -> None:
    assert contacts.mask_phone("13812345678") == "138****5678"
    assert contacts.mask_phone("+86 138 1234 5678") == "138****5678"
    assert contacts.mask_phone("+44 7911 123456") == "+44****3456"
    assert contacts.mask_phone("12") == "12"


def test_valid_emails_follow_the_check() -> None:
    found = contacts.valid_emails(
        pd.Series([" A@Example.com ", "a@gmial.com", "bad", None, 3.0], dtype=object)
    )
    assert found.tolist() == ["a@example.com", "", "", "", ""]
