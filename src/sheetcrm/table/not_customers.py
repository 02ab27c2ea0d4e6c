"""Rows of a customer list that are not customers: totals and subtotals (named or adding up
the rows above), repeated header rows and section titles — left out, each with a note."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from operator import itemgetter

import numpy as np
import pandas as pd

from ..book.base import Problem
from ..headers import read_header
from ..i18n import tr

__all__ = ["leave_out_non_customers"]


def leave_out_non_customers(
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
    columns = [frame[r].to_numpy(dtype=object) for r in _LABEL_ROLES if r in frame.columns]
    if 0 not in labels:
        columns.append(body[:, 0])
    for values in columns:
        for pos in _starting_as_totals(values):
            text = values[pos].strip()
            if len(text) <= 24 and _TOTAL_LABEL.fullmatch(text):
                found.setdefault(int(pos), ("合计行", "a totals row"))


def _starting_as_totals(values: np.ndarray) -> np.ndarray:
    """Where the texts among cells start as a total's label does: a cheap look first, each
    cell looked at by C-level maps (a million names, no Python call per cell)."""
    types = np.fromiter(map(type, values), object, len(values))
    texts = np.flatnonzero(types == str)  # noqa: E721 - element-wise over types, exact str only
    starting = map(_TOTAL_START.__contains__, map(itemgetter(slice(0, 1)), values[texts]))
    found: np.ndarray = texts[np.fromiter(starting, bool, len(texts))]
    return found


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
    # Amounts near the float limit (1e308) add up to infinity: no sum then matches a row, and
    # the check reports the amounts themselves, so the overflow is no warning here.
    with np.errstate(over="ignore", invalid="ignore"):
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
