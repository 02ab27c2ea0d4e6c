"""Tier every customer: rule score → tier, RFM scores and segments, stage, churn, reason, change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import nullcontext

import numpy as np
import pandas as pd

from ..i18n import tr, use_lang
from .churn import churn_risk
from .lifecycle import stage_labels
from .rfm import HIGH_SCORE, rank_scores, recency_days, segment_cn, segment_en
from .rules import first_rows, format_number, reasons, score_rules
from .settings import TierSettings, field_label

__all__ = [
    "NEW",
    "PURCHASE_ROLES",
    "RESULT_COLUMNS",
    "each_text_once",
    "previous_labels",
    "tier_customers",
]

NEW = "新"

# The columns tier_customers returns, in order (the contract between jobs: docs/DESIGN.md).
RESULT_COLUMNS = (
    "tier",
    "tier_code",
    "score",
    "r",
    "f",
    "m",
    "rfm",
    "segment_cn",
    "segment_en",
    "stage",
    "p_alive",
    "expected_90d",
    "churn_risk",
    "reason",
    "change",
)
_RFM_ROLES = ("last_purchase", "orders", "amount")
# A table with none of these says nothing of what customers bought: its tiers would be made up.
PURCHASE_ROLES = ("amount", "orders", "first_purchase", "last_purchase")
_RFM_TEXTS = 556  # "0" … "555": every value r·100 + f·10 + m can take


def _scores(frame: pd.DataFrame, role: str, as_of: dt.date) -> pd.Series:
    """The 1–5 score of one RFM role (blank when the table lacks it)."""
    if role not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if role == "last_purchase":
        return rank_scores(recency_days(frame[role], as_of), higher_is_better=False)
    return rank_scores(frame[role])


def _change(
    previous: pd.Series | None, rank: np.ndarray, settings: TierSettings, index: pd.Index
) -> np.ndarray:
    """Each customer's move against the previous run's tier: ↑, ↓, = or 新."""
    if previous is None:
        change = np.empty(len(index), dtype=object)
        change[:] = NEW  # filling an empty object array is many times faster than np.full
        return change
    before = (_comparable(previous.reindex(index)).map(_tier_ranks(settings))).to_numpy(
        dtype="float64", na_value=np.nan
    )
    return np.select(
        [np.isnan(before), rank < before, rank > before], [NEW, "↑", "↓"], default="="
    ).astype(object)


def _tier_ranks(settings: TierSettings) -> dict[str, int]:
    """Each tier's rank (0: best) by every name a run may have written for it: its code and its
    label in either language, case-folded."""
    ranks: dict[str, int] = {}
    for i, tier in enumerate(settings.tiers):
        for name in (tier.code, tier.label_en, tier.label_zh):
            ranks[name.casefold()] = i
    return ranks


def _comparable(tiers: pd.Series) -> pd.Series:
    """Tier texts as they are compared: stripped and case-folded."""
    return each_text_once(tiers, lambda texts: texts.str.strip().str.casefold())


def each_text_once(values: pd.Series, change: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``change`` (of a "string" Series) applied to values as texts, each distinct text once:
    a tier column holds a handful in a million rows (1.5 s of a full sheet's re-run, done
    row by row)."""
    texts = values.astype("string")
    codes, distinct = pd.factorize(texts)  # texts compared as texts: "1" and "1.0" stay two
    changed = change(pd.Series(distinct, dtype="string")).astype("string")
    taken = changed.array.take(codes, allow_fill=True)
    return pd.Series(taken, index=values.index, name=values.name)


def previous_labels(previous: pd.Series, settings: TierSettings) -> pd.Series:
    """The previous run's tiers named as this run names them: a tier written in either language
    (or as its code) becomes its label in the settings' language; any other text stays."""
    labels = {
        name: settings.tiers[rank].label(settings.lang)
        for name, rank in _tier_ranks(settings).items()
    }
    renamed = _comparable(previous).map(labels).astype("string")
    return renamed.fillna(previous.astype("string"))


