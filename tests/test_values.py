"""Reading single cell values the way people type them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.book.base import CellError, CellValue
from sheetcrm.values import (
    date_order,
    excel_serial,
    from_excel_serial,
    is_blank,
    parse_bool,
    parse_date,
    parse_number,
)


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        "2024.3.5",
        "20240305",
        "2024-03-05 14:30",
        " 2024 年 3 月 5 号 ",
    ],
)
def test_date_text_forms(text: str) -> None:
    assert parse_date(text) == dt.date(2024, 3, 5)


def test_date_serials_both_systems() -> None:
    assert parse_date(45356) == dt.date(2024, 3, 5)
    assert parse_date(43894, date1904=True) == dt.date(2024, 3, 5)
    assert parse_date(dt.datetime(2024, 3, 5, 9, 0)) == dt.date(2024, 3, 5)


def test_excel_phantom_leap_day() -> None:
    assert from_excel_serial(59) == dt.datetime(1900, 2, 28)
    assert from_excel_serial(61) == dt.datetime(1900, 3, 1)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 30)), st.booleans())
def test_serial_round_trip(day: dt.date, date1904: bool) -> None:
    if date1904 and day < dt.date(1904, 1, 1):
        return
    assert from_excel_serial(excel_serial(day, date1904), date1904).date() == day


@pytest.mark.parametrize(
    "bad", ["2024-02-30", "next tuesday", "#N/A", CellError("#REF!"), True, -5]
)
def test_bad_dates_raise_with_reason(bad: CellValue) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_date(bad)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("¥1,234.50", 1234.5),
        ("1.2万", 12000.0),
        ("RMB 88", 88.0),
        ("(12)", -12.0),
        ("15%", 0.15),
        ("￥ 2，000", 2000.0),
        (7, 7.0),
        ("3 元", 3.0),
    ],
)
def test_number_text_forms(text: CellValue, number: float) -> None:
    assert parse_number(text) == pytest.approx(number)


@pytest.mark.parametrize(
    "bad", ["abc", "1.2.3", "#DIV/0!", CellError("#N/A"), True, dt.date(2024, 1, 1), "nan"]
)
def test_bad_numbers_raise(bad: CellValue) -> None:
    with pytest.raises(ValueError):
        parse_number(bad)


def test_blanks() -> None:
    assert parse_number("  ") is None and parse_date(None) is None
    assert is_blank(float("nan")) and not is_blank(0)


@pytest.mark.parametrize(
    ("value", "flag"),
    [("是", True), ("否", False), ("Y", True), (1, True), (None, False), ("退订", True)],
)
def test_bools(value: CellValue, flag: bool) -> None:
    assert parse_bool(value) is flag


def test_bad_bool() -> None:
    with pytest.raises(ValueError, match="是"):
        parse_bool("maybe")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("20次", 20.0),
        ("3 单", 3.0),
        ("1.5万", 15_000.0),
        ("¥1,200", 1200.0),
        ("$1,200.50", 1200.5),
        ("1,234.5元", 1234.5),
        ("-", None),
        ("—", None),
        ("/", None),
        ("N/A", None),
    ],
)
def test_units_and_nothing_in_number_cells(text: str, number: float | None) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["1,2,3", "inf", "1e309", "-inf", "12,34"])
def test_numbers_that_are_not_what_they_seem(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_dates_written_every_way() -> None:
    assert parse_date("26/9/26", order="dmy") == dt.date(2026, 9, 26)
    assert parse_date("02/25/2026", order="mdy") == dt.date(2026, 2, 25)
    assert parse_date("12 Sep 2024") == parse_date("Sep 12, 2024") == dt.date(2024, 9, 12)
    assert parse_date("2024年3月5日") == parse_date("20240305") == dt.date(2024, 3, 5)
    with pytest.raises(ValueError, match="day/month"):
        parse_date("3/4/2024")  # without the column's order, never guessed
    with pytest.raises(ValueError):
        parse_date("2024-02-29T25:00")


def test_day_or_month_first_is_decided_per_column() -> None:
    assert date_order(["26/9/26", "1/2/24"]) == "dmy"
    assert date_order(["02/25/2026", "01/02/2026"]) == "mdy"
    assert date_order(["1/2/2024", "3/4/2024"]) == "ambiguous"
    assert date_order(["13/1/24", "1/13/24"]) == "conflict"
    assert date_order(["2024-03-05", 45000.0]) is None
