"""The dashboard's figures (KPIs), pure pandas over the engines' results, and its tiles.

The tiles are defined here once: the 仪表盘 sheet and the HTML report show the same ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..i18n import tr
from ..schedule import STATUS_CANCELLED, STATUS_DONE, STATUS_OPEN
from ..tiering.tier import NEW

__all__ = ["Kpis", "Tile", "compute_kpis", "tiles"]


@dataclass
class Kpis:
    """Everything the dashboard shows, as of one date."""

    as_of: dt.date
    customers: int
    revenue: float
    per_tier: pd.DataFrame  # index tier (A→D): customers, revenue, customer_share, revenue_share
    per_segment: pd.DataFrame  # by revenue: customers, revenue, revenue_share, cumulative_share
    migration: pd.DataFrame  # previous tier (or 新) × current tier, customer counts
    churn_customers: int
    revenue_at_risk: float
    repurchase_rate: float | None  # customers with ≥ 2 orders / customers with ≥ 1
    potential_before: int  # customers whose previous tier was the potential tier
    potential_upgraded: int  # … of whom now sit in a higher tier
    followups: pd.DataFrame  # per rep: done, overdue, due (to date), completion
    messages: pd.Series  # messages ready per channel
    not_sent: pd.Series  # messages that cannot be sent, per reason (most first)
    problems: pd.Series  # data problems per kind

    @property
    def completion(self) -> float | None:
        """Share of follow-ups due by the as-of date that are done (None without a plan)."""
        due = int(self.followups["due"].sum()) if len(self.followups) else 0
        return int(self.followups["done"].sum()) / due if due else None

    @property
    def conversion(self) -> float | None:
        """Share of last run's potential customers now in a higher tier."""
        return self.potential_upgraded / self.potential_before if self.potential_before else None

    @property
    def overdue(self) -> int:
        """Open follow-ups past their due date."""
        return int(self.followups["overdue"].sum()) if len(self.followups) else 0


def compute_kpis(
    customers: pd.DataFrame,
    tiers: pd.DataFrame,
    *,
    problems: Mapping[str, int] | None = None,
    plan: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    not_sent: Sequence[str] = (),
    previous_tiers: pd.Series | None = None,
    as_of: dt.date,
) -> Kpis:
    """The dashboard's figures from the customer frame and the engines' results (``problems``:
    how many data problems of each kind)."""
    amount = _numbers(customers, "amount").reindex(tiers.index, fill_value=0.0)
    orders = _numbers(customers, "orders").reindex(tiers.index, fill_value=0.0)
    total = float(amount.sum())
    tier = _labels(tiers["tier"])
    code_of = tiers["tier_code"].groupby(tier, observed=True).first().astype(str).to_dict()
    per_tier = _groups(tier, amount).reindex(
        sorted(code_of, key=lambda t: code_of[t]), fill_value=0
    )
    per_tier["customer_share"] = per_tier["customers"] / max(len(tiers), 1)
    # Customers who bought but lack a date (or count) for R, F or M are not "no purchases".
    unscored = tr("未分群（有购买，缺少日期等 RFM 数据）", "unsegmented (bought; no RFM data)")
    scored = tiers["segment_cn"].notna() | ((amount <= 0) & (orders <= 0))
    segments = _labels(
        tiers["segment_cn"].astype(object).where(scored, unscored),
        tr("未分群（无购买）", "unsegmented (no purchases)"),
    )
    per_segment = _groups(segments, amount).sort_values("revenue", ascending=False, kind="stable")
    per_segment["cumulative_share"] = per_segment["revenue_share"].cumsum()
    churn = tiers["churn_risk"].fillna(False).astype(bool)
    bought = int((orders >= 1).sum())

    before = _labels(
        previous_tiers.reindex(tiers.index)
        if previous_tiers is not None
        else pd.Series(None, index=tiers.index, dtype=object),
        NEW,
    )
    migration = (
        pd.DataFrame({"before": before, "now": tier})
        .groupby(["before", "now"], observed=True)
        .size()
        .unstack(fill_value=0)
    )
    migration.index, migration.columns = migration.index.astype(str), migration.columns.astype(str)
    migration = migration.reindex(columns=per_tier.index, fill_value=0)
    migration = migration.reindex(
        [t for t in per_tier.index if t in migration.index]
        + [t for t in migration.index if t not in per_tier.index]
    ).rename_axis(index="before", columns="now")

    potential_code = next((code_of[t] for t in code_of if _is_potential(t)), "B")
    # Last run's potential customers may all have moved on, leaving no current label to match.
    was_potential = _per_label(
        before, lambda t: code_of[t] == potential_code if t in code_of else _is_potential(t)
    )
    upgraded = was_potential & _per_label(tier, lambda t: code_of[t] < potential_code)
    return Kpis(
        as_of=as_of,
        customers=len(tiers),
        revenue=total,
        per_tier=per_tier,
        per_segment=per_segment,
        migration=migration,
        churn_customers=int(churn.sum()),
        revenue_at_risk=float(amount[churn].sum()),
        repurchase_rate=int((orders >= 2).sum()) / bought if bought else None,
        potential_before=int(was_potential.sum()),
        potential_upgraded=int(upgraded.sum()),
        followups=_followups(plan, as_of),
        messages=(
            messages["channel"].value_counts().sort_index()
            if messages is not None and len(messages)
            else pd.Series(dtype="int64")
        ),
        not_sent=pd.Series(Counter(not_sent), dtype="int64").sort_values(
            ascending=False, kind="stable"
        ),
        problems=pd.Series(dict(problems or {}), dtype="int64").sort_index(),
    )


