"""Reading workbook files fast: python-calamine for values, the package XML for the rest.

calamine reads cell values (dates already typed) and Excel Tables; it reports
error cells as blanks, so error values (``#N/A`` …) are found by scanning the
sheet XML for ``t="e"`` cells. A big sheet is cut into parts read at once; a part
whose every column holds one kind of value (numbers, texts, dates…) is read by
fastexcel (calamine's parser, columns without a Python object per cell: ≈ 1.5×
faster) and turned into exactly the values python-calamine gives; any other part is
read by python-calamine itself. A shared-strings table (every file Excel saves) is
decoded once, not once per part: the parts hold each string's index. Which file formats
are refused, and why, is decided here so users get one clear message instead of a parser's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import operator
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import repeat
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import python_calamine as calamine

from .. import _background
from ..a1 import column_from_bytes, column_letter, parse_range
from ..errors import WorkbookError
from ..i18n import tr
from ..table.grid_rows import rows_array
from ..table.header_row import HEADER_SCAN_ROWS
from ..table.locate import TableInfo
from ..tuning import Tuning
from . import sheetstream
from .base import CellError, CellValue, CustomerSource, ReadsCustomers, blank_cells
from .namespaces import MAIN_NS, OFFICE_REL_NS, PACKAGE_REL_NS

__all__ = ["XlsxReader"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*>")
_PART_SHEET = "part"
# A big sheet's parts carry shared-string cells as their index behind this mark (a
# private-use character), typed as text, and are decoded once parsed: the shared-strings
# table is decoded once, not once per part.
_INDEX_MARK = "\ue000"
_SHARED_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")
# A shared-string cell's index: its type, the rest of its tag, then its value.
_SHARED_INDEX = re.compile(rb'\bt="s"[^>]*>\s*<(?:\w+:)?v>\s*(\d+)\s*<')
# Cell types a part looks at: dates and errors (rare), and shared strings where the book has
# a table. A regex finds the three in one pass, faster than a find of one of them.
_RARE_TYPES = re.compile(rb't="[de]"')
_INDEXED_TYPES = re.compile(rb't="[sde]"')
# Parts made and not yet parsed while the next is cut, at most: the two parsers each have one
# to go on with once theirs is parsed.
_AHEAD = 3
_POLL = 0.005  # seconds between looks for a part a worker cuts, or for room to cut the next
_INDEX_ROW = 10_000  # indices per row of the workbook that decodes the shared strings
_HEAD_PIECE = 2**20  # sheet XML inflated at once for a big sheet's first rows
# A sheet of up to a few MB whose shared strings are all among the table's first items is
# read alone, with those items only (our own sheets use none); one using later items (a book
# Excel saved puts the last sheets' texts last), or bigger (a 100,000-row list: searching
# it first would cost 0.9 s), by the whole file's reader.
_SHALLOW_ITEMS = 50_000
_ALONE_BYTES = 4 * 2**20
_DAY_MS = 86_400_000
_EPOCH = dt.datetime(1970, 1, 1)
# fastexcel's stamps of serial numbers 0 and 1 (1900 system): below 1 calamine gives a time.
_SERIAL_0_MS, _SERIAL_1_MS = (
    int((dt.datetime(*day) - _EPOCH).total_seconds() * 1000)
    for day in ((1899, 12, 31), (1900, 1, 1))
)
# fastexcel warns (by logging) when a column of a part is blank throughout, which Python would
# print on every big read: no news here. Only that logger is quietened.
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)
_PART_TYPES = {
    "workbook": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "sheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "styles": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
    "sharedStrings": "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
}


def _refuse_unsupported(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _OLE_MAGIC:
        raise WorkbookError(
            tr(
                f"{path.name} 是旧版 .xls 文件或加密的工作簿；请在 Excel 中“另存为” Excel 工作簿 (.xlsx)，如有密码请先去掉",
                f"{path.name} is an old .xls file or a password-protected workbook; in Excel, save it as an "
                "Excel Workbook (.xlsx), removing the password first",
            )
        )
    if not head.startswith(b"PK"):
        kind = "CSV/text" if head[:1].decode("latin-1").isprintable() else "unknown"
        raise WorkbookError(
            tr(
                f"{path.name} 不是 Excel 工作簿（看起来是 {kind} 文件）；请用 Excel 打开并另存为 .xlsx",
                f"{path.name} is not an Excel workbook (it looks like a {kind} file); open it in Excel "
                "and save it as .xlsx",
            )
        )


class XlsxReader(ReadsCustomers):
    """Values, tables and the customer table of a workbook file (.xlsx / .xlsm)."""

    def __init__(self, path: Path, tuning: Tuning | None = None) -> None:
        self.path = Path(path)
        self.tuning = tuning or Tuning()
        _refuse_unsupported(self.path)
        try:
            self._zip = zipfile.ZipFile(self.path)
            self._parts = self._sheet_parts()
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
            raise self._damaged(exc) from None
        self._arrays: dict[str, np.ndarray] = {}

    def _damaged(self, exc: Exception) -> WorkbookError:
        """The error for a file that is no whole workbook."""
        return WorkbookError(
            tr(
                f"{self.path.name} 已损坏或不完整（{exc}）；请在 Excel 中打开并修复后另存",
                f"{self.path.name} is damaged or incomplete ({exc}); open it in Excel, let it repair "
                "the file, and save it again",
            )
        )

    @functools.cached_property
    def _book(self) -> Any:
        """python-calamine's reader of the whole file, opened when first needed: opening it
        parses the shared-strings table (1.2 s for a full sheet's), which most runs never use."""
        try:
            return calamine.load_workbook(str(self.path))
        except calamine.CalamineError as exc:
            raise self._damaged(exc) from None

    def _xml(self, part: str) -> ElementTree.Element:
        return ElementTree.fromstring(self._zip.read(part))

    def _sheet_parts(self) -> dict[str, str]:
        rels = self._xml("_rels/.rels")
        workbook_part = next(
            r.get("Target", "").lstrip("/")
            for r in rels.iter(f"{{{PACKAGE_REL_NS}}}Relationship")
            if r.get("Type", "").endswith("/officeDocument")
        )
        workbook = self._xml(workbook_part)
        pr = workbook.find(f"{{{MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        base = PurePosixPath(workbook_part).parent
        rel_part = str(base / "_rels" / (PurePosixPath(workbook_part).name + ".rels"))
        relationships = list(self._xml(rel_part).iter(f"{{{PACKAGE_REL_NS}}}Relationship"))
        targets = {r.get("Id"): r.get("Target", "") for r in relationships}
        # What calamine needs beside a sheet to read it: cell styles (dates) and shared strings.
        self._companions = {
            kind: _join(base, r.get("Target", ""))
            for r in relationships
            for kind in ("styles", "sharedStrings")
            if r.get("Type", "").endswith("/" + kind)
        }
        kinds = {r.get("Id"): r.get("Type", "").rpartition("/")[2] for r in relationships}
        parts: dict[str, str] = {}
        self._worksheets: list[str] = []  # chart, dialog and macro sheets are no worksheets
        for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
            rel = sheet.get(f"{{{OFFICE_REL_NS}}}id")
            target = targets.get(rel, "")
            path = target.lstrip("/") if target.startswith("/") else str(base / target)
            parts[sheet.get("name", "")] = path
            if kinds.get(rel) == "worksheet":
                self._worksheets.append(sheet.get("name", ""))
        return parts

    def sheet_names(self) -> list[str]:
        """The worksheet names, in order (chart sheets excluded)."""
        return list(self._worksheets)

    def _errors(self, sheet: str) -> dict[tuple[int, int], CellError]:
        """Error cells of a sheet by (row, column) Excel numbers, from the sheet XML."""
        part = self._parts.get(sheet)
        if part is None or part not in self._zip.namelist():
            return {}
        found: dict[tuple[int, int], CellError] = {}
        _scan_errors(self._zip.read(part), found)
        return found

    def _read_whole(self, sheet: str) -> tuple[np.ndarray, dict[tuple[int, int], CellError]]:
        """A sheet's values and error cells, read by calamine in one go."""
        # Both release the GIL (calamine's parser, inflating): scan for error cells meanwhile.
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(self._errors, sheet)
            try:
                alone = self._alone(sheet) if self._few_rows(sheet) else None
                if alone is None:
                    alone = rows_array(_values(self._book.get_sheet_by_name(sheet)))
                array = _blank_empty_texts(alone)
            except _UnreadableCellError:
                raise self._unreadable(sheet) from None
            return array, scan.result()

    def _read_in_parts(
        self,
        sheet: str,
        info: zipfile.ZipInfo,
        header_index: int = 0,
        from_column: int | None = None,
        *,
        by_column: bool = False,
        elsewhere: bool = False,
    ) -> tuple[np.ndarray, dict[tuple[int, int], CellError]]:
        """A big sheet's values, parts of it parsed at once (two cores, no GIL); ``by_column``:
        the array laid out column by column in memory (Fortran order); ``elsewhere``: the
        parts cut by a worker process, where one can start (see :func:`_cut_parts`).

        The sheet XML is cut between rows into a few small workbooks in a private
        temporary folder; parsing starts on the first while the next are
        cut, and error cells are found on the way. At most _AHEAD + 1 parts exist at once
        (_AHEAD parsed, one being cut): each is deleted once parsed.
        """
        room = (_AHEAD + 1) * info.file_size // max(1, self.tuning.parts - 1)
        with self._scratch(room) as folder:
            job = _Cutting(
                self.path,
                info,
                sheet,
                Path(folder),
                self._companion_data(strings=False),
                "sharedStrings" in self._companions,
                self.date1904,
                header_index,
                from_column,
                self.tuning.parts,
                self.tuning.piece,
            )
            try:
                if elsewhere:
                    # The cutting is pure Python (the GIL's) and this process has its own to
                    # do meanwhile: decoding shared strings, parsing parts, building the table.
                    worker = _background.start(_cut_elsewhere, job, redo=False, nice=False)
                    try:
                        if worker.started():
                            return self._parse_parts(_parts_cut_by(worker, job), by_column)
                    except _background.WorkerError:  # out of memory, killed: cut here
                        pass
                    finally:
                        worker.close()
                    for left in job.folder.iterdir():  # its parts, the parsers and it gone
                        left.unlink()
                return self._parse_parts(functools.partial(_cut_parts, job), by_column)
            except (_ReadWholeError, _UnnumberedRowsError, _MarkedTextError):
                return self._read_whole(sheet)
            except _UnreadableCellError:
                raise self._unreadable(sheet) from None

    def _parse_parts(
        self, cut: _Cut, by_column: bool
    ) -> tuple[np.ndarray, dict[tuple[int, int], CellError]]:
        """The values of the parts ``cut`` makes (told when there is room for the next: _AHEAD
        parts not yet parsed), and the sheet's error cells it finds."""
        # Read and decoded when a part first holds a shared string: our own sheets, read back
        # from a book Excel saved, hold none (a full sheet's table: 1 s to read, 3 to decode).
        # Decoded by a thread of its own, while parts go on being parsed: a part waits for the
        # texts once parsed, not for the table before it is parsed.
        strings: Future[np.ndarray] | None = None
        fast = not self.date1904  # fastexcel's stamps are turned into values for 1900 dates only
        parts: list[Future[_PartCells]] = []
        errors: dict[tuple[int, int], CellError] = {}

        def room() -> None:
            if len(parts) >= _AHEAD:  # its file gone before another is made
                parts[-_AHEAD].result()

        # The decoder is shut down after the parsers: they wait for it.
        with ThreadPoolExecutor(1) as decoder, ThreadPoolExecutor(2) as pool:
            for part in cut(room, errors):
                if part.shared and strings is None:
                    strings = decoder.submit(self._table_strings)
                parts.append(
                    pool.submit(
                        _parse_part,
                        part.path,
                        below=part.below,
                        fast=fast and part.plain,
                        strings=strings.result if strings is not None and part.shared else None,
                        marks=part.shared,
                    )
                )
                parts[-1].add_done_callback(_removing(part.path))
            done = [part.result() for part in parts]
        height = max(cells.row + cells.shape[0] for cells in done)
        width = max(cells.shape[1] for cells in done)
        array = blank_cells((height, width), order="F" if by_column else "C")
        for cells in done:
            for column, block in cells.blocks:
                array[cells.row : cells.row + len(block), column : column + block.shape[1]] = block
        return array, errors

    def _unreadable(self, sheet: str) -> WorkbookError:
        """The error for a sheet python-calamine cannot read, naming the cells to fix."""
        found: dict[str, None] = {}  # in sheet order, a cell in two overlapping pieces once
        tail = b""
        info = self._zip.getinfo(self._parts[sheet])
        with contextlib.closing(sheetstream.member(self.path, info, self.tuning.piece)) as chunks:
            for chunk in chunks:  # the rest never inflated; the stream closed here, not by GC
                data, tail = tail + chunk, (tail + chunk)[-4096:]  # a cell cut between pieces
                for ref, number in _NEGATIVE_NUMBER_CELL.findall(data):
                    if float(number) <= _IMPOSSIBLE_DATE:
                        found[ref.decode()] = None
                if len(found) >= 5:
                    break
        cells = list(found)[:5]
        where = "、".join(cells) or "?"
        return WorkbookError(
            tr(
                f"工作表「{sheet}」单元格 {where}：数字设成了日期格式，却远在任何日期之外，无法读取；"
                "请在 Excel 中清空这些单元格，或把格式改为「常规」",
                f"sheet '{sheet}' cell {', '.join(cells) or '?'}: a number formatted as a "
                "date lies far outside any date and cannot be read; clear the cell in Excel or "
                "set its format to General",
            )
        )

    def read_grid(self, sheet: str) -> list[list[CellValue]]:
        """All values of a sheet from A1 to the end of its used range (blanks as None)."""
        grid: list[list[CellValue]] = self.read_array(sheet).tolist()
        return grid

    def read_array(self, sheet: str) -> np.ndarray:
        """:meth:`read_grid` as a 2-D object array (rows × columns), cheaper for big sheets."""
        if sheet in self._arrays:
            return self._arrays[sheet]
        return self._read_array_without(sheet, 0, None, by_column=False)

    def _table_grid(self, sheet: str) -> np.ndarray:
        """:meth:`read_array` for the customer table: a big sheet's laid out column by column
        in memory, so that the table takes its columns without copying a million cells each
        (other sheets keep rows together: the plan read back takes rows)."""
        if sheet in self._arrays:
            return self._arrays[sheet]
        return self._read_array_without(sheet, 0, None)

    def _read_array_without(
        self, sheet: str, header_index: int, from_column: int | None, *, by_column: bool = True
    ) -> np.ndarray:
        """:meth:`_table_grid`, but on a big sheet the cells from column ``from_column``
        (0-based) rightwards, below the header row (0-based), are not read: they read blank."""
        if sheet not in self.sheet_names():
            raise WorkbookError(
                tr(
                    f"工作簿中没有名为「{sheet}」的工作表；现有：{', '.join(self.sheet_names())}",
                    f"there is no sheet '{sheet}'; the workbook has: {', '.join(self.sheet_names())}",
                )
            )
        info = self._big_part(sheet)
        if info is not None:
            array, errors = self._read_in_parts(
                sheet,
                info,
                header_index,
                from_column,
                by_column=by_column,
                # The customer table (the one read by column): read before any worker starts.
                elsewhere=by_column and info.file_size >= self.tuning.background_part,
            )
        else:
            array, errors = self._read_whole(sheet)
            from_column = None  # read whole: nothing left out, the array can be kept
        if errors:
            # calamine may leave a trailing error cell outside the range it reports.
            height = max(array.shape[0], *(number for number, _ in errors))
            wide = max(array.shape[1], *(column for _, column in errors))
            if (height, wide) != array.shape:
                grown = blank_cells((height, wide), order="F" if by_column else "C")
                grown[: array.shape[0], : array.shape[1]] = array
                array = grown
            for (number, column), error in errors.items():
                array[number - 1, column - 1] = error
        # Keep one small sheet for a second look; a big one would hold its cells all run long.
        keep = array.size <= self.tuning.cached_cells and from_column is None
        self._arrays = {sheet: array} if keep else {}
        return array

    def tables(self) -> list[TableInfo]:
        """The workbook's Excel Tables, from the table parts (cheap: no cell data is read)."""
        out = []
        for sheet, part in self._parts.items():
            sheet_path = PurePosixPath(part)
            rels_part = str(sheet_path.parent / "_rels" / (sheet_path.name + ".rels"))
            if rels_part not in self._zip.namelist():
                continue
            for rel in self._xml(rels_part).iter(f"{{{PACKAGE_REL_NS}}}Relationship"):
                if not rel.get("Type", "").endswith("/table"):
                    continue
                target = rel.get("Target", "")
                table_part = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else _join(sheet_path.parent, target)
                )
                if table_part not in self._zip.namelist():
                    continue
                info = _table_info(self._xml(table_part), sheet)
                if info is not None:
                    out.append(info)
        return out

    def customer_source(self) -> CustomerSource:
        """The Tables, sheets and cells ``read_customers`` searches; on a big sheet the data
        cells of the ``leave_out`` columns are not read (a re-run's old results: half of what a
        full sheet holds), their headers are."""
        return CustomerSource(
            self.tables(),
            self.sheet_names(),
            self._head,
            self._table_grid,
            date1904=self.date1904,
            grid_without=self._read_array_without,
        )

    def _head(self, sheet: str) -> list[list[CellValue]]:
        """A sheet's first rows (blanks as None), enough to find its header; none if no sheet."""
        if sheet not in self.sheet_names():
            return []
        # A big sheet's first rows alone (calamine parses the whole sheet, however few rows
        # are asked for); a small sheet whole, as wide as its widest row.
        big = self._big_part(sheet) is not None
        try:
            if big:
                alone = self._alone(sheet, HEADER_SCAN_ROWS, deep=True)
            else:
                alone = self._alone(sheet) if self._few_rows(sheet) else None
            if alone is None:
                head = _values(self._book.get_sheet_by_name(sheet), nrows=HEADER_SCAN_ROWS)
            else:
                head = alone[:HEADER_SCAN_ROWS].tolist()
        except _UnreadableCellError:
            raise self._unreadable(sheet) from None
        return [[None if v == "" else v for v in row] for row in head[:HEADER_SCAN_ROWS]]

    def _alone(
        self, sheet: str, nrows: int | None = None, *, deep: bool = False
    ) -> np.ndarray | None:
        """A sheet's first ``nrows`` rows (None: all), parsed alone as a small workbook with
        only the shared strings they use; None where they use items deep in the table and not
        ``deep``: the whole file's reader, which parses the table once, is cheaper then."""
        try:
            info = self._zip.getinfo(self._parts[sheet])
        except KeyError as exc:  # a sheet the workbook names, without its part
            raise self._damaged(exc) from None
        # Small pieces: a big piece's rows would all be inflated and parsed for a few.
        chunks = sheetstream.member(self.path, info, min(self.tuning.piece, _HEAD_PIECE))
        with contextlib.closing(chunks):  # the rest is never inflated
            name, head, rest = _rows_start(chunks, sheet)
            if rest is None:  # <sheetData/>: no rows
                return blank_cells((0, 0))
            closing = b"</%srow>" % name
            rows = b""  # a few MB at most (see _ALONE_BYTES), or a big sheet's first rows
            for piece in sheetstream.row_pieces(rest, chunks, closing):
                rows += piece
                if nrows is not None and (end := _after_rows(rows, closing, nrows)) < len(rows):
                    rows = rows[:end]
                    break
        indices = _shared_indices(rows)
        deeper = indices is None or max(indices, default=-1) >= _SHALLOW_ITEMS
        if deeper and not deep and "sharedStrings" in self._companions:
            return None
        with tempfile.TemporaryDirectory(prefix="sheetcrm-") as folder:
            path = Path(folder) / "alone.xlsx"
            companions = self._companion_data(indices)
            with _PartBook(path, head, name, companions, self.date1904) as part:
                part.write(rows)
            try:
                return _calamine_values(path, marked=False)
            except calamine.CalamineError as exc:
                raise self._damaged(exc) from None

    def _big_part(self, sheet: str) -> zipfile.ZipInfo | None:
        """The zip entry of a sheet big enough to be read in parts (else None)."""
        info = self._part_info(sheet)
        return info if info is not None and info.file_size > self.tuning.parts_from else None

    def _part_info(self, sheet: str) -> zipfile.ZipInfo | None:
        """The zip entry of a sheet's XML (None where the workbook has none)."""
        part = self._parts.get(sheet)
        return self._zip.getinfo(part) if part in self._zip.namelist() else None

    def _few_rows(self, sheet: str) -> bool:
        """True for a sheet small enough to be read alone at no cost worth weighing."""
        info = self._part_info(sheet)
        return info is None or info.file_size <= _ALONE_BYTES

    def _table_strings(self) -> np.ndarray:
        """The book's shared-strings table's texts by index."""
        return self._shared_strings(self._strings_table())

    def _shared_strings(self, table: bytes) -> np.ndarray:
        """A shared-strings table's texts by index: those written plainly as they stand (see
        :class:`_PlainStrings`), the others decoded by calamine as in any part."""
        count = _item_count(table)
        plain = _PlainStrings.of(table, count)
        if plain is None:
            return self._decoded_strings(table, count)
        if plain.others:
            plain.strings[plain.other_items] = self._decoded_strings(
                plain.others_table(), len(plain.other_items)
            )
        return plain.strings

    def _decoded_strings(self, table: bytes, count: int) -> np.ndarray:
        """A shared-strings table's first ``count`` texts, decoded by calamine: a workbook of
        cells that each stand for one of them."""
        indices = np.arange(count).astype(bytes)
        cells = b'</v></c><c t="s"><v>'
        with self._scratch(len(table) + count * len(cells)) as folder:
            path = Path(folder) / "strings.xlsx"
            head = b'<worksheet xmlns="%s"><sheetData>' % MAIN_NS.encode()
            with _PartBook(path, head, b"", {"sharedStrings": table}, self.date1904) as book:
                for row, start in enumerate(range(0, count, _INDEX_ROW), start=1):
                    texts = cells.join(indices[start : start + _INDEX_ROW].tolist())
                    book.write(b'<row r="%d"><c t="s"><v>%s</v></c></row>' % (row, texts))
            values = _calamine_values(path, marked=False).ravel()
        strings = np.full(count, "", dtype=object)
        strings[: min(count, len(values))] = values[:count]
        return strings

    def _scratch(self, size: int) -> tempfile.TemporaryDirectory[str]:
        """A private temporary folder for ``size`` bytes of part workbooks: in
        ``Tuning.scratch`` where it has room to spare for them, else in the system's."""
        folder = self.tuning.scratch
        try:
            stats = os.statvfs(folder)
            roomy = stats.f_bavail * stats.f_frsize >= 2 * size and os.access(folder, os.W_OK)
        except (AttributeError, OSError):  # Windows has no statvfs; no such folder
            roomy = False
        return tempfile.TemporaryDirectory(prefix="sheetcrm-", dir=folder if roomy else None)

    def _strings_table(self) -> bytes:
        """The shared-strings part, inflated (read at most once per sheet: it is big)."""
        with self.path.open("rb") as handle:
            info = self._zip.getinfo(self._companions["sharedStrings"])
            pieces = sheetstream.member_pieces(handle, info, self.tuning.piece, self.path.name)
            return b"".join(pieces)

    def _companion_data(
        self, indices: list[int] | None = None, *, strings: bool = True
    ) -> dict[str, bytes]:
        """What a part workbook needs beside its sheet: the styles and shared strings; for rows
        using the items at ``indices``, the table's first items only, up to the last they use (a
        full sheet's table is a hundred MB, its first rows use its first few items); with
        ``strings`` false, no shared strings (parts that hold their indices instead)."""
        data: dict[str, bytes] = {}
        for kind, part in self._companions.items():
            if kind == "sharedStrings" and not strings:
                continue
            if kind != "sharedStrings" or indices is None:
                data[kind] = self._zip.read(part)
                continue
            pieces = sheetstream.member(self.path, self._zip.getinfo(part), _HEAD_PIECE)
            with contextlib.closing(pieces):  # the rest is never inflated
                data[kind] = _first_items(pieces, max(indices, default=-1) + 1)
        return data


class _ReadWholeError(Exception):
    """A big sheet is read whole: it has no rows to cut, or rows as parts cannot take them."""


class _Part(NamedTuple):
    """A part workbook made (see :class:`_PartBook`), to be parsed."""

    path: Path
    below: int | None  # where its rows start (None: at A1, the first part)
    shared: int  # how many shared-string cells it holds, as their index
    plain: bool  # no cells fastexcel and python-calamine may read unlike (see _parse_part)


@dataclasses.dataclass(frozen=True)
class _Cutting:
    """What cutting a big sheet into part workbooks takes (picklable: a worker's job)."""

    book: Path
    info: zipfile.ZipInfo
    sheet: str
    folder: Path
    companions: dict[str, bytes]
    indexed: bool  # the book has a shared-strings table
    date1904: bool
    header_index: int
    from_column: int | None  # cells from it rightwards, below the header, are not read
    parts: int
    piece: int


# How parts are cut, given what makes room for the next (it waits for a part to be parsed)
# and where the error cells found go.
_Cut = Callable[[Callable[[], None], dict[tuple[int, int], CellError]], Iterator[_Part]]


def _cut_parts(
    job: _Cutting, room: Callable[[], None], errors: dict[tuple[int, int], CellError]
) -> Iterator[_Part]:
    """A big sheet cut into part workbooks in ``job.folder``, made one at a time as asked for
    (``room()`` first, each); its error cells go to ``errors``."""
    chunks = sheetstream.member(job.book, job.info, job.piece)
    # Left unread on an error, the stream is closed here: left to the garbage collector, its
    # read-ahead thread may be joined where threading deadlocks.
    with contextlib.closing(chunks):
        name, head, rest = _rows_start(chunks, job.sheet)
        if rest is None:  # <sheetData/>: nothing to cut
            raise _ReadWholeError
        pieces = sheetstream.row_pieces(rest, chunks, b"</%srow>" % name)
        # Rows are cut once the header row has gone by (it has the left-out headers).
        drop = _RowTails(job.from_column, name) if job.from_column is not None else None
        header, below = b'<%srow r="%d"' % (name, job.header_index + 1), False
        count = job.parts  # the first piece, then the rest: more than two cores
        for index in range(count):
            room()
            path = job.folder / f"{index + 1}.xlsx"
            # The sheet's bytes in this part, those cut off counted: a re-run's parts are a
            # seventh of the sheet too, not two (a shorter wait for the last).
            taken = 0
            with _PartBook(
                path,
                head,
                name,
                job.companions,
                job.date1904,
                marked=index > 0,
                indexed=job.indexed,
            ) as part:
                for piece in pieces:
                    taken += len(piece)
                    if drop is not None and below:
                        piece = drop.cut(piece)
                    elif drop is not None and (at := piece.find(header)) >= 0:
                        below = True  # the rows after the header's are cut
                        end = piece.find(b"</%srow>" % name, at)
                        if end >= 0:
                            piece = piece[:end] + drop.cut(piece[end:])
                    # Scanned once cut: the cells left out read blank, errors too.
                    part.write(piece, errors)
                    # The first part is the first piece alone: its title and header rows mix
                    # texts into every column, so python-calamine reads it.
                    if index == 0 or (
                        taken * (count - 1) >= job.info.file_size and index < count - 1
                    ):
                        break
            if part.below is None and index > 0:  # it holds no rows
                path.unlink()
                continue
            yield _Part(path, part.below, part.shared, part.plain)


def _cut_elsewhere(job: _Cutting) -> dict[tuple[int, int], CellError] | None:
    """:func:`_cut_parts` in a worker process: each part told by a file beside it once made
    (``N.ready``: its _Part fields), each begun once the part _AHEAD before it is parsed (its
    file gone); the sheet's error cells, or None when the sheet is to be read whole."""
    made = 0  # the number of the last part told

    def room() -> None:
        gone = job.folder / f"{made + 1 - _AHEAD}.xlsx"  # _AHEAD before the next one
        while gone.exists():
            time.sleep(_POLL)

    errors: dict[tuple[int, int], CellError] = {}
    try:
        for part in _cut_parts(job, room, errors):
            told = part.path.with_suffix(".told")
            told.write_text(json.dumps([part.below, part.shared, part.plain]))
            told.replace(part.path.with_suffix(".ready"))  # whole when seen
            made = int(part.path.stem)
    except (_ReadWholeError, _UnnumberedRowsError, _MarkedTextError):
        return None
    return errors


def _parts_cut_by(
    worker: _background.Pending[dict[tuple[int, int], CellError] | None], job: _Cutting
) -> _Cut:
    """The parts a worker cuts (:func:`_cut_elsewhere`), as it tells them."""

    def parts(_: Callable[[], None], errors: dict[tuple[int, int], CellError]) -> Iterator[_Part]:
        for number in range(1, job.parts + 1):
            ready = job.folder / f"{number}.ready"
            while not ready.exists() and not worker.finished:
                time.sleep(_POLL)
            if not ready.exists():  # the worker ended: the parts left held no rows
                break
            below, shared, plain = json.loads(ready.read_text())
            yield _Part(job.folder / f"{number}.xlsx", below, shared, plain)
        found = worker.result()
        if found is None:
            raise _ReadWholeError
        errors.update(found)

    return parts


def _removing(path: Path) -> Callable[[object], None]:
    """A callback that deletes a parsed part's file (given the parse, which it ignores)."""

    def remove(_: object) -> None:
        with contextlib.suppress(OSError):  # Windows: still open; the folder goes at the end
            path.unlink()

    return remove


class _PlainStrings:
    """The items of a shared-strings table written plainly, ``<si><t>text</t></si>`` with text
    calamine gives as it stands (most of what Excel writes), taken by splitting the table once:
    no Python call per item. The others — rich text, entities, escapes — are left to calamine,
    in a table of their own (:meth:`others_table`)."""

    _START, _END, _BETWEEN = "<si><t>", "</t></si>", "</t></si><si><t>"
    # What calamine turns into something else in a plain item's text: entities, _xHHHH_ escapes,
    # line ends (\r\n → \n). Written out: [&\r]|_[xX] is searched 3x slower.
    _CHANGED = re.compile("&|\r|_x|_X")
    # Outer white space, trimmed where xml:space="preserve" is absent: a piece's first character
    # right after a start tag, its last right before an end tag. The last's as three needles:
    # [ \t\n]</t></si> is searched up to 2x slower (tried at every space), a plain start is not.
    _SPACE_FIRST = re.compile(f"{_START}[ \t\n]")
    _SPACE_LAST = (f" {_END}", f"\t{_END}", f"\n{_END}")

    def __init__(self, pieces: list[str], odd: np.ndarray, extra: np.ndarray, count: int) -> None:
        """``odd``: the pieces calamine decodes; ``extra``: how many items each holds beyond one."""
        first = np.arange(len(pieces)) + np.concatenate([[0], np.cumsum(extra)[:-1]])
        self.strings = np.full(count, "", dtype=object)
        self.strings[first[~odd]] = np.array(pieces, dtype=object)[~odd]
        self.pieces = pieces
        self.others = np.flatnonzero(odd).tolist()
        # Each odd piece's items, in order: its first item's index, then the next ones.
        sizes = extra[odd] + 1
        within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        self.other_items = np.repeat(first[odd], sizes) + within

    @classmethod
    def of(cls, table: bytes, count: int) -> _PlainStrings | None:
        """The table split, or None if it is not laid out so (not UTF-8, prefixed names, its
        first or last item not plain)."""
        if b":si" in table or not count:  # a prefix (or a text holding ":si"): calamine's
            return None
        try:
            text = table.decode("utf-8")
        except UnicodeDecodeError:
            return None
        start, end = text.find(cls._START), text.rfind(cls._END)
        if start < 0 or start != text.find("<si") or end != text.rfind("</si>") - len("</t>"):
            return None
        # Split in place, the table's start and end cut off the first and last piece after.
        pieces = text.split(cls._BETWEEN)
        pieces[-1] = pieces[-1][: end - (len(text) - len(pieces[-1]))]
        pieces[0] = pieces[0][start + len(cls._START) :]
        # A piece holding "<" holds several items (one not plain between two plain ones):
        # none if the table's tags are all those of plain items. Looked for in each piece (one C
        # call each): most "<" are the separators' (four a piece), slower found one by one.
        outside = text.count("<", 0, start) + text.count("<", end + len(cls._END))
        odd = np.zeros(len(pieces), dtype=bool)
        if len(pieces) != count or text.count("<") != 4 * count + outside:
            odd = np.fromiter(map(operator.contains, pieces, repeat("<")), bool, len(pieces))
        extra = np.zeros(len(pieces), dtype=np.int64)
        extra[odd] = [pieces[at].count("<si") for at in np.flatnonzero(odd)]
        if len(pieces) + int(extra.sum()) != count:
            return None
        # Each piece's place in the text: what calamine changes is found in the text (rarely)
        # and mapped to the pieces, not looked for in each piece (a Python call per piece).
        lengths = np.fromiter(map(len, pieces), np.int64, len(pieces))
        ends = np.cumsum(lengths + len(cls._BETWEEN)) + start + len(cls._START) - len(cls._BETWEEN)
        starts = ends - lengths
        odd[cls._changing(text, starts, ends)] = True
        first = (found.start() + len(cls._START) for found in cls._SPACE_FIRST.finditer(text))
        last = (at + 1 for needle in cls._SPACE_LAST for at in cls._at(text, needle))
        odd[cls._bounded(starts, first)] = True
        odd[cls._bounded(ends, last)] = True
        return cls(pieces, odd, extra, count)

    @classmethod
    def _changing(cls, text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The pieces (at ``starts``:``ends`` in ``text``) holding what calamine changes."""
        places = np.fromiter((found.start() for found in cls._CHANGED.finditer(text)), np.int64)
        at = np.searchsorted(starts, places, "right") - 1
        # Before the first piece, after the last or in a separator: in none. One that starts in a
        # piece ends in it (an x or X second, not the "<" that follows every piece).
        return at[(at >= 0) & (places < ends[at])]

    @staticmethod
    def _bounded(bounds: np.ndarray, places: Iterator[int]) -> np.ndarray:
        """The pieces whose bound (start or end: ``bounds`` in the text) is one of ``places``."""
        found = np.fromiter(places, np.int64)
        at = np.minimum(np.searchsorted(bounds, found), len(bounds) - 1)
        pieces: np.ndarray = at[found == bounds[at]]
        return pieces

    @staticmethod
    def _at(text: str, needle: str) -> Iterator[int]:
        """Where ``needle`` is in ``text``."""
        at = text.find(needle)
        while at >= 0:
            yield at
            at = text.find(needle, at + 1)

    def others_table(self) -> bytes:
        """A shared-strings table of the items calamine decodes, in order (``other_items``)."""
        items = "".join(f"{self._START}{self.pieces[at]}{self._END}" for at in self.others)
        return f'<sst xmlns="{MAIN_NS}">{items}</sst>'.encode()


def _shared_indices(rows: bytes) -> list[int] | None:
    """The shared-string indices the cells of sheet XML rows hold; None when a cell of that
    type is written otherwise than found here."""
    indices = [int(index) for index in _SHARED_INDEX.findall(rows)]
    return indices if len(indices) == rows.count(b't="s"') else None


def _first_items(pieces: Iterator[bytes], count: int) -> bytes:
    """A shared-strings table (in pieces) cut to its first ``count`` items, closed again."""
    table, at, seen = b"", 0, 0
    for piece in pieces:
        table += piece
        for item in _SHARED_ITEM.finditer(table, at):
            seen, at = seen + 1, item.end()
            if seen > count:  # the first item not wanted: the table ends before it
                root = re.search(rb"<(\w+:)?sst\b", table)
                prefix = (root.group(1) or b"") if root else b""
                return table[: item.start()] + b"</%ssst>" % prefix
    return table


def _item_count(table: bytes) -> int:
    """How many items a shared-strings table holds (millions on a full sheet: counted, not
    matched one by one, where the items carry no namespace prefix)."""
    if b":si" in table:  # a prefix, or text holding ":si": matched
        return sum(1 for _ in _SHARED_ITEM.finditer(table))
    return table.count(b"<si")  # no element but <si> starts so (and text holds no "<")


def _rows_start(chunks: Iterator[bytes], sheet: str) -> tuple[bytes, bytes, bytes | None]:
    """From a sheet's XML in pieces: its namespace prefix, its start up to ``<sheetData>``
    (without the ``<dimension>`` calamine would size the part by), and what follows that tag
    (None for ``<sheetData/>``: no rows)."""
    first, sheet_data = sheetstream.sheet_start(chunks, sheet)
    head = _DIMENSION.sub(b"", first[: sheet_data.end()])
    rest = None if sheet_data.group(2) else first[sheet_data.end() :]
    return sheet_data.group(1) or b"", head, rest


def _after_rows(rows: bytes, closing: bytes, count: int) -> int:
    """Where the ``count``-th row closed in sheet XML ends; the end of ``rows`` if fewer do."""
    at = 0
    for _ in range(count):
        found = rows.find(closing, at)
        if found < 0:
            return len(rows)
        at = found + len(closing)
    return at


def _scan_errors(data: bytes, found: dict[tuple[int, int], CellError]) -> None:
    """Add the error cells (``t="e"``) in sheet XML to found, by (row, column) Excel numbers."""
    pos = data.find(b't="e"')
    while pos != -1:
        start = data.rfind(b"<c ", 0, pos)
        end = data.find(b"</c>", pos)
        cell = data[start:end]
        ref = _CELL_REF.search(cell)
        value = re.search(rb"<v>([^<]*)</v>", cell)
        if ref and value:
            code = value.group(1).decode("utf-8", "replace")
            found[(int(ref.group(2)), column_from_bytes(ref.group(1)))] = CellError(code)
        pos = data.find(b't="e"', pos + 5)


class _PartCells(NamedTuple):
    """A parsed part's values: blocks of columns (the first one's 0-based index, rows ×
    columns) whose rows start at 0-based ``row``; the part's ``shape``, blank columns
    (left out of the blocks: the grid is blank already) included."""

    row: int
    shape: tuple[int, int]
    blocks: list[tuple[int, np.ndarray]]


def _parse_part(
    path: Path,
    *,
    below: int | None,
    fast: bool = False,
    strings: Callable[[], np.ndarray] | None = None,
    marks: int = 0,
) -> _PartCells:
    """The values of a part workbook's one sheet, and where they start.

    ``below``: None for the first part (it starts at A1); for the others, the 0-based row
    their own rows start at, below their marker row (see :class:`_PartBook`). ``fast``: try
    fastexcel first. ``strings``: the shared strings whose indices the part holds (asked for
    once the part is parsed), ``marks`` cells of it (more texts starting with the mark: the
    sheet's own, :class:`_MarkedTextError`).
    """
    if below is not None and fast:
        cells = _fast_values(path, strings, below, marks)
        if cells is not None:
            return cells
    values = _calamine_values(path, marked=below is not None)
    if strings is not None:
        found = [[at for at, value in enumerate(column) if _indexed(value)] for column in values.T]
        if sum(map(len, found)) != marks:
            raise _MarkedTextError
        table = strings()
        for column, marked in zip(values.T, found, strict=True):  # views: decoded in place
            column[marked] = table[[int(column[at][1:]) for at in marked]]
    return _PartCells(
        0 if below is None else below, values.shape, [(0, _blank_empty_texts(values))]
    )


def _blank_empty_texts(values: np.ndarray) -> np.ndarray:
    """The cells, empty texts made blank (None) in place: where they are read, part by part,
    only the columns of texts looked at (not the whole sheet's grid in the main thread)."""
    values[values == ""] = None
    return values


def _calamine_values(path: Path, *, marked: bool) -> np.ndarray:
    """A part workbook's one sheet read by python-calamine (``marked``: its rows only, from
    below its marker row; else from A1)."""
    book = calamine.load_workbook(str(path))
    try:
        sheet = book.get_sheet_by_name(_PART_SHEET)
        if not marked:
            return rows_array(_values(sheet))
        # From the marker row (not after 500,000 blank rows), which is not the sheet's.
        values: np.ndarray = rows_array(_values(sheet, skip_empty_area=True))[1:]
        return values
    finally:
        book.close()  # Windows cannot delete the temporary part while it is open


def _indexed(value: object) -> bool:
    """True for a text that stands for a shared string (its index behind the mark)."""
    return isinstance(value, str) and value.startswith(_INDEX_MARK)


def _fast_values(
    path: Path, strings: Callable[[], np.ndarray] | None, below: int, marks: int
) -> _PartCells | None:
    """A marked part's values as python-calamine gives them, from fastexcel's typed columns
    (its rows start at 0-based row ``below``); None when a column mixes kinds of value, or
    holds a kind not turned into values here."""
    try:
        import fastexcel  # big sheets only: the add-in and small books never load it
    except ImportError:  # without sheetcrm[fast]: python-calamine reads every part
        return None
    try:
        with _panic_as_error():
            sheet = fastexcel.read_excel(str(path)).load_sheet(
                _PART_SHEET, header_row=None, schema_sample_rows=None, dtype_coercion="strict"
            )
            batch = sheet.to_arrow()
    except fastexcel.FastExcelError:  # mixed kinds, dates out of range: calamine reads it
        return None
    positions = [info.absolute_index for info in sheet.selected_columns]
    if not positions:
        return None
    if strings is not None and _marked_texts(batch.columns) != marks:
        raise _MarkedTextError
    table = None if strings is None else strings()
    # Each column goes straight into the sheet's grid, its marker row left out (no grid of
    # the part's own first: a full sheet's cells copied once less); blank ones stay blank.
    blocks = []
    for position, column in zip(positions, batch.columns, strict=True):
        if str(column.type) == "null":
            continue
        cells = _cells(column, table)
        if cells is None:
            return None
        blocks.append((position, cells[1:, None]))
    return _PartCells(below, (batch.num_rows - 1, max(positions) + 1), blocks)


def _marked_texts(columns: list[Any]) -> int:
    """How many texts in fastexcel's (Arrow) columns start with the mark."""
    import pyarrow.compute as pc  # fastexcel's own dependency

    found = 0
    for column in columns:
        if str(column.type) in ("string", "large_string"):
            found += pc.sum(pc.starts_with(column, _INDEX_MARK)).as_py() or 0
    return found


def _cells(column: Any, strings: np.ndarray | None) -> np.ndarray | None:
    """A fastexcel (Arrow) column as python-calamine's cell values (blanks and empty texts
    None), shared strings decoded; None for a kind of column not handled here."""
    kind = str(column.type)
    if kind in ("string", "large_string"):
        if strings is None:
            return _blank_empty_texts(column.to_numpy(zero_copy_only=False))
        import pyarrow.compute as pc  # fastexcel's own dependency

        # Shared strings are taken from the decoded table by index; only the other texts
        # (inline ones) become Python strings here.
        marked = pc.fill_null(pc.starts_with(column, _INDEX_MARK), False)
        shared = marked.to_numpy(zero_copy_only=False)
        texts = blank_cells(len(column))
        if shared.any():
            indices = pc.utf8_slice_codeunits(column.filter(marked), 1).cast("int64")
            texts[shared] = strings[indices.to_numpy()]
        if not shared.all():
            texts[~shared] = column.filter(pc.invert(marked)).to_numpy(zero_copy_only=False)
        return _blank_empty_texts(texts)
    if kind == "bool":
        return np.array(column.to_pylist(), dtype=object)
    if kind == "double":
        numbers = column.to_numpy(zero_copy_only=False)
        cells: np.ndarray = numbers.astype(object)
        cells[np.isnan(numbers)] = None  # a blank; a cell cannot hold NaN
        return cells
    if kind != "timestamp[ms]":
        return None
    stamps = column.to_numpy(zero_copy_only=False)
    blank = np.isnat(stamps)
    codes, distinct = pd.factorize(stamps.view(np.int64)[~blank])
    if len(distinct) and distinct.min() < _SERIAL_0_MS:
        return None
    # python-calamine's rule: below serial 1 a time, a whole serial a date, else a datetime.
    # fastexcel's stamps are to the millisecond, like python-calamine's values, so "whole" is
    # "midnight" (a serial within half a millisecond of a whole day reads as that day).
    made = np.empty(len(distinct), dtype=object)
    made[:] = [_stamp_value(int(ms)) for ms in distinct]
    cells = blank_cells(len(stamps))
    cells[~blank] = made[codes]
    return cells


def _stamp_value(ms: int) -> dt.date | dt.datetime | dt.time:
    """The value python-calamine gives a date cell fastexcel stamps ``ms`` (1900 system)."""
    stamp = _EPOCH + dt.timedelta(milliseconds=ms)
    if ms < _SERIAL_1_MS:
        return stamp.time()
    return stamp.date() if ms % _DAY_MS == 0 else stamp


class _UnreadableCellError(Exception):
    """python-calamine panicked on a cell (a number formatted as a date that is no date)."""


@contextlib.contextmanager
def _panic_as_error() -> Iterator[None]:
    """python-calamine's or fastexcel's panic on an impossible date, as an exception."""
    try:
        yield
    except BaseException as exc:  # pyo3's PanicException is not an Exception
        if type(exc).__name__ != "PanicException":
            raise
        raise _UnreadableCellError from None


def _values(sheet: Any, *, skip_empty_area: bool = False, nrows: int | None = None) -> Any:
    """A calamine sheet's rows (see :func:`_panic_as_error`)."""
    with _panic_as_error():
        return sheet.to_python(skip_empty_area=skip_empty_area, nrows=nrows)


# A number this far below zero in a date-formatted cell makes python-calamine panic (its date
# arithmetic overflows); no real date or amount is anywhere near it.
_IMPOSSIBLE_DATE = -1e11
_NEGATIVE_NUMBER_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*>(?:(?!</(?:\w+:)?c>).){0,2000}?'
    rb"<(?:\w+:)?v>\s*(-[0-9.]+(?:[eE][+-]?[0-9]+)?)\s*<",
    re.S,
)


class _UnnumberedRowsError(Exception):
    """A part's first row has no row number: where it lies is only known counting from A1."""


class _MarkedTextError(Exception):
    """The sheet holds the mark of shared-string indices itself (a text of its own starts with
    it), or cells of that type are written so that they are not found."""


class _PartBook:
    """A workbook holding one sheet with some of a big sheet's rows, for calamine to read.

    A ``marked`` part (any but the first) starts with a marker row just above its own
    rows: an error cell in column A, which every reader counts as a cell and which is
    blank to the kinds of values a column holds. So the part's values always start at
    column A and at the marker row, and are placed in the sheet without asking the
    reader where they start.
    """

    def __init__(
        self,
        path: Path,
        head: bytes,
        name: bytes,
        companions: dict[str, bytes],
        date1904: bool,
        *,
        marked: bool = False,
        indexed: bool = False,
    ) -> None:
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True)
        types = "".join(
            f'<Override PartName="/xl/{kind}.xml" ContentType="{_PART_TYPES[kind]}"/>'
            for kind in companions
        )
        rels = "".join(
            f'<Relationship Id="r{kind}" Type="{OFFICE_REL_NS}/{kind}" Target="{kind}.xml"/>'
            for kind in companions
        )
        self.zip.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_PART_TYPES["workbook"]}"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_PART_TYPES["sheet"]}"/>'
            f"{types}</Types>",
        )
        self.zip.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE_REL_NS}"><Relationship Id="rId1" '
            f'Type="{OFFICE_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self.zip.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{OFFICE_REL_NS}"><workbookPr date1904="{int(date1904)}"/>'
            f'<sheets><sheet name="{_PART_SHEET}" sheetId="1" r:id="rSheet"/></sheets></workbook>',
        )
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PACKAGE_REL_NS}"><Relationship Id="rSheet" Type="{OFFICE_REL_NS}/worksheet" '
            f'Target="worksheets/sheet1.xml"/>{rels}</Relationships>',
        )
        for kind, data in companions.items():
            self.zip.writestr(f"xl/{kind}.xml", data)
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.sheet.write(head)
        self.name = name
        self.end_rows = b"</%ssheetData>" % name
        self.end_row = b"</%srow>" % name
        self.closing = self.end_rows + b"</%sworksheet>" % name
        self.marked = marked
        # Shared-string cells become texts holding their index (the part has no table).
        self.indexed = (
            (b' t="s"><%sv>' % name, b' t="str"><%sv>%s' % (name, _INDEX_MARK.encode()))
            if indexed
            else None
        )
        self.types = _INDEXED_TYPES if indexed else _RARE_TYPES
        self.below: int | None = None  # a marked part: the 0-based row its rows start at
        self.shared = 0  # how many shared-string cells it holds (as their index)
        # Cells typed by an ISO text (t="d") become values fastexcel and python-calamine may
        # not agree on: such a part is python-calamine's.
        self.plain = True

    def write(self, piece: bytes, errors: dict[tuple[int, int], CellError] | None = None) -> None:
        """Add rows (from the last piece of a sheet, the rows only); their error cells go to
        ``errors`` when given."""
        # A piece ending with a row holds no end of the rows: not searched for (a full pass).
        end = -1 if piece.endswith(self.end_row) else piece.find(self.end_rows)
        rows = piece if end < 0 else piece[:end]
        # One pass tells whether the rows hold a cell of a type to look at: most hold none of
        # the rare ones (dates, errors) and, but for a book Excel saved, no shared strings.
        typed = self.types.search(rows)
        if typed is not None and self.indexed is not None:
            # The type comes last in Excel's cells (and XlsxWriter's): a replace, 10× a regex's
            # speed; a shared-string cell written otherwise is found by the search after it.
            old, new = self.indexed
            marked = rows.replace(old, new)
            self.shared += (len(marked) - len(rows)) // (len(new) - len(old))
            rows = marked
            typed = self.types.search(rows)
        if typed is not None:
            if self.indexed is not None and b't="s"' in rows:
                raise _MarkedTextError  # a cell written unlike Excel does (its type not last)
            self.plain = self.plain and b't="d"' not in rows
            if errors is not None:
                _scan_errors(rows, errors)  # before the marker row, an error cell of ours
        if self.marked and self.below is None:
            rows = self._mark(rows)
        # A text of the sheet's own starting with the mark is found once parsed (see
        # _parse_part), not by another search of every row here.
        self.sheet.write(rows)

    def _mark(self, rows: bytes) -> bytes:
        """The rows with the marker row put before them (none before no rows)."""
        tag = re.search(rb"<%srow\b[^>]*>" % self.name, rows)
        if tag is None:
            return rows
        number = re.search(rb'\sr="(\d+)"', tag.group())
        if number is None or int(number.group(1)) < 2:
            raise _UnnumberedRowsError
        self.below = int(number.group(1)) - 1
        cell = b'<%sc r="A%d" t="e"><%sv>#N/A</%sv></%sc>' % (
            (self.name, self.below) + (self.name,) * 3
        )
        marker = b'<%srow r="%d">%s</%srow>' % (self.name, self.below, cell, self.name)
        return rows[: tag.start()] + marker + rows[tag.start() :]

    def __enter__(self) -> _PartBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sheet.write(self.closing)
        self.sheet.close()
        self.zip.close()


