"""The exceptions sheetcrm raises, all under one root.

Every message says what is wrong, where (sheet, row, column or cell when
there is one), and what to do about it::

    SheetCRMError                    anything sheetcrm refuses to do
    ├── UsageError                   a bad command line or argument
    ├── WorkbookError                the file itself: missing, corrupt, open in Excel, changed
    │   └── UnoCallError             LibreOffice refused a call on the open document
    ├── InputError                   a value in the user's data (sheet, row, column)
    │   └── MissingColumnError       a column role the job needs is not in the table
    ├── SettingsError                a cell in the settings sheet (sheet, cell, allowed values)
    ├── TemplateError                a message template (template key, field)
    └── RenderLimitError             (sheetcrm.messages.limits) a template past a render limit
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "InputError",
    "MissingColumnError",
    "SettingsError",
    "SheetCRMError",
    "TemplateError",
    "UnoCallError",
    "UsageError",
    "WorkbookError",
]


class SheetCRMError(Exception):
    """Root of every error sheetcrm raises on purpose; the message is for the user."""

    exit_code = 2

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from message and fields, not by calling __init__ again: an error raised in a
        # worker process comes back to the parent pickled.
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type[SheetCRMError], args: tuple[Any, ...], fields: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(fields)
    return error


class UsageError(SheetCRMError):
    """The command line or a function argument is not usable as given."""


class WorkbookError(SheetCRMError):
    """The workbook file cannot be read or safely written."""


class UnoCallError(WorkbookError):
    """A UNO exception as a plain Python one: its type, message and causes in the text."""

    def __init__(self, type_name: str, text: str) -> None:
        super().__init__(text)
        self.type_name = type_name


class InputError(SheetCRMError):
    """A value in the user's data cannot be used; names the place it is in."""

    def __init__(
        self,
        message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.sheet, self.row, self.column = sheet, row, column
        where = ", ".join(
            part
            for part in (
                f"sheet '{sheet}'" if sheet else "",
                f"row {row}" if row is not None else "",
                f"column '{column}'" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class MissingColumnError(InputError):
    """The customer table lacks a column a job needs."""


class SettingsError(SheetCRMError):
    """A cell in the settings sheet holds a value sheetcrm cannot use."""

    def __init__(self, message: str, *, sheet: str, cell: str) -> None:
        self.sheet, self.cell = sheet, cell
        super().__init__(f"sheet '{sheet}' cell {cell}: {message}")


class TemplateError(SheetCRMError):
    """A message template is broken, unsafe, or asks for an unknown field."""

    def __init__(self, message: str, *, template: str, field: str | None = None) -> None:
        self.template, self.field = template, field
        super().__init__(f"template '{template}': {message}")
