"""Rule points: each rule that matches a customer adds its (possibly decayed) points.

Evaluation is vectorised per rule over the whole table. Reason text
("累计金额 52,000 ≥ 50,000 +40") is built per distinct case, not per row: each
rule numbers its distinct fragments (value, points, decayed), the rows are
grouped into patterns by the fragments they collect, and each pattern's text
is joined once. A full sheet has far fewer patterns than rows, and Python
string work per row is what made a million rows slow.

Decay: a rule with *decay days* N keeps its full points while the fact is at
most N days old, then loses half every further N days. The age of a fact is the
age of the rule's own date field, or for any other field the time since the
customer's last purchase (the latest dated fact in the row); unknown ages do
not decay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import tr
from ..roles import role_info
from .lifecycle import to_dates
from .settings import DERIVED_FIELDS, Rule, field_label

__all__ = [
    "RuleScores",
    "first_rows",
    "format_number",
    "format_points",
    "reasons",
    "score_rules",
]

_KEY_LIMIT = 2**62  # combined pattern keys stay below this, so int64 never overflows
_SYMBOLS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "=": "=", "≠": "≠"}


@dataclass(frozen=True)
class RuleScores:
    """Summed points, each matching rule's reason fragments, and the fields the table lacks."""

    score: np.ndarray
    # Per matching rule: the fragment number per row (0: no match) and the texts, "" first.
    fragments: tuple[tuple[np.ndarray, np.ndarray], ...]
    missing: tuple[str, ...]


def format_number(value: float) -> str:
    """A number as people write it: thousands separators, no needless decimals."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_points(points: float) -> str:
    """Points with their sign: +40, -20, +7.5."""
    return ("+" if points >= 0 else "-") + format_number(abs(round(points, 1)))


def _fmt(value: object) -> str:
    if isinstance(value, dt.date | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered by first appearance (as pd.factorize)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.r_[True, running[1:] > running[:-1]])


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes by first appearance and the distinct values (NaN counts as a value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _texts(values: np.ndarray) -> list[str]:
    """The reason text of each (distinct) shown value."""
    if values.dtype.kind == "M":
        return list(pd.DatetimeIndex(values).strftime("%Y-%m-%d"))
    if values.dtype.kind == "f":
        return [format_number(v) for v in values.tolist()]
    return [_fmt(v) for v in values]


def _fragments(
    rule: Rule, name: str, shown: Any, points: np.ndarray, decayed: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Each matching row's fragment number and the text of each distinct fragment."""
    if rule.operator == "blank":
        value_code, value_text = np.zeros(len(points), dtype=np.int64), [""]
    else:
        value_code, uniques = _factorize(shown)
        value_text = _texts(uniques)
    point_code, point_values = _factorize(points)
    suffix = tr("（衰减）", " (decayed)")
    point_text = [
        t + extra for t in map(format_points, point_values.tolist()) for extra in ("", suffix)
    ]
    point_key = point_code * 2 + decayed
    code, _ = _factorize(value_code * len(point_text) + point_key)
    first = first_rows(code)
    before, after = _describe(rule, name)
    texts = [
        f"{before}{value_text[v]}{after} {point_text[p]}"
        for v, p in zip(value_code[first].tolist(), point_key[first].tolist(), strict=True)
    ]
    return code, texts


def reasons(
    scored: RuleScores, ending: np.ndarray, endings: Sequence[str], nothing: str
) -> np.ndarray:
    """Each row's reason: its matched rules' fragments (or *nothing*), then its ending."""
    # Rows are grouped by the fragments and ending they get; each group's text is built once.
    key = ending.astype(np.int64)
    size = len(endings)
    for code, texts in scored.fragments:
        if size > _KEY_LIMIT // len(texts):
            key, distinct = _factorize(key)
            size = len(distinct)
        key = key * len(texts) + code
        size *= len(texts)
    key, _ = _factorize(key)
    first = first_rows(key)
    parts = [texts[code[first]] for code, texts in scored.fragments]
    table = [
        ("；".join(filter(None, texts)) or nothing) + endings[e]
        for *texts, e in zip(*parts, ending[first].tolist(), strict=True)
    ]
    return np.array(table, dtype=object)[key]


def _kind(field: str) -> str:
    return "integer" if field in DERIVED_FIELDS else role_info(field).kind