def _is_potential(tier: object) -> bool:
    """Whether a tier label names the potential tier (潜力, in either language)."""
    return "潜力" in str(tier) or "potential" in str(tier).lower()


def _numbers(frame: pd.DataFrame, role: str) -> pd.Series:
    """A role column as numbers, blanks and text as 0 (all 0 when the table lacks it)."""
    if role not in frame:
        return pd.Series(0.0, index=frame.index)
    return pd.to_numeric(frame[role], errors="coerce").fillna(0.0)


def _labels(values: pd.Series, missing: str | None = None) -> pd.Series:
    """Labels as text categories, blanks as ``missing``."""
    # A million customers share a few labels: each is hashed once, not once per customer.
    labels = values.astype("category")
    labels = labels.cat.rename_categories([str(c) for c in labels.cat.categories])
    if missing is not None and labels.isna().any():
        if missing not in labels.cat.categories:
            labels = labels.cat.add_categories([missing])
        labels = labels.fillna(missing)
    return labels


def _per_label(labels: pd.Series, test: Callable[[str], bool]) -> pd.Series:
    """A per-customer flag computed once per distinct label (blank labels are False)."""
    flags = np.array([test(c) for c in labels.cat.categories] + [False], dtype=bool)
    return pd.Series(flags[labels.cat.codes.to_numpy()], index=labels.index)


def _groups(keys: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Customers and revenue per label, in label order."""
    total = float(amount.sum())
    frame = (
        pd.DataFrame({"key": keys, "amount": amount})
        .groupby("key", observed=True, sort=True)["amount"]
        .agg(customers="size", revenue="sum")
    )
    frame.index = frame.index.astype(str)
    frame["revenue_share"] = frame["revenue"] / total if total else 0.0
    frame.index.name = None
    return frame


def _followups(plan: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """Per rep: touches done, open and overdue, due by the as-of date, and completion."""
    columns = ["done", "overdue", "due", "completion"]
    if plan is None or not len(plan) or "status" not in plan:
        return pd.DataFrame(columns=columns)
    live = plan[plan["status"] != STATUS_CANCELLED]
    dates = pd.to_datetime(live["due"], errors="coerce")
    due = dates <= pd.Timestamp(as_of)
    done = live["status"] == STATUS_DONE
    overdue = (live["status"] == STATUS_OPEN) & (dates < pd.Timestamp(as_of))
    owner = _labels(live["owner"].mask(live["owner"] == ""), tr("未分配", "unassigned"))
    frame = pd.DataFrame({"owner": owner, "done": done, "overdue": overdue, "due": due | done})
    per_rep = (
        frame.groupby("owner", observed=True, sort=True)[["done", "overdue", "due"]]
        .sum()
        .astype(int)
    )
    per_rep.index = per_rep.index.astype(str)
    per_rep["completion"] = (per_rep["done"] / per_rep["due"].where(per_rep["due"] > 0)).fillna(0.0)
    per_rep.index.name = None
    return per_rep


@dataclass(frozen=True)
class Tile:
    """One headline figure: its label, its value (None when it has none) and what it counts."""

    label: str
    value: float | None
    kind: Literal["count", "money", "share"]


def tiles(kpis: Kpis) -> list[Tile]:
    """The headline figures, in the order they are shown."""
    return [
        Tile(tr("客户数", "Customers"), kpis.customers, "count"),
        Tile(tr("累计金额", "Revenue"), kpis.revenue, "money"),
        Tile(tr("复购率", "Repurchase rate"), kpis.repurchase_rate, "share"),
        Tile(tr("流失预警客户", "Churn-risk customers"), kpis.churn_customers, "count"),
        Tile(tr("风险金额", "Revenue at risk"), kpis.revenue_at_risk, "money"),
        Tile(tr("潜力客户升级率", "Potential → higher tier"), kpis.conversion, "share"),
        Tile(tr("跟进完成率", "Follow-up completion"), kpis.completion, "share"),
        Tile(tr("逾期跟进", "Overdue follow-ups"), kpis.overdue, "count"),
        Tile(tr("待发送消息", "Messages ready"), int(kpis.messages.sum()), "count"),
        Tile(tr("数据问题", "Data problems"), int(kpis.problems.sum()), "count"),
    ]
