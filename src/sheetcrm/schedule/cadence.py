"""Cadences (跟进节奏): which touches each kind of customer gets, and how often.

A cadence is a group of steps sharing an *Applies to* value: a tier (label or
code A–D), an RFM segment, a lifecycle stage, ``新客户 new`` or ``流失风险 churn``,
or several of these joined with ``+`` (all must hold). Each customer follows
exactly one group, the first that matches in this order: groups containing
churn, then new, then groups with more conditions, then sheet order.

All day counts are working days. A step without a repeat interval is one-off:
due *offset* working days after the anchor (new customers: the first purchase;
churn: the day the risk is seen; otherwise the last completed contact). A
repeating step falls due *offset + repeat* working days after the last
completed contact and then every *repeat* working days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..channels import CHANNELS, channel_key, channel_label
from ..messages.templates import TEMPLATE_KEYS
from ..settings import Allowed, Block, register
from ..tiering.lifecycle import STAGES

__all__ = [
    "CADENCES",
    "CHANNELS",
    "CHURN",
    "NEW",
    "NEW_CUSTOMER_DAYS",
    "TEMPLATE_KEYS",
    "CadenceStep",
    "channel_key",
    "channel_label",
    "match_groups",
    "parse_terms",
]

NEW = "new"
CHURN = "churn"
_SPECIAL = {"新客户": NEW, "new": NEW, "流失风险": CHURN, "churn": CHURN}
NEW_CUSTOMER_DAYS = 30  # first purchase at most this many calendar days before the as-of date


@dataclass(frozen=True)
class CadenceStep:
    """One step of a cadence group, as validated from the settings sheet."""

    applies_to: str  # the group's text as written, e.g. "A" or "新客户 new"
    terms: tuple[str, ...]  # lower-cased conditions; "new"/"churn" for the special groups
    step: str
    offset: int
    repeat: int | None
    channel: str
    purpose: str
    template: str
    priority: int

    @property
    def key(self) -> str:
        """The step's stable key within the plan: group and step."""
        return f"{self.applies_to}#{self.step}"

    @property
    def rank(self) -> tuple[int, int]:
        """Precedence of the step's group (smaller wins)."""
        special = 0 if CHURN in self.terms else 1 if NEW in self.terms else 2
        return special, -len(self.terms)


def parse_terms(text: str) -> tuple[str, ...]:
    """The conditions of an Applies-to value: split on '+', special words folded to new/churn."""
    parts = [p.strip() for p in text.replace("＋", "+").replace("&", "+").split("+")]
    out = []
    for part in parts:
        if not part:
            continue
        # "新客户 new" and "流失风险 churn" may be written with both languages.
        words = part.lower().split()
        special = {_SPECIAL[w] for w in words if w in _SPECIAL}
        out.append(special.pop() if len(special) == 1 and len(words) <= 2 else part.lower())
    return tuple(out)


CADENCES = register(
    Block(
        key="cadences",
        title_zh="跟进节奏",
        title_en="Follow-up cadences",
        columns=(
            ("applies_to", "适用于 Applies to"),
            ("step", "步骤 Step"),
            ("offset", "起始天 Offset days"),
            ("repeat", "重复间隔 Repeat every (working days)"),
            ("channel", "渠道 Channel"),
            ("purpose", "目的 Purpose"),
            ("template", "模板 Template key"),
            ("priority", "优先级 Priority"),
        ),
        defaults=(
            ("新客户 new", 1, 0, None, "短信", "欢迎短信 welcome SMS", "welcome", 2),
            ("新客户 new", 2, 2, None, "电话", "首次回访 onboarding call", "onboarding_call", 2),
            ("新客户 new", 3, 5, None, "邮件", "使用指南 onboarding email", "onboarding_email", 3),
            ("新客户 new", 4, 21, None, "电话", "满月回访 one-month revisit", "revisit", 3),
            ("流失风险 churn", 1, 2, None, "电话", "流失挽回 win-back call", "winback", 1),
            ("A", 1, 0, 7, "电话", "定期回访 regular call", "revisit", 2),
            ("A", 2, 0, 63, "拜访", "季度拜访 quarterly visit", "loyalty_offer", 1),
            ("B", 1, 0, 10, "邮件", "培育邮件 nurture email", "loyalty_offer", 3),
            ("B", 2, 5, 10, "电话", "跟进电话 follow-up call", "revisit", 3),
            ("C", 1, 0, 21, "短信", "月度关怀 monthly care SMS", "revisit", 4),
            ("D", 1, 0, 63, "邮件", "季度邮件 quarterly email", "loyalty_offer", 5),
        ),
        help=(
            "天数均为工作日（5≈一周，21≈一月，63≈一季度）；适用于可写等级、等级代码 A–D、分群、"
            "生命周期阶段、新客户、流失风险，多个条件用 + 连接；优先级 1 最高 · all days are "
            "working days (5≈week, 21≈month, 63≈quarter); applies to a tier, tier code A–D, "
            "segment, stage, new or churn, joined with +; priority 1 is highest"
        ),
        order=20,
        allowed=(
            ("offset", Allowed("whole", low=0)),
            ("repeat", Allowed("whole", low=1)),
            ("priority", Allowed("whole", low=1)),
        ),
    )
)


def _normalised(tiers: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per attribute column: (codes per customer, lower-cased distinct values)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for column in ("tier", "tier_code", "segment_cn", "segment_en", "stage"):
        if column in tiers:
            codes, uniques = pd.factorize(tiers[column], use_na_sentinel=True)
            texts = np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)
            out[column] = (codes, texts)
    return out


def _attribute_matches(
    term: str, tiers: pd.DataFrame, columns: dict[str, tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Rows of the tiering result where a single condition holds."""
    if term == CHURN:
        column = tiers["churn_risk"] if "churn_risk" in tiers else pd.Series(False, tiers.index)
        churn: np.ndarray = column.fillna(False).astype(bool).to_numpy()
        return churn
    aliases = {term}
    for key, (zh, en) in STAGES.items():
        if term in (key, zh.lower(), en.lower()):
            aliases |= {key, zh.lower(), en.lower()}
    hit = np.zeros(len(tiers), dtype=bool)
    for codes, texts in columns.values():
        hit |= np.isin(texts, list(aliases))[codes]
    return hit


def match_groups(
    steps: list[CadenceStep], tiers: pd.DataFrame, is_new: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Each customer's cadence group: (group names in precedence order, index into it or -1)."""
    groups: dict[str, tuple[tuple[str, ...], tuple[int, int], int]] = {}
    for order, step in enumerate(steps):
        groups.setdefault(step.applies_to, (step.terms, step.rank, order))
    ordered = sorted(groups, key=lambda g: (groups[g][1], groups[g][2]))
    chosen = np.full(len(tiers), -1, dtype=np.int64)
    columns = _normalised(tiers)
    for index, group in enumerate(ordered):
        mask = np.ones(len(tiers), dtype=bool)
        for term in groups[group][0]:
            mask &= is_new if term == NEW else _attribute_matches(term, tiers, columns)
        chosen[(chosen < 0) & mask] = index
    return ordered, chosen
