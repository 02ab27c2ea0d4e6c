"""RFM scores (1–5) by rank-based quintiles, and the named segments of both traditions.

Scores come from each value's average rank among the known values:
``score = ceil(5 · rank / n)``. Equal values share a score whatever the row
order, and a heavy tie (half the customers bought once) is no problem, where
``pd.qcut`` would fail on duplicate bin edges. Recency scores the other way
round: the most recent buyers get 5.

Segments:

* the Chinese 8-segment model (重要价值 … 一般挽留) from R, F and M each being
  high (score ≥ 3) or low;
* the common English 11-segment map (Champions … Lost) from a 5 × 5 grid of
  R and F scores.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .lifecycle import to_dates

__all__ = [
    "CN_SEGMENTS",
    "EN_GRID",
    "EN_SEGMENTS",
    "HIGH_SCORE",
    "rank_scores",
    "recency_days",
    "score_against",
    "segment_cn",
    "segment_en",
]

HIGH_SCORE = 3  # an R/F/M score at or above this counts as "high" in the 8-segment model

# (R high, F high, M high) → key, default Chinese name, English name.
CN_SEGMENTS: dict[tuple[bool, bool, bool], tuple[str, str, str]] = {
    (True, True, True): ("important_value", "重要价值", "Important value"),
    (True, False, True): ("important_develop", "重要发展", "Important to develop"),
    (False, True, True): ("important_keep", "重要保持", "Important to keep"),
    (False, False, True): ("important_retain", "重要挽留", "Important to win back"),
    (True, True, False): ("general_value", "一般价值", "General value"),
    (True, False, False): ("general_develop", "一般发展", "General to develop"),
    (False, True, False): ("general_keep", "一般保持", "General to keep"),
    (False, False, False): ("general_retain", "一般挽留", "General to win back"),
}

# key → default English name, Chinese name.
EN_SEGMENTS: dict[str, tuple[str, str]] = {
    "champions": ("Champions", "冠军客户"),
    "loyal": ("Loyal", "忠诚客户"),
    "potential_loyalist": ("Potential Loyalist", "潜在忠诚客户"),
    "new": ("New", "新客户"),
    "promising": ("Promising", "有潜力客户"),
    "need_attention": ("Need Attention", "需关注客户"),
    "about_to_sleep": ("About to Sleep", "即将沉睡客户"),
    "at_risk": ("At Risk", "风险客户"),
    "cant_lose": ("Can't Lose", "不能失去的客户"),
    "hibernating": ("Hibernating", "沉睡客户"),
    "lost": ("Lost", "已流失客户"),
}

# Rows: R score 1..5; columns: F score 1..5.
EN_GRID: tuple[tuple[str, ...], ...] = (
    ("lost", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
)


def rank_scores(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Scores 1–5 by rank-based quintiles (Int64; missing values stay missing)."""
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(numeric)
    known = numeric[~missing]
    if not len(known):
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    # Rank the distinct values: the average rank of a value is the count below it plus the
    # mean of its tied positions, an exact half-integer as pandas' rank(method="average") gives.
    _, which, counts = np.unique(
        known if higher_is_better else -known, return_inverse=True, return_counts=True
    )
    below = np.cumsum(counts) - counts
    ranks = below + (counts + 1) / 2
    # Multiply before dividing: an exact integer quotient stays exact, so ceil is safe.
    distinct_scores = np.ceil(ranks * 5 / len(known)).clip(1, 5).astype(np.int64)
    scores = np.zeros(len(numeric), dtype=np.int64)
    scores[~missing] = distinct_scores[which]
    return pd.Series(pd.arrays.IntegerArray(scores, missing), index=values.index)


def score_against(value: float, column: Sequence[float], higher_is_better: bool = True) -> int:
    """The score of one value among a column of values, as :func:`rank_scores` gives it."""
    known = np.asarray([v for v in column if v is not None and not math.isnan(v)], dtype=float)
    if not higher_is_better:
        known, value = -known, -value
    below = int((known < value).sum())
    equal = int((known == value).sum())
    n = len(known) + (0 if equal else 1)  # a value outside the column joins it
    rank = below + (equal + 1) / 2 if equal else below + 1
    return int(min(max(math.ceil(rank * 5 / n), 1), 5))


def recency_days(last_purchase: pd.Series, as_of: dt.date) -> pd.Series:
    """Days from each last purchase to the as-of date (float, NaN when unknown)."""
    dates = to_dates(last_purchase)
    return (pd.Timestamp(as_of) - dates).dt.days.astype("float64")


def _names(values: np.ndarray, known: pd.Series) -> pd.Series:
    out = values.astype(object)
    out[~known.to_numpy()] = None
    return pd.Series(out, index=known.index, dtype=object)


def segment_cn(
    r: pd.Series, f: pd.Series, m: pd.Series, names: Mapping[str, str] | None = None
) -> pd.Series:
    """The 8-segment name per customer (None where a score is missing)."""
    names = names or {}
    table = np.empty(8, dtype=object)
    for (rh, fh, mh), (key, zh, _) in CN_SEGMENTS.items():
        table[rh * 4 + fh * 2 + mh] = names.get(key, zh)
    known = r.notna() & f.notna() & m.notna()
    code = (
        (r.fillna(0).to_numpy() >= HIGH_SCORE) * 4
        + (f.fillna(0).to_numpy() >= HIGH_SCORE) * 2
        + (m.fillna(0).to_numpy() >= HIGH_SCORE)
    ).astype(int)
    return _names(table[code], known)


def segment_en(r: pd.Series, f: pd.Series, names: Mapping[str, str] | None = None) -> pd.Series:
    """The 11-segment name per customer from the R × F grid (None where a score is missing)."""
    names = names or {}
    grid = np.array(
        [[names.get(key, EN_SEGMENTS[key][0]) for key in row] for row in EN_GRID], dtype=object
    )
    known = r.notna() & f.notna()
    ri = r.fillna(1).to_numpy().astype(int) - 1
    fi = f.fillna(1).to_numpy().astype(int) - 1
    return _names(grid[ri, fi], known)
