"""Splicing: result cells written into the rows of an existing customer sheet part.

A piece of rows where every row is plain is spliced in bulk (split at
``</row>``, new cells woven in); any other row goes through the general merge.
:func:`splice_part` is what the background worker runs: it streams the part
(from the package, or from the file in a worker process), splices and deflates.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import _memory
from ..a1 import MAX_COLUMN, parse_range, range_ref
from ..errors import WorkbookError
from ..i18n import tr
from ..tuning import Tuning
from .base import CellValue
from .cell_xml import CellStyles, Distinct, Encoded, cells_xml, encode_distinct
from .package import Deflated, Package, deflate_stream, stream_part
from .placement import data_in_the_way
from .row_scan import columns_left_of, has_formula, last_column, row_cells, row_tags, split_at
from .sheetstream import row_pieces, sheet_start
from .source_file import SourceFile

__all__ = ["RowSplicer", "SpliceJob", "Spliced", "Target", "splice_part"]

_FUSED = 4096  # most tails a column may have for what follows to be fused into them (weave)
_FORGOTTEN = b"<!-- let go -->"  # in place of a tail no row left to write uses (never written)
_GIVE_BACK_EVERY = 100_000  # tails let go between two gives of memory back to the system
_SPANS = re.compile(rb'\s+spans\s*=\s*["\'][^"\']*["\']')
_CELL_REFS = re.compile(rb'<c r="([A-Z]+)\d+"')
_DIMENSION = re.compile(rb'(<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*")([^"]*)(")')
_AUTOFILTER = re.compile(rb'(<(?:\w+:)?autoFilter\b[^>]*?\bref\s*=\s*")([^"]*)(")')
_COLS = re.compile(rb"<(\w+:)?cols>(.*?)</(?:\w+:)?cols>", re.S)
_ROW_OPEN = re.compile(rb'<row(?: r="(\d+)")?')
_ROW_SPANS = re.compile(rb'(<row r="\d+") spans="[^"]*"')
_SPANS_LEFT = re.compile(rb"<row\b[^>]*\sspans=")


@dataclass
class Target:
    """Where one result column goes and how its cells look."""

    column: int
    letters: str
    title: str  # the header text as written (also the Excel Table column name)
    header: bytes
    values: Sequence[CellValue]
    style: int | None
    replace: bool  # a column sheetcrm wrote before (else: must be empty)


class _EncodedRows:
    """The new cells of each row, joined a block of rows at a time.

    Each column comes encoded once (:func:`encode`); blocks keep the joined
    XML small on a million-row sheet.
    """

    def __init__(
        self,
        targets: list[Target],
        encoded: list[Encoded],
        header_row: int,
        rows_end: int,
        block: int,
        forget: bool = False,
    ) -> None:
        self.targets, self.encoded, self.block = targets, encoded, block
        self.no_cell = [e.tails == b"" for e in encoded]  # per tail: no cell written at all
        self.openings = [f'<c r="{target.letters}'.encode() for target in targets]
        self.rests: tuple[bytes, list[tuple[np.ndarray, bool]]] | None = None  # see _rests
        self.header_row, self.rows_end = header_row, rows_end
        self.start = -1
        self.columns: list[np.ndarray] = []
        self.rows: np.ndarray = np.empty(0, dtype=object)
        # ``forget``: tails are let go as the rows are written (see _Forgetting).
        many = [e for e in encoded if len(e.tails) > _FUSED] if forget else []
        self.forgetting = [_Forgetting.of(e) for e in many]
        self.done = -1  # rows before it are written (-1: the header row, 0: the one below)

    def _forget(self, done: int) -> None:
        """Let go of the tails no row from ``done`` on (0 the first below the header) uses."""
        self.done = max(self.done, done)
        for forgetting in self.forgetting:
            forgetting.forget(self.done)

    def _check_ahead(self, index: int) -> None:
        """Refuse a row before those written (rows out of order): its tail may be let go."""
        if self.forgetting and index < self.done:
            raise _RowsOutOfOrderError(index)

    def _columns(self, first: int, last: int) -> list[np.ndarray]:
        """The new cells of rows first..last, one array per target column."""
        data_first = max(first, self.header_row + 1)
        numbers = np.arange(data_first, last + 1).astype(bytes).astype(object)
        part = slice(data_first - self.header_row - 1, last - self.header_row)
        columns = []
        for target, encoded in zip(self.targets, self.encoded, strict=True):
            cells = cells_xml(target.letters, encoded, numbers, part)
            if first == self.header_row:
                cells = np.concatenate([np.array([target.header], dtype=object), cells])
            columns.append(cells)
        return columns

    def weave(self, rows: list[bytes], first: int, close: bytes) -> Iterator[bytes]:
        """Rows first.. (each up to its closing tag), each with its new cells and ``close``
        after it, joined a few thousand rows at a time."""
        if first == self.header_row:  # the header row gets the headers
            yield rows[0] + b"".join(target.header for target in self.targets) + close
            rows, first = rows[1:], first + 1
        # A grid of references joined at once: per row [row, opening of the first cell, then
        # number and tail per column, each followed by what comes next: the next cell's opening,
        # or close]. Nothing is built per cell (a million-row sheet has 15 million cells); a
        # column with few tails has what follows fused into them: fewer pieces to join.
        if self.rests is None or self.rests[0] != close:
            self.rests = close, self._rests(close)  # once per sheet
        rests = self.rests[1]
        count = len(self.targets)
        width = 2 + 2 * count + sum(not fused for _, fused in rests)
        for at in range(0, len(rows), 8192):
            size = min(8192, len(rows) - at)
            start = first + at - self.header_row - 1
            self._check_ahead(start)
            self._forget(start)
            codes = [encoded.codes[start : start + size] for encoded in self.encoded]
            # per column: where it has no cell at all (None: it always has one)
            missing = [
                no_cell[code] if no_cell.any() else None
                for code, no_cell in zip(codes, self.no_cell, strict=True)
            ]
            grid = np.empty((size, width), dtype=object)
            grid[:, 0] = rows[at : at + size]
            grid[:, 1] = self.openings[0]
            if missing[0] is not None:
                grid[missing[0], 1] = b""
            numbers = np.arange(first + at, first + at + size).astype(bytes).astype(object)
            slot = 2
            for column, ((table, fused), code) in enumerate(zip(rests, codes, strict=True)):
                grid[:, slot] = numbers
                if missing[column] is not None:  # no cell: no number either
                    grid[missing[column], slot] = b""
                after = missing[column + 1] if column + 1 < count else None
                if fused and after is not None:  # the next opening only where that cell is
                    grid[:, slot + 1] = table[code.astype(np.intp) * 2 + ~after]
                else:
                    grid[:, slot + 1] = table[code]
                if not fused:
                    grid[:, slot + 2] = self.openings[column + 1] if column + 1 < count else close
                    if after is not None:
                        grid[after, slot + 2] = b""
                slot += 2 + (not fused)
            yield b"".join(grid.ravel().tolist())

    def _rests(self, close: bytes) -> list[tuple[np.ndarray, bool]]:
        """Per column, its tails and whether what follows is fused into them: the next cell's
        opening (at tail * 2 + 1, and the bare tail at tail * 2, where that cell may be
        missing), or ``close``. A column with many tails (texts) is left as it is: a copy
        of it fused would cost as much memory again."""
        rests = []
        for column, encoded in enumerate(self.encoded):
            if len(encoded.tails) > _FUSED:
                rests.append((encoded.tails, False))
                continue
            if column + 1 == len(self.encoded):
                after = [close]
            elif self.no_cell[column + 1].any():
                after = [b"", self.openings[column + 1]]
            else:
                after = [self.openings[column + 1]]
            fused = np.array([tail + end for tail in encoded.tails for end in after], dtype=object)
            rests.append((fused, True))
        return rests

    def _load(self, row: int) -> int:
        self._check_ahead(row - self.header_row - 1)
        start = self.header_row + (row - self.header_row) // self.block * self.block
        if start != self.start:
            self._forget(start - self.header_row - 1)
            self.columns = self._columns(start, min(start + self.block - 1, self.rows_end))
            self.rows = np.fromiter(
                map(b"".join, zip(*self.columns, strict=True)), object, len(self.columns[0])
            )
            self.start = start
        return row - start

    def joined(self, row: int) -> bytes:
        """All new cells of a row, in column order."""
        index = self._load(row)  # first: loading a block replaces self.rows
        joined: bytes = self.rows[index]
        return joined

    def cells(self, row: int) -> list[tuple[int, bytes]]:
        """(column, XML) of each new cell of a row."""
        index = self._load(row)
        return [
            (target.column, cells[index])
            for target, cells in zip(self.targets, self.columns, strict=True)
            if cells[index]
        ]


class _RowsOutOfOrderError(Exception):
    """A row comes after rows below it: a worker's splice, which lets go of what it wrote,
    fails, and the splice is done again without letting go."""


class _Forgetting:
    """A column with many tails (texts: a full sheet's reasons hold 0.3 GB), each let go once
    the rows past its last use are reached: the worker does not hold them all to its end,
    while the job's own sheets are written (the run's highest memory)."""

    def __init__(self, tails: np.ndarray, order: np.ndarray, last: np.ndarray) -> None:
        self.tails, self.order, self.last = tails, order, last
        self.gone = 0  # tails let go: order[:gone]
        self.since = 0  # tails let go since memory was last given back

    @classmethod
    def of(cls, encoded: Encoded) -> _Forgetting:
        last = np.full(len(encoded.tails), -1, dtype=np.int64)
        np.maximum.at(last, encoded.codes, np.arange(len(encoded.codes)))
        order = np.argsort(last, kind="stable")
        return cls(encoded.tails, order, last[order])

    def forget(self, done: int) -> None:
        """Let go of the tails whose last use is before row ``done`` (the rows are written in
        order; a row before it is never asked for again)."""
        upto = int(np.searchsorted(self.last, done, side="left"))
        if upto > self.gone:
            self.tails[self.order[self.gone : upto]] = _FORGOTTEN
            self.since += upto - self.gone
            self.gone = upto
        if self.since > _GIVE_BACK_EVERY:  # texts over 512 bytes are the C library's to keep
            _memory.give_back()
            self.since = 0


@dataclass(frozen=True)
class _MergePlan:
    """What merging new cells into each existing row needs, worked out once per sheet."""

    first_target: int
    first_letters: bytes
    replaced: dict[int, Target]  # the target of each result column
    letters: frozenset[bytes]  # the column letters of the targets
    rerun: bool  # every result column replaces one sheetcrm wrote before
    sheet: str


@dataclass(frozen=True)
class SpliceJob:
    """What writing result cells into a sheet part needs: picklable, for a worker."""

    source: SourceFile  # the file as it was read: a worker refuses a file changed since
    spill: Path | None  # the temporary file a big result goes to (named, and removed, by the run)
    part: str
    sheet: str
    targets: list[Target]  # in column order, values left out (values holds them)
    # Each column's values, one per row below the header (blank: no customer), as distinct
    # values: encoded where the splice runs, a worker's share of the work.
    values: list[Distinct]
    styles: CellStyles
    date1904: bool
    header_row: int
    rows_end: int
    widths: dict[int, float]
    size: int  # of the part's XML as read
    tuning: Tuning


class Spliced(NamedTuple):
    """A sheet part with the result cells written in: compressed, whether a formula in a result
    column was overwritten, and the sheet autofilter's new range if it was widened (the
    workbook's ``_xlnm._FilterDatabase`` must follow)."""

    deflated: Deflated
    formula_replaced: bool
    autofilter: str | None


