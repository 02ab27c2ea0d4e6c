"""The header row of a table in a grid: where it is, its texts, and which role each header
carries (the settings' [columns] mapping first, then the surest reading)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..book.base import CellValue
from ..headers import normalise_header, read_header
from ..i18n import tr
from ..roles import CUSTOMER_ROLES, RoleInfo
from ..values import is_blank

__all__ = [
    "HEADER_SCAN_ROWS",
    "MIN_ROLES",
    "find_header_row",
    "header_cells",
    "header_texts",
    "match_roles",
]

HEADER_SCAN_ROWS = 30
MIN_ROLES = 3
_SURENESS = ("alias", "built", "guess")


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


def header_texts(
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
