"""KPI invariants over random customers: totals add up, shares are shares, history only grows."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.charts import drawing_parts
from sheetcrm.exports.html import html_report
from sheetcrm.report.history import history_row
from sheetcrm.report.kpis import compute_kpis
from sheetcrm.sheets.dashboard import dashboard_sheet
from sheetcrm.sheets.history import history_sheet

AS_OF = dt.date(2026, 6, 30)
TIERS = {"A": "高价值", "B": "潜力", "C": "普通", "D": "低价值"}

customer = st.tuples(
    st.sampled_from(sorted(TIERS)),
    st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False)),
    st.one_of(st.none(), st.integers(0, 50)),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(["重要价值", "一般发展", "重要挽留"])),
    st.one_of(st.none(), st.sampled_from(sorted(TIERS))),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(customer, min_size=1, max_size=40))
def test_kpis_add_up(
    rows: list[tuple[str, float | None, int | None, bool, str | None, str | None]],
) -> None:
    index = pd.RangeIndex(2, 2 + len(rows))
    codes, amounts, orders, churn, segments, before = zip(*rows, strict=True)
    customers = pd.DataFrame({"amount": amounts, "orders": orders}, index=index)
    tiers = pd.DataFrame(
        {
            "tier": [TIERS[c] for c in codes],
            "tier_code": codes,
            "segment_cn": segments,
            "churn_risk": churn,
        },
        index=index,
    )
    previous = pd.Series([TIERS[c] if c else None for c in before], index=index)
    kpis = compute_kpis(customers, tiers, previous_tiers=previous, as_of=AS_OF)
    revenue = sum(a or 0.0 for a in amounts)

    assert kpis.customers == len(rows)
    assert int(kpis.per_tier["customers"].sum()) == len(rows)
    assert float(kpis.per_tier["revenue"].sum()) == _approx(revenue)
    assert int(kpis.per_segment["customers"].sum()) == len(rows)
    codes_shown = [next(k for k, v in TIERS.items() if v == t) for t in kpis.per_tier.index]
    assert codes_shown == sorted(codes_shown)  # A → D
    shares = kpis.per_segment["cumulative_share"].tolist()
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(shares))
    if revenue > 0:
        assert shares[-1] == _approx(1.0)
    assert int(kpis.migration.to_numpy().sum()) == len(rows)
    assert kpis.churn_customers == sum(churn)
    assert 0.0 <= kpis.revenue_at_risk <= revenue + 1e-6
    if kpis.repurchase_rate is not None:
        assert 0.0 <= kpis.repurchase_rate <= 1.0
    assert 0 <= kpis.potential_upgraded <= kpis.potential_before
    assert kpis.potential_before == sum(b == "B" for b in before)

    history = history_sheet(None, history_row(kpis, AS_OF, dt.datetime(2026, 6, 30, 9)))
    again = history_sheet(history.rows, history_row(kpis, AS_OF, dt.datetime(2026, 7, 1, 9)))
    assert [list(r) for r in again.rows[: len(history.rows)]] == [list(r) for r in history.rows]
    assert len(again.rows) == len(history.rows) + 1


def _approx(value: float) -> object:
    """Tolerance for sums of money added up in a different order."""
    return pytest.approx(value, rel=1e-9, abs=1e-6)


def test_a_book_without_customers_still_gets_a_dashboard(tmp_path: Path) -> None:
    empty = pd.Series(dtype=object)
    customers = pd.DataFrame({"amount": pd.Series(dtype=float), "orders": empty})
    tiers = pd.DataFrame(
        {"tier": empty, "tier_code": empty, "segment_cn": empty, "churn_risk": empty}
    )
    kpis = compute_kpis(customers, tiers, previous_tiers=empty, as_of=AS_OF)
    assert (kpis.customers, kpis.revenue, kpis.repurchase_rate, kpis.conversion) == (
        0,
        0,
        None,
        None,
    )
    history = history_sheet(None, history_row(kpis, AS_OF, dt.datetime(2026, 6, 30, 9)))
    sheet = dashboard_sheet(kpis, history.rows, "zh")
    assert len(drawing_parts(sheet.charts, sheet.name, sheet.rows).charts) == len(sheet.charts)
    assert "(no data)" in html_report(kpis, history.rows, tmp_path / "r.html").read_text("utf-8")
