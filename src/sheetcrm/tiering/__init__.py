"""Customer tiering (客户分级): rule points → tier, RFM, lifecycle stage, churn risk (BG/NBD).

The engine is pure pandas/numpy: it sees role columns, never header text; the
caller passes ``labels`` (role → header) so reasons name fields as the user does.
"""

from __future__ import annotations

from .bgnbd import BGNBDFit, expected_purchases, fit_bgnbd, p_alive
from .settings import Rule, Tier, TierSettings, parse_tier_settings
from .tier import (
    SUMMARY_SHEET,
    forget_old_results,
    old_result_headers,
    previous_tiers,
    result_columns,
    tier_customers,
    tier_summary,
)

__all__ = [
    "SUMMARY_SHEET",
    "BGNBDFit",
    "Rule",
    "Tier",
    "TierSettings",
    "expected_purchases",
    "fit_bgnbd",
    "forget_old_results",
    "old_result_headers",
    "p_alive",
    "parse_tier_settings",
    "previous_tiers",
    "result_columns",
    "tier_customers",
    "tier_summary",
]
