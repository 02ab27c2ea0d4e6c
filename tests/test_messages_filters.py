"""Salutations, money and dates as staff expect to read them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.messages.filters import date_text, money, salutation, surname


@pytest.mark.parametrize(
    ("name", "title", "lang", "expected"),
    [
        ("张伟", "总经理", "zh", "张总"),
        ("张伟", "张总", "zh", "张总"),
        ("张伟", "总", "zh", "张总"),
        ("李娜", "经理", "zh", "李经理"),
        ("王强", "董事长", "zh", "王董"),
        ("张伟", "男", "zh", "张先生"),
        ("张伟", "女", "zh", "张女士"),
        ("欧阳娜娜", "女", "zh", "欧阳女士"),
        ("欧阳娜娜", "欧阳总", "zh", "欧阳总"),
        ("司马光", "先生", "zh", "司马先生"),
        ("张伟", None, "zh", "张伟"),  # never guess gender from the name
        ("李娜", "", "zh", "李娜"),
        (None, "男", "zh", "尊敬的客户"),
        ("", None, "en", "Valued Customer"),
        ("John Smith", "Mr", "en", "Mr. Smith"),
        ("Smith, Jane", "F", "en", "Ms. Smith"),
        ("Jane Doe", "Dr", "en", "Dr. Doe"),
        ("Jane Doe", None, "en", "Jane Doe"),
        ("杭州示例科技有限公司", "女", "zh", "杭州示例科技有限公司"),
        ("Acme Co., Ltd.", "Mr", "en", "Acme Co., Ltd."),
    ],
)
def test_salutation(name: str | None, title: str | None, lang: str, expected: str) -> None:
    assert salutation(name, title, lang) == expected


def test_surname_compound_and_single() -> None:
    assert surname("欧阳娜娜") == "欧阳"
    assert surname("欧阳") == "欧"  # a two-character name is surname + given name
    assert surname("诸葛亮") == "诸葛"
    assert surname("张三") == "张"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234.5, "¥1,234.50"), (0, "¥0.00"), (-12.345, "-¥12.35"), ("1.2万", "1.2万"), (None, "")],
)
def test_money(value: object, expected: str) -> None:
    assert money(value) == expected


def test_dates_in_both_languages() -> None:
    day = dt.date(2026, 3, 5)
    assert date_text(day, "zh") == "2026年3月5日"
    assert date_text(day, "en") == "Mar 5, 2026"
    assert date_text(dt.datetime(2026, 3, 5, 9, 30), "zh") == "2026年3月5日"
    assert date_text("下周三", "zh") == "下周三"
    assert date_text(None, "zh") == ""


@given(
    st.text(max_size=12), st.one_of(st.none(), st.text(max_size=6)), st.sampled_from(["zh", "en"])
)
def test_salutation_never_raises_and_is_never_blank(
    name: str, title: str | None, lang: str
) -> None:
    assert salutation(name, title, lang).strip() or not name.strip()
