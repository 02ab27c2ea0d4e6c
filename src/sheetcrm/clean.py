"""The data check (数据检查): phones, emails, required fields, ranges, dates and duplicates.

Pure pandas over a :class:`CustomerTable`; every finding is a :class:`Problem`
naming the sheet, Excel row and the user's own header, with a suggested fix.
Work is done on unique values (phones, emails, names) so that 100,000
customers take a second or two.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter, methodcaller
from typing import TypeAlias

import numpy as np
import pandas as pd
import phonenumbers
from rapidfuzz import fuzz, process

from . import _gc
from .book.base import CellError, CellValue, CustomerTable, Problem, SheetSpec
from .i18n import tr

__all__ = [
    "CHECK_SHEET",
    "CheckResult",
    "NameKeys",
    "check_customers",
    "name_keys",
    "near_names",
    "problems_sheet",
]

CHECK_SHEET = "数据检查"

_EARLIEST = dt.date(1990, 1, 1)
_NAME_SCORE = 90  # rapidfuzz ratio at or above which two normalised names count as the same
_SEPARATORS = re.compile(r"[\s\-.()（）—_/]")
_CN_PREFIX = re.compile(r"^(?:\+86|0086|86(?=1\d{10}$))")
_EMAIL = re.compile(
    r"^[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9\-]+)*\.[a-z]{2,}$"
)
# Misspelt domains seen in Chinese customer lists, with the domain meant.
_DOMAIN_TYPOS = {
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
_COMPANY_SUFFIX = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团|公司|co\.?,?\s*ltd\.?|inc\.?|ltd\.?|llc\.?)",
    re.IGNORECASE,
)
_NAME_NOISE = re.compile(r"[\W_]+")
# Both in one pass: suffixes start with a word character, so noise never hides one. The lookahead
# names every character a match can start with, so most positions are passed over at once.
_NAME_DROP = re.compile(
    rf"(?=(?i:[股有集公cil])|[\W_])(?:(?i:{_COMPANY_SUFFIX.pattern})|{_NAME_NOISE.pattern})"
)


@dataclass
class CheckResult:
    """What the data check found: problems, cleaned contact columns, and counts per kind."""

    problems: list[Problem]
    cleaned: pd.DataFrame
    summary: dict[str, int]


# ---- phones --------------------------------------------------------------------------------------


def _texts(
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


def _phone_text(value: object) -> str:
    """A phone cell as text; numbers typed as numbers lose their '.0'."""
    if value is None or isinstance(value, CellError):
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else (f"{value:.0f}" if value.is_integer() else str(value))
    return str(value).strip()


def _parse_phone(text: str) -> tuple[str, str]:
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


def _plain_mobiles(texts: pd.Series) -> np.ndarray:
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


def _clean_mobiles(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalised numbers and their kind (mobile/landline/invalid/blank) for a phone column."""
    text = _texts(values, _phone_text)
    stripped = text.copy()
    # A plain 11-digit mobile has no separators or prefix to strip: only the others are cleaned.
    fast = _plain_mobiles(text)
    other = ~fast & (text != "").to_numpy(dtype=bool)
    stripped[other] = (
        text[other].str.replace(_SEPARATORS, "", regex=True).str.replace(_CN_PREFIX, "", regex=True)
    )
    fast[other] = _plain_mobiles(stripped[other])
    number = pd.Series("", index=values.index, dtype=object)
    kind = pd.Series("blank", index=values.index, dtype=object)
    number[fast] = stripped[fast]
    kind[fast] = "mobile"
    slow = ~fast & (text != "")
    if slow.any():
        parsed = {value: _parse_phone(value) for value in text[slow].unique()}
        number[slow] = text[slow].map(lambda v: parsed[v][0])
        kind[slow] = text[slow].map(lambda v: parsed[v][1])
    return number, kind


# ---- emails --------------------------------------------------------------------------------------


def _email_fix(email: str) -> str | None:
    """The address the user probably meant, or None when no fix is evident."""
    fixed = unicodedata.normalize("NFKC", email).replace("＠", "@").strip().lower()
    if fixed.count("@") != 1:
        return None
    local, domain = fixed.split("@")
    domain = domain.replace(",", ".").replace("，", ".").replace("。", ".").strip(".")
    domain = _DOMAIN_TYPOS.get(domain, domain)
    candidate = f"{local}@{domain}"
    return candidate if candidate != email and _EMAIL.match(candidate) else None


