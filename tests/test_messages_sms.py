"""SMS counting at the 70/67/160/153 edges, signature and opt-out rules, the 500 limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.errors import InputError
from sheetcrm.messages.sms import (
    MAX_SMS_CHARS,
    add_opt_out,
    add_signature,
    check_sms_limit,
    sms_length,
)


@pytest.mark.parametrize(
    ("length", "parts"),
    [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4), (500, 8)],
)
def test_china_counts_every_character_70_then_67(length: int, parts: int) -> None:
    assert sms_length("字" * length) == (length, parts, "cn")


@pytest.mark.parametrize(
    ("length", "parts"), [(160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_160_then_153(length: int, parts: int) -> None:
    assert sms_length("a" * length, international=True) == (length, parts, "gsm7")


@pytest.mark.parametrize(("count", "septets", "parts"), [(80, 160, 1), (81, 162, 2)])
def test_gsm7_extension_characters_count_two(count: int, septets: int, parts: int) -> None:
    assert sms_length("{" * count, international=True) == (septets, parts, "gsm7")


@pytest.mark.parametrize("char", list("|^€{}[]~\\"))
def test_each_extension_character_counts_two(char: str) -> None:
    assert sms_length("a" + char, international=True).chars == 3


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_70_then_67(length: int, parts: int) -> None:
    assert sms_length("你" * length, international=True) == (length, parts, "ucs2")


def test_ucs2_counts_utf16_units_for_emoji() -> None:
    assert sms_length("😀" * 35, international=True) == (70, 1, "ucs2")
    assert sms_length("😀" * 36, international=True) == (72, 2, "ucs2")


def test_signature_added_once() -> None:
    assert add_signature("您好", "【示例科技】") == ("【示例科技】您好", True)
    assert add_signature("【示例科技】您好", "【示例科技】") == ("【示例科技】您好", False)


def test_opt_out_appended_once_with_sensible_joiner() -> None:
    assert add_opt_out("欢迎光临。", "回T退订") == ("欢迎光临。回T退订", True)
    assert add_opt_out("欢迎光临", "回T退订") == ("欢迎光临，回T退订", True)
    assert add_opt_out("Hello", "Reply STOP to opt out") == ("Hello Reply STOP to opt out", True)
    assert add_opt_out("欢迎光临。回T退订", "回T退订")[1] is False


def test_over_500_is_refused_naming_the_row() -> None:
    check_sms_limit("字" * MAX_SMS_CHARS, customer="张三", row=7)
    with pytest.raises(InputError) as info:
        check_sms_limit("字" * (MAX_SMS_CHARS + 1), customer="张三", row=7, sheet="客户")
    assert info.value.row == 7
    assert "张三" in str(info.value) and "501" in str(info.value)


@given(st.text(max_size=400), st.booleans())
def test_parts_cover_the_length(text: str, international: bool) -> None:
    count = sms_length(text, international)
    single, multi = (160, 153) if count.encoding == "gsm7" else (70, 67)
    assert count.chars >= len(text) or count.encoding == "cn"
    if count.chars <= single:
        assert count.parts == (1 if count.chars else 0)
    else:
        assert (count.parts - 1) * multi < count.chars <= count.parts * multi
