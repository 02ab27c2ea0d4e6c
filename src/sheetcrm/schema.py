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
from operator import methodcaller
from typing import Any

import numpy as np
import pandas as pd

from .book.base import CellError, CellValue, CustomerTable, Problem
from .errors import InputError, MissingColumnError
from .headers import normalise_header, read_header
from .i18n import tr
from .roles import CUSTOMER_ROLES, TRANSACTION_ROLES, RoleInfo, role_info
from .settings import SETTINGS_SHEET, Block, Settings, register
from .values import (
    ERROR_CODES,
    DateOrder,
    date_order,
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
    "header_cells",
    "made_ids",
    "match_roles",
    "read_customer_table",
    "read_transactions_grid",
    "rows_array",
]

HEADER_SCAN_ROWS = 30
MIN_ROLES = 3
_SURENESS = ("alias", "built", "guess")
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
        columns=(("role", "角色 Role"), ("header", "表头 Header"), ("note", "说明 Note")),
        defaults=(),
        help="首次运行时填入识别结果；识别错了或缺少的列在此改写表头，如 mobile | 联系方式 · "
        "filled with what the first run detected; correct a header here",
        order=5,
    )
)


def match_roles(
    headers: Sequence[CellValue],
    roles: Sequence[RoleInfo] = CUSTOMER_ROLES,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Role → header text for every header sheetcrm recognises (overrides first, then the surest
    reading, left-most among equals)."""
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
    readings = [(text, read_header(text, roles)) for text in texts if text and text not in taken]
    for sure in _SURENESS:
        for text, reading in readings:
            meant = reading.role
            if reading.sure == sure and meant and meant not in found and text not in taken:
                found[meant] = text
                taken.add(text)
    return found


def header_cells(grid: Sequence[Sequence[CellValue]] | np.ndarray, index: int) -> list[CellValue]:
    """Row ``index`` as a header: in a two-row header (a merged cell spanning both rows), a
    blank cell takes the header above it when that one names a column."""
    row = list(grid[index])
    if index == 0:
        return row
    above = list(grid[index - 1])
    if sum(not is_blank(value) for value in above) < 2:
        return row  # a title line, not the upper half of a header
    for position, value in enumerate(row):
        if is_blank(value) and position < len(above) and not is_blank(above[position]):
            reading = read_header(above[position])
            if reading.role or reading.part or reading.why:
                row[position] = above[position]
    return row


def find_header_row(
    grid: Sequence[Sequence[CellValue]],
    roles: Sequence[RoleInfo] = CUSTOMER_ROLES,
    overrides: Mapping[str, str] | None = None,
) -> tuple[int, int, int] | None:
    """(row index, first column index, roles matched) of the best header row in the first rows."""
    best: tuple[int, int, int] | None = None
    for index in range(min(len(grid), HEADER_SCAN_ROWS)):
        row = header_cells(grid, index)
        score = len(match_roles(row, roles, overrides))
        if score >= MIN_ROLES and (best is None or score > best[2]):
            first = next(i for i, value in enumerate(row) if not is_blank(value))
            best = (index, first, score)
    return best


# ---- typing one column -------------------------------------------------------------

_Parser = Callable[[Any], Any]


# Characters that show as nothing (zero-width space and joiners, BOM): ids and names that
# differ only by them are the same. NFKC already makes no-break and full-width spaces plain.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


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
        return value.isoformat()  # type: ignore[union-attr]  # hasattr does not narrow the union
    return (
        unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE).strip()
        if isinstance(value, str)
        else str(value)
    )


def _parse_phone(value: CellValue) -> str | None:
    text = _parse_text(value)
    return None if text is None else re.sub(r"\s+", "", text)


# Dates outside these years are placeholders (9999-12-31) or typing slips, not purchases.
_YEARS = range(1900, 2101)


def _plausible_date(
    value: CellValue, date1904: bool = False, order: DateOrder | None = None
) -> Any:
    """A date as parse_date reads it, refusing years no customer bought in."""
    found = parse_date(value, date1904, order)
    if found is not None and found.year not in _YEARS:
        raise ValueError(
            tr(
                f"{found.isoformat()} 不是可信的日期",
                f"{found.isoformat()} is not a plausible date",
            )
        )
    return found


_PARSERS: dict[str, _Parser] = {
    "text": _parse_text,
    "phone": _parse_phone,
    "email": _parse_text,
    "number": parse_number,
    "integer": parse_number,
    "date": _plausible_date,
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
    values: np.ndarray, info: RoleInfo, date1904: bool, order: DateOrder | None = None
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A typed column and {position: (value, reason)} for the values that could not be read
    (``order``: how the column writes day and month, see :func:`~sheetcrm.values.date_order`)."""
    if info.kind in ("number", "integer"):
        return _number_column(values, whole=info.kind == "integer")
    parser = _PARSERS[info.kind]
    if info.kind == "date":
        parser = partial(_plausible_date, date1904=date1904, order=order)
    if info.kind in ("text", "email", "phone") and mostly_distinct(values):
        return _texts_one_by_one(values, info.kind, parser)
    return _column_by_distinct_values(values, info.kind, parser)


def _number_column(
    values: np.ndarray, whole: bool
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A number column (``whole``: of whole numbers, as ``Int64``) and the cells not read."""
    series = pd.Series(values, dtype=object)
    failures: dict[int, tuple[CellValue, str]] = {}
    if pd.api.types.infer_dtype(values, skipna=True) in _PLAIN_NUMBERS:
        numbers = pd.to_numeric(series, errors="coerce")
    else:  # yes/no cells are not numbers, though Python counts True as 1
        is_flag = np.fromiter((type(v) is bool for v in values), bool, count=len(values))
        numbers = pd.to_numeric(series.where(~is_flag), errors="coerce")
    out = numbers.to_numpy(dtype=float, copy=True)
    # Only cells to_numeric could not read need a closer look (text amounts, errors).
    # Infinite numbers (1e309, INF) are read again: parse_number refuses them.
    unread = np.isnan(out) | np.isinf(out)
    for pos in np.flatnonzero(unread):
        if is_blank(values[pos]):
            continue
        try:
            parsed = parse_number(values[pos])
            out[pos] = np.nan if parsed is None else parsed
        except ValueError as exc:
            failures[int(pos)] = (values[pos], str(exc))
            out[pos] = np.nan
    if not whole:
        return pd.Series(out, dtype="float64"), failures
    with np.errstate(invalid="ignore"):
        odd = ~np.isnan(out) & ((out != np.round(out)) | (np.abs(out) > 2**53))
    for pos in np.flatnonzero(odd):
        failures[int(pos)] = (
            values[pos],
            tr(f"{values[pos]} 不是合理的整数", f"{values[pos]} is not a plausible whole number"),
        )
        out[pos] = np.nan
    return pd.Series(out).round().astype("Int64"), failures


def _column_by_distinct_values(
    values: np.ndarray, kind: str, parser: Callable[[CellValue], Any]
) -> tuple[pd.Series, dict[int, tuple[CellValue, str]]]:
    """A text, phone, e-mail, date or yes/no column, each distinct value parsed once."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    _share_texts(values, codes, uniques)
    text_kind = kind in ("text", "email", "phone")
    parsed: list[Any] = []
    bad: dict[int, str] = {}
    for code, value in enumerate(uniques):
        if text_kind and type(value) is str:  # the common case, kept cheap
            parsed.append(_text(value, kind == "phone"))
            continue
        try:
            parsed.append(parser(value))
        except ValueError as exc:
            parsed.append(None)
            bad[code] = str(exc)
    failures: dict[int, tuple[CellValue, str]] = {
        int(pos): (values[pos], bad[int(codes[pos])])
        for pos in (np.flatnonzero(np.isin(codes, list(bad))) if bad else ())
    }
    blank = codes < 0
    at = np.where(blank, 0, codes)
    if kind == "date":
        lookup = pd.to_datetime(pd.Series(parsed, dtype=object), errors="coerce")
        taken = (
            lookup.to_numpy()[at]
            if len(lookup)
            else np.full(len(codes), np.datetime64("NaT", "ns"))
        )
        taken = np.where(blank, np.datetime64("NaT", "ns"), taken)
        return pd.Series(taken.astype("datetime64[ns]")), failures
    if kind == "bool":
        flags = np.array([bool(v) for v in parsed] or [False])
        return pd.Series(np.where(blank, False, flags[at])), failures
    lookup_obj = np.array([*parsed, None], dtype=object)
    return pd.Series(lookup_obj[np.where(blank, len(parsed), codes)], dtype=object), failures


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
    text = value if value.isascii() else unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
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
    folded: Iterator[str] = map(partial(unicodedata.normalize, "NFKC"), values[text])
    normal = map(methodcaller("translate", _INVISIBLE), folded)
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


# A label saying the row adds up others: 合计, Total, Grand Total, 小计 (with a ":" or a note).
_TOTAL_LABEL = re.compile(
    r"(合\s*计|总\s*计|小\s*计|共\s*计|总合计|汇总|grand\s*total|sub\s*-?\s*total|totals?|sum)"
    r"\s*[:：]?\s*([(（].*[)）])?",
    re.IGNORECASE,
)
# A title over a section of the list: 华东区, 【VIP客户】, 一、老客户, Region: East.
_SECTION = re.compile(
    r"([【\[].*[】\]]|[一二三四五六七八九十]+[、.].*|.*(区|组|部|团队|大区|片区|事业部|region|team|group|"
    r"section)|.*[:：])",
    re.IGNORECASE,
)
_TOTAL_START = frozenset("合总小共汇gGsStT")
_LABEL_ROLES = ("id", "name", "contact")


def _filled(column: np.ndarray) -> np.ndarray:
    """True for the cells of a column that hold something (not None, not empty text)."""
    filled: np.ndarray = ~((column == None) | (column == ""))  # noqa: E711 - element-wise over objects
    return filled


def _not_customer_rows(
    body: np.ndarray, headers: Sequence[str], role_map: Mapping[str, str], frame: pd.DataFrame
) -> dict[int, tuple[str, str]]:
    """{position: (what it is in zh, en)} for the rows of a customer list that are not customers:
    totals and subtotals, repeated header rows and section titles (``frame``: typed by role)."""
    found: dict[int, tuple[str, str]] = {}
    if not len(body):
        return found
    labels = [headers.index(role_map[r]) for r in _LABEL_ROLES if r in role_map]
    labels += [i for i, header in enumerate(headers) if read_header(header).part]
    _repeated_headers(body, headers, labels, found)
    _named_totals(body, frame, labels, found)
    _section_titles(body, labels, found)
    _unnamed_totals(body, frame, labels, found)
    return found


def _repeated_headers(
    body: np.ndarray, headers: Sequence[str], labels: list[int], found: dict[int, tuple[str, str]]
) -> None:
    """Rows repeating most header cells in their own columns (and so the first label's)."""
    first = labels[0] if labels else 0
    candidates = np.flatnonzero(body[:, first] == headers[first])
    if candidates.size:
        again = sum((body[candidates, i] == h).astype(int) for i, h in enumerate(headers))
        for pos in candidates[again >= max(2, len(headers) // 2)]:
            found[int(pos)] = ("重复的表头行", "a repeated header row")


def _named_totals(
    body: np.ndarray, frame: pd.DataFrame, labels: list[int], found: dict[int, tuple[str, str]]
) -> None:
    """Totals named as such, in a label column (typed: texts or blanks) or the first column."""
    texts = [frame[r] for r in _LABEL_ROLES if r in frame.columns]
    if 0 not in labels:
        first_cells = pd.Series(body[:, 0], dtype=object)
        texts.append(first_cells.where(first_cells.map(type).eq(str)))
    for column in texts:
        # A cheap look first: a short text starting as a total's label does.
        start = column.where(column.notna(), "").astype(str).str[:1]
        for pos in np.flatnonzero(start.isin(_TOTAL_START).to_numpy()):
            text = str(column.iloc[pos]).strip()
            if len(text) <= 24 and _TOTAL_LABEL.fullmatch(text):
                found.setdefault(int(pos), ("合计行", "a totals row"))


def _section_titles(body: np.ndarray, labels: list[int], found: dict[int, tuple[str, str]]) -> None:
    """Rows holding a single worded text: section titles, unless it stands where a name does
    and does not read as a title (华东区, 【VIP客户】, 一、老客户, Region: East)."""
    count = np.zeros(len(body), dtype=int)
    lone = np.arange(len(body))
    for i in range(body.shape[1]):
        count[lone] += _filled(body[lone, i])
        lone = lone[count[lone] <= 1]
    for pos in lone:
        if count[pos] != 1 or int(pos) in found:
            continue
        where = int(np.flatnonzero(_filled(body[pos]))[0])
        text = body[pos, where]
        worded = isinstance(text, str) and any(map(str.isalpha, text))  # not "0", "-", "13800…"
        if worded and (where not in labels or _SECTION.fullmatch(text.strip())):
            found[int(pos)] = ("分组标题行", "a section title row")


def _unnamed_totals(
    body: np.ndarray, frame: pd.DataFrame, labels: list[int], found: dict[int, tuple[str, str]]
) -> None:
    """Unlabelled rows whose numbers add up the customers above them (since the last subtotal)."""
    unlabelled = np.ones(len(body), dtype=bool)
    for i in labels:
        unlabelled &= ~_filled(body[:, i])
    amounts = [r for r in ("amount", "orders") if r in frame.columns]
    if not (labels and amounts and unlabelled.any()):
        return
    values = frame[amounts].astype("float64").to_numpy()
    counted = np.ones(len(body), dtype=bool)
    counted[list(found)] = False
    # Running sums over the counted rows: the sum of a stretch is a difference of two.
    totals = np.vstack([np.zeros(len(amounts)), np.nancumsum(values * counted[:, None], 0)])
    rows_before = np.concatenate([[0], np.cumsum(counted)])
    start = 0
    for pos in np.flatnonzero(unlabelled & counted):
        row = values[pos]
        if rows_before[pos] - rows_before[start] < 2 or np.isnan(row).all():
            continue
        # A subtotal adds up since the last one; a grand total adds up every customer.
        if any(
            np.allclose(np.where(np.isnan(row), sums, row), sums)
            for sums in (totals[pos] - totals[start], totals[pos] - totals[0])
        ):
            found[int(pos)] = ("合计行", "a totals row")
            # A subtotal: the next one adds up from here. Its own numbers are not counted.
            totals[pos + 1 :] -= np.nan_to_num(row)
            start = int(pos) + 1


def _split_name(
    headers: Sequence[str], role_map: Mapping[str, str], roles: Sequence[RoleInfo]
) -> tuple[str, int, int, bool] | None:
    """(role, family position, given position, Chinese order) of a name split over two columns."""
    parts: dict[str, int] = {}
    for position, header in enumerate(headers):
        part = read_header(header, roles).part
        if part and header not in role_map.values():
            parts.setdefault(part, position)
    if len(parts) < 2:
        return None
    role = "contact" if "name" in role_map else "name"
    if role in role_map:
        return None
    family = parts["family"]
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in headers[family])
    return role, family, parts["given"], chinese


def _joined(family: np.ndarray, given: np.ndarray, chinese: bool) -> np.ndarray:
    """One name from its two halves, in the order people write it (姓名; First Last)."""
    out = np.full(len(family), None, dtype=object)
    for pos, (last, first) in enumerate(zip(family, given, strict=True)):
        halves = [h for h in ((last, first) if chinese else (first, last)) if not is_blank(h)]
        if halves:
            out[pos] = ("" if chinese else " ").join(str(h).strip() for h in halves)
    return out


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
    customers: bool = False,
) -> tuple[list[str], dict[str, str], pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Headers, role map, typed frame, raw frame and problems of a table in a grid (0-based indexes).

    ``data_width``: how many columns hold data (the rest: results a previous run wrote); a row
    blank in those is a blank row. ``customers``: a customer list, whose totals, repeated
    headers and section titles are left out and whose split names are joined.
    """
    headers = _header_texts(grid, header_index, first_column)
    end = len(grid) - 1 if last_index is None else min(last_index, len(grid) - 1)
    body, rows, problems = _body(
        grid, sheet, header_index, end, first_column, len(headers), data_width
    )
    role_map = match_roles(headers, roles, overrides)
    by_header = {header: role for role, header in role_map.items()}
    joined = _split_name(headers, role_map, roles) if customers else None
    if joined:
        first_half = headers[min(joined[1], joined[2])]
        role_map[joined[0]] = first_half
        by_header[first_half] = joined[0]
    index = pd.Index(rows, name="row")
    columns: dict[str, pd.Series] = {}
    info_by_role = {info.role: info for info in roles}
    for position, header in enumerate(headers):
        if header not in by_header:
            continue
        role = by_header[header]
        values = body[:, position]
        if joined and role == joined[0]:
            values = _joined(body[:, joined[1]], body[:, joined[2]], joined[3])
        columns[role], found = _typed_role_column(
            values, info_by_role[role], header, roles, sheet, index, date1904
        )
        problems += found
    # The columns are new arrays: the frame takes them as they are (a full sheet is big).
    frame = pd.DataFrame(columns, index=index, copy=False)
    if customers:
        body, index, frame, problems = _leave_out_non_customers(
            body, headers, role_map, frame, problems, sheet
        )
    raw = pd.DataFrame(
        {header: _inferred(body[:, i]) for i, header in enumerate(headers)},
        index=index,
        copy=False,
    )
    return headers, role_map, frame, raw, problems


def _header_texts(
    grid: Sequence[Sequence[CellValue]] | np.ndarray, header_index: int, first_column: int
) -> list[str]:
    """The header row as distinct texts (a blank header is named after its column)."""
    cells = header_cells(grid, header_index)[first_column:]
    while cells and is_blank(cells[-1]):
        cells.pop()
    headers: list[str] = []
    for offset, cell in enumerate(cells):
        text = "" if is_blank(cell) else str(cell).strip()
        text = text or tr(f"第{offset + first_column + 1}列", f"Column {offset + first_column + 1}")
        while text in headers:
            text += "′"
        headers.append(text)
    return headers


def _body(
    grid: Sequence[Sequence[CellValue]] | np.ndarray,
    sheet: str,
    header_index: int,
    end: int,
    first_column: int,
    width: int,
    data_width: int | None,
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """The rows below the header without blank ones, their Excel row numbers, and a note per
    blank row (blank: in the first ``data_width`` columns; trailing blank rows are not data)."""
    body = _body_array(grid, header_index + 1, end + 1, first_column, width)
    blank = _blank_rows(body[:, :data_width])
    filled = np.flatnonzero(~blank)
    length = int(filled[-1]) + 1 if filled.size else 0
    body, blank = body[:length], blank[:length]
    row_numbers = np.arange(header_index + 2, header_index + 2 + length)
    problems = [
        Problem(
            sheet,
            int(row_numbers[pos]),
            None,
            None,
            tr("空行（已跳过）", "blank row (skipped)"),
            tr("删除空行，保持表格连续", "delete blank rows so the table stays continuous"),
            "blank",
        )
        for pos in np.flatnonzero(blank)
    ]
    if blank.any():
        body = body[~blank]
    return body, row_numbers[~blank], problems


def _typed_role_column(
    values: np.ndarray,
    info: RoleInfo,
    header: str,
    roles: Sequence[RoleInfo],
    sheet: str,
    index: pd.Index,
    date1904: bool,
) -> tuple[pd.Series, list[Problem]]:
    """One role's column typed (scaled by the header's unit), and the problems of its cells."""
    order = (
        date_order(v for v in pd.unique(values) if type(v) is str) if info.kind == "date" else None
    )
    typed, failures = _typed_column(values, info, date1904, order)
    if info.kind in ("number", "integer"):
        scale = read_header(header, roles).scale
        if scale != 1:
            typed = typed * scale
    typed.index = index
    problems: list[Problem] = []
    if order in ("ambiguous", "conflict"):
        failures = {p: f for p, f in failures.items() if date_order([f[0]]) is None}
        problems.append(
            Problem(
                sheet,
                None,
                header,
                None,
                tr(
                    "这一列的日期看不出是 日/月 还是 月/日，未读取这些日期",
                    "this column's dates could be day/month or month/day; they were not read",
                ),
                tr("把日期写成 2024-03-05", "write the dates as 2024-03-05"),
                "invalid",
            )
        )
    problems += [
        _cell_problem(sheet, int(index[pos]), header, value, reason, info.kind)
        for pos, (value, reason) in sorted(failures.items())
    ]
    return typed, problems


def _leave_out_non_customers(
    body: np.ndarray,
    headers: Sequence[str],
    role_map: Mapping[str, str],
    frame: pd.DataFrame,
    problems: list[Problem],
    sheet: str,
) -> tuple[np.ndarray, pd.Index, pd.DataFrame, list[Problem]]:
    """The rows that are customers: totals, repeated headers and section titles left out, each
    with a note (what typing found in them, a repeated header's texts, is not a problem)."""
    index = frame.index
    left_out = _not_customer_rows(body, headers, role_map, frame)
    if not left_out:
        return body, index, frame, problems
    keep = np.ones(len(body), dtype=bool)
    keep[list(left_out)] = False
    gone = set(index[~keep].tolist())
    problems = [p for p in problems if p.row not in gone]
    problems += [_skipped(sheet, int(index[pos]), *left_out[pos]) for pos in sorted(left_out)]
    return body[keep], index[keep], frame[keep], problems


def _skipped(sheet: str, row: int, zh: str, en: str) -> Problem:
    """The note saying a row is not a customer and was left out."""
    return Problem(
        sheet,
        row,
        None,
        None,
        tr(f"{zh}（不是客户，已跳过）", f"{en} (not a customer; skipped)"),
        tr("无需处理", "nothing to do"),
        "skipped",
    )


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
        customers=True,
    )
    if "name" not in roles and "contact" in roles:
        # A list of people (客户姓名, 姓名): the contact's name is the customer's.
        roles["name"] = roles.pop("contact")
        frame = frame.rename(columns={"contact": "name"})
    if "name" not in roles:
        info = role_info("name")
        raise MissingColumnError(
            tr(
                f"客户表需要一列客户名称（如 {info.zh}、客户姓名、公司名称）；看到的表头：{', '.join(headers)}。"
                "请添加这一列，或在设置表的 [columns] 区块中指定对应的表头",
                f"the customer table needs a name column (such as {info.en}, Account Name, Company); "
                f"headers seen: {', '.join(headers)}. Add it, or map your header in the [columns] "
                "block of the settings sheet",
            ),
            sheet=sheet,
            row=header_row,
        )
    made_id = "id" not in roles
    if made_id:
        frame.insert(0, "id", made_ids(frame))
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
        made_id=made_id,
    )


def made_ids(frame: pd.DataFrame) -> pd.Series:
    """Stable keys for customers without an ID column: name + mobile, else name + e-mail, else name."""
    name = frame["name"].fillna("").astype(str)
    key = name.copy()
    for role in ("email", "mobile"):  # the mobile, where there is one, wins
        if role in frame.columns:
            other = frame[role].fillna("").astype(str)
            key = key.where(other == "", name + "·" + other)
    return key.where(key != "", None)


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
            best = (found[2], name, found[0], found[1], header_cells(rows, found[0])[found[1] :])
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
        if role in known and is_blank(record["header"]):
            continue  # a role no column carries (the block lists every role with its cost)
        if role not in known:
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