def _emails_ok(emails: np.ndarray) -> np.ndarray:
    """Per address: well formed, and its domain (after the one '@') not a known misspelling."""
    # C-level maps over the distinct addresses (all text): no Python call per address.
    typos = tuple(f"@{domain}" for domain in _DOMAIN_TYPOS)
    formed = np.fromiter(map(bool, map(_EMAIL.match, emails)), bool, len(emails))
    typo = np.fromiter(map(methodcaller("endswith", typos), emails), bool, len(emails))
    ok: np.ndarray = formed & ~typo
    return ok


def _email_text(value: object) -> str:
    if (
        value is None
        or isinstance(value, CellError)
        or (isinstance(value, float) and np.isnan(value))
    ):
        return ""
    return str(value).strip().lower()


# ---- names ---------------------------------------------------------------------------------------


def _normalise_names(names: np.ndarray) -> np.ndarray:
    """Company or person names reduced to what identifies them (no legal suffix, no punctuation)."""
    folded = map(str.lower, map(partial(unicodedata.normalize, "NFKC"), names))
    return np.fromiter(map(_NAME_DROP.sub, repeat(""), folded), dtype=object, count=len(names))


# ---- the check -----------------------------------------------------------------------------------


_Texts: TypeAlias = str | np.ndarray  # one text for every row, or one per row


def _plain(value: object) -> CellValue:
    """A cell value as a problem shows it: NaN/NaT blank, Timestamps as dates, no numpy scalars."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        plain: CellValue = value.item()
        return plain
    return value  # type: ignore[return-value]


def _filled(zh: str, en: str, items: np.ndarray) -> np.ndarray:
    """``tr(zh, en)`` with each item's text for ``{}``, one text per item (numpy joins them)."""
    before, after = tr(zh, en).split("{}")
    words = items if items.dtype == object else items.astype(str).astype(object)
    filled: np.ndarray = before + words + after
    return filled


class _Collector:
    """Gathers problems for one table, skipping cells the reader already reported."""

    def __init__(self, table: CustomerTable) -> None:
        self.table = table
        self.problems: list[Problem] = []
        self._reported: dict[str | None, set[int]] = {}
        for p in table.problems:
            if p.row is not None:
                self._reported.setdefault(p.column, set()).add(p.row)
        self._arrays: dict[tuple[str, str], tuple[pd.Index, np.ndarray]] = {}

    def _array(self, source: str, key: str) -> tuple[pd.Index, np.ndarray]:
        """A column of ``raw`` or ``frame`` with its index, as objects, converted once per check."""
        if (source, key) not in self._arrays:
            frame = self.table.raw if source == "raw" else self.table.frame
            self._arrays[source, key] = (frame.index, frame[key].to_numpy(dtype=object))
        return self._arrays[source, key]

    def values(self, rows: np.ndarray, role: str) -> np.ndarray:
        """The cells of a role at Excel rows as read (else as typed, else blank), made plain."""
        found = np.full(len(rows), None, dtype=object)
        todo = np.arange(len(rows))
        for source, frame, key in (
            ("raw", self.table.raw, self.table.header_of(role)),
            ("frame", self.table.frame, role),
        ):
            if key not in frame.columns or not len(todo):
                continue
            index, column = self._array(source, key)
            at = index.get_indexer(rows[todo])
            hit = at >= 0
            if source == "frame" and not hit.all():
                raise KeyError(int(rows[todo][~hit][0]))
            found[todo[hit]] = column[at[hit]]
            todo = todo[~hit]
        found[:] = [value if type(value) is str else _plain(value) for value in found]
        return found

    def add(
        self,
        rows: np.ndarray,
        role: str | np.ndarray,
        kind: str,
        text: tuple[_Texts, _Texts],
    ) -> None:
        """One problem per row; the role and each of (problem, suggestion) are one or one per row."""
        rows = np.asarray(rows, dtype=np.int64)
        roles = np.full(len(rows), role, dtype=object) if isinstance(role, str) else role
        columns = np.empty(len(rows), dtype=object)
        values = np.empty(len(rows), dtype=object)
        keep = np.ones(len(rows), dtype=bool)
        for name in pd.unique(roles):
            at = np.flatnonzero(roles == name)
            column = self.table.header_of(name)
            columns[at] = column
            values[at] = self.values(rows[at], name)
            reported = self._reported.get(column)
            if reported:
                keep[at] = ~np.isin(rows[at], np.fromiter(reported, np.int64, len(reported)))
        texts = [repeat(t) if isinstance(t, str) else t[keep] for t in text]
        with _gc.paused():
            self.problems += map(
                Problem,
                repeat(self.table.sheet),
                rows[keep].tolist(),
                columns[keep],
                values[keep],
                *texts,
                repeat(kind),
            )


