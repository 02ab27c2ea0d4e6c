"""SMS length, billing parts and the China rules (signature, opt-out line, 500 characters).

China: carriers count every character including the 【signature】; up to 70 is one
message, longer texts are billed per 67, and platforms refuse more than 500. The text goes
as UCS-2 (3GPP TS 23.038 §6.2.3): 70 and 67 are the 140 and 134 octets of a part (with the
6-octet concatenation header, TS 23.040 §9.2.3.24.1) in 2-octet units, so an emoji beyond
the BMP — a UTF-16 surrogate pair, 4 octets — counts as **two**.
International numbers: GSM-7 texts hold 160 septets (153 per part of a long text,
the extension characters € [ ] { } ^ ~ | \\ and form feed are an escape plus a septet, 2);
anything else is UCS-2, 70 / 67 UTF-16 units.
A long text is cut into parts whole: an escape and its character, or the two halves of a
surrogate pair, never straddle two parts (a part may then hold 152 septets or 66 units).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..errors import InputError
from ..i18n import tr

__all__ = [
    "MAX_SMS_CHARS",
    "SmsCount",
    "add_opt_out",
    "add_signature",
    "check_sms_limit",
    "sms_length",
]

MAX_SMS_CHARS = 500

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("|^€{}[]~\\\f")


class SmsCount(NamedTuple):
    """How long a text message is and how many it is billed as."""

    chars: int  # characters (China), septets (GSM-7) or UTF-16 units (UCS-2)
    parts: int
    encoding: str  # "cn" | "gsm7" | "ucs2"


def _parts(text: str, length: int, single: int, multi: int, wide: frozenset[str] | None) -> int:
    """Parts of a text of ``length`` units; a character of two units (``wide``) is never cut."""
    if length == 0:
        return 0
    if length <= single:
        return 1
    if length == len(text):  # every character one unit: nothing to keep whole
        return math.ceil(length / multi)
    parts, used = 1, 0
    for ch in text:
        size = 2 if (ch in wide if wide is not None else ch > "\uffff") else 1
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_length(text: str, international: bool = False) -> SmsCount:
    """The length and billed parts of an SMS (China rules, or GSM-7/UCS-2 when international)."""
    if international and all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text):
        septets = len(text) + sum(ch in _GSM7_EXTENSION for ch in text)
        return SmsCount(septets, _parts(text, septets, 160, 153, _GSM7_EXTENSION), "gsm7")
    units = len(text.encode("utf-16-le")) // 2
    return SmsCount(units, _parts(text, units, 70, 67, None), "ucs2" if international else "cn")


def add_signature(text: str, signature: str) -> tuple[str, bool]:
    """The text with the 【signature】 in front unless it already carries it; True if added."""
    if not signature or signature in text:
        return text, False
    return signature + text, True


def add_opt_out(text: str, opt_out: str) -> tuple[str, bool]:
    """The text with the opt-out line at the end unless it already has one; True if added."""
    if not opt_out or opt_out in text:
        return text, False
    joiner = "" if not text or text[-1] in "。！？!?.，, " else "，" if _is_cjk(text[-1]) else " "
    return text + joiner + opt_out, True


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def check_sms_limit(
    text: str, *, customer: str = "", row: int | None = None, sheet: str | None = None
) -> None:
    """Refuse an SMS longer than the 500 characters platforms accept, naming the row."""
    if len(text) > MAX_SMS_CHARS:
        raise InputError(
            tr(
                f"客户「{customer}」的短信有 {len(text)} 个字（含签名），超过 {MAX_SMS_CHARS} 字上限；请缩短模板或该行的字段",
                f"the SMS for '{customer}' has {len(text)} characters (signature included), over the "
                f"{MAX_SMS_CHARS} limit; shorten the template or this row's fields",
            ),
            sheet=sheet,
            row=row,
        )
