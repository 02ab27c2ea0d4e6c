"""Small fixed customer tables shared by the messages tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd

AS_OF = dt.date(2026, 5, 1)


def customers() -> pd.DataFrame:
    """Four customers indexed by Excel row: a company contact, a 总, an English name, a blank one."""
    return pd.DataFrame(
        {
            "id": ["C001", "C002", "C003", "C004"],
            "name": ["杭州示例科技有限公司", "李娜", "John Smith", "王强"],
            "contact": ["欧阳娜娜", None, None, None],
            "title": ["女", "总经理", "Mr", None],
            "mobile": ["138 1234 5678", "+86 139-0000-1111", "+44 7911 123456", "13700001234"],
            "email": ["ouyang@example.cn", None, "john@example.com", "wq@example.cn"],
            "owner": ["王芳", "王芳", None, "陈静"],
            "amount": [12345.5, 800.0, None, 56000.0],
            "orders": [5, 1, None, 12],
            "first_purchase": [
                dt.date(2024, 2, 1),
                dt.date(2026, 4, 20),
                None,
                dt.date(2022, 6, 30),
            ],
            "last_purchase": [dt.date(2026, 3, 5), dt.date(2026, 4, 20), dt.date(2025, 1, 2), None],
            "opt_out": [False, False, False, False],
        },
        index=[2, 3, 4, 5],
    )


def tiers() -> pd.DataFrame:
    """Tier results for the four customers (loyalty, welcome, win-back, upgrade)."""
    return pd.DataFrame(
        {
            "tier": ["高价值客户", "普通客户", "低价值客户", "高价值客户"],
            "tier_code": ["A", "C", "D", "A"],
            "segment_cn": ["重要价值", "一般发展", "重要挽留", "重要保持"],
            "segment_en": ["Champions", "New", "At Risk", "Loyal"],
            "stage": ["成熟期", "获取期", "衰退期", "成熟期"],
            "change": ["=", "新", "↓", "↑"],
            "churn_risk": [False, False, True, False],
        },
        index=[2, 3, 4, 5],
    )
