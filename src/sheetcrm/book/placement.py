"""Where result columns go in the customer sheet, and which sheet row each value lands on.

One rule for every book (file, LibreOffice, Excel): a result whose header a previous run
wrote (in either language) takes that column back; a new one goes to the first free column
right of the table, round the columns kept. A new column must be empty: user data there is
refused with the cell named, before anything is written. An Excel Table grows over the
results. Values are aligned to the customers' own rows (the frame skips blank rows).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..a1 import MAX_COLUMN, MAX_ROW, column_letter
from ..errors import WorkbookError
from ..i18n import tr
from .base import CellValue, CustomerTable, ResultColumn
from .cell_xml import padded

__all__ = [
    "ColumnPlan",
    "Placement",
    "data_in_the_way",
    "plan_columns",
    "plan_table_columns",
    "refuse_data",
    "table_span",
    "widened_filter",
]


@functools.cache
def _same_result() -> dict[str, str]:
    """Each result header, in either language, → one key: a language switch re-uses the column."""
    # Imported here: the splice worker needs only data_in_the_way, not the tiering engine.
    from ..sheets.tiers import HEADERS

    return {header: key for key, (zh, en, _) in HEADERS.items() for header in (zh, en)}


def _result_key(header: str) -> str:
    """What a header stands for: the result it names (either language), else its own text."""
    text = header.strip()
    return _same_result().get(text, text)


@dataclass(frozen=True)
class Placement:
    """One result column's place: its 1-based sheet column, and whether a run wrote it before."""

    column: int
    replaces: bool  # a column sheetcrm wrote before: its cells are ours (else: must be empty)

    @property
    def letters(self) -> str:
        """The column's letters, e.g. "K"."""
        return column_letter(self.column)


@dataclass(frozen=True)
class ColumnPlan:
    """Where each result column goes and which rows its values fill."""

    sheet: str
    header_row: int
    rows_end: int  # last sheet row written
    positions: np.ndarray | None  # value i goes positions[i] rows below the header (None: i)
    placements: list[Placement]

    @property
    def count(self) -> int:
        """Rows below the header that the result columns span."""
        return self.rows_end - self.header_row

    def aligned(self, values: Sequence[CellValue]) -> np.ndarray:
        """A column's values, one per row below the header (None where no customer is)."""
        return padded(values, self.count, self.positions)

    @property
    def last_column(self) -> int:
        """The rightmost column a result goes to."""
        return max(p.column for p in self.placements)


def _places(
    columns: Sequence[ResultColumn],
    header_texts: Mapping[int, CellValue],
    first_column: int,
    edge: int,
    sheet: str,
) -> list[Placement]:
    """Each result's column: its old one (either language) if it has one, else the next free."""
    by_key: dict[str, int] = {}
    for column, text in sorted(header_texts.items()):
        if column >= first_column and isinstance(text, str) and text.strip():
            by_key.setdefault(_result_key(text), column)
    # Columns a previous run wrote keep their place; new ones go round them.
    reserved = {by_key[k] for k in map(_result_key, (r.header for r in columns)) if k in by_key}
    taken: set[int] = set()
    placements = []
    next_free = edge + 1
    for result in columns:
        old = by_key.get(_result_key(result.header))
        if old is not None and old not in taken:
            placement = Placement(old, True)
        else:
            while next_free in taken or next_free in reserved:
                next_free += 1
            placement = Placement(next_free, False)
        if placement.column > MAX_COLUMN:
            raise WorkbookError(
                tr(
                    f"工作表“{sheet}”右侧没有空列可写结果了，请删除不用的列",
                    f"sheet '{sheet}' has no free column left for results; delete unused columns",
                )
            )
        taken.add(placement.column)
        placements.append(placement)
    return placements


