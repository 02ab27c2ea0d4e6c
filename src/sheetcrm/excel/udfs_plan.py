"""Follow-up plan worksheet functions: China-aware WORKDAY and the next follow-up date.

Excel's own WORKDAY knows weekends and a holiday list but not China's make-up
working weekends (调休); ``CRM_WORKDAY`` does. ``CRM_NEXT_FOLLOWUP`` gives the
date ``sheetcrm plan`` would put a customer's next touch on (before capacity
levelling). Dates go in as serial numbers, dates or text and come back as
serial numbers: format the cell as a date.

``holidays`` is a column of extra days off, or the rows of the settings' ``[holidays]``
block (date, type, note), which carry the official schedule staff pasted for years past
the built-in data. A worksheet function returns one value, so the date stays a date even
in an estimated year; ``CRM_CALENDAR_NOTE`` returns the warning the plan gives for that
year (empty when it is exact), for a cell beside the dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
import xlwings as xw

from ..i18n import tr, use_lang
from ..schedule.cadence import CHURN, NEW, NEW_CUSTOMER_DAYS, parse_terms
from ..schedule.plan import build_plan, work_calendar
from ..schedule.plan_settings import HOLIDAYS, parse_holidays, parse_plan_settings
from ..schedule.statuses import STATUS_OPEN
from ..schedule.workdays import CalendarDays, estimate_warning
from ..settings import BlockData, Settings
from ..values import is_blank
from .convert import date_arg, error, excel_errors, flatten, number_arg, serial, text_arg

__all__ = ["CRM_CALENDAR_NOTE", "CRM_IS_WORKDAY", "CRM_NEXT_FOLLOWUP", "CRM_WORKDAY"]


def _calendar_days(holidays: Any) -> CalendarDays:
    """The days a holidays range names: rows of the [holidays] block when its second column
    holds a type, else every cell an extra day off (blanks ignored)."""
    rows = holidays if isinstance(holidays, list) and holidays else []
    if all(isinstance(row, list) and len(row) >= 2 for row in rows) and any(
        _is_text(row[1]) for row in rows
    ):
        # Numbered from 1 with the argument as the sheet, so an error names the range's cell.
        numbered = tuple(enumerate((tuple(row) for row in rows), start=1))
        sheet = tr("holidays 参数", "holidays argument")
        return parse_holidays(BlockData(HOLIDAYS, sheet, numbered, from_sheet=True))
    days = {date_arg(value) for value in flatten(holidays) if not is_blank(value)}
    return CalendarDays(extra_off=frozenset(day for day in days if day is not None))


def _is_text(value: Any) -> bool:
    """True for a cell of text that is not a date (a type such as 官方上班)."""
    if not isinstance(value, str) or is_blank(value):
        return False
    try:
        date_arg(value)
    except ValueError:
        return True
    return False


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
    calendar = work_calendar(_country(country), _calendar_days(holidays))
    return serial(calendar.add_workdays(begin, int(count)))  # Excel truncates the days too


@xw.func
@excel_errors
def CRM_IS_WORKDAY(date: Any, holidays: Any = None, country: Any = "CN") -> Any:  # noqa: N802
    """TRUE when a date is a working day (make-up weekends count as working days)."""
    day = date_arg(date)
    if day is None:
        return ""
    return work_calendar(_country(country), _calendar_days(holidays)).is_workday(day)


@xw.func
@excel_errors
def CRM_CALENDAR_NOTE(  # noqa: N802
    date_or_year: Any, holidays: Any = None, country: Any = "CN", lang: Any = "zh"
) -> Any:
    """The warning for a year whose working days are estimated (empty when the year is exact).

    ``date_or_year`` is a date or a year such as 2027; ``holidays`` the same range given to
    ``CRM_WORKDAY`` (the [holidays] rows with the official schedule make the year exact).
    """
    year = _year(date_or_year)
    if year is None:
        return ""
    calendar = work_calendar(_country(country), _calendar_days(holidays))
    estimated = calendar.estimated_between(dt.date(year, 1, 1), dt.date(year, 12, 31))
    with use_lang("en" if text_arg(lang).lower().startswith("en") else "zh"):
        return estimate_warning(year) if estimated else ""


def _year(value: Any) -> int | None:
    """A year from a year number (1900–9999, as number or text) or a date."""
    try:
        number = None if isinstance(value, dt.date) else number_arg(value)
    except ValueError:
        number = None  # a date written as text
    if number is not None and float(number).is_integer() and 1900 <= number <= 9999:
        return int(number)
    day = date_arg(value)
    return None if day is None else day.year


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
    holidays: Any = None,
) -> Any:
    """The next follow-up date the plan gives a customer of this tier/stage after a contact.

    ``tier_or_stage`` is a tier, tier code, segment, stage, 新客户 or 流失风险;
    ``last_contact`` the last completed contact (for new customers: the first
    purchase); ``cadences`` the data rows of the settings sheet's cadence block;
    ``holidays`` as for ``CRM_WORKDAY``.
    """
    value = text_arg(tier_or_stage)
    if not value:
        return ""
    last = date_arg(last_contact)
    today = date_arg(as_of) or dt.date.today()
    settings = parse_plan_settings(_cadence_settings(cadences) or Settings(None))
    settings = dataclasses.replace(settings, calendar=_calendar_days(holidays))
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
