"""A table in a grid typed by role: its headers, the role of each (where the settings'
[columns] mapping is applied), a typed frame, a raw frame and the problems found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..book.base import CellValue, Problem
from ..roles import RoleInfo
from .column_types import typed_role_column
from .grid_rows import body_rows, inferred_column
from .header_row import header_texts, match_roles
from .not_customers import leave_out_non_customers
from .split_name import joined_name, split_name

__all__ = ["build_table"]


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
    blank in those is a blank row, and the raw frame holds those columns only. ``customers``: a customer list, whose totals, repeated
    headers and section titles are left out and whose split names are joined.
    """
    headers = header_texts(grid, header_index, first_column)
    end = len(grid) - 1 if last_index is None else min(last_index, len(grid) - 1)
    body, rows, problems = body_rows(
        grid, sheet, header_index, end, first_column, len(headers), data_width
    )
    # The settings' [columns] mapping (overrides, from column_mapping.column_overrides) is applied
    # here: match_roles takes its headers first, then reads the rest.
    role_map = match_roles(headers, roles, overrides)
    by_header = {header: role for role, header in role_map.items()}
    joined = split_name(headers, role_map, roles) if customers else None
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
            values = joined_name(body[:, joined[1]], body[:, joined[2]], joined[3])
        columns[role], found = typed_role_column(
            values, info_by_role[role], header, roles, sheet, index, date1904
        )
        problems += found
    # The columns are new arrays: the frame takes them as they are (a full sheet is big).
    frame = pd.DataFrame(columns, index=index, copy=False)
    if customers:
        body, index, frame, problems = leave_out_non_customers(
            body, headers, role_map, frame, problems, sheet
        )
    # A grid of the table alone (a big sheet's, read column by column) lends the raw frame its
    # columns: no million-cell copies. One holding more (a re-run's old results, cells beside
    # a Table) is copied from, not held all run long.
    alone = (
        isinstance(grid, np.ndarray)
        and (first_column, data_width, grid.shape[1]) == (0, None, len(headers))
        and end == len(grid) - 1
    )
    # Columns past ``data_width`` (a re-run's old results) are not data: no raw cells either
    # (on a full sheet, a million blanks each to type and copy, dropped by the run at once).
    raw = pd.DataFrame(
        {
            header: inferred_column(body[:, i], view=alone)
            for i, header in enumerate(headers[:data_width])
        },
        index=index,
        copy=False,
    )
    return headers, role_map, frame, raw, problems
