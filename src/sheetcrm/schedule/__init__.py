"""The follow-up plan engine (跟进计划): cadences on working days, levelled to rep capacity."""

from __future__ import annotations

from .cadence import CHANNELS, channel_key, channel_label
from .capacity import DEFAULT_CAPACITY, Rep
from .export import write_csv, write_ics
from .plan import (
    PLAN_SHEET,
    STATUS_CANCELLED,
    STATUS_DONE,
    STATUS_OPEN,
    STATUS_SKIPPED,
    TOUCH_COLUMNS,
    PlanResult,
    PlanSettings,
    build_plan,
    parse_plan_settings,
    parse_plan_sheet,
    plan_sheet,
    touch_id,
)
from .workdays import WorkCalendar

__all__ = [
    "CHANNELS",
    "DEFAULT_CAPACITY",
    "PLAN_SHEET",
    "STATUS_CANCELLED",
    "STATUS_DONE",
    "STATUS_OPEN",
    "STATUS_SKIPPED",
    "TOUCH_COLUMNS",
    "PlanResult",
    "PlanSettings",
    "Rep",
    "WorkCalendar",
    "build_plan",
    "channel_key",
    "channel_label",
    "parse_plan_settings",
    "parse_plan_sheet",
    "plan_sheet",
    "touch_id",
    "write_csv",
    "write_ics",
]
