"""The 跟进计划 sheet: the plan's touches laid out for staff, and staff's edits read back.

Out: one row per touch with bilingual headers, a computed today/overdue flag, widths,
date formats, status and channel drop-downs and highlighting. In: the sheet as staff left
it, headers in either language (or their columns moved), as a touch frame the engine merges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import repeat

import numpy as np
import pandas as pd

from ..a1 import column_letter
from ..book.base import CellValue, ColumnRows, ConditionalFill, ListValidation, SheetSpec
from ..channels import CHANNELS, channel_key, channel_label
from ..errors import InputError
from ..i18n import Text, tr, use_lang
from ..schedule.columns import cell_text, date_ordinals, trimmed
from ..schedule.plan import TOUCH_COLUMNS, PlanResult, empty_touches
from ..schedule.statuses import STATUS_OPEN, STATUSES, read_status, status_label
from ..schedule.workdays import estimate_warning
from ..table.grid_rows import rows_array, sparse_rows
from ..values import is_blank, mostly_distinct, parse_date, parse_number
from .plain_cells import plain_cells
from .row_limit import NOTE

__all__ = ["PLAN_SHEET", "parse_plan_sheet", "plan_rows", "plan_sheet"]

PLAN_SHEET = "跟进计划"

# (key, Chinese header, English header) in sheet order; the flag column is computed.
_SHEET_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("touch_id", "编号", "Touch ID"),
    ("customer_id", "客户编号", "Customer ID"),
    ("customer", "客户", "Customer"),
    ("contact", "联系人", "Contact"),
    ("owner", "负责人", "Owner"),
    ("channel", "渠道", "Channel"),
    ("due", "跟进日期", "Due"),
    ("purpose", "目的", "Purpose"),
    ("template", "模板", "Template"),
    ("priority", "优先级", "Priority"),
    ("status", "状态", "Status"),
    ("done_date", "完成日期", "Done date"),
    ("notes", "备注", "Notes"),
    ("flag", "提醒", "Flag"),
    ("step", "步骤", "Step"),
    ("cancel_reason", "取消原因", "Cancel reason"),
)
_HEADER_KEYS = {
    text.lower(): key for key, zh, en in _SHEET_COLUMNS for text in (zh, en, f"{zh} {en}", key)
}


# ---- writing the sheet ---------------------------------------------------------------


def _labels(values: pd.Series, label: Callable[[str], str]) -> np.ndarray:
    """A column of keys as display labels, each distinct key converted once."""
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    texts = np.array([label(u) if u else "" for u in uniques], dtype=object)
    labels: np.ndarray = texts[codes]
    return labels


def _plan_columns(result: PlanResult) -> tuple[list[str], list[np.ndarray]]:
    """Headers and display columns of the plan (labels in the current language)."""
    as_of = (result.as_of or dt.date.today()).toordinal()
    touches = result.touches
    extras = result.extra_columns
    headers = [tr(zh, en) for _, zh, en in _SHEET_COLUMNS] + extras
    is_open = (touches["status"] == STATUS_OPEN).to_numpy()
    due = date_ordinals(touches["due"])
    flag = np.where(is_open & (due >= 0) & (due < as_of), tr("逾期", "overdue"), "")
    flag = np.where(is_open & (due == as_of), tr("今天", "today"), flag)
    columns: list[np.ndarray] = []
    for key, _, _ in _SHEET_COLUMNS:
        if key == "flag":
            columns.append(flag.astype(object))
        elif key == "channel":
            columns.append(_labels(touches["channel"], channel_label))
        elif key == "status":
            columns.append(_labels(touches["status"], status_label))
        else:
            columns.append(plain_cells(touches[key], days=True))
    columns.extend(plain_cells(touches[column], days=True) for column in extras)
    return headers, columns


def plan_rows(result: PlanResult) -> tuple[list[str], list[list[CellValue]]]:
    """Headers and display rows of the plan (labels in the current language)."""
    headers, columns = _plan_columns(result)
    return headers, [list(row) for row in zip(*(c.tolist() for c in columns), strict=True)]


def plan_sheet(result: PlanResult, lang: str | None = None) -> SheetSpec:
    """The 跟进计划 sheet: one row per touch, status drop-down, today/overdue highlighting."""
    if lang in ("zh", "en"):
        with use_lang(lang):
            return plan_sheet(result)
    headers, columns = _plan_columns(result)
    column = {key: i for i, (key, _, _) in enumerate(_SHEET_COLUMNS)}
    due = column_letter(column["due"] + 1)
    status = column_letter(column["status"] + 1)
    open_label = status_label(STATUS_OPEN)
    last = len(headers) - 1
    widths = {i: 12.0 for i in range(len(headers))}
    widths |= {column["touch_id"]: 13.0, column["customer"]: 24.0, column["purpose"]: 26.0}
    widths |= {column["notes"]: 30.0, column["step"]: 16.0, column["cancel_reason"]: 28.0}
    return SheetSpec(
        name=PLAN_SHEET,
        rows=ColumnRows([headers], columns, _calendar_notes(result)),
        widths=widths,
        number_formats={column["due"]: "yyyy-mm-dd", column["done_date"]: "yyyy-mm-dd"},
        freeze="D2",
        validations=[
            ListValidation(column["status"], [status_label(s) for s in STATUSES]),
            ListValidation(column["channel"], [channel_label(c) for c in CHANNELS]),
        ],
        conditional=[
            ConditionalFill(
                (0, last),
                f'AND(${due}2<>"",${due}2<TODAY(),${status}2="{open_label}")',
                "FFC7CE",
                "9C0006",
            ),
            ConditionalFill(
                (0, last), f'AND(${due}2=TODAY(),${status}2="{open_label}")', "FFEB9C", "9C5700"
            ),
        ],
        tab_color="4472C4",
    )


def _calendar_notes(result: PlanResult) -> list[list[CellValue]]:
    """A blank row, then a note per estimated calendar year (none when every year is exact)."""
    notes: list[list[CellValue]] = [[NOTE + estimate_warning(y)] for y in result.estimated_years]
    return [[], *notes] if notes else []


def _is_note(row: Sequence[CellValue] | np.ndarray) -> bool:
    """True for a note row (a calendar note, or the rows left out), wherever staff's sorting moved it."""
    filled = [v for v in row if not is_blank(v)]
    return len(filled) == 1 and isinstance(filled[0], str) and filled[0].startswith(NOTE)


