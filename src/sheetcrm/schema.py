"""From a grid of cell values to a typed table: header roles, typed columns, problems.

Works on plain grids (lists of rows of :data:`~sheetcrm.book.base.CellValue`), so
every book — a file read with calamine, a workbook open in Excel or LibreOffice —
shares it. Columns are typed column-wise: each distinct value is parsed once, so
a million rows cost about as much as their distinct values. Every value that
cannot be read becomes a :class:`~sheetcrm.book.base.Problem` naming the sheet,
row and column; nothing turns silently into a blank.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from .book.base import CellError, CellValue, CustomerTable, Problem
from .errors import InputError, MissingColumnError
from .i18n import tr
from .roles import CUSTOMER_ROLES, TRANSACTION_ROLES, RoleInfo
from .settings import SETTINGS_SHEET, Block, Settings, register
from .values import (
    ERROR_CODES,
    is_blank,
    mostly_distinct,
    parse_bool,
    parse_date,
    parse_number,
)

__all__ = [
    "OWN_SHEETS",
    "TableInfo",
    "build_customer_table",
    "build_table",
    "choose_table",
    "column_overrides",
    "find_header_row",
    "match_roles",
    "normalise_header",
    "read_customer_table",
    "read_transactions_grid",
    "rows_array",
]

HEADER_SCAN_ROWS = 30
MIN_ROLES = 3
# Sheets sheetcrm writes itself are never taken for the customer table.
OWN_SHEETS = frozenset(
    {SETTINGS_SHEET, "数据检查", "分级汇总", "跟进计划", "消息", "消息模板", "仪表盘", "运行记录"}
)


@dataclass(frozen=True)
class TableInfo:
    """An Excel Table (ListObject): its name, sheet, and Excel row/column numbers."""

    name: str
    sheet: str
    header_row: int
    first_column: int
    last_row: int
    last_column: int
    headers: tuple[str, ...]


def choose_table(
    tables: Sequence[TableInfo],
    *,
    sheet: str | None = None,
    table: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> TableInfo | None:
    """The Table named ``table``, else the one (on ``sheet``) naming the most customer roles."""
    if table:
        chosen = next((t for t in tables if t.name.casefold() == table.casefold()), None)
        if chosen is None:
            names = ", ".join(t.name for t in tables) or tr("无", "none")
            raise InputError(
                tr(
                    f"找不到名为「{table}」的 Excel 表格；现有表格：{names}",
                    f"there is no Excel Table named '{table}'; tables: {names}",
                )
            )
        return chosen
    best, best_score = None, MIN_ROLES - 1
    for candidate in tables:
        if (sheet and candidate.sheet != sheet) or candidate.sheet in OWN_SHEETS:
            continue
        score = len(match_roles(list(candidate.headers), CUSTOMER_ROLES, overrides))
        if score > best_score:
            best, best_score = candidate, score
    return best


COLUMNS_BLOCK = register(
    Block(
        key="columns",
        title_zh="列对应",
        title_en="Column mapping",
        columns=(("role", "角色 Role"), ("header", "表头 Header")),
        defaults=(),
        help="表头无法自动识别时在此指定，如 mobile | 联系方式；角色："
        + ", ".join(r.role for r in CUSTOMER_ROLES),
        order=5,
    )
)

_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")
_PUNCT = re.compile(r"[\s_\-–—./\\:：,，;；·•*#'\"“”‘’?？!！]+")


def normalise_header(text: CellValue) -> str:
    """A header reduced for matching: half-width, lower case, no brackets, spaces or punctuation."""
    if is_blank(text):
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).lower().strip()
    return _PUNCT.sub("", _BRACKETS.sub("", folded))


def _alias_index(roles: Sequence[RoleInfo]) -> dict[str, str]:
    index: dict[str, str] = {}
    for info in roles:
        for name in (info.role, info.zh, info.en, *info.aliases):
            index.setdefault(normalise_header(name), info.role)
    return index


_INDEXES: dict[int, dict[str, str]] = {}


def _role_of(header: CellValue, roles: Sequence[RoleInfo]) -> str | None:
    index = _INDEXES.setdefault(id(roles), _alias_index(roles))
    key = normalise_header(header)
    if not key:
        return None
    if key in index:
        return index[key]
    # "手机号码/电话", "Phone / Mobile": try each part.
    for part in re.split(r"[/／|、]", unicodedata.normalize("NFKC", str(header))):
        found = index.get(normalise_header(part))
        if found:
            return found
    return None


def match_roles(
    headers: Sequence[CellValue],
    roles: Sequence[RoleInfo] = CUSTOMER_ROLES,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Role → header text for every header sheetcrm recognises (left-most wins; overrides first)."""
    texts = ["" if is_blank(h) else str(h).strip() for h in headers]
    found: dict[str, str] = {}
    taken: set[str] = set()
    for role, header in (overrides or {}).items():
        wanted = normalise_header(header)
        for text in texts:
            if text and normalise_header(text) == wanted:
                found[role] = text
                taken.add(text)
                break
    for text in texts:
        if not text or text in taken:
            continue
        matched = _role_of(text, roles)
        if matched and matched not in found:
            found[matched] = text
            taken.add(text)
    return found


