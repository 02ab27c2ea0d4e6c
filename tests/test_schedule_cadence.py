"""Cadence groups: channels, Applies-to conditions and which group a customer follows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetcrm.book.base import CellValue
from sheetcrm.i18n import use_lang
from sheetcrm.schedule.cadence import (
    CHURN,
    NEW,
    channel_key,
    channel_label,
    match_groups,
    parse_terms,
)
from sheetcrm.schedule.plan_settings import parse_plan_settings
from sheetcrm.settings import Settings


def test_channels_read_in_either_language() -> None:
    assert [channel_key(v) for v in ("电话", "Phone", "sms", "微信", "拜访", "传真")] == [
        "phone",
        "phone",
        "sms",
        "wechat",
        "visit",
        None,
    ]
    with use_lang("en"):
        assert channel_label("wechat") == "WeChat"
    with use_lang("zh"):
        assert channel_label("email") == "邮件"


def test_applies_to_terms() -> None:
    assert parse_terms("新客户 new") == (NEW,)
    assert parse_terms("流失风险") == (CHURN,)
    assert parse_terms("高价值客户 + 成熟期") == ("高价值客户", "成熟期")
    assert parse_terms("A＋churn") == ("a", CHURN)


def test_groups_churn_then_new_then_more_specific_then_sheet_order() -> None:
    grid: list[list[CellValue]] = [
        ["[cadences]"],
        ["h"],
        ["A", 1, 0, 7, "电话", "", "revisit", 2],
        ["A+成熟期", 1, 0, 5, "拜访", "", "revisit", 2],
        ["新客户 new", 1, 0, None, "短信", "", "welcome", 2],
        ["流失风险 churn", 1, 2, None, "电话", "", "winback", 1],
        ["重要价值", 1, 0, 10, "邮件", "", "loyalty_offer", 3],
    ]
    steps = list(parse_plan_settings(Settings(grid)).steps)
    tiers = pd.DataFrame(
        {
            "tier": ["High", "High", "High", "High", "Low"],
            "tier_code": ["A", "A", "A", "A", "D"],
            "segment_cn": ["", "", "", "", "重要价值"],
            "segment_en": "",
            "stage": ["growth", "maturity", "成熟期", "growth", "decline"],
            "churn_risk": [False, False, False, True, False],
        }
    )
    is_new = np.array([False, False, True, True, False])
    groups, chosen = match_groups(steps, tiers, is_new)
    assert [groups[i] for i in chosen] == [
        "A",
        "A+成熟期",
        "新客户 new",
        "流失风险 churn",
        "重要价值",
    ]


def test_a_customer_matching_nothing_has_no_group() -> None:
    steps = list(parse_plan_settings(Settings(None)).steps)
    tiers = pd.DataFrame({"tier_code": ["Z"], "churn_risk": [False]})
    _, chosen = match_groups(steps, tiers, np.array([False]))
    assert list(chosen) == [-1]
