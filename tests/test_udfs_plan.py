"""Plan worksheet functions with the values Excel hands over: serials, text, blanks, ranges."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetcrm.excel.udfs_plan import CRM_IS_WORKDAY, CRM_NEXT_FOLLOWUP, CRM_WORKDAY
from sheetcrm.schedule import build_plan, parse_plan_settings
from sheetcrm.settings import Settings
from sheetcrm.values import excel_serial


def s(day: dt.date) -> float:
    return excel_serial(day)


def test_workday_knows_national_day_and_make_up_saturdays() -> None:
    assert CRM_WORKDAY(s(dt.date(2026, 9, 30)), 1) == s(dt.date(2026, 10, 8))
    assert CRM_WORKDAY("2026-10-08", 2.9) == s(dt.date(2026, 10, 10))  # days truncate, 调休 Sat
    assert CRM_WORKDAY(dt.datetime(2026, 10, 8), -1) == s(dt.date(2026, 9, 30))
    assert CRM_WORKDAY(s(dt.date(2026, 10, 3)), 0) == s(dt.date(2026, 10, 3))


def test_workday_takes_a_holiday_range_with_blanks() -> None:
    holidays = [[s(dt.date(2026, 11, 24))], [None], ["2026-11-25"]]
    assert CRM_WORKDAY("2026-11-23", 1, holidays) == s(dt.date(2026, 11, 26))


def test_blank_and_bad_inputs() -> None:
    assert CRM_WORKDAY(None, 3) == ""
    assert CRM_WORKDAY("", 3) == ""
    assert str(CRM_WORKDAY("next tuesday", 3)).startswith("#VALUE!")
    assert str(CRM_WORKDAY("2026-11-23", 1, None, "XX")).startswith("#VALUE!")


def test_is_workday() -> None:
    assert CRM_IS_WORKDAY(s(dt.date(2026, 10, 10))) is True
    assert CRM_IS_WORKDAY("2026-10-01") is False
    assert CRM_IS_WORKDAY("2026-11-23", [["2026-11-23"]]) is False
    assert CRM_IS_WORKDAY(None) == ""


def test_next_followup_equals_the_batch_plan() -> None:
    as_of = dt.date(2026, 11, 23)
    last = dt.date(2026, 11, 20)
    customers = pd.DataFrame(
        {
            "id": ["C1"],
            "owner": ["王"],
            "last_purchase": [last],
            "first_purchase": [dt.date(2024, 1, 1)],
        }
    )
    tiers = pd.DataFrame({"tier": ["高价值客户"], "tier_code": ["A"], "churn_risk": [False]})
    plan = build_plan(customers, tiers, parse_plan_settings(Settings(None)), as_of)
    batch = min(plan.touches["due"])
    assert CRM_NEXT_FOLLOWUP("A", s(last), None, s(as_of)) == s(batch)


def test_next_followup_for_churn_new_and_custom_cadences() -> None:
    as_of = s(dt.date(2026, 11, 23))
    assert CRM_NEXT_FOLLOWUP("流失风险", None, None, as_of) == s(dt.date(2026, 11, 25))
    assert CRM_NEXT_FOLLOWUP("新客户", "2026-11-23", None, as_of) == as_of
    cadence = [["高价值", 1, 0, 5, "电话", "call", "revisit", 1], [None] * 8]
    assert CRM_NEXT_FOLLOWUP("高价值", "2026-11-20", cadence, as_of) == s(dt.date(2026, 11, 27))
    assert str(CRM_NEXT_FOLLOWUP("zzz", "2026-11-20", None, as_of)).startswith("#N/A")
    assert CRM_NEXT_FOLLOWUP("", "2026-11-20") == ""
    bad = [["A", 1, 0, 7, "传真", "x", "revisit", 1]]
    assert str(CRM_NEXT_FOLLOWUP("A", "2026-11-20", bad, as_of)).startswith("#VALUE!")