def find_header_row(
    grid: Sequence[Sequence[CellValue]],
    roles: Sequence[RoleInfo] = CUSTOMER_ROLES,
    overrides: Mapping[str, str] | None = None,
) -> tuple[int, int, int] | None:
    """(row index, first column index, roles matched) of the best header row in the first rows."""
    best: tuple[int, int, int] | None = None
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        score = len(match_roles(row, roles, overrides))
        if score >= MIN_ROLES and (best is None or score > best[2]):
            first = next(i for i, value in enumerate(row) if not is_blank(value))
            best = (index, first, score)
    return best


# ---- typing one column -------------------------------------------------------------

_Parser = Callable[[Any], Any]


def _parse_text(value: CellValue) -> str | None:
    if isinstance(value, CellError):
        raise ValueError(
            tr(
                f"单元格是 Excel 错误值 {value.code}",
                f"the cell holds the Excel error {value.code}",
            )
        )
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return (
        unicodedata.normalize("NFKC", str(value)).strip() if isinstance(value, str) else str(value)
    )


def _parse_phone(value: CellValue) -> str | None:
    text = _parse_text(value)
    return None if text is None else re.sub(r"\s+", "", text)


_PARSERS: dict[str, _Parser] = {
    "text": _parse_text,
    "phone": _parse_phone,
    "email": _parse_text,
    "number": parse_number,
    "integer": parse_number,
    "date": parse_date,
    "bool": parse_bool,
}

_SUGGESTIONS = {
    "number": ("请填写数字，如 1234.5", "type a number, e.g. 1234.5"),
    "integer": ("请填写整数，如 3", "type a whole number, e.g. 3"),
    "date": ("请填写日期，如 2024-03-05", "type a date, e.g. 2024-03-05"),
    "bool": ("请填写 是 或 否", "type 是 (yes) or 否 (no)"),
    "text": ("请修正或清空该单元格", "correct or clear the cell"),
}


# What pd.api.types.infer_dtype calls a column of numbers only (no text, no yes/no cells).
_PLAIN_NUMBERS = frozenset({"floating", "integer", "mixed-integer-float", "empty"})