# ---- reading staff's edits back --------------------------------------------------------


def _read_priority(value: CellValue) -> int | None:
    """A priority as staff left it; what is not a number reads as none."""
    try:
        number = parse_number(value)
    except ValueError:
        return None
    return None if number is None else int(number)


def _read_status_cell(value: CellValue) -> str:
    """A status as staff typed it, in either language, as the canonical one."""
    status = read_status(cell_text(value))
    if status is None:
        allowed = "、".join(f"{zh} {en}" for zh, en in STATUSES.items())
        raise ValueError(
            tr(
                f"状态 '{value}' 无法识别；请填：{allowed}",
                f"unknown status '{value}'; use one of: {allowed}",
            )
        )
    return status


def _read_channel(value: CellValue) -> str:
    """A channel label as its key; what is not a channel is kept as text."""
    return channel_key(value) or cell_text(value)


_READERS: dict[str, Callable[[CellValue], object]] = {  # the rest are read as text
    "due": parse_date,
    "done_date": parse_date,
    "status": _read_status_cell,
    "channel": _read_channel,
    "priority": _read_priority,
}


def _parse_column(values: pd.Series, key: str, sheet: str, header: str) -> pd.Series:
    """One plan column read back, each distinct value parsed once; bad cells named."""
    read = _READERS.get(key)
    if read is None:
        return pd.Series(_texts(values.to_numpy(dtype=object)), index=values.index, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed: list[object] = []
    for value in uniques:
        try:
            parsed.append(read(value))
        except ValueError as exc:
            row = int(values.index[int(np.flatnonzero(codes == len(parsed))[0])])
            message = (
                str(exc) if key == "status" else tr(f"日期无法识别：{exc}", f"not a date: {exc}")
            )
            raise InputError(message, sheet=sheet, row=row, column=header) from None
    blank = STATUS_OPEN if key == "status" else None
    lookup = np.array([*parsed, blank], dtype=object)
    return pd.Series(lookup[codes], index=values.index, dtype=object)


def _texts(cells: np.ndarray) -> np.ndarray:
    """A text column read back: strings trimmed, any other cell as text (blank: "")."""
    if mostly_distinct(cells):
        # Ids, customers and contacts: trimming each string costs less than hashing them to
        # find the distinct ones.
        texts, strings = trimmed(cells)
    else:
        # Owners, purposes, steps, reasons: each distinct string trimmed once and held once,
        # not a string per cell held as long as the plan (strings only: 1 == 1.0 == True).
        strings = np.fromiter(map(isinstance, cells, repeat(str)), bool, len(cells))
        codes, uniques = pd.factorize(cells[strings])
        texts = np.full(len(cells), "", dtype=object)
        texts[strings] = trimmed(uniques)[0][codes]
    rest = np.flatnonzero(~strings)
    if len(rest):
        codes, uniques = pd.factorize(cells[rest], use_na_sentinel=True)
        texts[rest] = np.array([*(cell_text(v) for v in uniques), ""], dtype=object)[codes]
    return texts


def parse_plan_sheet(
    grid: Sequence[Sequence[CellValue]] | np.ndarray, sheet_name: str
) -> pd.DataFrame:
    """The plan sheet as staff left it: canonical statuses, dates, their own columns kept.

    The index is the Excel row number; columns staff added keep their header text
    (listed in ``frame.attrs["extra_columns"]``). Blank rows are skipped. Without its 编号
    column (staff deleted it) ``frame.attrs["warnings"]`` says so: the plan then matches rows
    by customer, channel and due date, and writes the column again.
    """
    if not len(grid):
        return empty_touches()
    header = [cell_text(v) for v in grid[0]]
    keys = [_HEADER_KEYS.get(h.lower(), h) for h in header]
    extras = [k for k, h in zip(keys, header, strict=True) if h and k == h and k != "flag"]
    body = (grid if isinstance(grid, np.ndarray) else rows_array(grid))[1:]
    # Only a row with one filled cell at most can be blank or a note: few are looked at.
    dropped = [
        at
        for at in np.flatnonzero(sparse_rows(body, 1))
        if all(is_blank(v) for v in body[at]) or _is_note(body[at])
    ]
    kept = np.delete(np.arange(len(body)), dropped)
    index = pd.Index(kept + 2, name="row")

    def raw(position: int) -> pd.Series:
        """One column's cells in the rows kept (a column at a time: no copy of the grid)."""
        cells = body[:, position] if len(kept) == len(body) else body[kept, position]
        return pd.Series(cells, index=index, dtype=object, copy=False)

    frame = pd.DataFrame(index=index)
    for key in TOUCH_COLUMNS:
        if key in keys:
            position = keys.index(key)
            frame[key] = _parse_column(raw(position), key, sheet_name, header[position])
        else:
            frame[key] = STATUS_OPEN if key == "status" else None
    for name in extras:
        column = raw(keys.index(name))
        frame[name] = column.where(column.notna(), None)
    frame.attrs["extra_columns"] = extras
    if "touch_id" not in keys:
        zh, en = _SHEET_COLUMNS[0][1:]
        frame.attrs["warnings"] = [
            Text(
                f"「{sheet_name}」缺少「{zh}」列：已按客户、渠道和跟进日期对应原有的行，并重新建立该列",
                f"'{sheet_name}' had no '{zh}' ({en}) column: its rows were matched by customer, "
                "channel and due date, and the column was written again",
            )
        ]
    return frame
