"""sheetcrm — a customer-management toolkit that lives inside the team's Excel workbook.

客户管理，就在你的 Excel 里：客户分级、跟进计划、个性化消息。

The facade: open a workbook file as a book and run a job on it, or call an
engine function on a DataFrame of customers (columns named by role)::

    from sheetcrm import FileBook, run_job
    report = run_job("tier", FileBook(Path("客户名单.xlsx")))

Errors all derive from :class:`SheetCRMError` (see :mod:`sheetcrm.errors`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .book.file import FileBook
    from .errors import (
        InputError,
        MissingColumnError,
        SettingsError,
        SheetCRMError,
        TemplateError,
        UsageError,
        WorkbookError,
    )
    from .jobs import JobOptions, JobReport, run_job
    from .messages import compose_messages, sms_length
    from .schedule import WorkCalendar, build_plan
    from .tiering import BGNBDFit, expected_purchases, fit_bgnbd, p_alive, tier_customers

# Imported when first used: a worker process (sheetcrm._background) then loads only what its
# work needs, not every job (a second of start-up on a busy core).
_HOMES = {
    "FileBook": "book.file",
    "InputError": "errors",
    "MissingColumnError": "errors",
    "SettingsError": "errors",
    "SheetCRMError": "errors",
    "TemplateError": "errors",
    "UsageError": "errors",
    "WorkbookError": "errors",
    "JobOptions": "jobs",
    "JobReport": "jobs",
    "run_job": "jobs",
    "compose_messages": "messages",
    "sms_length": "messages",
    "WorkCalendar": "schedule",
    "build_plan": "schedule",
    "BGNBDFit": "tiering",
    "expected_purchases": "tiering",
    "fit_bgnbd": "tiering",
    "p_alive": "tiering",
    "tier_customers": "tiering",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sheetcrm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.1.0"

__all__ = [
    "BGNBDFit",
    "FileBook",
    "InputError",
    "JobOptions",
    "JobReport",
    "MissingColumnError",
    "SettingsError",
    "SheetCRMError",
    "TemplateError",
    "UsageError",
    "WorkCalendar",
    "WorkbookError",
    "__version__",
    "build_plan",
    "compose_messages",
    "expected_purchases",
    "fit_bgnbd",
    "p_alive",
    "run_job",
    "sms_length",
    "tier_customers",
]