def _rows(mask: pd.Series) -> np.ndarray:
    rows: np.ndarray = mask.index.to_numpy()[mask.to_numpy(dtype=bool, na_value=False)]
    return rows


def _check_required(
    table: CustomerTable,
    out: _Collector,
    text: dict[str, pd.Series],
    blank_mobile: pd.Series,
    blank_email: pd.Series,
) -> None:
    frame = table.frame
    for role, zh, en in (("id", "客户编号", "customer ID"), ("name", "客户名称", "customer name")):
        if role not in frame.columns:
            out.problems.append(
                Problem(
                    sheet=table.sheet,
                    row=None,
                    column=None,
                    value=None,
                    problem=tr(f"客户表没有「{zh}」列", f"the customer table has no {en} column"),
                    suggestion=tr(
                        f"添加一列，表头写「{zh}」", f"add a column headed '{zh}' or '{en}'"
                    ),
                    kind="missing",
                )
            )
            continue
        out.add(
            # Blank text is blank once stripped: the role's text column says so for every cell.
            _rows(frame[role].isna() | (text[role] == "")),
            role,
            "missing",
            (
                tr(f"{zh}为空", f"the {en} is blank"),
                tr(f"填写{zh}", f"fill in the {en}"),
            ),
        )
    no_contact = blank_mobile & blank_email
    role = "mobile" if "mobile" in frame.columns else "email"
    out.add(
        _rows(no_contact),
        role,
        "missing",
        (
            tr(
                "手机和邮箱都为空，无法联系",
                "neither a mobile nor an email: the customer cannot be reached",
            ),
            tr("至少填写手机或邮箱之一", "record a mobile number or an email address"),
        ),
    )


def _satisfaction_scale(values: pd.Series) -> float:
    """The rating scale the column uses (5, 10 or 100), judged from the bulk of its values."""
    present = values.dropna()
    if present.empty:
        return 5.0
    typical = float(present.abs().quantile(0.95))
    return next((scale for scale in (5.0, 10.0) if typical <= scale), 100.0)


