"""Benchmark: compose SMS + email for 100,000 customers (target: at most 3 s).

Prints the time of ``compose_messages`` and its ratio to two baselines measured in the
same run, interleaved, best of a few runs: plain ``str.format`` fills of one text per
message (the least any per-row renderer has to do), and one sandboxed jinja2 render per
message (what a straightforward implementation does, without any of the rules). Ratios
use CPU time, which others' load on the machine disturbs least.
Run: ``.venv/bin/python benchmarks/bench_messages.py [customers] [repeats]``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from jinja2.sandbox import SandboxedEnvironment

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


def _best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The fastest wall-clock and CPU time of repeated runs (others' load only adds time)."""
    return min(w for w, _ in runs), min(c for _, c in runs)


def _timed(func: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(n: int = 100_000, repeat: int = 3) -> None:
    """Time the messages engine against the str.format and plain jinja2 baselines."""
    frame, tiers = customers(n)
    rows = frame.to_dict("records")
    fill = "{name}您好，感谢您{orders}次选择示例科技！累计{amount}元。".format
    # What a straightforward implementation does: one sandboxed jinja2 render per message.
    env = SandboxedEnvironment()
    sms = env.from_string("{{ c.name }}您好，我是示例科技的{{ c.owner }}。感谢您一直以来的支持！")
    email = env.from_string(
        "{{ c.name }}，您好：\n\n感谢您{{ c.orders }}次选择示例科技！累计{{ c.amount }}元。\n\n{{ c.owner }}"
    )
    result = None

    def compose() -> None:
        nonlocal result
        result = compose_messages(
            frame, tiers, MessageSettings(), as_of=dt.date(2026, 5, 1), channels=("sms", "email")
        )

    runs: dict[str, list[tuple[float, float]]] = {"format": [], "jinja": [], "compose": []}
    for _ in range(repeat):  # interleaved, so a burst of load hits all three alike
        runs["format"].append(_timed(lambda: [fill(**row) for row in rows for _ in range(2)]))
        runs["jinja"].append(
            _timed(lambda: [(sms.render(c=row), email.render(c=row)) for row in rows])
        )
        runs["compose"].append(_timed(compose))
    base, jinja, took = _best(runs["format"]), _best(runs["jinja"]), _best(runs["compose"])
    assert result is not None
    print(f"customers: {n:,}; messages: {len(result.messages):,}; skipped: {len(result.skipped):,}")
    print(f"best of {repeat} runs, wall-clock (CPU) seconds:")
    print(f"baseline str.format, 2 per row:       {base[0]:.3f} s ({base[1]:.3f})")
    print(
        f"baseline plain jinja2, 2 per row:     {jinja[0]:.3f} s ({jinja[1]:.3f})"
        f" = {jinja[1] / base[1]:.1f}x str.format"
    )
    print(
        f"compose_messages (sms + email):       {took[0]:.3f} s ({took[1]:.3f})"
        f" = {took[1] / base[1]:.1f}x str.format, {took[1] / jinja[1]:.2f}x plain jinja2"
    )
    print(f"per message: {took[0] / max(len(result.messages), 1) * 1e6:.1f} µs; target ≤ 3 s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
