"""Churn early warning (流失预警): BG/NBD on transactions, else recency against the usual gap.

With a transactions sheet, each customer's purchase days up to the as-of date
give frequency (repeat purchase days), recency and age in weeks; BG/NBD is
fitted on all customers and gives P(alive) and the purchases expected in the
next 90 days. A repeat buyer is at risk when P(alive) < :data:`ALIVE_THRESHOLD`.
BG/NBD says nothing about one-time buyers (their P(alive) is 1 by
construction), so they, customers without transactions, and every customer
when there is no transactions sheet (or too little history to fit) are
judged by the heuristic of :mod:`.lifecycle`: at risk when the time since the
last purchase exceeds ``DECLINE_FACTOR`` times their usual gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bgnbd import BGNBDFit, fit_bgnbd
from .lifecycle import DECLINE_FACTOR, overdue_ratio

__all__ = [
    "ALIVE_THRESHOLD",
    "HORIZON_DAYS",
    "MIN_FIT_CUSTOMERS",
    "ChurnResult",
    "churn_risk",
    "purchase_summary",
]

ALIVE_THRESHOLD = 0.5
HORIZON_DAYS = 90
MIN_FIT_CUSTOMERS = 20  # fewer customers with transactions give no trustworthy fit
WEEK = 7.0


@dataclass(frozen=True)
class ChurnResult:
    """Per-customer P(alive), expected purchases in 90 days, the risk flag, and the fit used."""

    p_alive: pd.Series
    expected_90d: pd.Series
    churn_risk: pd.Series
    fit: BGNBDFit | None


def _ids(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def purchase_summary(transactions: pd.DataFrame, ids: pd.Series, as_of: dt.date) -> pd.DataFrame:
    """Frequency, recency and T (weeks) per customer id row; NaN for customers without purchases."""
    tx = pd.DataFrame(
        {
            "id": _ids(transactions["customer_id"]),
            "day": pd.to_datetime(transactions["date"], errors="coerce").dt.normalize(),
        }
    ).dropna()
    tx = tx[tx["day"] <= pd.Timestamp(as_of)].drop_duplicates()
    grouped = tx.groupby("id", sort=False)["day"]
    first, last, days = grouped.min(), grouped.max(), grouped.size()
    stats = pd.DataFrame(
        {
            "frequency": (days - 1).astype("float64"),
            "recency": (last - first).dt.days / WEEK,
            "T": (pd.Timestamp(as_of) - first).dt.days / WEEK,
        }
    )
    return stats.reindex(_ids(ids).to_numpy()).set_axis(ids.index)


def churn_risk(
    customers: pd.DataFrame, as_of: dt.date, transactions: pd.DataFrame | None = None
) -> ChurnResult:
    """Churn scores for every customer: BG/NBD when transactions allow, else the heuristic."""
    index = customers.index
    heuristic = (overdue_ratio(customers, as_of) > DECLINE_FACTOR).to_numpy()
    nan = pd.Series(np.nan, index=index)
    if transactions is None or "id" not in customers or not len(transactions):
        return ChurnResult(nan, nan.copy(), pd.Series(heuristic, index=index), None)
    summary = purchase_summary(transactions, customers["id"], as_of)
    known = summary.dropna()
    # Each customer counts once in the fit even if the table lists them twice.
    distinct = known[~_ids(customers["id"]).loc[known.index].duplicated().to_numpy()]
    if len(distinct) < MIN_FIT_CUSTOMERS or not (distinct["frequency"] > 0).any():
        return ChurnResult(nan, nan.copy(), pd.Series(heuristic, index=index), None)
    fit = fit_bgnbd(distinct["frequency"], distinct["recency"], distinct["T"])
    x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    alive = fit.p_alive(x, t_x, age)
    expected = fit.expected_purchases(HORIZON_DAYS / WEEK, x, t_x, age)
    repeat = np.nan_to_num(x) > 0
    risk = np.where(repeat, alive < ALIVE_THRESHOLD, heuristic)
    return ChurnResult(
        pd.Series(alive, index=index),
        pd.Series(expected, index=index),
        pd.Series(risk.astype(bool), index=index),
        fit,
    )