def _typed_column(
    values: np.ndarray, info: RoleInfo, date1904: bool
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A typed column and {position: (value, reason)} for the values that could not be read."""
    parser = _PARSERS[info.kind]
    if info.kind == "date" and date1904:
        parser = lambda v: parse_date(v, True)  # noqa: E731 - the 1904 variant of the same parser
    series = pd.Series(values, dtype=object)
    failures: dict[int, tuple[CellValue, str]] = {}
    if info.kind in ("number", "integer"):
        if pd.api.types.infer_dtype(values, skipna=True) in _PLAIN_NUMBERS:
            numbers = pd.to_numeric(series, errors="coerce")
        else:  # yes/no cells are not numbers, though Python counts True as 1
            is_flag = np.fromiter((type(v) is bool for v in values), bool, count=len(values))
            numbers = pd.to_numeric(series.where(~is_flag), errors="coerce")
        out = numbers.to_numpy(dtype=float, copy=True)
        # Only cells to_numeric could not read need a closer look (text amounts, errors).
        odd = [pos for pos in np.flatnonzero(np.isnan(out)) if not is_blank(values[pos])]
        for pos in odd:
            try:
                parsed = parse_number(values[pos])
                out[pos] = np.nan if parsed is None else parsed
            except ValueError as exc:
                failures[int(pos)] = (values[pos], str(exc))
                out[pos] = np.nan
        if info.kind == "integer":
            with np.errstate(invalid="ignore"):
                odd_int = ~np.isnan(out) & ((out != np.round(out)) | (np.abs(out) > 2**53))
            for pos in np.flatnonzero(odd_int):
                failures[int(pos)] = (
                    values[pos],
                    tr(
                        f"{values[pos]} 不是合理的整数",
                        f"{values[pos]} is not a plausible whole number",
                    ),
                )
                out[pos] = np.nan
            return pd.Series(out).round().astype("Int64"), failures
        return pd.Series(out, dtype="float64"), failures
    text_kind = info.kind in ("text", "email", "phone")
    if text_kind and mostly_distinct(values):
        return _texts_one_by_one(values, info.kind, parser)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    _share_texts(values, codes, uniques)
    parsed_uniques: list[Any] = []
    bad: dict[int, str] = {}
    for code, value in enumerate(uniques):
        if text_kind and type(value) is str:  # the common case, kept cheap
            parsed_uniques.append(_text(value, info.kind == "phone"))
            continue
        try:
            parsed_uniques.append(parser(value))
        except ValueError as exc:
            parsed_uniques.append(None)
            bad[code] = str(exc)
    if bad:
        for pos in np.flatnonzero(np.isin(codes, list(bad))):
            failures[int(pos)] = (values[pos], bad[int(codes[pos])])
    if info.kind == "date":
        lookup = pd.to_datetime(pd.Series(parsed_uniques, dtype=object), errors="coerce")
        taken = (
            lookup.to_numpy()[np.where(codes < 0, 0, codes)]
            if len(lookup)
            else np.full(len(codes), np.datetime64("NaT"))
        )
        taken = np.where(codes < 0, np.datetime64("NaT"), taken)
        return pd.Series(taken.astype("datetime64[ns]")), failures
    if info.kind == "bool":
        lookup_bool = np.array([bool(v) for v in parsed_uniques] or [False])
        return pd.Series(
            np.where(codes < 0, False, lookup_bool[np.where(codes < 0, 0, codes)])
        ), failures
    lookup_obj = np.array([*parsed_uniques, None], dtype=object)
    return pd.Series(
        lookup_obj[np.where(codes < 0, len(parsed_uniques), codes)], dtype=object
    ), failures


def _share_texts(values: np.ndarray, codes: np.ndarray, uniques: np.ndarray) -> None:
    """Make equal text cells one object, in place: the raw frame keeps them, and a column of
    few distinct values (cities, owners) then costs a pointer per cell, not a string."""
    if not len(uniques):
        return
    distinct = np.asarray(uniques, dtype=object)
    # Only texts: 1, 1.0 and True are equal too, but must keep their types.
    text = np.fromiter((type(value) is str for value in distinct), bool, len(distinct))
    take = (codes >= 0) & text[codes]  # code -1 (blank) reads text[-1], then is dropped
    values[take] = distinct[codes[take]]


def _text(value: str, phone: bool) -> str | None:
    """A text cell cleaned: NFKC (full-width forms), outer spaces off; phones lose all spaces."""
    text = value if value.isascii() else unicodedata.normalize("NFKC", value)
    if phone:  # what _parse_phone gives, without its detours
        return "".join(text.split()) or None
    return text.strip() or None


def _texts_one_by_one(
    values: np.ndarray, kind: str, parser: Callable[[Any], Any]
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A text column cleaned cell by cell: for columns of mostly distinct values, cheaper than
    finding the distinct ones first, and the same result (what :func:`_text` gives)."""
    types = np.fromiter(map(type, values), object, len(values))
    text = types == str  # noqa: E721 - element-wise over an array of types, exact str only
    # C-level maps, no Python call per cell. NFKC leaves ASCII as it is, as _text does.
    normal: Iterator[str] = map(partial(unicodedata.normalize, "NFKC"), values[text])
    cleaned = map("".join, map(str.split, normal)) if kind == "phone" else map(str.strip, normal)
    texts = np.fromiter(cleaned, object, int(text.sum()))
    texts[texts == ""] = None
    out = np.full(len(values), None, dtype=object)
    out[text] = texts
    failures: dict[int, tuple[CellValue, str]] = {}
    for pos in np.flatnonzero(~text):
        value = values[pos]
        if value is None:
            continue
        try:
            out[pos] = None if value != value else parser(value)  # NaN: blank, as factorize has it
        except ValueError as exc:
            failures[int(pos)] = (value, str(exc))
    return pd.Series(out, dtype=object), failures


def _cell_problem(
    sheet: str, row: int, header: str, value: CellValue, reason: str, kind_of_role: str
) -> Problem:
    is_error = isinstance(value, CellError) or (
        isinstance(value, str) and value.strip().upper() in ERROR_CODES
    )
    zh, en = _SUGGESTIONS.get(kind_of_role, _SUGGESTIONS["text"])
    if is_error:
        zh, en = (
            "修正产生错误值的公式，或填入实际值",
            "fix the formula that gives the error, or type the real value",
        )
    return Problem(
        sheet, row, header, value, reason, tr(zh, en), "error" if is_error else "invalid"
    )


def _body_array(
    grid: Sequence[Sequence[CellValue]] | np.ndarray, start: int, stop: int, first: int, width: int
) -> np.ndarray:
    """Cells ``grid[start:stop]`` × columns ``first:first + width`` as a 2-D object array."""
    if isinstance(grid, np.ndarray):
        part = grid[start:stop, first : first + width]
        if part.shape[1] == width:
            return part
        padded = np.full((part.shape[0], width), None, dtype=object)
        padded[:, : part.shape[1]] = part
        return padded
    return rows_array([row[first : first + width] for row in grid[start:stop]], width)


def rows_array(rows: Sequence[Sequence[object]], width: int | None = None) -> np.ndarray:
    """Rows of cells as a 2-D object array ``width`` wide (default: the widest row), short
    rows padded with None."""
    width = max(map(len, rows), default=0) if width is None else width
    if min(map(len, rows), default=width) == width:
        cells = np.fromiter(chain.from_iterable(rows), dtype=object, count=len(rows) * width)
        return cells.reshape(len(rows), width)
    out = np.full((len(rows), width), None, dtype=object)
    for index, row in enumerate(rows):
        out[index, : len(row)] = row
    return out


def _blank_rows(body: np.ndarray) -> np.ndarray:
    """True for the rows whose every cell is blank."""
    # Narrow the candidates column by column: few rows survive the first column.
    candidates = np.arange(len(body))
    for position in range(body.shape[1]):
        if not candidates.size:
            break
        cells = body[candidates, position]
        candidates = candidates[np.fromiter(map(is_blank, cells), bool, count=cells.size)]
    blank = np.zeros(len(body), dtype=bool)
    blank[candidates] = True
    return blank


def _inferred(values: np.ndarray) -> np.ndarray:
    """A column of cells typed the way pandas types a list of them (floats, datetimes, objects)."""
    # pandas infers numeric dtypes for lists but not for object arrays; this is its list step
    # (numbers and yes/no only, dates stay objects) through public API, so ``raw`` is exactly
    # what it was when it was built from lists. tests/test_packaging.py checks it cell kind by kind.
    if not len(values):
        return np.empty(0, dtype=np.float64)  # what pandas makes of an empty list
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("boolean", "integer") and not pd.isna(values).any():
        return values.astype(bool if kind == "boolean" else np.int64)
    if kind in ("integer", "floating", "mixed-integer-float") or (
        kind == "empty" and any(isinstance(value, float) for value in values)  # NaN, not None
    ):
        return values.astype(np.float64)
    return np.ascontiguousarray(values)


def build_table(
    grid: Sequence[Sequence[CellValue]] | np.ndarray,
    sheet: str,
    header_index: int,
    first_column: int,
    *,
    roles: Sequence[RoleInfo],
    last_index: int | None = None,
    date1904: bool = False,
    overrides: Mapping[str, str] | None = None,
    data_width: int | None = None,
) -> tuple[list[str], dict[str, str], pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Headers, role map, typed frame, raw frame and problems of a table in a grid (0-based indexes).

    ``data_width``: how many columns hold data (the rest: results a previous run wrote); a row
    blank in those is a blank row.
    """
    header_cells = list(grid[header_index][first_column:])
    while header_cells and is_blank(header_cells[-1]):
        header_cells.pop()
    headers: list[str] = []
    for offset, cell in enumerate(header_cells):
        text = "" if is_blank(cell) else str(cell).strip()
        text = text or tr(f"第{offset + first_column + 1}列", f"Column {offset + first_column + 1}")
        while text in headers:
            text += "′"
        headers.append(text)
    width = len(headers)
    end = len(grid) - 1 if last_index is None else min(last_index, len(grid) - 1)
    body = _body_array(grid, header_index + 1, end + 1, first_column, width)
    blank = _blank_rows(body[:, :data_width])
    filled = np.flatnonzero(~blank)
    length = int(filled[-1]) + 1 if filled.size else 0  # trailing blank rows are not data
    body, blank = body[:length], blank[:length]
    row_numbers = np.arange(header_index + 2, header_index + 2 + length)
    problems: list[Problem] = []
    for pos in np.flatnonzero(blank):
        problems.append(
            Problem(
                sheet,
                int(row_numbers[pos]),
                None,
                None,
                tr("空行（已跳过）", "blank row (skipped)"),
                tr("删除空行，保持表格连续", "delete blank rows so the table stays continuous"),
                "blank",
            )
        )
    if blank.any():
        body = body[~blank]
    index = pd.Index(row_numbers[~blank], name="row")
    role_map = match_roles(headers, roles, overrides)
    by_header = {header: role for role, header in role_map.items()}
    frame_columns: dict[str, pd.Series] = {}
    info_by_role = {info.role: info for info in roles}
    for position, header in enumerate(headers):
        role = by_header.get(header)
        if role is None:
            continue
        values = body[:, position]
        typed, failures = _typed_column(values, info_by_role[role], date1904)
        typed.index = index
        frame_columns[role] = typed
        for pos, (value, reason) in sorted(failures.items()):
            problems.append(
                _cell_problem(
                    sheet, int(index[pos]), header, value, reason, info_by_role[role].kind
                )
            )
    # The columns are new arrays: the frames take them as they are (a full sheet is big).
    frame = pd.DataFrame(frame_columns, index=index, copy=False)
    raw = pd.DataFrame(
        {header: _inferred(body[:, i]) for i, header in enumerate(headers)},
        index=index,
        copy=False,
    )
    return headers, role_map, frame, raw, problems


def build_customer_table(
    grid: Sequence[Sequence[CellValue]] | np.ndarray,
    sheet: str,
    header_row: int,
    first_column: int,
    *,
    table: str | None = None,
    last_row: int | None = None,
    date1904: bool = False,
    overrides: Mapping[str, str] | None = None,
    data_width: int | None = None,
) -> CustomerTable:
    """The customer table whose header is at Excel row/column numbers ``header_row``/``first_column``
    (``data_width``: see :func:`build_table`)."""
    headers, roles, frame, raw, problems = build_table(
        grid,
        sheet,
        header_row - 1,
        first_column - 1,
        roles=CUSTOMER_ROLES,
        last_index=None if last_row is None else last_row - 1,
        date1904=date1904,
        overrides=overrides,
        data_width=data_width,
    )
    missing = [role for role in ("id", "name") if role not in roles]
    if len(roles) < MIN_ROLES or missing:
        wanted = "、".join(f"{r.zh} ({r.en})" for r in CUSTOMER_ROLES if r.role in ("id", "name"))
        raise MissingColumnError(
            tr(
                f"客户表至少需要 {wanted} 两列；看到的表头：{', '.join(headers)}。请添加这些列，"
                "或在设置表的 [columns] 区块中指定对应的表头",
                f"the customer table needs at least {wanted}; headers seen: {', '.join(headers)}. "
                "Add those columns, or map your headers in the [columns] block of the settings sheet",
            ),
            sheet=sheet,
            row=header_row,
        )
    return CustomerTable(
        sheet=sheet,
        table=table,
        header_row=header_row,
        first_column=first_column,
        headers=headers,
        roles=roles,
        frame=frame,
        raw=raw,
        problems=problems,
        date1904=date1904,
    )


def read_customer_table(
    tables: Sequence[TableInfo],
    sheets: Sequence[str],
    head: Callable[[str], Sequence[Sequence[CellValue]]],
    grid: Callable[[str], Sequence[Sequence[CellValue]] | np.ndarray],
    *,
    sheet: str | None = None,
    table: str | None = None,
    overrides: Mapping[str, str] | None = None,
    date1904: bool = False,
    leave_out: Collection[str] = (),
    grid_without: Callable[[str, int, int], np.ndarray] | None = None,
) -> CustomerTable:
    """The customer table: the named one, else the best-matching Table, else the best sheet.

    A book gives its Tables, its sheet names, the first rows of a sheet (``head``, blanks as
    None) and a whole sheet (``grid``); every book finds the table the same way. Columns
    headed by a ``leave_out`` text that end the table (a re-run's old results) are not data:
    a row holding only those is blank. A book that can read a sheet without the cells from
    some column rightwards, below a row, gives ``grid_without(sheet, header index, column
    index)`` and those cells are not even read.
    """

    def build(
        name: str,
        header_row: int,
        first_column: int,
        header: Sequence[CellValue],
        **table: Any,
    ) -> CustomerTable:
        texts = ["" if text is None else str(text).strip() for text in header]
        while texts and not texts[-1]:
            texts.pop()
        data_width = len(texts)
        while data_width and texts[data_width - 1] in leave_out:
            data_width -= 1
        left_out = data_width < len(texts)
        cells = (
            grid_without(name, header_row - 1, first_column - 1 + data_width)
            if left_out and grid_without is not None
            else grid(name)
        )
        return build_customer_table(
            cells,
            name,
            header_row,
            first_column,
            date1904=date1904,
            overrides=overrides,
            data_width=data_width if left_out else None,
            **table,
        )

    chosen = choose_table(tables, sheet=sheet, table=table, overrides=overrides)
    if chosen is not None:
        return build(
            chosen.sheet,
            chosen.header_row,
            chosen.first_column,
            chosen.headers,
            table=chosen.name,
            last_row=chosen.last_row,
        )
    names = [sheet] if sheet else [name for name in sheets if name not in OWN_SHEETS]
    seen: list[str] = []
    best: tuple[int, str, int, int, Sequence[CellValue]] | None = None
    for name in names:
        rows = head(name)
        found = find_header_row(rows, CUSTOMER_ROLES, overrides)
        if found and (best is None or found[2] > best[0]):
            best = (found[2], name, found[0], found[1], rows[found[0]][found[1] :])
        # The fullest row is the likeliest header: show it rather than a title line.
        fullest = max(rows, key=lambda row: sum(v is not None for v in row), default=[])
        seen.append(f"「{name}」: " + ", ".join(str(v) for v in fullest if v is not None)[:80])
    if best is None:
        raise InputError(
            tr(
                "找不到客户表：没有哪个工作表的表头能识别出至少 3 列（如 客户编号、客户名称、手机）。"
                f"看到的表头：{'; '.join(seen)}。请用 --sheet 指定工作表，或在设置表 [columns] 中指定对应关系",
                "no customer table found: no sheet has a header row with at least 3 known columns "
                f"(such as 客户编号/Customer ID, 客户名称/Customer, 手机/Mobile). Headers seen: {'; '.join(seen)}. "
                "Name the sheet with --sheet, or map your headers in the settings [columns] block",
            ),
            sheet=sheet,
        )
    _, name, header_index, first_index, header = best
    return build(name, header_index + 1, first_index + 1, header)


def read_transactions_grid(
    grid: Sequence[Sequence[CellValue]], sheet: str, *, date1904: bool = False
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The transactions sheet typed by role (customer_id, date, amount, product), and its problems."""
    found = find_header_row(grid, TRANSACTION_ROLES) if grid else None
    if found is None:
        found = _two_role_header(grid)
    if found is None:
        return None, [
            Problem(
                sheet,
                None,
                None,
                None,
                tr(
                    "交易表缺少表头（客户编号、日期、金额）",
                    "the transactions sheet has no header (customer ID, date, amount)",
                ),
                tr(
                    "在第一行写上 客户编号、日期、金额", "put 客户编号, 日期, 金额 in the first row"
                ),
                "missing",
            )
        ]
    header_index, first, _ = found
    _, roles, frame, _, problems = build_table(
        grid, sheet, header_index, first, roles=TRANSACTION_ROLES, date1904=date1904
    )
    if not {"customer_id", "date"} <= set(roles):
        return None, problems
    frame = frame.dropna(subset=["customer_id", "date"])
    return frame, problems


def _two_role_header(grid: Sequence[Sequence[CellValue]]) -> tuple[int, int, int] | None:
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        if {"customer_id", "date"} <= set(match_roles(row, TRANSACTION_ROLES)):
            return index, next(i for i, v in enumerate(row) if not is_blank(v)), 2
    return None


def column_overrides(settings: Settings) -> dict[str, str]:
    """Role → header mappings staff wrote in the settings sheet's [columns] block."""
    data = settings.block("columns")
    known = {info.role for info in CUSTOMER_ROLES}
    by_label = {
        normalise_header(n): info.role
        for info in CUSTOMER_ROLES
        for n in (info.role, info.zh, info.en)
    }
    out: dict[str, str] = {}
    for row, record in data.records():
        if is_blank(record["role"]) and is_blank(record["header"]):
            continue
        role = by_label.get(normalise_header(record["role"]))
        if role not in known or is_blank(record["header"]):
            raise data.error(
                row,
                "role",
                tr(
                    f"未知的角色 '{record['role']}'；可用：{', '.join(sorted(known))}",
                    f"unknown role '{record['role']}'; allowed: {', '.join(sorted(known))}",
                ),
            )
        out[str(role)] = str(record["header"]).strip()
    return out


def require(table: CustomerTable, roles: Sequence[str], job: str) -> None:
    """Refuse a job whose needed columns are missing, naming them in both languages."""
    info = {r.role: r for r in CUSTOMER_ROLES}
    missing = [info[r] for r in roles if r not in table.roles]
    if missing:
        names = "、".join(f"{r.zh} ({r.en})" for r in missing)
        raise InputError(
            tr(
                f"「{job}」需要这些列：{names}。请在表头中添加，或在设置表 [columns] 中指定",
                f"'{job}' needs these columns: {names}. Add them, or map them in the settings [columns] block",
            ),
            sheet=table.sheet,
            row=table.header_row,
        )