def tier_customers(
    customers: pd.DataFrame,
    settings: TierSettings,
    as_of: dt.date,
    *,
    transactions: pd.DataFrame | None = None,
    previous: pd.Series | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Tier, score, RFM, segments, stage, churn risk, reason and change for every customer."""
    with use_lang(settings.lang) if settings.lang else nullcontext():
        return _tier(customers, settings, as_of, transactions, previous, dict(labels or {}))


def _tier(
    customers: pd.DataFrame,
    settings: TierSettings,
    as_of: dt.date,
    transactions: pd.DataFrame | None,
    previous: pd.Series | None,
    labels: dict[str, str],
) -> pd.DataFrame:
    """tier_customers in the settings' language."""
    index = customers.index
    r, f, m = (_scores(customers, role, as_of) for role in _RFM_ROLES)
    known = (r.notna() & f.notna() & m.notna()).to_numpy()
    scored = score_rules(customers, settings.rules, as_of, labels, {"r": r, "f": f, "m": m})

    # Tiers and reason endings depend on the score alone, and scores take few distinct values.
    # The bit pattern keeps -0.0 apart from 0.0, as the text of each is.
    score_code, _ = pd.factorize(scored.score.view(np.int64))
    first = first_rows(score_code)
    scores = scored.score[first]
    minimums = np.array([-np.inf if t.min_score is None else t.min_score for t in settings.tiers])
    reaches = scores[:, None] >= minimums[None, :]
    score_rank = np.where(reaches.any(axis=1), reaches.argmax(axis=1), len(minimums) - 1)
    rank = score_rank[score_code]
    tier_names = np.array([t.label() for t in settings.tiers], dtype=object)
    tier = tier_names[rank]
    code = np.array([t.code for t in settings.tiers], dtype=object)[rank]

    missing = list(scored.missing)
    missing += [field_label(role, labels) for role in _RFM_ROLES if role not in customers]
    note = ""
    if missing:
        names = "、".join(dict.fromkeys(missing))
        note = tr(f"（表中没有：{names}，相关项未计）", f" (not in the table: {names}; not scored)")
    points = tr(" 分 → ", " points → ")
    endings = [
        f" → {format_number(s)}{points}{tier_names[t]}{note}"
        for s, t in zip(scores.tolist(), score_rank.tolist(), strict=True)
    ]

    churn = churn_risk(customers, as_of, transactions)
    cn = segment_cn(r, f, m, settings.cn_names).to_numpy()
    reason = reasons(scored, score_code, endings, tr("没有命中的规则", "no rule matched"))
    reason = _explained(reason, rank, len(settings.tiers), cn, r, f, m, churn.note.to_numpy())
    columns = {
        "tier": tier,
        "tier_code": code,
        "score": scored.score,
        "r": r.array,
        "f": f.array,
        "m": m.array,
        "rfm": _rfm_text(r, f, m, known),
        "segment_cn": cn,
        "segment_en": segment_en(r, f, settings.en_names).to_numpy(),
        "stage": stage_labels(customers, as_of),
        "p_alive": churn.p_alive.to_numpy(),
        "expected_90d": churn.expected_90d.to_numpy(),
        "churn_risk": churn.churn_risk.to_numpy(dtype=bool),
        "reason": reason,
        "change": _change(previous, rank, settings, index),
    }
    # Each column a block of its own, as made: consolidating the object columns would copy them
    # all (pandas 2), and pandas 3 would turn texts into its string type (twice the time).
    return pd.DataFrame(
        {
            name: pd.Series(columns[name], index=index, dtype=columns[name].dtype, copy=False)
            for name in RESULT_COLUMNS
        },
        copy=False,
    )


def _explained(
    reason: np.ndarray,
    rank: np.ndarray,
    tiers: int,
    segment: np.ndarray,
    r: pd.Series,
    f: pd.Series,
    m: pd.Series,
    churn_note: np.ndarray,
) -> np.ndarray:
    """Reasons with what a reader would otherwise take for a contradiction: a tier in the
    lower half beside a strong RFM segment (both F and M high), and the churn rule that
    flagged the customer."""
    strong = ((f.fillna(0).to_numpy() >= HIGH_SCORE) & (m.fillna(0).to_numpy() >= HIGH_SCORE)) & (
        rank >= tiers / 2
    )
    out = reason.copy()
    # Numpy adds object arrays of texts element by element, in C: no Python loop per row.
    if strong.any():
        rfm = _rfm_text(r, f, m, np.ones(len(reason), dtype=bool))
        text = tr(
            "；RFM {}（{}）是与全体客户相比的排名，等级按上面的规则得分，两者口径不同",
            "; RFM {} ({}) ranks the customer against all others, "
            "the tier adds up the rules above: they measure different things",
        )
        said = np.fromiter(map(text.format, rfm[strong], segment[strong]), object, strong.sum())
        out[strong] = out[strong] + said
    noted = churn_note != ""
    if noted.any():
        out[noted] = out[noted] + tr("；", "; ") + churn_note[noted]
    return out


def _rfm_text(r: pd.Series, f: pd.Series, m: pd.Series, known: np.ndarray) -> np.ndarray:
    """The three scores as text ("545"), None where one is missing."""
    digits = (
        r.fillna(0).to_numpy(dtype=np.int64) * 100
        + f.fillna(0).to_numpy(dtype=np.int64) * 10
        + m.fillna(0).to_numpy(dtype=np.int64)
    )
    text: np.ndarray = np.array([str(i) for i in range(_RFM_TEXTS)], dtype=object)[digits]
    text[~known] = None
    return text