class _RowTails:
    """Cuts rows of sheet XML where the cells of a column (and those right of it) start.

    A re-run's old results end each row, right of everything the table needs: cutting
    each row there is a find and a slice (≈ 2 s on a full sheet). A row without a cell in
    that very column keeps its tail: read, not lost.
    """

    def __init__(self, column: int, prefix: bytes) -> None:
        self.first = b'<%sc r="%s' % (prefix, column_letter(column + 1).encode())
        self.closing = b"</%srow>" % prefix

    def cut(self, piece: bytes) -> bytes:
        """The piece, each row cut where the column's cell starts."""
        # Two finds a row and views of what is kept, joined once: no row copied on its own
        # (splitting at each row's end first took twice the time on a full sheet).
        kept: list[memoryview] = []
        view, find, after = memoryview(piece), piece.find, len(self.first)
        start, at = 0, find(self.first)
        while 0 <= at < len(piece) - after:
            if not 48 <= piece[at + after] <= 57:  # a longer column name with the same start
                at = find(self.first, at + 1)
                continue
            end = find(self.closing, at)
            if end < 0:  # the cell's row goes on in no piece: left as it is
                break
            kept.append(view[start:at])
            start = end
            at = find(self.first, end)  # a row without that cell keeps its tail: read, not lost
        kept.append(view[start:])
        return b"".join(kept)


def _join(folder: PurePosixPath, target: str) -> str:
    """A relationship target resolved against a part's folder ('../tables/table1.xml')."""
    parts: list[str] = []
    for piece in (*folder.parts, *target.split("/")):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _table_info(table: ElementTree.Element, sheet: str) -> TableInfo | None:
    """An Excel Table from its part; None for header-less tables (nothing to match roles on)."""
    ref = table.get("ref", "")
    if ":" not in ref or table.get("headerRowCount", "1") == "0":
        return None
    try:
        first_row, first_col, last_row, last_col = parse_range(ref)
    except ValueError:
        return None
    headers = tuple(column.get("name", "") for column in table.iter(f"{{{MAIN_NS}}}tableColumn"))
    return TableInfo(
        table.get("displayName") or table.get("name") or "",
        sheet,
        first_row,
        first_col,
        last_row - (1 if table.get("totalsRowCount", "0") not in ("0", "") else 0),
        last_col,
        headers,
    )
