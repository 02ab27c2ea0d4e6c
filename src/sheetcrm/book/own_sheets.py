"""Own sheets: the worksheets sheetcrm writes whole (check, tiers, plan, dashboard…) as parts.

A sheet sheetcrm owns is written from its :class:`~sheetcrm.book.base.SheetSpec`
as one worksheet part, with a drawing and chart parts when it has charts; the
parts an older version of it used alone are dropped first.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from xml.sax.saxutils import escape

import numpy as np

from ..a1 import cell_ref, column_letter, parse_cell, range_ref
from ..errors import WorkbookError
from ..i18n import tr
from . import arrow_cells
from .base import HEADER_FILL, CellValue, ColumnRows, SheetSpec, blank_cells
from .cell_xml import CellStyles, cell_xml, column_cells, padded
from .charts import drawing_parts
from .namespaces import MAIN_NS, OFFICE_REL_NS, office_rel
from .package import Package
from .styles import Styles, argb

__all__ = [
    "cell_count",
    "check_sheet_name",
    "drop_sheet_parts",
    "filter_range",
    "sheet_xml",
    "write_drawing",
]

_DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
_CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def check_sheet_name(name: str) -> None:
    """Refuse a sheet name Excel would not accept."""
    if (
        not name
        or len(name) > 31
        or _BAD_SHEET_CHARS.search(name)
        or name.startswith("'")
        or name.endswith("'")
    ):
        raise WorkbookError(
            tr(
                f"工作表名“{name}”不可用：最多 31 个字符，不能含 [ ] : * ? / \\，不能以 ' 开头或结尾",
                f"sheet name '{name}' is not allowed: at most 31 characters, none of [ ] : * ? / \\, "
                "and no ' at either end",
            )
        )


def _width(rows: Sequence[Sequence[CellValue]]) -> int:
    """The length of a sheet's longest row."""
    if isinstance(rows, ColumnRows):
        return rows.width
    return max(map(len, rows), default=0)


def cell_count(rows: Sequence[Sequence[CellValue]]) -> int:
    """How many cells a sheet's rows hold (short rows counted as they are)."""
    if isinstance(rows, ColumnRows):
        edges = (*rows.head, *rows.tail)
        return len(rows.columns) * rows.body_rows + sum(map(len, edges))
    return sum(map(len, rows))


def filter_range(spec: SheetSpec) -> str | None:
    """The range of a sheet's autofilter (its header row down to its last row), if it has one."""
    width = _width(spec.rows)
    height = len(spec.rows)
    return (
        range_ref(spec.header_rows, 1, height, width)
        if spec.autofilter and height and width
        else None
    )


def sheet_xml(
    spec: SheetSpec,
    drawing_id: str | None,
    styles: Styles,
    cell_styles: CellStyles,
    date1904: bool,
    block: int,
) -> Iterator[bytes | memoryview]:
    """The worksheet XML of a sheet sheetcrm owns, in pieces."""
    width = _width(spec.rows)
    height = len(spec.rows)
    header_style = styles.cell_xf(bold=True, fill=HEADER_FILL)
    column_styles = {c: styles.cell_xf(number_format=fmt) for c, fmt in spec.number_formats.items()}
    column_styles |= {
        c: styles.cell_xf(number_format=spec.number_formats.get(c), wrap=True) for c in spec.wrap
    }
    out: list[str] = [f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{OFFICE_REL_NS}">']
    if spec.tab_color:
        out.append(f'<sheetPr><tabColor rgb="{argb(spec.tab_color)}"/></sheetPr>')
    out.append(f'<dimension ref="{range_ref(1, 1, max(height, 1), max(width, 1))}"/>')
    out.append(f"<sheetViews>{_sheet_view(spec.freeze)}</sheetViews>")
    out.append('<sheetFormatPr defaultRowHeight="15"/>')
    if spec.widths:
        cols = "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{w:g}" customWidth="1"/>'
            for c, w in sorted(spec.widths.items())
        )
        out.append(f"<cols>{cols}</cols>")
    head = "".join(out).encode()
    out = ["</sheetData>"]
    first_data = spec.header_rows + 1
    last_data = max(height, first_data)
    auto_filter = filter_range(spec)
    if auto_filter:
        out.append(f'<autoFilter ref="{auto_filter}"/>')
    for priority, fill in enumerate(spec.conditional, start=1):
        dxf = styles.dxf(fill.fill, fill.font)
        sqref = range_ref(first_data, fill.columns[0] + 1, last_data, fill.columns[1] + 1)
        out.append(
            f'<conditionalFormatting sqref="{sqref}"><cfRule type="expression" dxfId="{dxf}" '
            f'priority="{priority}"><formula>{escape(fill.formula.lstrip("="))}</formula></cfRule>'
            "</conditionalFormatting>"
        )
    if spec.validations:
        out.append(f'<dataValidations count="{len(spec.validations)}">')
        for validation in spec.validations:
            letters = column_letter(validation.column + 1)
            out.append(
                f'<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                f'sqref="{letters}{first_data}:{letters}{last_data}">'
                f"<formula1>{escape(_list_formula(spec.name, letters, validation.options))}</formula1>"
                "</dataValidation>"
            )
        out.append("</dataValidations>")
    out.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    if drawing_id:
        out.append(f'<drawing r:id="{drawing_id}"/>')
    out.append("</worksheet>")
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + head + b"<sheetData>"
    yield from _sheet_rows(
        spec, width, header_style, column_styles, cell_styles, styles, date1904, block
    )
    yield "".join(out).encode()


