"""The run history (运行记录) as data: this run's row of figures, by header.

Headers are bilingual and fixed, so rows from runs in either language line up; a tier the
earlier runs did not have brings columns of its own.
"""

from __future__ import annotations

import datetime as dt

from ..book.base import CellValue
from .kpis import Kpis

__all__ = ["AS_OF", "COMPLETION", "RUN_AT", "history_row", "tier_count", "tier_revenue"]

RUN_AT, AS_OF = "运行时间 Run at", "基准日 As of"
CUSTOMERS = "客户数 Customers"
REVENUE = "累计金额 Revenue"
CHURN = "流失预警 Churn risk"
AT_RISK = "风险金额 Revenue at risk"
COMPLETION = "跟进完成率 Follow-up completion"


def tier_count(tier: object) -> str:
    """The header of a tier's customer count."""
    return f"客户数·{tier}"


def tier_revenue(tier: object) -> str:
    """The header of a tier's revenue."""
    return f"金额·{tier}"


def history_row(kpis: Kpis, as_of: dt.date, run_at: dt.datetime) -> dict[str, CellValue]:
    """This run's line of the run history, by header."""
    row: dict[str, CellValue] = {
        RUN_AT: run_at.replace(microsecond=0),
        AS_OF: as_of,
        CUSTOMERS: kpis.customers,
        REVENUE: round(kpis.revenue, 2),
        CHURN: kpis.churn_customers,
        AT_RISK: round(kpis.revenue_at_risk, 2),
        COMPLETION: kpis.completion,
    }
    for tier, values in kpis.per_tier.iterrows():
        row[tier_count(tier)] = int(values["customers"])
    for tier, values in kpis.per_tier.iterrows():
        row[tier_revenue(tier)] = round(float(values["revenue"]), 2)
    return row
