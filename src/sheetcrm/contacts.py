"""The contact rules: what a mainland mobile, a landline and a valid e-mail address are.

Phone numbers are normalised (a mainland mobile as its 11 digits, a landline dialable), e-mail
addresses lower-cased and checked, and a likely fix suggested for a misspelt domain. Work is done
on whole columns: plain mobiles by numpy string functions, the rest once per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from operator import methodcaller

import numpy as np
import pandas as pd
import phonenumbers

from .book.base import CellError

__all__ = [
    "DOMAIN_TYPOS",
    "EMAIL",
    "cell_texts",
    "email_fix",
    "email_texts",
    "emails_ok",
    "mask_phone",
    "normalise_phones",
    "parse_phone",
    "phone",
    "plain_mobiles",
    "valid_emails",
]

_SEPARATORS = re.compile(r"[\s\-.()（）—_/]")
_CN_PREFIX = re.compile(r"^(?:\+86|0086|86(?=1\d{10}$))")
_PLAIN_MOBILE = re.compile(r"1[3-9]\d{9}")
EMAIL = re.compile(
    r"^[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9\-]+)*\.[a-z]{2,}$"
)
# Misspelt domains seen in Chinese customer lists, with the domain meant.
DOMAIN_TYPOS = {
    "gmial.com": "gmail.com",
    "gmai.com": "gmail.com",
    "gamil.com": "gmail.com",
    "gmail.con": "gmail.com",
    "hotmial.com": "hotmail.com",
    "hotmail.con": "hotmail.com",
    "163.con": "163.com",
    "163.cm": "163.com",
    "126.con": "126.com",
    "126.cm": "126.com",
    "qq.con": "qq.com",
    "qq.cm": "qq.com",
    "qq.co": "qq.com",
    "sina.con": "sina.com",
}


def cell_texts(
    values: pd.Series, convert: Callable[[object], str], *, lower: bool = False
) -> pd.Series:
    """``convert`` applied to a column; text and blank cells, nearly all of them, take a shortcut."""
    cells = values.to_numpy(dtype=object)
    missing = pd.isna(cells)
    present = cells[~missing]
    if pd.api.types.infer_dtype(present, skipna=False) != "string":
        present = np.array(
            [
                (value.strip().lower() if lower else value.strip())
                if type(value) is str
                else convert(value)
                for value in present
            ],
            dtype=object,
        )
    else:  # all text (str subclasses convert to the same text): str methods mapped in C
        present = np.fromiter(map(str.strip, present), dtype=object, count=len(present))
        if lower:
            present = np.fromiter(map(str.lower, present), dtype=object, count=len(present))
    out = np.empty(len(cells), dtype=object)
    out[~missing] = present
    out[missing] = [("" if value is None else convert(value)) for value in cells[missing]]
    return pd.Series(out, index=values.index, dtype=object)


# ---- phones --------------------------------------------------------------------------------------


def _phone_text(value: object) -> str:
    """A phone cell as text; numbers typed as numbers lose their '.0'."""
    if value is None or isinstance(value, CellError):
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else (f"{value:.0f}" if value.is_integer() else str(value))
    return str(value).strip()


@lru_cache(maxsize=1 << 14)
def parse_phone(text: str) -> tuple[str, str]:
    """(normalised number, kind) for one phone text that the fast path did not accept."""
    text = unicodedata.normalize("NFKC", text)
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return "", "invalid"
    if not phonenumbers.is_valid_number(number):
        return "", "invalid"
    kind = phonenumbers.number_type(number)
    domestic = number.country_code == 86
    if kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        if domestic:
            return str(number.national_number), "mobile"
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), "mobile"
    # Landlines stay dialable for calls (national form at home, E.164 abroad) but are not SMS targets.
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL if domestic else phonenumbers.PhoneNumberFormat.E164
    )
    return phonenumbers.format_number(number, fmt), "landline"


def phone(value: object) -> tuple[str, str]:
    """(normalised number, kind) for one phone cell, by the rules :func:`normalise_phones` applies."""
    text = _phone_text(value)
    if not text:
        return "", "blank"
    stripped = _CN_PREFIX.sub("", _SEPARATORS.sub("", text))
    if _PLAIN_MOBILE.fullmatch(stripped):
        return stripped, "mobile"
    return parse_phone(text)


def mask_phone(value: object) -> str:
    """A phone number with the middle hidden (138****5678); text that is none, masked as typed."""
    number = phone(value)[0] or ("" if value is None else str(value).strip())
    if len(number) < 7:
        return number
    return number[:3] + "****" + number[-4:]


def plain_mobiles(texts: pd.Series) -> np.ndarray:
    """Where stripped texts are plain mobiles (``^1[3-9]\\d{9}$``), by numpy string functions."""
    # \d is any Unicode decimal digit, as isdecimal; stripped texts end in no newline for $.
    text = texts.to_numpy(dtype=object).astype(np.dtypes.StringDType())
    second = np.strings.slice(text, 1, 2)
    plain: np.ndarray = (
        (np.strings.str_len(text) == 11)
        & np.strings.startswith(text, "1")
        & (second >= "3")
        & (second <= "9")
        & np.strings.isdecimal(text)
    )
    return plain


def normalise_phones(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalised numbers and their kind (mobile/landline/invalid/blank) for a phone column.

    A mobile is written as SMS platforms take it: a mainland one as its 11 digits, any other in
    E.164 (+CC…); a landline in its dialable form. Only mobiles are SMS addresses.
    """
    text = cell_texts(values, _phone_text)
    stripped = text.copy()
    # A plain 11-digit mobile has no separators or prefix to strip: only the others are cleaned.
    fast = plain_mobiles(text)
    other = ~fast & (text != "").to_numpy(dtype=bool)
    stripped[other] = (
        text[other].str.replace(_SEPARATORS, "", regex=True).str.replace(_CN_PREFIX, "", regex=True)
    )
    fast[other] = plain_mobiles(stripped[other])
    number = pd.Series("", index=values.index, dtype=object)
    kind = pd.Series("blank", index=values.index, dtype=object)
    number[fast] = stripped[fast]
    kind[fast] = "mobile"
    slow = ~fast & (text != "")
    if slow.any():
        parsed = {value: parse_phone(value) for value in text[slow].unique()}
        number[slow] = text[slow].map(lambda v: parsed[v][0])
        kind[slow] = text[slow].map(lambda v: parsed[v][1])
    return number, kind


