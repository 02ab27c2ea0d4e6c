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

import numpy as np
import pandas as pd
import phonenumbers
from rapidfuzz import fuzz, process

from .book.base import CellError, CellValue, CustomerTable, Problem, SheetSpec
from .i18n import tr

__all__ = ["CHECK_SHEET", "CheckResult", "check_customers", "problems_sheet"]

CHECK_SHEET = "数据检查"

_EARLIEST = dt.date(1990, 1, 1)
_NAME_SCORE = 90  # rapidfuzz ratio at or above which two normalised names count as the same
_SEPARATORS = re.compile(r"[\s\-.()（）—_/]")
_CN_PREFIX = re.compile(r"^(?:\+86|0086|86(?=1\d{10}$))")
_FAST_MOBILE = re.compile(r"^1[3-9]\d{9}$")
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
# Both in one pass: suffixes start with a word character, so noise never hides one.
_NAME_DROP = re.compile(f"(?i:{_COMPANY_SUFFIX.pattern})|{_NAME_NOISE.pattern}")


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
    out = [
        (value.strip().lower() if lower else value.strip())
        if type(value) is str
        else ("" if value is None else convert(value))
        for value in values.to_numpy(dtype=object)
    ]
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


def _clean_mobiles(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalised numbers and their kind (mobile/landline/invalid/blank) for a phone column."""
    text = _texts(values, _phone_text)
    stripped = text.copy()
    # A plain 11-digit mobile has no separators or prefix to strip: only the others are cleaned.
    fast = text.str.match(_FAST_MOBILE).to_numpy(dtype=bool)
    other = ~fast & (text != "").to_numpy(dtype=bool)
    stripped[other] = (
        text[other].str.replace(_SEPARATORS, "", regex=True).str.replace(_CN_PREFIX, "", regex=True)
    )
    fast[other] = stripped[other].str.match(_FAST_MOBILE).to_numpy(dtype=bool)
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


def _email_ok(email: str) -> bool:
    """True for a well-formed address whose domain is not a known misspelling."""
    return bool(_EMAIL.match(email)) and email.rsplit("@", 1)[1] not in _DOMAIN_TYPOS


def _email_text(value: object) -> str:
    if (
        value is None
        or isinstance(value, CellError)
        or (isinstance(value, float) and np.isnan(value))
    ):
        return ""
    return str(value).strip().lower()


# ---- names ---------------------------------------------------------------------------------------


def _normalise_name(name: str) -> str:
    """A company or person name reduced to what identifies it (no legal suffix, no punctuation)."""
    return _NAME_DROP.sub("", unicodedata.normalize("NFKC", name).lower())


# ---- the check -----------------------------------------------------------------------------------


class _Collector:
    """Gathers problems for one table, skipping cells the reader already reported."""

    def __init__(self, table: CustomerTable) -> None:
        self.table = table
        self.problems: list[Problem] = []
        self._reported = {(p.row, p.column) for p in table.problems}

    def value(self, row: int, role: str) -> CellValue:
        header = self.table.header_of(role)
        raw = self.table.raw
        if header in raw.columns and row in raw.index:
            value = raw.at[row, header]
        elif role in self.table.frame.columns:
            value = self.table.frame.at[row, role]
        else:
            return None
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.date()
        if isinstance(value, np.generic):
            return value.item()
        return value

    def add(
        self,
        rows: Sequence[int],
        role: str,
        kind: str,
        text: tuple[str, str] | Callable[[int], tuple[str, str]],
    ) -> None:
        """One problem per row; ``text`` is (problem, suggestion) or gives them for a row."""
        column = self.table.header_of(role)
        for row in rows:
            if (row, column) in self._reported:
                continue
            problem, suggestion = text if isinstance(text, tuple) else text(row)
            self.problems.append(
                Problem(
                    sheet=self.table.sheet,
                    row=int(row),
                    column=column,
                    value=self.value(row, role),
                    problem=problem,
                    suggestion=suggestion,
                    kind=kind,
                )
            )


def _blank_text(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _rows(mask: pd.Series) -> list[int]:
    return [int(row) for row in mask.index[mask.to_numpy(dtype=bool, na_value=False)]]


def _check_required(
    table: CustomerTable, out: _Collector, blank_mobile: pd.Series, blank_email: pd.Series
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
            _rows(_blank_text(frame[role])),
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
        out.add(
            _rows(first > last),
            "first_purchase",
            "date_order",
            lambda row: (
                tr(
                    f"首次购买日期晚于最近购买日期（{last[row].date().isoformat()}）",
                    f"the first purchase is after the last purchase ({last[row].date().isoformat()})",
                ),
                tr("两个日期可能填反了，请核对", "the two dates are probably swapped; check them"),
            ),
        )


def _first_rows(codes: np.ndarray, rows: np.ndarray) -> dict[int, int]:
    """For rows sharing a code, each later row → the first row with that code."""
    first = pd.Series(rows).groupby(codes, sort=False).transform("min").to_numpy()
    later = first != rows
    return dict(zip(rows[later].tolist(), first[later].tolist(), strict=True))


def _first_of_groups(keys: pd.Series) -> dict[int, int]:
    """For rows sharing a non-blank key, each later row → the first row with that key."""
    present = (keys != "").to_numpy(dtype=bool)
    codes, _ = pd.factorize(keys.to_numpy(dtype=object)[present])
    return _first_rows(codes, keys.index.to_numpy()[present])


def _text_column(frame: pd.DataFrame, role: str) -> pd.Series:
    if role not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return _texts(frame[role], lambda v: "" if v != v else str(v).strip())


def _find(parent: list[int], i: int) -> int:
    """The root of i in a union-find forest, halving paths on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _name_clusters(blocks: np.ndarray, names: np.ndarray) -> np.ndarray:
    """A cluster number per row: rows in one block whose names score ≥ 90 share it."""
    block_codes, _ = pd.factorize(blocks)
    name_codes, distinct = pd.factorize(names)
    # Each (block, name) pair is compared once, however many rows carry it.
    pairs, pair_keys = pd.factorize(block_codes * len(distinct) + name_codes)
    pair_block, pair_name = np.divmod(pair_keys, len(distinct))
    parent = list(range(len(pair_keys)))
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
        for a, b in zip(*np.nonzero(np.triu(scores, k=1)), strict=True):
            parent[_find(parent, int(members[b]))] = _find(parent, int(members[a]))
    roots = np.array(parent)
    while not np.array_equal(roots, roots[roots]):  # point every pair at its root
        roots = roots[roots]
    clusters: np.ndarray = roots[pairs]
    return clusters


def _similar_names(frame: pd.DataFrame) -> dict[int, int]:
    """Rows whose name is near-identical to an earlier row's at the same contact or city."""
    names = _text_column(frame, "name")
    norm = names.map({name: _normalise_name(name) for name in names.unique()})
    keep = (norm != "").to_numpy(dtype=bool)
    if not keep.any():
        return {}
    norms = norm.to_numpy(dtype=object)[keep]
    cities = _text_column(frame, "city").to_numpy(dtype=object)[keep]
    contacts = _text_column(frame, "contact").to_numpy(dtype=object)[keep]
    rows = frame.index.to_numpy()[keep]
    # Blocking keeps fuzzy matching to small groups: by city and the first character of the name
    # after the city (names usually start with it), else by the name's first character. The cost:
    # a typo in that very character is left to the phone, email and exact-name checks.
    blocks = np.array(
        [
            ("c:" + c if c else "n:") + (n[len(c) : len(c) + 1] if c and n.startswith(c) else n[:1])
            for n, c in zip(norms, cities, strict=True)
        ],
        dtype=object,
    )
    cluster = _name_clusters(blocks, norms)
    found: dict[int, int] = {}
    for other in (cities, contacts):
        present = other != ""
        other_codes, uniques = pd.factorize(other[present])
        codes = cluster[present] * (len(uniques) + 1) + other_codes
        for row, head in _first_rows(codes, rows[present]).items():
            found[row] = min(head, found.get(row, head))
    return found


def _check_duplicates(
    table: CustomerTable, out: _Collector, mobile: pd.Series, kind: pd.Series, email: pd.Series
) -> None:
    frame = table.frame
    criteria: list[tuple[str, str, str, dict[int, int]]] = []
    if "id" in frame.columns:
        ids = _text_column(frame, "id")
        criteria.append(("id", "客户编号相同", "same customer ID", _first_of_groups(ids)))
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
    criteria.append(("name", "名称相近", "a near-identical name", _similar_names(frame)))
    rows = sorted({row for *_, found in criteria for row in found})
    for row in rows:
        head = min(found[row] for *_, found in criteria if row in found)
        matched = [c for c in criteria if c[3].get(row) == head]
        zh = "、".join(c[1] for c in matched)
        en = " and ".join(c[2] for c in matched)
        out.add(
            [row],
            matched[0][0],
            "duplicate",
            (
                tr(
                    f"与第 {head} 行{zh}，可能是重复客户",
                    f"{en} as row {head}: probably a duplicate customer",
                ),
                tr(
                    f"与第 {head} 行核对后合并或删除一行",
                    f"compare with row {head}, then merge or delete one of them",
                ),
            ),
        )


def check_customers(
    table: CustomerTable, transactions: pd.DataFrame | None = None, *, today: dt.date | None = None
) -> CheckResult:
    """Check the customer table for bad contacts, missing fields, bad ranges and duplicates."""
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
    unique_emails = {value: _email_ok(value) for value in email.unique() if value}
    email_ok = email.map(unique_emails).eq(True)  # addresses not in the dict are blank

    out.add(
        _rows(kind == "landline"),
        "mobile",
        "landline",
        lambda row: (
            tr(
                f"这是固定电话（{mobile[row]}），不能接收短信",
                f"this is a landline ({mobile[row]}) and cannot receive SMS",
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
    fixes = {value: _email_fix(value) for value, ok in unique_emails.items() if not ok}

    def email_text(row: int) -> tuple[str, str]:
        fix = fixes.get(email[row])
        if fix:
            return tr("邮箱格式不对", "the email address is malformed"), tr(
                f"是否应为 {fix}？", f"did you mean {fix}?"
            )
        return (
            tr("邮箱格式不对", "the email address is malformed"),
            tr("改为 name@example.com 这样的格式", "write it like name@example.com"),
        )

    out.add(_rows((email != "") & ~email_ok), "email", "invalid_email", email_text)
    _check_required(
        table, out, kind == "blank" if "mobile" in frame.columns else blank, email == ""
    )
    _check_ranges(table, out, today)
    _check_duplicates(table, out, mobile, kind, email)
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


def _sheet_value(value: CellValue) -> CellValue:
    # Error values are shown as their code so the check sheet itself holds no errors.
    return str(value) if isinstance(value, CellError) else value


def problems_sheet(problems: Sequence[Problem]) -> SheetSpec:
    """The 数据检查 sheet listing every problem, sorted by sheet and row."""
    ordered = sorted(problems, key=lambda p: (p.sheet, p.row if p.row is not None else 0))
    rows: list[list[CellValue]] = [list(_COLUMNS)]
    rows += [
        [p.sheet, p.row, p.column, _sheet_value(p.value), p.problem, p.suggestion, p.kind]
        for p in ordered
    ]
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
