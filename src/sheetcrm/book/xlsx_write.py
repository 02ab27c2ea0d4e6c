"""The preserving workbook writer: edits the .xlsx package instead of rebuilding it.

Only sheetcrm's own sheets, the result columns of the customer table (cells,
dimension, widths, the Excel Table around them) and the few styles they need
are written; every other part of the file is copied byte for byte. The
customer sheet is edited as a stream of ``<row>`` elements, never as a tree,
so a full 1,048,576-row sheet costs about its own size in memory. The parts of
the format live in their own modules: :mod:`.cell_xml`, :mod:`.row_scan`,
:mod:`.splice` and :mod:`.own_sheets`; this one is the writer's public surface.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import os
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import _background
from ..a1 import parse_range, range_ref
from ..errors import WorkbookError, disk_full_message
from ..i18n import tr
from ..tuning import Tuning
from .backups import KEEP, Kept, keep_backup
from .base import DATE_FORMAT, DATETIME_FORMAT, ResultColumn, SheetSpec
from .cell_xml import CellStyles, cell_xml, clean_text, distinct, uniform
from .defined_names import set_filter_database
from .locks import hold_lock
from .namespaces import MAIN_NS, OFFICE_REL_NS, office_rel
from .own_sheets import (
    cell_count,
    check_sheet_name,
    drop_sheet_parts,
    filter_range,
    sheet_xml,
    write_drawing,
)
from .package import Package, parse_xml, serialize
from .placement import ColumnPlan, plan_columns, table_span
from .row_scan import Cell, SharedStrings, cell_text, header_cells
from .sheetstream import row_pieces, sheet_start
from .splice import Spliced, SpliceJob, Target, splice_part
from .styles import Styles
from .temp_files import remove_stale, temp_path

__all__ = ["PackageWriter"]

_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass
class _SheetEntry:
    name: str
    part: str
    element: etree._Element


class PackageWriter:
    """Edits a workbook file in place of rebuilding it; changes are kept until :meth:`save`."""

    def __init__(
        self, path: Path, tuning: Tuning | None = None, output: Path | None = None
    ) -> None:
        self.path = Path(path)
        self.tuning = tuning or Tuning()
        # Big parts wait for the save beside the file written: the disk that must hold it
        # anyway, where a killed run's leftovers are removed by the next save (not the system
        # temp folder, which may be memory: tmpfs).
        self.spill_beside = Path(output or path).resolve()
        self.kept: Kept | None = None  # what the last save's backup did
        self.cleaned: list[tuple[Path, int]] = []  # stale temporary files the last save removed
        self._load()

    def _load(self) -> None:
        """Read the file as it is on disk now; pending changes are forgotten."""
        self.package = Package(self.path, self.tuning, self.spill_beside)
        self._started = time.time()  # our temporary files older than this are a killed run's
        self._workbook = parse_xml(
            self.package.read(self.package.workbook_part), self.package.workbook_part
        )
        if self._workbook.tag != f"{{{MAIN_NS}}}workbook":
            raise WorkbookError(
                tr(
                    f"{self.path.name} 是“严格 Open XML”格式，请在 Excel 中另存为普通的 Excel 工作簿 (.xlsx)",
                    f"{self.path.name} is in Strict Open XML format; save it in Excel as an ordinary "
                    "Excel Workbook (.xlsx)",
                )
            )
        pr = self._workbook.find(f"{{{MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self._styles: Styles | None = None
        self._shared_strings: SharedStrings | None = None
        self._drop_calc_chain = False
        # Result columns being written by a worker process: (part, its compressed XML and
        # whether a formula was overwritten), stored by _settle.
        self._pending: list[tuple[str, _background.Pending[Spliced]]] = []
        self._release = weakref.finalize(self, _release, self._pending, self.package)

    # -- workbook structure ---------------------------------------------------------------

    def _sheets(self) -> list[_SheetEntry]:
        rels = self.package.rels(self.package.workbook_part)
        entries = []
        for element in self._workbook.iter(f"{{{MAIN_NS}}}sheet"):
            part = rels.target(element.get(f"{{{OFFICE_REL_NS}}}id", ""))
            if part:
                entries.append(_SheetEntry(element.get("name", ""), part, element))
        return entries

    def _find_sheet(self, name: str) -> _SheetEntry | None:
        """The sheet with this name (Excel compares names case-insensitively)."""
        return next((s for s in self._sheets() if s.name.casefold() == name.casefold()), None)

    def _styles_(self) -> Styles:
        if self._styles is None:
            self._styles = Styles(self.package)
        return self._styles

    def _cell_styles(self, base: int | None = None) -> CellStyles:
        styles = self._styles_()
        return CellStyles(
            base,
            styles.cell_xf(base=base or 0, number_format=DATE_FORMAT),
            styles.cell_xf(base=base or 0, number_format=DATETIME_FORMAT),
        )

    # -- whole sheets ----------------------------------------------------------------------

    def write_sheet(self, spec: SheetSpec) -> None:
        """Add or replace a worksheet that sheetcrm owns."""
        check_sheet_name(spec.name)
        existing = self._find_sheet(spec.name)
        if existing is not None:
            if self.package.content_type(existing.part) != _WORKSHEET_TYPE:
                raise WorkbookError(
                    tr(
                        f"工作表“{spec.name}”已存在且不是普通工作表（可能是图表页），请改名或删除后重试",
                        f"sheet '{spec.name}' exists and is not a worksheet (a chart sheet?); "
                        "rename or delete it and try again",
                    )
                )
            part = existing.part
            # The calc chain would name formulas the sheet loses. Asked of the chain, not of the
            # old sheet: reading a million-row sheet back to look for formulas took seconds.
            if self._in_calc_chain(existing.element.get("sheetId", "")):
                self._drop_calc_chain = True
            drop_sheet_parts(self.package, part)
        else:
            part = self.package.new_part_name("xl/worksheets/sheet{}.xml")
            rels = self.package.rels(self.package.workbook_part)
            rel_id = rels.add(office_rel("worksheet"), part)
            rels.save()
            sheets = self._workbook.find(f"{{{MAIN_NS}}}sheets")
            assert sheets is not None
            ids = [int(s.get("sheetId", "0")) for s in sheets]
            element = etree.SubElement(
                sheets, f"{{{MAIN_NS}}}sheet", name=spec.name, sheetId=str(max(ids, default=0) + 1)
            )
            element.set(f"{{{OFFICE_REL_NS}}}id", rel_id)
            self.package.write(self.package.workbook_part, serialize(self._workbook))
            self.package.set_content_type(part, _WORKSHEET_TYPE)
        self._set_filter_database(part, filter_range(spec))
        drawing_id = write_drawing(self.package, part, spec) if spec.charts else None
        # About 40 bytes a cell: enough to tell a big sheet (compressed faster) from a small one.
        size_hint = 40 * cell_count(spec.rows)
        self.package.write_stream(part, self._own_sheet_xml(spec, drawing_id), size_hint)

    def _in_calc_chain(self, sheet_id: str) -> bool:
        """True when the workbook's calculation chain names a cell of the sheet with this id
        (or may: a chain whose first cell gives no sheet id)."""
        rels = self.package.rels(self.package.workbook_part)
        for _, rel_type, part in rels.items():
            if rel_type == office_rel("calcChain") and self.package.exists(part):
                current: str | None = None  # a cell without i is on the sheet of the one before
                for cell in parse_xml(self.package.read(part), part).iter(f"{{{MAIN_NS}}}c"):
                    current = cell.get("i", current)
                    if current is None or current == sheet_id:
                        return True
        return False

    def _own_sheet_xml(
        self, spec: SheetSpec, drawing_id: str | None
    ) -> Iterator[bytes | memoryview]:
        """The worksheet XML of one of sheetcrm's own sheets, with this workbook's styles."""
        styles = self._styles_()
        return sheet_xml(
            spec, drawing_id, styles, self._cell_styles(), self.date1904, self.tuning.row_block
        )

    # -- result columns --------------------------------------------------------------------

    def write_columns(
        self,
        sheet: str,
        header_row: int,
        first_column: int,
        last_row: int,
        table: str | None,
        headers: list[str],
        columns: Sequence[ResultColumn],
        rows: Sequence[int] | None = None,
    ) -> None:
        """Add or replace result columns at the right edge of the customer table.

        Value i of each column goes to sheet row rows[i] (default: the rows right below the
        header, one after another): the customer frame skips blank rows.
        """
        if not columns:
            return
        entry = self._entry(sheet)
        self._settle()  # columns written earlier are part of the sheet read now
        header = self._header(entry.part, header_row, sheet) or []
        found = self._table(entry, table) if table else None
        edge = table_span(first_column, headers, found[2][3] if found else None)
        texts = {cell.column: cell_text(cell, self._shared()) for cell in header}
        header_style = next((cell.style for cell in header if cell.column == edge), None)
        plan = plan_columns(
            columns,
            sheet=sheet,
            header_row=header_row,
            first_column=first_column,
            last_row=last_row,
            edge=edge,
            header_texts=texts,
            rows=rows,
        )
        targets = self._targets(columns, plan, header_style)
        self._write_cells(entry.part, sheet, targets, columns, plan)
        if found is not None:
            self._grow_table(*found, plan, targets, texts)

    def _entry(self, sheet: str) -> _SheetEntry:
        """The sheet with this name, or a clear error."""
        entry = self._find_sheet(sheet)
        if entry is None:
            raise WorkbookError(
                tr(f"找不到工作表“{sheet}”", f"there is no sheet '{sheet}' in the workbook")
            )
        return entry

    def _write_cells(
        self,
        part: str,
        sheet: str,
        targets: list[Target],
        columns: Sequence[ResultColumn],
        plan: ColumnPlan,
    ) -> None:
        """Encode the result columns and splice them into the sheet part, now or in a worker."""
        # Everything the splice needs but the package, fixed now: a redo gives the same bytes.
        make = functools.partial(
            _splice_job,
            part=part,
            sheet=sheet,
            targets=targets,
            columns=columns,
            plan=plan,
            styles=self._cell_styles(),
            date1904=self.date1904,
            tuning=self.tuning,
        )
        job = make(self.package)
        if job.size >= self.tuning.background_part and not self.package.is_changed(part):
            # Redone, the job is made again: its aligned values are not held here while the
            # worker runs (it encodes them). Not a method of ours: the writer's finalizer holds
            # the pending work, and a bound method in it would keep the writer alive for ever.
            again = functools.partial(_splice_again, make, self.package)
            work = functools.partial(splice_part, forget=True)
            self._pending.append((part, _background.start(work, job, redo=again)))
        else:  # written now: an error shows at once
            self._store(part, splice_part(job, self.package))

    def _header(self, part: str, header_row: int, sheet: str) -> list[Cell] | None:
        """The cells of a sheet's header row (None if it has no such row)."""
        # Read and let go: the splice reads the part again, maybe in a worker process.
        with contextlib.closing(self.package.stream(part)) as chunks:
            first, sheet_data = sheet_start(chunks, sheet)
            name = sheet_data.group(1) or b""
            last = 0
            for index, piece in enumerate(row_pieces(first, chunks, b"</%srow>" % name)):
                begin = sheet_data.end() if index == 0 else 0
                cells, last = header_cells(piece, header_row, name.decode(), begin, last)
                if cells is not None:
                    return cells
        return None

    def _settle(self) -> None:
        """Store the result columns written in the background (waiting for them if need be)."""
        while self._pending:
            part, pending = self._pending.pop(0)
            self._store(part, pending.result())

    def _store(self, part: str, spliced: Spliced) -> None:
        self.package.write_deflated(part, spliced.deflated)
        self._drop_calc_chain |= spliced.formula_replaced
        if spliced.autofilter is not None:
            self._set_filter_database(part, spliced.autofilter)

    def _set_filter_database(self, part: str, ref: str | None) -> None:
        """The hidden name of the filter range of the sheet in ``part`` made to match its filter
        (LibreOffice reads a sheet's filter from it; Excel writes one per filter)."""
        rels = self.package.rels(self.package.workbook_part)
        for index, element in enumerate(self._workbook.iter(f"{{{MAIN_NS}}}sheet")):
            if rels.target(element.get(f"{{{OFFICE_REL_NS}}}id", "")) == part:
                if set_filter_database(self._workbook, index, element.get("name", ""), ref):
                    self.package.write(self.package.workbook_part, serialize(self._workbook))
                return

    def _shared(self) -> SharedStrings:
        if self._shared_strings is None:
            part = next(
                (
                    target
                    for _, rel_type, target in self.package.rels(self.package.workbook_part).items()
                    if rel_type == office_rel("sharedStrings") and self.package.exists(target)
                ),
                None,
            )
            stream = functools.partial(self.package.stream, part) if part else None
            self._shared_strings = SharedStrings(stream)
        return self._shared_strings

    def _targets(
        self, columns: Sequence[ResultColumn], plan: ColumnPlan, header_style: int | None
    ) -> list[Target]:
        """The cells each placed result column is written as: header XML and value style."""
        styles = self._styles_()
        targets = []
        for result, place in zip(columns, plan.placements, strict=True):
            style = (
                styles.cell_xf(number_format=result.number_format) if result.number_format else None
            )
            title = clean_text(result.header)
            header_xml = cell_xml(
                f"{place.letters}{plan.header_row}",
                title,
                header_style,
                self._cell_styles(),
                self.date1904,
            )
            targets.append(
                Target(
                    place.column,
                    place.letters,
                    title,
                    header_xml,
                    result.values,
                    style,
                    place.replaces,
                )
            )
        return targets

    def _table(
        self, entry: _SheetEntry, name: str
    ) -> tuple[str, etree._Element, tuple[int, int, int, int]]:
        """The part, parsed XML and range (as :func:`~sheetcrm.a1.parse_range`) of a Table."""
        for _, rel_type, part in self.package.rels(entry.part).items():
            if rel_type != office_rel("table") or not self.package.exists(part):
                continue
            root = parse_xml(self.package.read(part), part)
            if name.casefold() in (
                root.get("name", "").casefold(),
                root.get("displayName", "").casefold(),
            ):
                return part, root, parse_range(root.get("ref", "A1"))
        raise WorkbookError(
            tr(
                f"工作表“{entry.name}”上没有名为“{name}”的表格",
                f"sheet '{entry.name}' has no Excel table named '{name}'",
            )
        )

    def _grow_table(
        self,
        part: str,
        root: etree._Element,
        box: tuple[int, int, int, int],
        plan: ColumnPlan,
        targets: list[Target],
        header_texts: dict[int, str],
    ) -> None:
        """Widen an Excel Table over the result columns, one tableColumn per new column."""
        first_row, first_col, last_row, last_col = box
        new_last_col = max(last_col, plan.last_column)
        ref = range_ref(first_row, first_col, max(last_row, plan.rows_end), new_last_col)
        root.set("ref", ref)
        auto = root.find(f"{{{MAIN_NS}}}autoFilter")
        if auto is not None:
            auto.set("ref", ref)
        columns = root.find(f"{{{MAIN_NS}}}tableColumns")
        assert columns is not None
        names = {t.column: t.title for t in targets}
        # A column re-used in the other language is renamed: Excel wants name = header cell.
        for column, element in enumerate(columns, start=first_col):
            if column in names:
                element.set("name", names[column])
        next_id = max((int(c.get("id", "0")) for c in columns), default=0) + 1
        for column in range(last_col + 1, new_last_col + 1):
            etree.SubElement(
                columns,
                f"{{{MAIN_NS}}}tableColumn",
                id=str(next_id),
                name=names.get(column)
                or header_texts.get(column)
                or f"Column{column - first_col + 1}",
            )
            next_id += 1
        columns.set("count", str(len(columns)))
        self.package.write(part, serialize(root))

    # -- saving ----------------------------------------------------------------------------

    def save(self, output: Path | None = None, *, backup: bool = True, keep: int = KEEP) -> Path:
        """Write the workbook atomically (in place with a backup, or to output); the path written.

        The new file is written whole beside the target first; then, under our lock, the
        workbook is compared with what was read and only if unchanged is it backed up and
        replaced. A symlink's target is what gets replaced: the link stays a link. Saved or
        not, the big parts waiting in temporary files are let go (in place, the writer starts
        again from the file saved).
        """
        target = Path(output) if output else self.path
        in_place = target.resolve() == self.path.resolve()
        real = target.resolve()
        temp = temp_path(real)
        try:
            self._settle()
            _check_folder(target.parent)
            self._finish_parts()
            with hold_lock(real):
                self.cleaned = remove_stale(real.parent, self._started)
                self._write_temp(temp)
                if in_place:
                    self._replace_if_unchanged(temp, real, backup, keep)
                else:
                    temp.replace(real)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            # The new file and the backup each take about the workbook's size.
            needed = self.package.source.fingerprint.size * (2 if in_place and backup else 1)
            raise WorkbookError(disk_full_message(real.parent, needed)) from None
        finally:
            temp.unlink(missing_ok=True)
            self._release()  # saved or failed, the big parts' temporary files go
        if in_place:
            self._load()  # later changes start from what is on disk now
        return target

    def _write_temp(self, temp: Path) -> None:
        """Write the new package to temp and flush it to disk."""
        with temp.open("xb") as handle:
            self.package.save_to(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if self.path.exists():  # keep the original's mode
            temp.chmod(self.path.stat().st_mode & 0o777)

    def _replace_if_unchanged(self, temp: Path, real: Path, backup: bool, keep: int) -> None:
        """Back up and replace the workbook, or keep a colleague's change and put ours beside it."""
        # Content decides: a file touched (new mtime) but not changed is safe to overwrite.
        if not self.package.source.unchanged():
            beside = real.with_name(f"{real.stem} (sheetcrm){real.suffix}")
            temp.replace(beside)
            raise WorkbookError(_changed_kept_message(real, beside))
        if backup:
            with self.package.source.open() as original:  # closed before the replace (Windows)
                self.kept = keep_backup(real, original, keep)
        temp.replace(real)

    def _finish_parts(self) -> None:
        """Store the pending style changes and drop a calculation chain that went stale."""
        if self._styles is not None:
            self._styles.save()
        if self._drop_calc_chain:
            rels = self.package.rels(self.package.workbook_part)
            for rel_id, rel_type, part in rels.items():
                if rel_type == office_rel("calcChain"):
                    rels.remove(rel_id)
                    if self.package.exists(part):
                        self.package.delete(part)
            rels.save()
            self._drop_calc_chain = False


def _release(pending: list[tuple[str, _background.Pending[Spliced]]], package: Package) -> None:
    """Stop the workers still writing and remove the big parts' temporary files (a worker
    first: it may create its file still)."""
    for _, work in pending:
        work.close()
    pending.clear()
    package.close()


def _splice_job(
    package: Package,
    *,
    part: str,
    sheet: str,
    targets: list[Target],
    columns: Sequence[ResultColumn],
    plan: ColumnPlan,
    styles: CellStyles,
    date1904: bool,
    tuning: Tuning,
) -> SpliceJob:
    """What splicing result columns into a sheet part needs, the values aligned to the rows."""
    widths = {t.column: c.width for t, c in zip(targets, columns, strict=True) if c.width}
    by_column = sorted(targets, key=lambda t: t.column)
    return SpliceJob(
        package.source,
        package.spill_path(),
        part,
        sheet,
        [dataclasses.replace(t, values=()) for t in by_column],  # the values go aligned
        [distinct(plan.aligned(t.values), uniform(t.values)) for t in by_column],
        styles,
        date1904,
        plan.header_row,
        plan.rows_end,
        widths,
        package.size(part),
        tuning,
    )


def _splice_again(make: Callable[[Package], SpliceJob], package: Package) -> Spliced:
    """A worker's splice done here after it failed: encoded again, streamed from the file."""
    return splice_part(make(package), forget=False)


def _changed_kept_message(book: Path, beside: Path) -> str:
    # Exit 2, not 0: the work was done, but the workbook the user opens does not hold it.
    return tr(
        f"{book} 在 sheetcrm 读取之后被别人修改过：这些修改已保留，原文件未被覆盖；"
        f"本次结果另存为 {beside.name}。请合并，或重新运行 sheetcrm",
        f"{book} changed after sheetcrm read it: those changes are kept and the file was not "
        f"overwritten; this run's result is saved beside it as {beside.name}. Merge them, or "
        "run sheetcrm again",
    )


def _check_folder(folder: Path) -> None:
    """Refuse early a folder sheetcrm cannot write to."""
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise WorkbookError(
            tr(
                f"无法写入文件夹 {folder}，请检查权限或换一个保存位置",
                f"cannot write to folder {folder}; check its permissions or choose another place",
            )
        )