def _rows(
    longest: int, rows: Sequence[int] | None, header_row: int, last_row: int, sheet: str
) -> tuple[np.ndarray | None, int]:
    """Where values go (positions below the header, None: one after another) and the last row."""
    if rows is None:
        positions = None
        rows_end = max(last_row, header_row + longest)
    else:
        positions = np.asarray(rows, dtype=np.int64)[:longest] - header_row - 1
        if len(positions) < longest or (positions < 0).any():
            raise ValueError("rows must give a row below the header for every value")
        rows_end = max(last_row, header_row + 1 + int(positions.max(initial=-1)))
    if rows_end > MAX_ROW:
        raise WorkbookError(
            tr(
                f"工作表“{sheet}”的结果需写到第 {rows_end} 行，超过 Excel 上限 {MAX_ROW} 行",
                f"sheet '{sheet}': results would reach row {rows_end}, past Excel's last row "
                f"{MAX_ROW}; split the table",
            )
        )
    return positions, rows_end


def table_span(first_column: int, headers: Sequence[str], table_last_column: int | None) -> int:
    """The table's rightmost column: its headers', or its Excel Table's if that reaches further."""
    edge = first_column + len(headers) - 1
    return edge if table_last_column is None else max(edge, table_last_column)


def widened_filter(
    box: tuple[int, int, int, int], plan: ColumnPlan
) -> tuple[int, int, int, int] | None:
    """A sheet's AutoFilter range (top, left, bottom, right) widened over the results, if it
    starts on the table's header row and stops short of them; else None (left as it is)."""
    top, left, bottom, right = box
    if top != plan.header_row or right >= plan.last_column:
        return None
    return top, left, max(bottom, plan.rows_end), plan.last_column


def plan_columns(
    columns: Sequence[ResultColumn],
    *,
    sheet: str,
    header_row: int,
    first_column: int,
    last_row: int,
    edge: int,
    header_texts: Mapping[int, CellValue],
    rows: Sequence[int] | None = None,
) -> ColumnPlan:
    """Place result columns right of a table whose rightmost column is ``edge``.

    ``header_texts``: the header row's cells by 1-based column; value i of each column goes
    to sheet row rows[i] (default: the rows right below the header, one after another).
    """
    longest = max((len(c.values) for c in columns), default=0)
    positions, rows_end = _rows(longest, rows, header_row, last_row, sheet)
    placements = _places(columns, header_texts, first_column, edge, sheet)
    return ColumnPlan(sheet, header_row, rows_end, positions, placements)


def plan_table_columns(
    table: CustomerTable,
    columns: Sequence[ResultColumn],
    edge: int,
    header_texts: Mapping[int, CellValue],
) -> ColumnPlan:
    """:func:`plan_columns` for a table as read: each value on its customer's row."""
    return plan_columns(
        columns,
        sheet=table.sheet,
        header_row=table.header_row,
        first_column=table.first_column,
        last_row=table.last_row,
        edge=edge,
        header_texts=header_texts,
        rows=table.frame.index.tolist(),  # the frame skips blank rows
    )


def data_in_the_way(sheet: str, column: int, row: int) -> WorkbookError:
    """The error for user data where a new result column must go, naming the cell."""
    letters = column_letter(column)
    cell = f"{letters}{row}"
    return WorkbookError(
        tr(
            f"工作表“{sheet}”的 {letters} 列（单元格 {cell}）已有数据，"
            "sheetcrm 要把结果写在这一列。请把这些数据移到别处后重试",
            f"sheet '{sheet}' column {letters} (cell {cell}) holds data, and sheetcrm "
            "needs that column for its results; move that data elsewhere and try again",
        )
    )


def refuse_data(plan: ColumnPlan, cells: Mapping[int, Sequence[CellValue]]) -> None:
    """Raise before writing if a new result column holds anything from the header row down.

    ``cells``: each new column's current values from the header row to ``plan.rows_end``,
    read in one call per book.
    """
    for placement in plan.placements:
        if placement.replaces:
            continue
        for offset, value in enumerate(cells.get(placement.column, ())):
            if value is not None and value != "":
                raise data_in_the_way(plan.sheet, placement.column, plan.header_row + offset)
