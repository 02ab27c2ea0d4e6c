"""`build_plan` on 100,000 customers over a 90-day horizon, with capacity levelling.

Usage: .venv/bin/python benchmarks/bench_plan.py [--customers 100000] [--days 90]

Prints seconds for a first run and for a re-run that merges the previous plan
(as read back from the sheet), and each as a ratio against a baseline measured
in the same run: one stable pandas sort of the touch table by (owner, due). The
goal is ≤ 5 s for the first run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from sheetcrm.schedule import Rep, build_plan, parse_plan_settings
from sheetcrm.settings import Settings
from sheetcrm.sheets.plan import PLAN_SHEET, parse_plan_sheet, plan_sheet

AS_OF = dt.date(2026, 11, 23)


def customers_and_tiers(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic customer frame and its tiering result (index = Excel row)."""
    rng = np.random.default_rng(seed)
    index = pd.RangeIndex(2, n + 2)
    last = pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    first = last - pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    owners = np.where(rng.random(n) < 0.7, rng.integers(0, 40, n).astype(str), "")
    customers = pd.DataFrame(
        {
            "id": [f"C{i:06d}" for i in range(n)],
            "name": [f"客户{i}" for i in range(n)],
            "contact": "",
            "owner": [f"销售{o}" if o else "" for o in owners],
            "first_purchase": first,
            "last_purchase": last,
            "opt_out": rng.random(n) < 0.03,
        },
        index=index,
    )
    codes = rng.choice(list("ABCD"), n, p=[0.1, 0.2, 0.4, 0.3])
    tiers = pd.DataFrame(
        {
            "tier": codes,
            "tier_code": codes,
            "segment_cn": "",
            "segment_en": "",
            "stage": "growth",
            "churn_risk": rng.random(n) < 0.05,
        },
        index=index,
    )
    return customers, tiers


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    customers, tiers = customers_and_tiers(args.customers)
    settings = parse_plan_settings(Settings(None))
    reps = tuple(Rep(f"销售{i}", 60) for i in range(40))
    settings = type(settings)(settings.steps, reps)
    build_plan(customers.head(10), tiers.head(10), settings, AS_OF, horizon_days=args.days)

    start = time.perf_counter()
    result = build_plan(customers, tiers, settings, AS_OF, horizon_days=args.days)
    first_run = time.perf_counter() - start

    spec = plan_sheet(result, "zh")
    existing = parse_plan_sheet([list(row) for row in spec.rows], PLAN_SHEET)
    start = time.perf_counter()
    again = build_plan(
        customers,
        tiers,
        settings,
        AS_OF + dt.timedelta(days=1),
        existing=existing,
        horizon_days=args.days,
    )
    rerun = time.perf_counter() - start

    start = time.perf_counter()
    result.touches.sort_values(["owner", "due"], kind="stable")
    baseline = time.perf_counter() - start

    print(f"customers {args.customers:,}, horizon {args.days} days")
    print(f"touches planned {len(result.touches):,}, beyond capacity {len(result.unplaced):,}")
    print(f"first run  {first_run:6.2f} s  = {first_run / baseline:7.1f} × baseline")
    print(
        f"re-run     {rerun:6.2f} s  = {rerun / baseline:7.1f} × baseline "
        f"({len(again.touches):,} rows)"
    )
    print(f"baseline   {baseline:6.3f} s  (pandas sort of the touches by owner, due)")
    print("goal: first run ≤ 5 s —", "met" if first_run <= 5 else "NOT met")


if __name__ == "__main__":
    main()