# ---- e-mail addresses ----------------------------------------------------------------------------


def _email_text(value: object) -> str:
    """An e-mail cell as lower-case text; blanks and error cells as ''."""
    if (
        value is None
        or isinstance(value, CellError)
        or (isinstance(value, float) and np.isnan(value))
    ):
        return ""
    return str(value).strip().lower()


def email_texts(values: pd.Series) -> pd.Series:
    """An e-mail column as stripped, lower-case text ('' where blank)."""
    return cell_texts(values, _email_text, lower=True)


def email_fix(email: str) -> str | None:
    """The address the user probably meant, or None when no fix is evident."""
    fixed = unicodedata.normalize("NFKC", email).replace("＠", "@").strip().lower()
    if fixed.count("@") != 1:
        return None
    local, domain = fixed.split("@")
    domain = domain.replace(",", ".").replace("，", ".").replace("。", ".").strip(".")
    domain = DOMAIN_TYPOS.get(domain, domain)
    candidate = f"{local}@{domain}"
    return candidate if candidate != email and EMAIL.match(candidate) else None


def valid_emails(values: pd.Series) -> pd.Series:
    """An e-mail column's addresses (lower case) where the check accepts them, else ''."""
    texts = email_texts(values)
    distinct = texts.unique()
    ok = dict(zip(distinct.tolist(), emails_ok(distinct).tolist(), strict=True))
    return texts.where(texts.map(ok), "")


def emails_ok(emails: np.ndarray) -> np.ndarray:
    """Per address: well formed, and its domain (after the one '@') not a known misspelling."""
    # C-level maps over the distinct addresses (all text): no Python call per address.
    typos = tuple(f"@{domain}" for domain in DOMAIN_TYPOS)
    formed = np.fromiter(map(bool, map(EMAIL.match, emails)), bool, len(emails))
    typo = np.fromiter(map(methodcaller("endswith", typos), emails), bool, len(emails))
    ok: np.ndarray = formed & ~typo
    return ok
