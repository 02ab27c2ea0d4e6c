"""SMS counting at the 70/67/160/153 edges, signature and opt-out rules, the 500 limit."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
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
    else:  # a part may hold one unit less when a two-unit character would straddle it
        assert math.ceil(count.chars / multi) <= count.parts <= math.ceil(count.chars / (multi - 1))


# ---- an independent 3GPP TS 23.038 / 23.040 segmenter, to check the counts against ---------

# TS 23.038 §6.2.1: the GSM 7-bit default alphabet, in code order (0x1B is the escape), and
# §6.2.1.1: the characters of the extension table reached through the escape.
_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}


def _septets(text: str) -> list[int] | None:
    """The text as GSM-7 septets, None when a character has no code."""
    out: list[int] = []
    for ch in text:
        if ch in _EXTENSION:
            out += [0x1B, _EXTENSION[ch]]
        elif ch in _DEFAULT and ch != "\x1b":
            out.append(_DEFAULT.index(ch))
        else:
            return None
    return out


def _reference_parts(text: str, international: bool) -> tuple[int, int]:
    """(length, parts): 140 octets a message, 134 with a concatenation header (TS 23.040)."""
    septets = _septets(text) if international else None
    cut_after: Callable[[int], bool]
    if septets is not None:
        units, single, multi = septets, 160, 153  # 140 * 8 // 7, (140 - 6) * 8 // 7

        def cut_after(unit: int) -> bool:
            return unit == 0x1B  # an escape ends no part
    else:
        data = text.encode("utf-16-be")
        units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
        single, multi = 70, 67  # 140 // 2, 134 // 2

        def cut_after(unit: int) -> bool:
            return 0xD800 <= unit <= 0xDBFF  # a high surrogate ends no part

    if not units:
        return 0, 0
    if len(units) <= single:
        return len(units), 1
    parts, start = 0, 0
    while start < len(units):
        end = min(start + multi, len(units))
        if end < len(units) and cut_after(units[end - 1]):
            end -= 1
        parts, start = parts + 1, end
    return len(units), parts


_PIECES = st.sampled_from(["a", "你", "€", "^", "[", "~", "|", "\\", "{", "😀", "é", " ", "1"])


@st.composite
def _boundary_texts(draw: st.DrawFn) -> str:
    """Texts of about 67/70/134/153/160/306 units with escapes and emoji near the cut."""
    base = draw(st.sampled_from(["a", "你"]))
    length = draw(st.sampled_from([66, 67, 69, 70, 133, 134, 152, 153, 159, 160, 305, 306]))
    text = list(base * length)
    for _ in range(draw(st.integers(0, 4))):
        text.insert(draw(st.integers(0, len(text))), draw(_PIECES))
    return "".join(text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_boundary_texts(), st.lists(_PIECES, max_size=400).map("".join)), st.booleans())
def test_parts_equal_an_independent_ts_23_038_segmenter(text: str, international: bool) -> None:
    count = sms_length(text, international)
    assert (count.chars, count.parts) == _reference_parts(text, international)


def test_an_escape_at_the_cut_starts_the_next_part() -> None:
    assert sms_length("a" * 152 + "^" + "a" * 152, international=True).parts == 3
    assert sms_length("你" * 66 + "😀" + "你" * 66, international=False).parts == 3
    assert sms_length("😀", international=False).chars == 2  # two UTF-16 units, as carriers