def _sheet_rows(
    spec: SheetSpec,
    width: int,
    header_style: int,
    column_styles: dict[int, int],
    cell_styles: CellStyles,
    styles: Styles,
    date1904: bool,
    block: int,
) -> Iterator[bytes | memoryview]:
    """The ``<row>`` elements of a sheet sheetcrm owns, ``block`` rows at a time."""
    first = min(spec.header_rows, len(spec.rows))
    for r, row in enumerate(spec.rows[:first]):
        header = (
            cell_xml(cell_ref(r + 1, c + 1), v, header_style, cell_styles, date1904)
            for c, v in enumerate(row)
        )
        yield b'<row r="%d">%s</row>' % (r + 1, b"".join(header))
    # Cells with their own style, in row order so new styles are numbered as they always were.
    bold = {(r, c) for r, c in spec.bold_cells}
    own = [
        (r, c)
        for r, c in sorted(bold | {cell for cell, fmt in spec.cell_formats.items() if fmt})
        if first <= r < len(spec.rows) and c < len(spec.rows[r])
    ]
    next_own = 0
    styles_by_column = [column_styles.get(c) for c in range(width)]
    # pyarrow's kernels where a long sheet pays for importing them; the same bytes either way.
    arrow = len(spec.rows) >= arrow_cells.MIN_ROWS and arrow_cells.available()
    for start in range(first, len(spec.rows), block):
        stop = min(start + block, len(spec.rows))
        values, lengths = _block(spec.rows, start, stop, width)
        own_cells: dict[tuple[int, int], bytes] = {}  # (row in the block, column): its XML
        while next_own < len(own) and own[next_own][0] < stop:
            r, c = own[next_own]
            next_own += 1
            style = styles.cell_xf(
                bold=(r, c) in bold,
                number_format=spec.cell_formats.get((r, c)) or spec.number_formats.get(c),
                wrap=c in spec.wrap,
            )
            ref = cell_ref(r + 1, c + 1)
            own_cells[r - start, c] = cell_xml(
                ref, values[c][r - start], style, cell_styles, date1904
            )
        rows = arrow_cells.RowBlock(values, lengths, start + 1, styles_by_column, own_cells)
        if arrow:
            yield arrow_cells.rows_xml(rows, cell_styles, date1904)
        else:
            yield _rows_xml(rows, cell_styles, date1904)


def _rows_xml(block: arrow_cells.RowBlock, cell_styles: CellStyles, date1904: bool) -> bytes:
    """The ``<row>`` elements of a block in Python (as :func:`arrow_cells.rows_xml` makes them)."""
    columns, lengths, first, styles, own = block
    numbers = np.arange(first, first + len(lengths)).astype(bytes).astype(object)
    cells = []
    for c, values in enumerate(columns):
        letters = column_letter(c + 1)
        column = column_cells(letters, styles[c], values, numbers, cell_styles, date1904)
        column[lengths <= c] = b""  # a short row has no cell there at all
        cells.append(column)
    for (r, c), xml in own.items():
        cells[c][r] = xml
    joined = map(b"".join, zip(*cells, strict=True)) if cells else (b"" for _ in lengths)
    return b"".join(b'<row r="%d">%s</row>' % (n, row) for n, row in enumerate(joined, first))


