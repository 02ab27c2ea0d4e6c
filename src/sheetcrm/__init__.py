"""sheetcrm — a customer-management toolkit that lives inside the team's Excel workbook.

客户管理，就在你的 Excel 里：客户分级、跟进计划、个性化消息。
"""

from __future__ import annotations

from .errors import (
    InputError,
    MissingColumnError,
    SettingsError,
    SheetCRMError,
    TemplateError,
    UsageError,
    WorkbookError,
)

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "MissingColumnError",
    "SettingsError",
    "SheetCRMError",
    "TemplateError",
    "UsageError",
    "WorkbookError",
    "__version__",
]
