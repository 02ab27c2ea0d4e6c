"""The follow-up plan engine (跟进计划): cadences on working days, levelled to rep capacity.

Frames in, frames out: the sheet is :mod:`sheetcrm.sheets.plan`, and the calendar and CSV
exports (:mod:`.export`, a door: it writes the sheet's rows) are imported from their module.
"""

from __future__ import annotations

from .cadence import CHANNELS, channel_key, channel_label
from .capacity import DEFAULT_CAPACITY, Rep
from .plan import TOUCH_COLUMNS, PlanResult, build_plan
from .plan_settings import PlanSettings, parse_plan_settings
from .statuses import STATUS_CANCELLED, STATUS_DONE, STATUS_OPEN, STATUS_SKIPPED
from .touch_ids import touch_id
from .workdays import WorkCalendar

__all__ = [
    "CHANNELS",
    "DEFAULT_CAPACITY",
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
    "touch_id",
]
