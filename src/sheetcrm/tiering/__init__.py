"""Customer tiering (客户分级): rule points → tier, RFM, lifecycle stage, churn risk (BG/NBD).

The engine is pure pandas/numpy: it sees role columns, never header text; the
caller passes ``labels`` (role → header) so reasons name fields as the user does. The result
columns' headers and the summary sheet are laid out by :mod:`sheetcrm.sheets.tiers`.
"""

from __future__ import annotations

from .bgnbd import BGNBDFit, expected_purchases, fit_bgnbd, p_alive
from .settings import Rule, Tier, TierSettings, parse_tier_settings
from .tier import PURCHASE_ROLES, previous_labels, tier_customers

__all__ = [
    "PURCHASE_ROLES",
    "BGNBDFit",
    "Rule",
    "Tier",
    "TierSettings",
    "expected_purchases",
    "fit_bgnbd",
    "p_alive",
    "parse_tier_settings",
    "previous_labels",
    "tier_customers",
]
