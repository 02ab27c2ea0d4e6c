"""Churn early warning (流失预警): a customer whose silence is unusual for their own rhythm.

A warning for most customers is no warning, so only customers whose rhythm is known are
judged, each against their own: flagged when the days since the last purchase pass
:data:`RHYTHM_FACTOR` times their usual gap between purchases (from the transactions sheet
when it has their repeat purchases, else from the table's first and last purchase and order
count), or — with transactions enough to fit BG/NBD — when their P(alive) is below
:data:`ALIVE_THRESHOLD` and among the lowest :data:`BOTTOM_SHARE` of repeat buyers.
One-time buyers and customers without dates have no rhythm to break: their lifecycle stage
speaks for them. Each flagged customer's ``note`` states the rule that flagged them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..i18n import tr
from .bgnbd import BGNBDFit, fit_bgnbd
from .lifecycle import MIN_GAP, rhythm
from .rules import first_rows

__all__ = [
    "ALIVE_THRESHOLD",
    "BOTTOM_SHARE",
    "HORIZON_DAYS",
    "MIN_FIT_CUSTOMERS",
    "RHYTHM_FACTOR",
    "ChurnResult",
    "churn_risk",
    "purchase_summary",
    "rule_text",
]

ALIVE_THRESHOLD = 0.5
BOTTOM_SHARE = 0.10  # of repeat buyers: the lowest P(alive) that counts as unusual
RHYTHM_FACTOR = 2.0  # usual gaps of silence that count as unusual
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
    note: pd.Series  # the rule that flagged each customer, "" for those not flagged


def rule_text() -> str:
    """The warning's rule in one line, for the console and the dashboard."""
    return tr(
        f"距上次购买超过其平均购买间隔的 {RHYTHM_FACTOR:g} 倍，或存活概率在复购客户中最低的 "
        f"{BOTTOM_SHARE:.0%}",
        f"silent for over {RHYTHM_FACTOR:g} × their usual gap between purchases, or P(alive) "
        f"in the lowest {BOTTOM_SHARE:.0%} of repeat buyers",
    )


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


def _formatted(text: str, *columns: np.ndarray) -> np.ndarray:
    """``text.format`` of each row's numbers, made once per distinct row of numbers."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        # Their bits: -0.0 kept apart from 0.0, as their texts are.
        codes, distinct = pd.factorize(np.asarray(column, dtype=np.float64).view(np.int64))
        key, _ = pd.factorize(key * len(distinct) + codes)
    first = first_rows(key)
    made = map(text.format, *(column[first].tolist() for column in columns))
    texts: np.ndarray = np.fromiter(made, object, len(first))[key]
    return texts


def churn_risk(
    customers: pd.DataFrame, as_of: dt.date, transactions: pd.DataFrame | None = None
) -> ChurnResult:
    """Churn scores for every customer: P(alive) by BG/NBD when transactions allow, and the
    warning for customers silent for long against their own rhythm."""
    index = customers.index
    days, gap = rhythm(customers, as_of)
    nan = pd.Series(np.nan, index=index)
    alive, expected, fit = nan, nan.copy(), None
    repeat_alive = nan  # P(alive) of repeat buyers: a one-time buyer's is 1 by construction
    if transactions is not None and "id" in customers and len(transactions):
        summary = purchase_summary(transactions, customers["id"], as_of)
        known = summary.dropna()
        # Each customer counts once in the fit even if the table lists them twice.
        distinct = known[~_ids(customers["id"]).loc[known.index].duplicated().to_numpy()]
        x, t_x, age = (summary[c] for c in ("frequency", "recency", "T"))
        # A customer's repeat purchases on record give their rhythm better than the table.
        repeat = x.fillna(0) > 0
        days = ((age - t_x) * WEEK).where(repeat, days)
        gap = (t_x * WEEK / x).clip(lower=MIN_GAP).where(repeat, gap)
        if len(distinct) >= MIN_FIT_CUSTOMERS and (distinct["frequency"] > 0).any():
            fit = fit_bgnbd(distinct["frequency"], distinct["recency"], distinct["T"])
            arrays = (x.to_numpy(), t_x.to_numpy(), age.to_numpy())
            alive = pd.Series(fit.p_alive(*arrays), index=index)
            expected = pd.Series(fit.expected_purchases(HORIZON_DAYS / WEEK, *arrays), index=index)
            repeat_alive = alive.where(repeat)
    silent = (days > RHYTHM_FACTOR * gap).to_numpy()
    low = float(repeat_alive.quantile(BOTTOM_SHARE)) if repeat_alive.notna().any() else 0.0
    unlikely = ((repeat_alive < ALIVE_THRESHOLD) & (repeat_alive <= low)).to_numpy() & ~silent
    note = np.full(len(index), "", dtype=object)
    text = tr(
        f"流失预警：{{:.0f}} 天未购买，超过其平均购买间隔 {{:.0f}} 天的 {RHYTHM_FACTOR:g} 倍",
        f"churn risk: {{:.0f}} days since the last purchase, over {RHYTHM_FACTOR:g} × "
        "their usual gap of {:.0f} days",
    )
    # A full sheet flags ~700,000 customers, with far fewer distinct (days, gap) pairs.
    note[silent] = _formatted(text, days.to_numpy()[silent], gap.to_numpy()[silent])
    text = tr(
        f"流失预警：存活概率 {{:.0%}}，在复购客户最低的 {BOTTOM_SHARE:.0%} 之内",
        f"churn risk: P(alive) {{:.0%}}, in the lowest {BOTTOM_SHARE:.0%} of repeat buyers",
    )
    note[unlikely] = _formatted(text, alive.to_numpy()[unlikely])
    return ChurnResult(
        alive,
        expected,
        pd.Series(silent | unlikely, index=index),
        fit,
        pd.Series(note, index=index),
    )
