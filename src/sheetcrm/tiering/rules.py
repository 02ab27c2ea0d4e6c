"""Rule points: each rule that matches a customer adds its (possibly decayed) points.

Evaluation is vectorised per rule over the whole table, and so are the reason
fragments ("累计金额 52,000 ≥ 50,000 +40"): values are formatted once per
distinct value, then concatenated as object arrays.

Decay: a rule with *decay days* N keeps its full points while the fact is at
most N days old, then loses half every further N days. The age of a fact is the
age of the rule's own date field, or for any other field the time since the
customer's last purchase (the latest dated fact in the row); unknown ages do
not decay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import tr
from ..roles import role_info
from .settings import DERIVED_FIELDS, Rule, field_label

__all__ = ["RuleScores", "format_number", "format_points", "score_rules"]

_SYMBOLS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "=": "=", "≠": "≠"}


@dataclass(frozen=True)
class RuleScores:
    """Summed points, the matched-rule text per row, and the fields the table lacks."""

    score: np.ndarray
    reason: np.ndarray  # object array of "fragment；fragment" ("" when nothing matched)
    matched: np.ndarray  # bool: at least one rule matched
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


def _formatted(values: np.ndarray, fmt: Callable[[Any], str]) -> np.ndarray:
    """Format values, each distinct value once (object array)."""
    picked = pd.Series(values)
    table = {v: fmt(v) for v in picked.unique()}
    return picked.map(table).to_numpy(dtype=object)


def _kind(field: str) -> str:
    return "integer" if field in DERIVED_FIELDS else role_info(field).kind


def _match(
    rule: Rule, series: pd.Series, kind: str, as_of: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows a rule matches, the value each shows in the reason, and the fact's age in days."""
    op, values = rule.operator, rule.values
    age = None
    if kind == "date":
        dates = pd.to_datetime(series, errors="coerce")
        age = (pd.Timestamp(as_of) - dates).dt.days.to_numpy(dtype="float64", na_value=np.nan)
        if op in ("within", "older"):
            mask = age <= values[0] if op == "within" else age > values[0]
            return mask, age, age
        data = dates.to_numpy(dtype="datetime64[ns]")
        shown = np.asarray(dates.dt.date.to_numpy(), dtype=object)
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
    reason = np.full(n, "", dtype=object)
    matched = np.zeros(n, dtype=bool)
    missing: list[str] = []
    last_age = None
    if "last_purchase" in frame:
        last = pd.to_datetime(frame["last_purchase"], errors="coerce")
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
        # Build text only for the matching rows: most rules match a minority of customers.
        rows = np.flatnonzero(mask)
        before, after = _describe(rule, name)
        if rule.operator == "blank":
            value_text: Any = ""
        else:
            value_text = _formatted(shown[rows], _fmt)
        points_text = _formatted(points[rows], lambda p: format_points(float(p)))
        if decayed.any():
            points_text = np.where(
                decayed[rows], points_text + tr("（衰减）", " (decayed)"), points_text
            )
        fragment = before + value_text + after + " " + points_text
        reason[rows] = np.where(matched[rows], reason[rows] + "；", "") + fragment
        matched |= mask
    return RuleScores(np.round(score, 1), reason, matched, tuple(missing))
