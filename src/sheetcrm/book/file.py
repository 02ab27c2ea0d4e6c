"""A workbook file on disk as a :class:`~sheetcrm.book.base.Book`.

Reads with python-calamine (fast, read-only) and writes with the
package-level writer, which touches only sheetcrm's own sheets and result
columns and copies every other part of the file byte for byte.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import WorkbookError
from ..i18n import tr
from ..settings import SETTINGS_SHEET, Settings, parse_general
from ..table.grid_rows import rows_array
from ..tuning import Tuning
from .backups import Kept
from .base import CellValue, CustomerSource, CustomerTable, ReadsCustomers, ResultColumn, SheetSpec
from .own_sheets import cell_count
from .xlsx_read import XlsxReader
from .xlsx_write import PackageWriter

__all__ = ["FileBook"]


class FileBook(ReadsCustomers):
    """A workbook file: read now, written atomically (with a backup) on :meth:`save`."""

    def __init__(
        self,
        path: Path,
        output: Path | None = None,
        *,
        backup: bool = True,
        tuning: Tuning | None = None,
        force: bool = False,
    ) -> None:
        self.path = Path(path)
        self.output = Path(output) if output else None
        _check_readable(self.path)
        if self.output is None and not force:
            _check_writable(self.path)
        self.backup = backup
        self._reader = XlsxReader(self.path, tuning)
        self._writer = PackageWriter(self.path, tuning, self.output)
        self._kept_cells = (tuning or Tuning()).cached_cells
        # What each sheet written since opening holds, None when too big to keep (see write_sheet).
        self._written: dict[str, Sequence[Sequence[CellValue]] | None] = {}

    @property
    def date1904(self) -> bool:
        """True when the workbook counts dates from 1904 (old Mac Excel)."""
        return bool(self._reader.date1904)

    def sheet_names(self) -> list[str]:
        """The worksheet names, including sheets written since opening."""
        names = list(self._reader.sheet_names())
        return names + [name for name in self._written if name not in names]

    def read_grid(self, sheet: str) -> list[list[CellValue]]:
        """A sheet's values (what this run wrote to it, if it did)."""
        if sheet in self._written:
            return [list(row) for row in self._written_rows(sheet)]
        return self._reader.read_grid(sheet)

    def read_array(self, sheet: str) -> np.ndarray:
        """:meth:`read_grid` as a 2-D object array: no Python list per row of a big sheet."""
        if sheet in self._written:
            return rows_array(self._written_rows(sheet))
        return self._reader.read_array(sheet)

    def _written_rows(self, sheet: str) -> Sequence[Sequence[CellValue]]:
        rows = self._written[sheet]
        if rows is None:  # a job reads each of our long sheets before it writes it, never after
            raise RuntimeError(f"sheet {sheet!r} was written in this run and is too big to keep")
        return rows

    def customer_source(self) -> CustomerSource:
        """The file's tables and cells as read (on a big sheet, without old results' cells)."""
        return self._reader.customer_source()

    def write_columns(self, table: CustomerTable, columns: Sequence[ResultColumn]) -> None:
        """Add or replace result columns at the right edge of the customer table."""
        self._writer.write_columns(
            table.sheet,
            table.header_row,
            table.first_column,
            table.last_row,
            table.table,
            table.headers,
            columns,
            rows=table.frame.index.tolist(),  # each value on its customer's row, past blank rows
        )

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a sheet that sheetcrm owns."""
        self._writer.write_sheet(spec)
        # Kept for reading back up to the reader's own cache size: a 数据检查 or 跟进计划 of a
        # million rows would be held to the end of the run for nothing.
        small = cell_count(spec.rows) <= self._kept_cells
        self._written[spec.name] = spec.rows if small else None

    def save(self) -> Path:
        """Write every change atomically: in place with a backup, or to the output copy."""
        return self._writer.save(self.output, backup=self.backup, keep=self._backups_kept())

    def _backups_kept(self) -> int:
        """How many run backups the settings sheet asks for (its default without one)."""
        grid = self.read_grid(SETTINGS_SHEET) if SETTINGS_SHEET in self.sheet_names() else None
        return parse_general(Settings(grid)).backups

    @property
    def kept(self) -> Kept | None:
        """What the last save's backup did (None when it made none)."""
        return self._writer.kept

    @property
    def cleaned(self) -> list[tuple[Path, int]]:
        """A killed run's temporary files the last save removed, each with its size."""
        return self._writer.cleaned


def _check_readable(path: Path) -> None:
    """Refuse a path that is not a workbook file sheetcrm may read, saying what to do."""
    if path.is_dir():
        raise WorkbookError(
            tr(
                f"{path} 是一个文件夹，不是工作簿；请写出其中 .xlsx 文件的名称",
                f"{path} is a folder, not a workbook; name the .xlsx file in it",
            )
        )
    if not path.exists():
        raise WorkbookError(
            tr(
                f"找不到文件 {path}，请检查路径",
                f"file {path} does not exist; check the path",
            )
        )
    if not os.access(path, os.R_OK):
        raise WorkbookError(
            tr(
                f"没有权限读取 {path}；请检查文件的权限",
                f"no permission to read {path}; check the file's permissions",
            )
        )


def _check_writable(path: Path) -> None:
    """Refuse to replace a read-only workbook, as Excel would refuse to save it."""
    # The mode bits, not only os.access: root may write anything, Excel honours the attribute.
    if not path.stat().st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise WorkbookError(
            tr(
                f"{path} 是只读文件，sheetcrm 不会覆盖它。请取消只读属性、用 --output 另存，"
                "或加 --force 强制覆盖",
                f"{path} is read-only, so sheetcrm does not replace it; clear the read-only "
                "attribute, save a copy with --output, or add --force to replace it anyway",
            )
        )
