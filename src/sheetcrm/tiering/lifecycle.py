"""Lifecycle stage (客户生命周期) and the churn heuristic, from each customer's own rhythm.

A customer's *usual gap* is the average time between purchases,
``(last − first) / (orders − 1)``, never less than :data:`MIN_GAP` days; for
one-time buyers and where it is unknown it is :data:`ONE_TIME_GAP` days.
Measured against it:

* 离开期 departure — no purchase for more than :data:`DEPART_FACTOR` usual gaps;
* 衰退期 decline — no purchase for more than :data:`DECLINE_FACTOR` usual gaps;
* otherwise 获取期 acquisition (at most one order, or none yet), 成熟期 maturity
  (at least :data:`MATURE_ORDERS` orders) or 提升期 growth (in between).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..i18n import tr

__all__ = [
    "DECLINE_FACTOR",
    "DEPART_FACTOR",
    "MATURE_ORDERS",
    "MIN_GAP",
    "ONE_TIME_GAP",
    "STAGES",
    "overdue_ratio",
    "rhythm",
    "stage_keys",
    "stage_label",
    "stage_labels",
    "to_dates",
]

MIN_GAP = 30.0
ONE_TIME_GAP = 90.0
DECLINE_FACTOR = 1.5
DEPART_FACTOR = 3.0
MATURE_ORDERS = 5

# key → (Chinese, English), in lifecycle order.
STAGES: dict[str, tuple[str, str]] = {
    "acquisition": ("获取期", "Acquisition"),
    "growth": ("提升期", "Growth"),
    "maturity": ("成熟期", "Maturity"),
    "decline": ("衰退期", "Decline"),
    "departure": ("离开期", "Departure"),
}


def stage_label(key: str) -> str:
    """A stage's name in the current language."""
    zh, en = STAGES[key]
    return tr(zh, en)


def to_dates(values: pd.Series) -> pd.Series:
    """Values as datetime64 (NaT where not a date)."""
    if values.dtype == "datetime64[ns]":
        # Already dates: pd.to_datetime would still sample the column to decide on caching,
        # which costs as much as the date arithmetic of a full sheet.
        return values
    return pd.to_datetime(values, errors="coerce")


def _dates(frame: pd.DataFrame, role: str) -> pd.Series:
    if role not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return to_dates(frame[role])


def rhythm(frame: pd.DataFrame, as_of: dt.date) -> tuple[pd.Series, pd.Series]:
    """Days since the last purchase, and the customer's own usual gap in days (at least
    :data:`MIN_GAP`; NaN for one-time buyers and where it is unknown)."""
    first, last = _dates(frame, "first_purchase"), _dates(frame, "last_purchase")
    orders = (
        pd.to_numeric(frame["orders"], errors="coerce").astype("float64")
        if "orders" in frame
        else pd.Series(np.nan, index=frame.index)
    )
    span = (last - first).dt.days.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (span / (orders - 1)).where(orders >= 2)
    recency = (pd.Timestamp(as_of) - last).dt.days.astype("float64")
    return recency, gap.clip(lower=MIN_GAP)


def overdue_ratio(frame: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Days since the last purchase divided by the customer's usual gap (NaN when unknown)."""
    recency, gap = rhythm(frame, as_of)
    return recency / gap.fillna(ONE_TIME_GAP)


def _stage_codes(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """Index per customer into the keys of :data:`STAGES`, ``len(STAGES)`` when unknown."""
    ratio = overdue_ratio(frame, as_of).to_numpy()
    orders = (
        pd.to_numeric(frame["orders"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if "orders" in frame
        else np.full(len(frame), np.nan)
    )
    no_purchase = np.isnan(ratio) & (orders == 0)
    # An unknown order count with a known last purchase is taken as repeat buying (growth).
    repeat = np.where(np.isnan(orders), 2.0, orders)
    index = {key: i for i, key in enumerate(STAGES)}
    return np.select(
        [
            no_purchase,
            np.isnan(ratio),
            ratio > DEPART_FACTOR,
            ratio > DECLINE_FACTOR,
            repeat <= 1,
            repeat >= MATURE_ORDERS,
        ],
        [
            index["acquisition"],
            len(STAGES),
            index["departure"],
            index["decline"],
            index["acquisition"],
            index["maturity"],
        ],
        default=index["growth"],
    )


def stage_keys(frame: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Lifecycle stage key per customer (None when neither orders nor a last purchase is known)."""
    keys = np.array([*STAGES, None], dtype=object)
    return pd.Series(keys[_stage_codes(frame, as_of)], index=frame.index, dtype=object)


def stage_labels(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """Lifecycle stage name per customer in the current language (None when unknown)."""
    labels = np.array([*map(stage_label, STAGES), None], dtype=object)
    stages: np.ndarray = labels[_stage_codes(frame, as_of)]
    return stages