def _match(
    rule: Rule, series: pd.Series, kind: str, as_of: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows a rule matches, the value each shows in the reason, and the fact's age in days."""
    op, values = rule.operator, rule.values
    age = None
    if kind == "date":
        dates = to_dates(series)
        age = (pd.Timestamp(as_of) - dates).dt.days.to_numpy(dtype="float64", na_value=np.nan)
        if op in ("within", "older"):
            mask = age <= values[0] if op == "within" else age > values[0]
            return mask, age, age
        data = dates.to_numpy(dtype="datetime64[ns]")
        shown = data
        values = tuple(np.datetime64(pd.Timestamp(v), "ns") for v in values)
    elif kind in ("number", "integer"):
        data = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        shown = data
    elif kind == "bool":
        data = series.astype("boolean").to_numpy(dtype=object, na_value=None)
        shown = np.where(data == True, tr("是", "yes"), tr("否", "no"))  # noqa: E712
    else:
        text = series.astype("string").str.strip()
        data = text.str.casefold().to_numpy(dtype=object, na_value=None)
        shown = text.to_numpy(dtype=object, na_value="")
    known = pd.notna(data)
    if op == "blank":
        blank = ~known | (data == "")
        return blank, shown, age
    with np.errstate(invalid="ignore"):
        if op == "between":
            mask = known & (data >= values[0]) & (data < values[1])
        elif op == "in":
            mask = known & pd.Series(data).isin(values).to_numpy()
        elif op == "contains":
            found = pd.Series(data, dtype="string")
            mask = np.zeros(len(data), dtype=bool)
            for needle in values:
                mask |= found.str.contains(needle, regex=False).fillna(False).to_numpy(dtype=bool)
        else:
            compare: dict[str, Any] = {
                ">": np.greater,
                ">=": np.greater_equal,
                "<": np.less,
                "<=": np.less_equal,
                "=": np.equal,
                "≠": np.not_equal,
            }
            mask = known & np.asarray(compare[op](data, values[0]), dtype=bool)
    return np.asarray(mask, dtype=bool), shown, age


def _describe(rule: Rule, name: str) -> tuple[str, str]:
    """The text before and after a row's value in a reason fragment."""
    op, values = rule.operator, rule.values
    if op in _SYMBOLS:
        return f"{name} ", f" {_SYMBOLS[op]} {_fmt(values[0])}"
    if op == "between":
        low, high = _fmt(values[0]), _fmt(values[1])
        return f"{name} ", tr(f" 在 {low}–{high} 之间", f" in {low}–{high}")
    if op == "in":
        return f"{name} ", ""
    if op == "contains":
        found = "/".join(values)
        return f"{name} ", tr(f" 含「{found}」", f" contains '{found}'")
    if op == "blank":
        return f"{name} " + tr("为空", "is blank"), ""
    return f"{name} ", tr(" 天前", " days ago")


def score_rules(
    frame: pd.DataFrame,
    rules: Sequence[Rule],
    as_of: dt.date,
    labels: Mapping[str, str],
    derived: Mapping[str, pd.Series],
) -> RuleScores:
    """Points and reason fragments of every rule over every row."""
    n = len(frame)
    score = np.zeros(n)
    fragments: list[tuple[np.ndarray, np.ndarray]] = []
    missing: list[str] = []
    last_age = None
    if "last_purchase" in frame:
        last = to_dates(frame["last_purchase"])
        last_age = (pd.Timestamp(as_of) - last).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    for rule in rules:
        name = field_label(rule.field, labels)
        series = derived.get(rule.field, frame.get(rule.field))
        if series is None:
            if name not in missing:
                missing.append(name)
            continue
        kind = _kind(rule.field)
        mask, shown, age = _match(rule, series, kind, as_of)
        if not mask.any():
            continue
        points = np.full(n, rule.points)
        decayed = np.zeros(n, dtype=bool)
        fact_age = age if age is not None else last_age
        if rule.decay_days is not None and fact_age is not None:
            over = np.nan_to_num(fact_age, nan=0.0) - rule.decay_days
            decayed = over > 0
            points = np.where(decayed, rule.points * 0.5 ** (over / rule.decay_days), rule.points)
            points = np.round(points, 1)
        score += np.where(mask, points, 0.0)
        rows = np.flatnonzero(mask)
        code, texts = _fragments(rule, name, shown[rows], points[rows], decayed[rows])
        full = np.zeros(n, dtype=np.int64)
        full[rows] = code + 1
        fragments.append((full, np.array(["", *texts], dtype=object)))
    return RuleScores(np.round(score, 1), tuple(fragments), tuple(missing))