def splice_part(job: SpliceJob, package: Package | None = None, *, forget: bool = False) -> Spliced:
    """The sheet part with the result cells written in (see :class:`Spliced`).

    Without a package (in a worker process) the part is streamed from the file, which must
    be unchanged. A big result goes to the file ``job.spill``; only its name comes back.
    ``forget``: what is written is let go as it goes (a worker: its memory falls as the run's
    rises); rows out of order then fail the splice, to be done again without.
    """
    if package is None:
        chunks = stream_part(job.source, job.part, job.tuning)
    else:
        chunks = package.stream(job.part)
    first, sheet_data = sheet_start(chunks, job.sheet)
    name = sheet_data.group(1) or b""
    splicer = RowSplicer(job, name, forget=forget)
    xml = splicer.splice(row_pieces(first, chunks, b"</%srow>" % name), sheet_data)
    deflated = deflate_stream(xml, job.size, job.tuning, job.spill)
    return Spliced(deflated, splicer.formula_replaced, splicer.autofilter)


def _encoded(job: SpliceJob) -> list[Encoded]:
    """The job's columns encoded, each distinct value once (see :func:`encode_distinct`); the
    job's values are let go then (a full sheet's reasons: 0.2 GB a worker held for nothing)."""
    encoded = [
        encode_distinct(values, target.style, job.styles, job.date1904)
        for target, values in zip(job.targets, job.values, strict=True)
    ]
    job.values.clear()
    return encoded


