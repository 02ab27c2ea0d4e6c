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

if TYPE_CHECKING:  # what type checkers see (explicit re-exports); test_api checks it is _HOMES
    from .book.base import Book as Book
    from .book.base import CustomerTable as CustomerTable
    from .book.base import Problem as Problem
    from .book.base import ResultColumn as ResultColumn
    from .book.file import FileBook as FileBook
    from .errors import InputError as InputError
    from .errors import MissingColumnError as MissingColumnError
    from .errors import SettingsError as SettingsError
    from .errors import SheetCRMError as SheetCRMError
    from .errors import TemplateError as TemplateError
    from .errors import UsageError as UsageError
    from .errors import WorkbookError as WorkbookError
    from .jobs import JobOptions as JobOptions
    from .jobs import JobReport as JobReport
    from .jobs import run_job as run_job
    from .messages import compose_messages as compose_messages
    from .messages import sms_length as sms_length
    from .schedule import WorkCalendar as WorkCalendar
    from .schedule import build_plan as build_plan
    from .tiering import BGNBDFit as BGNBDFit
    from .tiering import expected_purchases as expected_purchases
    from .tiering import fit_bgnbd as fit_bgnbd
    from .tiering import p_alive as p_alive
    from .tiering import tier_customers as tier_customers

# The public names and the module each lives in: the one list. Each is imported when first used,
# so a worker process (sheetcrm._background) loads only what its work needs, not every job (a
# second of start-up on a busy core).
_HOMES = {
    "Book": "book.base",
    "CustomerTable": "book.base",
    "Problem": "book.base",
    "ResultColumn": "book.base",
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

__version__ = "0.1.0"

__all__ = sorted([*_HOMES, "__version__"])


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sheetcrm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