def _block(
    rows: Sequence[Sequence[CellValue]], start: int, stop: int, width: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Rows start:stop as ``width`` object columns (None past a row's end) and each row's length.

    A :class:`ColumnRows` body gives its columns' slices as they are: no row is made.
    """
    if not isinstance(rows, ColumnRows):
        return _listed(rows[start:stop], width)
    body_start, body_stop = rows.body_start, rows.body_start + rows.body_rows
    first, last = min(max(start, body_start), stop), max(min(stop, body_stop), start)
    parts = [_listed(rows[start:first], width)] if start < first else []
    if first < last:
        a, b = first - body_start, last - body_start
        blank = blank_cells(b - a)
        body = [column[a:b] for column in rows.columns]
        body += [blank] * (width - len(body))
        parts.append((body, np.full(b - a, len(rows.columns), dtype=np.int64)))
    if last < stop:
        parts.append(_listed(rows[last:stop], width))
    if len(parts) == 1:
        return parts[0]
    columns = [np.concatenate([part[0][c] for part in parts]) for c in range(width)]
    return columns, np.concatenate([part[1] for part in parts])


def _listed(rows: Sequence[Sequence[CellValue]], width: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Rows given as lists, transposed to ``width`` object columns, and each row's length."""
    lengths = np.fromiter(map(len, rows), np.int64, len(rows))
    columns = [
        padded([row[c] if len(row) > c else None for row in rows], len(rows)) for c in range(width)
    ]
    return columns, lengths


def _sheet_view(freeze: str | None) -> str:
    """A sheetView, with frozen panes above and left of the cell ``freeze``."""
    if not freeze or freeze.upper() == "A1":
        return '<sheetView workbookViewId="0"/>'
    try:
        row, column = parse_cell(freeze)
    except ValueError:
        raise ValueError(f"freeze must be a cell like 'A2', not {freeze!r}") from None
    x_split, y_split = column - 1, row - 1
    pane = "bottomRight" if x_split and y_split else ("bottomLeft" if y_split else "topRight")
    splits = (f' xSplit="{x_split}"' if x_split else "") + (
        f' ySplit="{y_split}"' if y_split else ""
    )
    return (
        f'<sheetView workbookViewId="0"><pane{splits} topLeftCell="{freeze.upper()}" '
        f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{freeze.upper()}" '
        f'sqref="{freeze.upper()}"/></sheetView>'
    )


def _list_formula(sheet: str, letters: str, options: Sequence[str]) -> str:
    """The formula1 of a list validation: the options quoted (Excel allows 255 characters)."""
    text = ",".join(option.replace('"', '""') for option in options)
    if len(text) > 255 or any("," in option for option in options):
        raise WorkbookError(
            tr(
                f"工作表“{sheet}”{letters} 列的下拉选项太长或含逗号（{text[:40]}…），请缩短选项",
                f"the drop-down options of sheet '{sheet}' column {letters} are too long or contain "
                f"a comma ({text[:40]}…); shorten them",
            )
        )
    return f'"{text}"'


def write_drawing(package: Package, part: str, spec: SheetSpec) -> str:
    """Add the drawing and chart parts for a sheet's charts; the sheet's rel id to it."""
    parts = drawing_parts(spec.charts, spec.name, spec.rows)
    drawing = package.new_part_name("xl/drawings/drawing{}.xml")
    package.write(drawing, parts.drawing_xml)
    package.set_content_type(drawing, _DRAWING_TYPE)
    drawing_rels = package.rels(drawing)
    for index, chart_xml in enumerate(parts.charts):
        chart = package.new_part_name("xl/charts/chart{}.xml")
        package.write(chart, chart_xml)
        package.set_content_type(chart, _CHART_TYPE)
        rel_id = drawing_rels.add(office_rel("chart"), chart)
        if rel_id != f"rId{index + 1}":
            raise AssertionError(f"drawing relationship {rel_id} out of order")
    drawing_rels.save()
    sheet_rels = package.rels(part)
    rel_id = sheet_rels.add(office_rel("drawing"), drawing)
    sheet_rels.save()
    return rel_id


def drop_sheet_parts(package: Package, part: str) -> None:
    """Delete what only the old version of one of our sheets used (drawings, charts, …)."""
    doomed: list[str] = []
    pending = [part]
    while pending:
        source = pending.pop()
        for _, _, target in package.rels(source).items():
            if target not in doomed and target != part and package.exists(target):
                doomed.append(target)
                pending.append(target)
    others = _references(package, exclude={part, *doomed})
    for target in doomed:
        if target not in others:
            rels = package.rels(target)
            if package.exists(rels.path):
                package.delete(rels.path)
            package.delete(target)
    sheet_rels = package.rels(part)
    if package.exists(sheet_rels.path):
        package.delete(sheet_rels.path)


def _references(package: Package, exclude: set[str]) -> set[str]:
    """Every part referenced from a relationship file whose source is not excluded."""
    found: set[str] = set()
    for name in package.names():
        if not name.endswith(".rels"):
            continue
        folder, file = posixpath.split(name)
        source = posixpath.join(posixpath.dirname(folder), file[: -len(".rels")])
        if source not in exclude:
            found.update(target for _, _, target in package.rels(source).items())
    return found