class RowSplicer:
    """Writes the result cells into the rows of a customer sheet, piece by piece.

    Pieces where every row is plain (Excel's ``<row r="…">``, each cell with an
    ``r``, nothing at or right of the result columns, no gap to fill) are
    spliced in bulk: split at the closing tags, new cells put in between. Any
    other piece goes row by row, merging cells where a row has some in the way.
    """

    def __init__(self, job: SpliceJob, name: bytes, *, forget: bool = False) -> None:
        by_column = job.targets
        self.job, self.name = job, name
        self.encoded = _EncodedRows(
            by_column, _encoded(job), job.header_row, job.rows_end, job.tuning.row_block, forget
        )
        self.prefix = name.decode()
        self.open_row, self.close_row = b"<%srow" % name, b"</%srow>" % name
        self.header_row, self.rows_end = job.header_row, job.rows_end
        self.first_target = by_column[0].column
        self.first_letters = by_column[0].letters
        ours = "|".join(t.letters for t in by_column)
        self.not_ours = re.compile(f'<c(?! r="(?:{ours})\\d)'.encode())  # any other cell
        self.targets = by_column
        self.expected = self.header_row  # the next row number that must exist in the output
        self.last = 0  # the number of the last row read (a row without r follows it)
        self.past = False  # True once a row below the results went out
        self.formula_replaced = False  # True once a formula in a result column was overwritten
        self.autofilter: str | None = None  # the sheet filter's range, once widened
        self.plan = _MergePlan(
            self.first_target,
            by_column[0].letters.encode(),
            {t.column: t for t in by_column},
            frozenset(t.letters.encode() for t in by_column),
            all(t.replace for t in by_column),
            job.sheet,
        )

    def splice(
        self, segments: Iterable[bytes], sheet_data: re.Match[bytes]
    ) -> Iterator[bytes | memoryview]:
        """The sheet XML in pieces, target cells written into rows header_row..rows_end.

        Unchanged stretches are views of the pieces, not copies.
        """
        sheet = self.job.sheet
        closing = b"</%ssheetData>" % self.name
        done = False
        for index, piece in enumerate(segments):
            view = memoryview(piece)
            position = 0
            if index == 0:
                yield self.head(piece[: sheet_data.start()])
                if sheet_data.group(2):  # <sheetData/>: no rows at all
                    yield b"<%ssheetData>" % self.name
                    yield from self.fresh_rows(self.rows_end + 1)
                    yield closing
                    yield view[sheet_data.end() :]
                    done = True
                    continue
                yield view[sheet_data.start() : sheet_data.end()]
                position = sheet_data.end()
            if done or self.past:  # the results are all out: the rest as it is, but the filter
                close = -1 if done else piece.find(closing, position)
                if close >= 0:
                    yield view[position:close]
                    yield self.tail(piece, close)
                    done = True
                else:
                    yield view[position:]
                continue
            close = piece.find(closing, position)
            stop = close if close >= 0 else len(piece)
            bulk = self.bulk(piece, position, stop)
            if bulk is None:
                position = yield from self.rows(piece, view, position, stop)
            else:
                yield from bulk
                position = stop
            if close >= 0:
                yield view[position:close]
                yield from self.fresh_rows(self.rows_end + 1)  # rows past the last existing one
                yield self.tail(piece, close)
                done = True
            else:
                yield view[position:]
        if not done:
            raise WorkbookError(
                tr(
                    f"工作表“{sheet}”已损坏（没有 sheetData）",
                    f"sheet '{sheet}' is damaged (no sheetData)",
                )
            )

    def head(self, xml: bytes) -> bytes:
        """The XML before the rows, its dimension and column widths made to fit the results."""
        job = self.job
        xml = _update_dimension(xml, job.header_row, job.rows_end, job.targets[-1].column)
        return _add_widths(xml, job.widths, self.name)

    def tail(self, piece: bytes, close: int) -> bytes | memoryview:
        """The XML after the rows, a filter on the table's header row widened over the results."""
        found = _AUTOFILTER.search(piece, close)
        if found is None:
            return memoryview(piece)[close:]
        try:
            r1, c1, r2, c2 = parse_range(found.group(2).decode())
        except ValueError:
            return memoryview(piece)[close:]
        last_col = self.job.targets[-1].column
        if r1 != self.job.header_row or c2 >= last_col:
            return memoryview(piece)[close:]
        self.autofilter = range_ref(r1, c1, max(r2, self.rows_end), last_col)
        return piece[close : found.start(2)] + self.autofilter.encode() + piece[found.end(2) :]

    def fresh_rows(self, until: int) -> Iterator[bytes]:
        """New rows for the results in rows the sheet does not have, up to row until."""
        while self.expected < until and self.expected <= self.rows_end:
            cells = self.encoded.joined(self.expected)
            if cells:
                yield b'<%srow r="%d">' % (self.name, self.expected) + cells + self.close_row
            self.expected += 1

    def bulk(self, piece: bytes, begin: int, stop: int) -> list[bytes] | None:
        """The rows in piece[begin:stop] with their new cells, or None if they are not all plain."""
        if self.prefix:
            return None
        found = _ROW_OPEN.findall(piece, begin, stop)
        count = len(found)
        if count < 2 or b"" in found:
            return None  # rows whose r is not the first attribute
        numbers = np.array(found).astype(np.int64)
        first, last = int(numbers[0]), int(numbers[-1])
        if first < self.expected or last > self.rows_end or last - first + 1 != count:
            return None  # rows above the header, gaps to fill, rows below the results
        if not (np.diff(numbers) == 1).all():
            return None  # rows out of order
        region = piece if begin == 0 and stop == len(piece) else piece[begin:stop]
        if b"spans" in region:  # a hint Excel recomputes; stale once cells are added
            # Joined from a split: sub would expand its template in Python once per row.
            region = b"".join(_ROW_SPANS.split(region))
            if _SPANS_LEFT.search(region):
                return None
        rows = region.split(self.close_row)
        if len(rows) != count + 1:
            return None  # self-closing rows
        # On a re-run the rows end in our old results (else they have no cell at the results).
        kept = self.without_old_results(rows[:-1]) if self.plan.rerun else None
        if kept is not None:
            rows[:-1] = kept
        elif not self.left_of_results(rows[:-1]):
            return None  # cells in the way
        out = list(self.fresh_rows(first))
        self.expected = last + 1
        self.last = last
        out += self.encoded.weave(rows[:-1], first, self.close_row)
        out.append(rows[-1])
        return out

    def left_of_results(self, rows: list[bytes]) -> bool:
        """True when the last cell of every row has its ``r`` first and is left of the results.

        Cells in a row come in column order, so only the last one can be in the way.
        """
        # ' r="' and up to three letters after each row's last "<c"; rows without cells pass.
        ends = [
            row[at + 2 : at + 9] if (at := row.rfind(b"<c")) >= 0 else b' r="A1' for row in rows
        ]
        grid = np.array(ends, dtype="S7").view(np.uint8).reshape(-1, 7)
        return columns_left_of(grid, self.first_target)

    def without_old_results(self, rows: list[bytes]) -> list[bytes] | None:
        """The rows cut before the result cells a previous run left at their end, if that is all.

        None when a row has anything else at or right of the results (user data, a formula).
        """
        marker = b'<c r="' + self.first_letters.encode()
        starts = [row.find(marker) for row in rows]
        if -1 in starts:
            return None
        # The marker may start a longer column name (R: RA…): if that column is ours, the tail
        # is still only our cells; if not, not_ours finds it. The head's last cell is left of
        # the results either way.
        heads = [row[:at] for row, at in zip(rows, starts, strict=True)]
        if not self.left_of_results(heads):
            return None
        tails = b"".join([row[at:] for row, at in zip(rows, starts, strict=True)])
        if self.not_ours.search(tails) or has_formula(tails):
            return None
        return heads

    def rows(
        self, piece: bytes, view: memoryview, position: int, stop: int
    ) -> Generator[bytes | memoryview, None, int]:
        """The rows in piece[position:stop] one by one; returns where the output got to."""
        for tag in row_tags(piece, self.prefix, position, stop, self.last):
            number = self.last = tag.number
            if number < self.header_row:
                continue
            if number > self.rows_end:  # rows below the results: the rest goes out unchanged
                yield view[position : tag.start]
                position = tag.start
                yield from self.fresh_rows(self.rows_end + 1)
                self.past = True
                break
            if number > self.expected:
                yield view[position : tag.start]
                position = tag.start
                yield from self.fresh_rows(number)
            self.expected = max(self.expected, number + 1)
            attrs = tag.attrs
            if tag.close is None or not tag.has_ref or b"spans" in attrs:
                if b"spans" in attrs:  # a hint Excel recomputes; stale once cells are added
                    attrs = _SPANS.sub(b"", attrs)
                if not tag.has_ref:
                    attrs = b' r="%d"' % number + attrs
                yield view[position : tag.start]
                yield self.open_row + attrs + b">"
                position = tag.body
                if tag.close is None:  # <row …/>: no cells yet
                    yield self.encoded.joined(number) + self.close_row
                    continue
            last = None if self.prefix else last_column(piece, tag.body, tag.close)
            if last is None or last >= self.first_target:
                # Cells at or right of the results (a re-run, or something in the way): merge.
                yield view[position : tag.body]
                yield self.merge(piece[tag.body : tag.close], number, self.encoded.joined(number))
            else:  # every cell is left of the results, which go on the end
                yield view[position : tag.close]
                yield self.encoded.joined(number)
            position = tag.close
        return position

    def merge(self, body: bytes, row: int, joined: bytes) -> bytes:
        """A row body with the new cells in column order, old cells of target columns replaced."""
        if not body or body.isspace():
            return joined
        plan = self.plan
        replaced, first_target, sheet = plan.replaced, plan.first_target, plan.sheet
        if plan.rerun:  # a re-run: our old cells end the row, swap them whole
            start = body.find(b'<c r="%s%d"' % (plan.first_letters, row))
            tail = body[start:] if start >= 0 else b""
            refs = _CELL_REFS.findall(tail)
            if (
                refs
                and len(refs) == tail.count(b"<c")
                and plan.letters.issuperset(refs)
                and not has_formula(tail)
            ):
                return body[:start] + joined
        split, seen = split_at(body, first_target)
        if split == len(body):
            return body + joined  # the first run: append on the right
        # Cells left of the targets stay as they are; only the tail is taken apart.
        head, tail = (body[:split], body[split:]) if split is not None else (b"", body)
        only_ours = split is not None and seen <= replaced.keys() and plan.rerun
        if only_ours and not has_formula(tail):
            return head + joined  # a re-run: the tail is our old cells, swap it whole
        kept: list[tuple[int, bytes]] = []
        for cell in row_cells(tail, row):
            target = replaced.get(cell.column)
            if target is None:
                kept.append((cell.column, cell.xml))
                continue
            if not target.replace and not cell.empty:
                raise data_in_the_way(sheet, target.column, row)
            if cell.formula:
                self.formula_replaced = True
        merged = sorted(kept + self.encoded.cells(row), key=lambda item: item[0])
        return head + b"".join(xml for _, xml in merged)


