"""Follow-up plan worksheet functions: China-aware WORKDAY and the next follow-up date.

Excel's own WORKDAY knows weekends and a holiday list but not China's make-up
working weekends (调休); ``CRM_WORKDAY`` does. ``CRM_NEXT_FOLLOWUP`` gives the
date ``sheetcrm plan`` would put a customer's next touch on (before capacity
levelling). Dates go in as serial numbers, dates or text and come back as
serial numbers: format the cell as a date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import xlwings as xw

from ..i18n import tr
from ..schedule.cadence import CHURN, NEW, NEW_CUSTOMER_DAYS, parse_terms
from ..schedule.plan import build_plan, work_calendar
from ..schedule.plan_settings import parse_plan_settings
from ..schedule.statuses import STATUS_OPEN
from ..settings import Settings
from ..values import is_blank
from .convert import date_arg, error, excel_errors, flatten, number_arg, serial, text_arg

__all__ = ["CRM_IS_WORKDAY", "CRM_NEXT_FOLLOWUP", "CRM_WORKDAY"]


def _days_off(holidays: Any) -> tuple[dt.date, ...]:
    """Extra days off from a range of dates (blanks ignored)."""
    days = {date_arg(value) for value in flatten(holidays) if not is_blank(value)}
    return tuple(sorted(day for day in days if day is not None))


def _country(country: Any) -> str:
    return text_arg(country).upper() or "CN"


@xw.func
@excel_errors
def CRM_WORKDAY(start: Any, days: Any, holidays: Any = None, country: Any = "CN") -> Any:  # noqa: N802
    """The date a number of working days after (or before) a start date, with China's 调休."""
    begin = date_arg(start)
    if begin is None:
        return ""
    count = number_arg(days) or 0.0
    calendar = work_calendar(_country(country), _days_off(holidays))
    return serial(calendar.add_workdays(begin, int(count)))  # Excel truncates the days too


@xw.func
@excel_errors
def CRM_IS_WORKDAY(date: Any, holidays: Any = None, country: Any = "CN") -> Any:  # noqa: N802
    """TRUE when a date is a working day (make-up weekends count as working days)."""
    day = date_arg(date)
    if day is None:
        return ""
    return work_calendar(_country(country), _days_off(holidays)).is_workday(day)


def _cadence_settings(cadences: Any) -> Settings | None:
    """A settings grid holding only the given cadence rows (None: the documented defaults)."""
    if not isinstance(cadences, list) and is_blank(cadences):
        return None
    rows = cadences if isinstance(cadences, list) else [[cadences]]
    rows = [row if isinstance(row, list) else [row] for row in rows]
    return Settings([["[cadences]"], ["header"], *rows])


@xw.func
@excel_errors
def CRM_NEXT_FOLLOWUP(  # noqa: N802
    tier_or_stage: Any,
    last_contact: Any,
    cadences: Any = None,
    as_of: Any = None,
    country: Any = "CN",
) -> Any:
    """The next follow-up date the plan gives a customer of this tier/stage after a contact.

    ``tier_or_stage`` is a tier, tier code, segment, stage, 新客户 or 流失风险;
    ``last_contact`` the last completed contact (for new customers: the first
    purchase); ``cadences`` the data rows of the settings sheet's cadence block.
    """
    value = text_arg(tier_or_stage)
    if not value:
        return ""
    last = date_arg(last_contact)
    today = date_arg(as_of) or dt.date.today()
    settings = parse_plan_settings(_cadence_settings(cadences) or Settings(None))
    terms = parse_terms(value)
    first = last
    if NEW not in terms and last is not None:
        # Only a customer asked for as new may fall into the new-customer cadence.
        first = min(last, today) - dt.timedelta(days=NEW_CUSTOMER_DAYS + 1)
    customers = pd.DataFrame(
        {"id": ["x"], "first_purchase": [first], "last_purchase": [last], "owner": ["x"]}
    )
    tiers = pd.DataFrame(
        {
            "tier": [value],
            "tier_code": [value],
            "segment_cn": [value],
            "segment_en": [value],
            "stage": [value],
            "churn_risk": [CHURN in terms],
        }
    )
    plan = build_plan(
        customers, tiers, settings, today, horizon_days=366, country=_country(country)
    )
    due = plan.touches.loc[plan.touches["status"] == STATUS_OPEN, "due"].dropna()
    if due.empty:
        return error(
            "#N/A",
            tr(
                f"「{value}」没有适用的跟进节奏",
                f"no follow-up cadence applies to '{value}'",
            ),
        )
    return serial(min(due))
