"""Results a sales manager believes, and results that read well: a calibrated churn warning
that states its rule, a low tier beside a strong RFM segment explained, buyers without dates
not called "no purchases", a title staff typed kept, widths, the autofilter, summary order."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from sheetcrm.book.file import FileBook
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.messages.filters import salutation
from sheetcrm.report.kpis import compute_kpis
from sheetcrm.sheets.tiers import REASON_WIDTH, result_columns, summary_sheet
from sheetcrm.tiering import TierSettings, tier_customers
from sheetcrm.tiering.churn import BOTTOM_SHARE, RHYTHM_FACTOR, churn_risk
from sheetcrm.tiering.lifecycle import STAGES
from sheetcrm.tiering.rfm import CN_SEGMENTS

AS_OF = dt.date(2026, 6, 30)


def _customers(orders: list[int], last_days: list[int], first_days: list[int]) -> pd.DataFrame:
    n = len(orders)
    return pd.DataFrame(
        {
            "id": [f"C{i}" for i in range(n)],
            "amount": pd.array([100.0 * o for o in orders], dtype="float64"),
            "orders": pd.array(orders, dtype="Int64"),
            "last_purchase": pd.to_datetime([AS_OF - dt.timedelta(days=d) for d in last_days]),
            "first_purchase": pd.to_datetime([AS_OF - dt.timedelta(days=d) for d in first_days]),
        },
        index=range(2, n + 2),
    )


def test_churn_flags_only_silence_unusual_for_the_customers_own_rhythm() -> None:
    # Monthly buyers (gap 30 days): 20 days silent is normal, 90 is three gaps.
    # A yearly buyer 200 days silent is on rhythm; a one-time buyer has no rhythm to break.
    frame = _customers([11, 11, 3, 1], [20, 90, 200, 400], [320, 390, 930, 400])
    with use_lang("zh"):
        result = churn_risk(frame, AS_OF)
    assert result.churn_risk.tolist() == [False, True, False, False]
    assert (
        result.note.iloc[1]
        == f"流失预警：90 天未购买，超过其平均购买间隔 30 天的 {RHYTHM_FACTOR:g} 倍"
    )
    assert result.note.iloc[0] == ""


def test_churn_on_transactions_uses_their_rhythm_and_the_lowest_p_alive() -> None:
    # 80 customers buying every 10–50 days; the last 12 stopped half a year before the as-of date.
    rng = np.random.default_rng(1)
    as_of, rows, n = dt.date(2025, 12, 31), [], 80
    for i in range(n):
        gap = int(rng.integers(10, 50))
        stop = as_of - dt.timedelta(days=int(rng.integers(0, gap)) + (180 if i >= 68 else 0))
        day = stop - dt.timedelta(days=gap * int(rng.integers(2, 8)))
        while day <= stop:
            rows.append((f"C{i}", day, 10.0))
            day += dt.timedelta(days=gap)
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    customers = pd.DataFrame({"id": [f"C{i}" for i in range(n)]}, index=range(2, n + 2))
    with use_lang("en"):
        result = churn_risk(customers, as_of, tx)
    assert result.fit is not None
    flagged = result.churn_risk.to_numpy()
    assert flagged[68:].all()  # the silent ones
    assert flagged.mean() < 0.3  # a warning for the few, not for most
    low = result.p_alive.quantile(BOTTOM_SHARE)
    assert flagged[((result.p_alive < 0.5) & (result.p_alive <= low)).to_numpy()].all()
    assert result.note[flagged].str.startswith("churn risk: ").all()
    assert (result.note[~flagged] == "").all()


def test_the_reason_states_the_churn_rule_and_explains_a_low_tier_with_a_strong_segment() -> None:
    # Many cheap, frequent, recent orders: high F and M ranks, few rule points.
    frame = _customers(
        [1, 2, 2, 3, 12, 12], [400, 300, 30, 20, 5, 150], [400, 500, 330, 320, 370, 480]
    )
    frame["amount"] = pd.array([50.0, 60.0, 70.0, 80.0, 900.0, 950.0])
    tiers = tier_customers(frame, TierSettings.default("b2c", lang="zh"), AS_OF)
    low_strong = tiers[(tiers["tier_code"] >= "C") & tiers["segment_cn"].str.startswith("重要")]
    assert len(low_strong)
    assert low_strong["reason"].str.contains("两者口径不同").all()
    flagged = tiers[tiers["churn_risk"]]
    assert len(flagged) and flagged["reason"].str.contains("流失预警：").all()
    assert not tiers[~tiers["churn_risk"]]["reason"].str.contains("流失预警").any()


def test_customers_with_amounts_but_no_dates_are_not_no_purchases() -> None:
    frame = _customers([3, 2, 0], [10, 20, 30], [100, 200, 300])
    frame["last_purchase"] = pd.NaT  # amounts and orders, no dates: no R
    frame.loc[4, "amount"] = 0.0
    tiers = tier_customers(frame, TierSettings.default("b2c", lang="zh"), AS_OF)
    with use_lang("zh"):
        kpis = compute_kpis(frame, tiers, as_of=AS_OF)
    revenue = kpis.per_segment["revenue"]
    assert revenue.get("未分群（无购买）", 0.0) == 0.0
    assert revenue["未分群（有购买，缺少日期等 RFM 数据）"] == 500.0


def test_a_title_staff_typed_wins_over_one_from_gender() -> None:
    assert salutation("姜总", "先生") == "姜总"
    assert salutation("王经理", "女") == "王经理"
    assert salutation("欧阳总", "男") == "欧阳总"
    assert salutation("姜伟", "先生") == "姜先生"  # a plain name still takes the gender's


def test_summary_tables_follow_tier_segment_and_lifecycle_order() -> None:
    frame = _customers(
        [1, 2, 6, 9, 1, 3, 12, 2],
        [5, 40, 500, 20, 700, 90, 10, 365],
        [5, 300, 900, 700, 700, 400, 800, 600],
    )
    with use_lang("zh"):
        tiers = tier_customers(frame, TierSettings.default("b2c", lang="zh"), AS_OF)
        rows = summary_sheet(frame, tiers).rows
    names = [str(row[0]) for row in rows if row and row[0] not in (None, "")]
    stages = [name for name in names if name in {zh for zh, _ in STAGES.values()}]
    assert stages == [zh for zh, _ in STAGES.values() if zh in stages]
    cn = [name for name in names if name in {zh for _, zh, _ in CN_SEGMENTS.values()}]
    assert cn == [zh for _, zh, _ in CN_SEGMENTS.values() if zh in cn]
    assert len(set(stages)) >= 3


def test_result_columns_have_widths_and_the_reason_is_wide() -> None:
    frame = _customers([1, 2, 3], [5, 40, 500], [5, 300, 900])
    tiers = tier_customers(frame, TierSettings.default("b2c", lang="zh"), AS_OF)
    with use_lang("zh"):
        columns = {c.header: c for c in result_columns(tiers)}
    assert columns["分级原因"].width == REASON_WIDTH
    assert all(c.width and c.width >= 8 for c in columns.values())
    expected = columns["预计90天购买"].width
    assert expected is not None and expected >= 14


def test_an_existing_autofilter_is_extended_over_the_result_columns(tmp_path: Path) -> None:
    path = tmp_path / "filtered.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户编号", "客户名称", "手机", "累计金额", "购买次数", "最近购买日期"])
    for n in range(6):
        sheet.append([f"C{n}", f"客户{n}", f"1390571{n:04d}", 100 * n, n, dt.date(2026, 1, n + 1)])
    sheet.auto_filter.ref = "A1:F7"
    book.save(path)
    run_job("tier", FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    after = openpyxl.load_workbook(path).active
    last = after.max_column
    assert after.cell(1, last).value  # a result header
    assert after.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(last)}7"
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