def _update_dimension(head: bytes, header_row: int, rows_end: int, last_col: int) -> bytes:
    """The sheet XML before the rows with ``<dimension>`` grown to cover the written cells."""
    match = _DIMENSION.search(head)
    if match is None:
        return head
    try:
        r1, c1, r2, c2 = parse_range(match.group(2).decode())
    except ValueError:
        r1, c1, r2, c2 = header_row, 1, rows_end, last_col
    ref = range_ref(min(r1, header_row), c1, max(r2, rows_end), max(c2, last_col))
    return head[: match.start(2)] + ref.encode() + head[match.end(2) :]


def _add_widths(head: bytes, widths: dict[int, float], prefix: bytes) -> bytes:
    """The sheet XML before the rows with ``<col>`` widths for result columns not yet covered."""
    if not widths:
        return head
    cols_match = _COLS.search(head)
    covered: set[int] = set()
    if cols_match:
        for col in re.finditer(
            rb'<(?:\w+:)?col\b[^>]*?\bmin="(\d+)"[^>]*?\bmax="(\d+)"', cols_match.group(2)
        ):
            covered.update(range(int(col.group(1)), min(int(col.group(2)), MAX_COLUMN) + 1))
    fresh = b"".join(
        b"<" + prefix + f'col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'.encode()
        for c, w in sorted(widths.items())
        if c not in covered
    )
    if not fresh:
        return head
    if cols_match:
        # <col> elements must be sorted; merge ours in by min.
        existing = re.findall(
            rb"<(?:\w+:)?col\b[^>]*?/>|<(?:\w+:)?col\b.*?</(?:\w+:)?col>", cols_match.group(2), re.S
        )
        new = re.findall(rb"<(?:\w+:)?col\b[^>]*?/>", fresh)
        ordered = sorted(existing + new, key=_col_min)
        return head[: cols_match.start(2)] + b"".join(ordered) + head[cols_match.end(2) :]
    return head + b"<" + prefix + b"cols>" + fresh + b"</" + prefix + b"cols>"  # before the rows


def _col_min(col: bytes) -> int:
    match = re.search(rb'\bmin="(\d+)"', col)
    return int(match.group(1)) if match else 0