def _dates(values: pd.Series) -> pd.Series:
    """A column as datetimes (unreadable values as NaT); typed columns pass through."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, errors="coerce")


def _check_ranges(table: CustomerTable, out: _Collector, today: dt.date) -> None:
    frame = table.frame
    for role, zh, en in (("amount", "金额", "amount"), ("orders", "购买次数", "order count")):
        if role in frame.columns:
            values = pd.to_numeric(frame[role], errors="coerce")
            out.add(
                _rows(values < 0),
                role,
                "range",
                (
                    tr(f"{zh}为负数", f"the {en} is negative"),
                    tr(
                        "改为 0 或正数；退款请记在交易记录中",
                        "make it 0 or more; record refunds as transactions",
                    ),
                ),
            )
    if "satisfaction" in frame.columns:
        values = pd.to_numeric(frame["satisfaction"], errors="coerce")
        scale = _satisfaction_scale(values)
        out.add(
            _rows((values < 0) | (values > scale)),
            "satisfaction",
            "range",
            (
                tr(
                    f"满意度超出 0–{scale:g} 的范围",
                    f"the satisfaction score is outside 0–{scale:g}",
                ),
                tr(f"改为 0 到 {scale:g} 之间的分数", f"enter a score from 0 to {scale:g}"),
            ),
        )
    future, past = pd.Timestamp(today), pd.Timestamp(_EARLIEST)
    for role in ("first_purchase", "last_purchase"):
        if role not in frame.columns:
            continue
        dates = _dates(frame[role])
        out.add(
            _rows(dates > future),
            role,
            "range",
            (
                tr(
                    f"日期晚于基准日（{today.isoformat()}）",
                    f"the date is after the as-of date ({today.isoformat()})",
                ),
                tr("核对年份后改正", "check the year and correct it"),
            ),
        )
        out.add(
            _rows(dates < past),
            role,
            "range",
            (
                tr("日期早于 1990 年", "the date is before 1990"),
                tr("核对年份后改正", "check the year and correct it"),
            ),
        )
    if {"first_purchase", "last_purchase"} <= set(frame.columns):
        first, last = _dates(frame["first_purchase"]), _dates(frame["last_purchase"])
        rows = _rows(first > last)
        out.add(
            rows,
            "first_purchase",
            "date_order",
            (
                _filled(
                    "首次购买日期晚于最近购买日期（{}）",
                    "the first purchase is after the last purchase ({})",
                    np.array([day.isoformat() for day in last.loc[rows].dt.date], dtype=object),
                ),
                tr("两个日期可能填反了，请核对", "the two dates are probably swapped; check them"),
            ),
        )


def _first_rows(codes: np.ndarray, rows: np.ndarray) -> pd.Series:
    """For rows sharing a code, the first row with that code, indexed by each later row."""
    first = pd.Series(rows).groupby(codes, sort=False).transform("min").to_numpy()
    later = first != rows
    return pd.Series(first[later], index=rows[later], dtype=np.int64)


def _first_of_groups(keys: pd.Series) -> pd.Series:
    """For rows sharing a non-blank key, the first row with that key, indexed by each later row."""
    present = (keys != "").to_numpy(dtype=bool)
    codes, _ = pd.factorize(keys.to_numpy(dtype=object)[present])
    return _first_rows(codes, keys.index.to_numpy()[present])


def _text_column(frame: pd.DataFrame, role: str) -> pd.Series:
    if role not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return _texts(frame[role], lambda v: "" if v != v else str(v).strip())


def _name_clusters(blocks: np.ndarray, names: np.ndarray) -> np.ndarray:
    """A cluster number per row: rows in one block whose names score ≥ 90 share it."""
    block_codes, _ = pd.factorize(blocks)
    name_codes, distinct = pd.factorize(names)
    # Each (block, name) pair is compared once, however many rows carry it.
    pairs, pair_keys = pd.factorize(block_codes * len(distinct) + name_codes)
    pair_block, pair_name = np.divmod(pair_keys, len(distinct))
    close: list[np.ndarray] = []  # pairs of (block, name) pairs that score ≥ 90, as index arrays
    order = np.argsort(pair_block, kind="stable")
    for members in np.split(order, np.flatnonzero(np.diff(pair_block[order])) + 1):
        if len(members) < 2:
            continue
        block = distinct[pair_name[members]].tolist()
        # Two lists, not one twice: rapidfuzz then scores one name against many at once (SIMD),
        # about 3× faster than its symmetric path; blocks are too small to gain from threads.
        scores = process.cdist(
            block,
            list(block),
            scorer=fuzz.ratio,
            score_cutoff=_NAME_SCORE,
            dtype=np.uint8,
            workers=1,
        )
        first, second = np.divmod(np.flatnonzero(scores), len(block))
        later = first < second  # each pair once, not a name with itself
        close += [members[first[later]], members[second[later]]]
    # Imported here: only this step needs scipy, and it costs every other command ≈ 0.2 s.
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    first, second = (np.concatenate(close[side::2] or [np.empty(0, np.int64)]) for side in (0, 1))
    graph = coo_array(
        (np.ones(len(first), dtype=np.int8), (first, second)), shape=(len(pair_keys),) * 2
    )
    # int64: callers multiply cluster numbers by large counts; scipy labels are int32.
    labels = connected_components(graph, directed=False)[1].astype(np.int64)
    clusters: np.ndarray = labels[pairs]
    return clusters


@dataclass(frozen=True)
class NameKeys:
    """What finding near-identical names needs: name, city and contact texts (the last two as
    codes into their distinct values: compact to send to a worker process), by row."""

    rows: np.ndarray
    names: np.ndarray
    city_codes: np.ndarray
    cities: np.ndarray
    contact_codes: np.ndarray
    contacts: np.ndarray


def name_keys(frame: pd.DataFrame, names: pd.Series | None = None) -> NameKeys:
    """The name keys of a customer frame (``names``: its name column as text, if at hand)."""
    if names is None:
        names = _text_column(frame, "name")
    city_codes, cities = pd.factorize(_text_column(frame, "city").to_numpy(dtype=object))
    contact_codes, contacts = pd.factorize(_text_column(frame, "contact").to_numpy(dtype=object))
    return NameKeys(
        frame.index.to_numpy(),
        names.to_numpy(dtype=object),
        city_codes,
        np.asarray(cities, dtype=object),
        contact_codes,
        np.asarray(contacts, dtype=object),
    )


def near_names(keys: NameKeys) -> pd.Series:
    """For rows whose name is near-identical to an earlier row's at the same contact or city,
    the first such row, indexed by row (ascending)."""
    codes, distinct = pd.factorize(keys.names)
    norm = _normalise_names(distinct)[codes] if len(distinct) else np.array([], dtype=object)
    keep = norm != ""
    if not keep.any():
        return pd.Series(dtype=np.int64)
    norms = norm[keep]
    cities = keys.cities[keys.city_codes[keep]]
    contacts = keys.contacts[keys.contact_codes[keep]]
    rows = keys.rows[keep]
    # Blocking keeps fuzzy matching to small groups: by city and the first character of the name
    # after the city (names usually start with it), else by the name's first character. The cost:
    # a typo in that very character is left to the phone, email and exact-name checks.
    text = np.dtypes.StringDType()  # numpy's own strings: the string functions loop in C
    name_text, city_text = norms.astype(text), cities.astype(text)
    after = np.where(np.strings.startswith(name_text, city_text), np.strings.str_len(city_text), 0)
    head = np.strings.add("c:", city_text)
    head[city_text == ""] = "n:"
    blocks = np.strings.add(head, np.strings.slice(name_text, after, after + 1)).astype(object)
    cluster = _name_clusters(blocks, norms)
    found = []
    for other in (cities, contacts):
        present = other != ""
        other_codes, uniques = pd.factorize(other[present])
        codes = cluster[present] * (len(uniques) + 1) + other_codes
        found.append(_first_rows(codes, rows[present]))
    return pd.concat(found).groupby(level=0).min()


def _check_duplicates(
    table: CustomerTable,
    out: _Collector,
    text: dict[str, pd.Series],
    mobile: pd.Series,
    kind: pd.Series,
    email: pd.Series,
    similar: pd.Series | None,
) -> None:
    frame = table.frame
    criteria: list[tuple[str, str, str, pd.Series]] = []
    if "id" in frame.columns:
        criteria.append(("id", "客户编号相同", "same customer ID", _first_of_groups(text["id"])))
    if "mobile" in frame.columns:
        criteria.append(
            (
                "mobile",
                "手机相同",
                "same mobile",
                _first_of_groups(mobile.where(kind == "mobile", "")),
            )
        )
    if "email" in frame.columns:
        criteria.append(("email", "邮箱相同", "same email", _first_of_groups(email)))
    criteria.append(
        (
            "name",
            "名称相近",
            "a near-identical name",
            near_names(name_keys(frame, text["name"])) if similar is None else similar,
        )
    )
    rows = np.unique(np.concatenate([found.index.to_numpy() for *_, found in criteria]))
    # One row per criterion: the first row it matches (a sentinel where it matches none).
    heads = np.full((len(criteria), len(rows)), np.iinfo(np.int64).max)
    for heads_of, (*_, found) in zip(heads, criteria, strict=True):
        heads_of[np.searchsorted(rows, found.index.to_numpy())] = found.to_numpy()
    head = heads.min(axis=0)
    matched = heads == head
    # Which criteria name the earliest row, as bits: one text per combination, not per row.
    combination = (matched * (1 << np.arange(len(criteria)))[:, None]).sum(axis=0)
    problem = np.empty(len(rows), dtype=object)
    for bits in np.unique(combination):
        chosen = [c for i, c in enumerate(criteria) if bits >> i & 1]
        zh = "、".join(c[1] for c in chosen)
        en = " and ".join(c[2] for c in chosen)
        at = combination == bits
        problem[at] = _filled(
            f"与第 {{}} 行{zh}，可能是重复客户",
            f"{en} as row {{}}: probably a duplicate customer",
            head[at],
        )
    out.add(
        rows,
        np.array([c[0] for c in criteria], dtype=object)[matched.argmax(axis=0)],
        "duplicate",
        (
            problem,
            _filled(
                "与第 {} 行核对后合并或删除一行",
                "compare with row {}, then merge or delete one of them",
                head,
            ),
        ),
    )


def check_customers(
    table: CustomerTable,
    transactions: pd.DataFrame | None = None,
    *,
    today: dt.date | None = None,
    similar: pd.Series | None = None,
) -> CheckResult:
    """Check the customer table for bad contacts, missing fields, bad ranges and duplicates.

    ``similar``: what :func:`near_names` found, if it ran already (in a worker process).
    """
    del transactions  # accepted for the jobs' signature; transaction rows are checked by the reader
    today = today or dt.date.today()
    frame = table.frame
    out = _Collector(table)
    blank = pd.Series(True, index=frame.index)
    if "mobile" in frame.columns:
        mobile, kind = _clean_mobiles(frame["mobile"])
    else:
        mobile, kind = (
            pd.Series("", index=frame.index, dtype=object),
            pd.Series("blank", index=frame.index, dtype=object),
        )
    if "email" in frame.columns:
        email = _texts(frame["email"], _email_text, lower=True)
    else:
        email = pd.Series("", index=frame.index, dtype=object)
    codes, addresses = pd.factorize(email.to_numpy(dtype=object))
    address_ok = _emails_ok(addresses) if len(addresses) else np.array([], dtype=bool)
    email_ok = pd.Series(address_ok[codes], index=frame.index)

    landlines = _rows(kind == "landline")
    out.add(
        landlines,
        "mobile",
        "landline",
        (
            _filled(
                "这是固定电话（{}），不能接收短信",
                "this is a landline ({}) and cannot receive SMS",
                mobile.loc[landlines].to_numpy(dtype=object),
            ),
            tr("补充一个手机号以便发送短信", "record a mobile for SMS"),
        ),
    )
    out.add(
        _rows(kind == "invalid"),
        "mobile",
        "invalid_mobile",
        (
            tr(
                "不是有效的电话号码（位数或号段不对）",
                "not a valid phone number (wrong length or prefix)",
            ),
            tr(
                "核对后改为 11 位手机号，如 13812345678",
                "check it and enter an 11-digit mobile such as 13812345678",
            ),
        ),
    )
    fixes = {value: _email_fix(value) for value in addresses[~address_ok] if value}
    malformed = _rows((email != "") & ~email_ok)
    fix = np.array([fixes.get(value) for value in email.loc[malformed]], dtype=object)
    suggestion = np.full(
        len(malformed), tr("改为 name@example.com 这样的格式", "write it like name@example.com")
    )
    fixed = fix != None  # noqa: E711 - element-wise
    suggestion[fixed] = _filled("是否应为 {}？", "did you mean {}?", fix[fixed])
    out.add(
        malformed,
        "email",
        "invalid_email",
        (tr("邮箱格式不对", "the email address is malformed"), suggestion),
    )
    text = {role: _text_column(frame, role) for role in ("id", "name")}
    _check_required(
        table, out, text, kind == "blank" if "mobile" in frame.columns else blank, email == ""
    )
    _check_ranges(table, out, today)
    _check_duplicates(table, out, text, mobile, kind, email, similar)
    cleaned = pd.DataFrame(
        {"mobile": mobile, "mobile_kind": kind, "email": email, "email_ok": email_ok},
        index=frame.index,
    )
    summary = dict(Counter(p.kind for p in out.problems))
    return CheckResult(problems=out.problems, cleaned=cleaned, summary=summary)


_COLUMNS = (
    "工作表 Sheet",
    "行 Row",
    "列 Column",
    "值 Value",
    "问题 Problem",
    "建议 Suggestion",
    "类型 Kind",
)


_FIELDS = attrgetter("sheet", "row", "column", "value", "problem", "suggestion", "kind")


def problems_sheet(problems: Sequence[Problem]) -> SheetSpec:
    """The 数据检查 sheet listing every problem, sorted by sheet and row."""
    sheets, _ = pd.factorize(np.array([p.sheet for p in problems], dtype=object), sort=True)
    numbers = np.array([p.row or 0 for p in problems], dtype=np.int64)
    rows: list[Sequence[CellValue]] = [list(_COLUMNS)]
    rows += map(_FIELDS, [problems[i] for i in np.lexsort((numbers, sheets)).tolist()])
    for at, row in enumerate(rows):
        if isinstance(row[3], CellError):  # shown as its code: the check sheet holds no errors
            rows[at] = (*row[:3], str(row[3]), *row[4:])
    if not problems:
        rows.append(["", None, "", None, tr("未发现问题", "no problems found"), "", ""])
    return SheetSpec(
        name=CHECK_SHEET,
        rows=rows,
        widths={0: 14, 1: 8, 2: 14, 3: 24, 4: 44, 5: 44, 6: 14},
        freeze="A2",
        autofilter=True,
        tab_color="C00000",
    )
