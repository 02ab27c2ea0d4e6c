"""Own sheets within a worksheet's rows: Excel refuses a whole file with a sheet of more than
1,048,576 rows, so a longer sheet keeps its first rows and ends with a note row saying how
many were left out and where to find them."""

from __future__ import annotations

import dataclasses

from ..book.base import SheetSpec
from ..i18n import Text, tr

__all__ = ["NOTE", "within_rows"]

NOTE = "⚠ "  # starts a note row under a sheet's table: read back as no data


def within_rows(spec: SheetSpec, limit: int, rest: Text) -> tuple[SheetSpec, Text | None]:
    """The sheet cut to ``limit`` rows, the last a note saying what was cut and ``rest`` (where
    the rows left out are), and that note; else the sheet as it is and None."""
    if len(spec.rows) <= limit:
        return spec, None
    kept = limit - 1  # the note takes the last row
    rows, written = len(spec.rows) - spec.header_rows, kept - spec.header_rows
    said = Text(
        f"「{spec.name}」有 {rows} 行，超过 Excel 每张工作表最多 {limit} 行：只写入前 "
        f"{written} 行，其余 {rows - written} 行未写入；{rest.zh}",
        f"'{spec.name}' has {rows} rows, more than the {limit} a worksheet holds: the first "
        f"{written} are written, the other {rows - written} are not; {rest.en}",
    )
    note = [NOTE + tr(said.zh, said.en)]
    return dataclasses.replace(spec, rows=[*spec.rows[:kept], note]), said
