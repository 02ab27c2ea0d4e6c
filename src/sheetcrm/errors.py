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

import errno
import shutil
from pathlib import Path
from typing import Any

from .i18n import tr

__all__ = [
    "InputError",
    "MissingColumnError",
    "SettingsError",
    "SheetCRMError",
    "TemplateError",
    "UnoCallError",
    "UsageError",
    "WorkbookError",
    "disk_full_message",
    "environment_error",
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


def disk_full_message(folder: Path, needed: int | None) -> str:
    """What a full disk means for the user: how much is needed (when known), how much is free."""
    try:
        free_mb = shutil.disk_usage(folder).free / 1e6
    except OSError:
        free_mb = 0.0
    if needed is None:
        return tr(
            f"{folder} 所在的磁盘已满（只剩 {free_mb:.1f} MB）。请腾出空间，或用 --output 保存到别处",
            f"the disk holding {folder} is full ({free_mb:.1f} MB free); free some space, or "
            "save elsewhere with --output",
        )
    need_mb = needed / 1e6
    return tr(
        f"{folder} 所在的磁盘已满：保存约需 {need_mb:.1f} MB，只剩 {free_mb:.1f} MB。"
        "请腾出空间，或用 --output 保存到别处",
        f"the disk holding {folder} is full: saving needs about {need_mb:.1f} MB and "
        f"{free_mb:.1f} MB is free; free some space, or save elsewhere with --output",
    )


def environment_error(error: OSError) -> WorkbookError | None:
    """The user's sentence for a refusal by the file system; None for an OSError that is a bug."""
    path = error.filename or "?"
    if error.errno == errno.ENOSPC:
        return WorkbookError(disk_full_message(Path(path).parent, None))
    advice = {
        errno.EACCES: (
            "没有权限。请检查文件和文件夹的权限，或用 --output 保存到别处",
            "permission denied; check the file's and folder's permissions, or save elsewhere "
            "with --output",
        ),
        errno.EROFS: (
            "位于只读的磁盘上。请用 --output 保存到别处",
            "is on a read-only disk; save elsewhere with --output",
        ),
        errno.ENAMETOOLONG: (
            "文件名太长（导出时负责人姓名会成为文件名）。请缩短该名称或文件夹路径",
            "the file name is too long (an owner's name becomes a file name in exports); "
            "shorten that name or the folder path",
        ),
        errno.EISDIR: (
            "是一个文件夹，而这里需要文件。请把它移走或换一个名称",
            "is a folder where a file is needed; move it away or choose another name",
        ),
        errno.ENOTDIR: (
            "路径中的某一级是文件而不是文件夹。请检查路径",
            "part of the path is a file, not a folder; check the path",
        ),
        errno.ENOENT: (
            "找不到。请检查路径",
            "does not exist; check the path",
        ),
        errno.EEXIST: (
            "已存在且挡住了要写的文件。请把它移走或改名",
            "exists and is in the way; move or rename it",
        ),
    }
    advice[errno.EPERM] = advice[errno.EACCES]
    if error.errno not in advice:
        return None
    zh, en = advice[error.errno]
    return WorkbookError(tr(f"{path}：{zh}", f"{path}: {en}"))
