"""Benchmark: compose SMS + email for 100,000 customers (target: at most 3 s).

Prints the time of ``compose_messages`` and its ratio to a baseline measured in the
same run: the same number of plain ``str.format`` fills of one SMS text per row, the
least any per-row renderer has to do. Run: ``.venv/bin/python benchmarks/bench_messages.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np
import pandas as pd

from sheetcrm.messages import MessageSettings, compose_messages


def customers(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic customer table and tier frame of n rows."""
    rng = np.random.default_rng(7)
    # Realistic variety: mostly distinct names and amounts, so few renders can be shared.
    surnames = np.array([*"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "欧阳", "司马"])
    pool = np.array(list("伟芳娜敏静强磊洋艳勇军杰娟涛明超秀霞平刚桂英华建国志红文玉兰春"))
    given = np.char.add(pool[rng.integers(0, len(pool), n)], pool[rng.integers(0, len(pool), n)])
    given = np.where(rng.random(n) < 0.3, pool[rng.integers(0, len(pool), n)], given)
    names = np.char.add(surnames[rng.integers(0, len(surnames), n)], given)
    index = pd.RangeIndex(2, n + 2)
    frame = pd.DataFrame(
        {
            "id": [f"C{i:06d}" for i in range(n)],
            "name": names,
            "contact": names,
            "title": rng.choice(["男", "女", "总经理", "", "经理"], n),
            "mobile": [f"13{i % 10}{i:08d}" for i in range(n)],
            "email": [f"c{i}@example.com" for i in range(n)],
            "owner": rng.choice([f"销售{i:02d}" for i in range(40)], n),
            "amount": rng.gamma(2, 3000, n).round(2),
            "orders": rng.integers(1, 30, n),
            "last_purchase": pd.to_datetime("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 480, n), "D"),
            "opt_out": rng.random(n) < 0.02,
        },
        index=index,
    )
    tiers = pd.DataFrame(
        {
            "tier": rng.choice(["高价值客户", "潜力客户", "普通客户", "低价值客户"], n),
            "tier_code": rng.choice(list("ABCD"), n),
            "segment_cn": rng.choice(["重要价值", "重要挽留", "一般发展", "一般保持"], n),
            "segment_en": "x",
            "stage": rng.choice(["获取期", "提升期", "成熟期", "衰退期"], n),
            "change": rng.choice(["=", "↑", "↓"], n),
            "churn_risk": rng.random(n) < 0.1,
        },
        index=index,
    )
    return frame, tiers


def main(n: int = 100_000) -> None:
    """Time the messages engine against the str.format baseline."""
    frame, tiers = customers(n)
    rows = frame.to_dict("records")
    start = time.perf_counter()
    fill = "{name}您好，感谢您{orders}次选择示例科技！累计{amount}元。".format
    baseline_out = [fill(**row) for row in rows for _ in range(2)]
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    result = compose_messages(
        frame, tiers, MessageSettings(), as_of=dt.date(2026, 5, 1), channels=("sms", "email")
    )
    took = time.perf_counter() - start
    assert len(baseline_out) == 2 * n
    print(f"customers: {n:,}; messages: {len(result.messages):,}; skipped: {len(result.skipped):,}")
    print(f"baseline (str.format, 2 per row): {baseline:.3f} s")
    print(f"compose_messages (sms + email):    {took:.3f} s = {took / baseline:.1f}x baseline")
    print(f"per message: {took / max(len(result.messages), 1) * 1e6:.1f} µs; target ≤ 3 s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
