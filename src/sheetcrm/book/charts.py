"""Native charts: DrawingML for the :class:`~sheetcrm.book.base.ChartSpec` of a sheet.

The package writer places one drawing part on a sheet with charts; this module
writes that drawing (one anchor per chart) and one ``c:chartSpace`` part per
chart. The XML follows the element order of ECMA-376 and the shape Excel itself
writes (as XlsxWriter does): 2-D only, a fixed palette, the legend at the
bottom, percentages on pies, and fonts with an East Asian typeface so Chinese
labels display in Excel and in LibreOffice. Cached values are filled in from
the sheet's own rows, so a chart shows data even before the app recalculates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from ..a1 import cell_ref, parse_cell, parse_range, sheet_ref
from .base import CellValue, ChartSeries, ChartSpec
from .namespaces import OFFICE_REL_NS

__all__ = ["DrawingParts", "drawing_parts"]

_PALETTE = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47", "264478", "9E480E")
_FONT = "Microsoft YaHei"  # Excel's CJK UI font; LibreOffice substitutes an installed CJK font
_GRID = "D9D9D9"
_TEXT = "404040"
_EMU_PER_CELL = (609600, 190500)  # default column width and row height, for the frame's extent

_NS = (
    'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    f'xmlns:r="{OFFICE_REL_NS}"'
)


@dataclass(frozen=True)
class DrawingParts:
    """A sheet's drawing part and its chart parts; chart i is the drawing's ``rId{i+1}``."""

    drawing_xml: bytes
    charts: list[bytes] = field(default_factory=list)


def drawing_parts(
    charts: Sequence[ChartSpec], sheet: str, rows: Sequence[Sequence[CellValue]]
) -> DrawingParts:
    """The drawing and chart parts for the charts placed on a sheet whose values are ``rows``."""
    anchors = "".join(_anchor(spec, index) for index, spec in enumerate(charts))
    drawing = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f"{anchors}</xdr:wsDr>"
    )
    return DrawingParts(
        drawing_xml=drawing.encode("utf-8"),
        charts=[_chart_space(spec, sheet, rows).encode("utf-8") for spec in charts],
    )


# ---- cell ranges --------------------------------------------------------------------------
def _cells(a1_range: str) -> list[tuple[int, int]]:
    """The 0-based cells of a one-row or one-column A1 range, in order."""
    r1, c1, r2, c2 = parse_range(a1_range)
    return [(r - 1, c - 1) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _formula(sheet: str, a1_range: str) -> str:
    """An absolute, sheet-qualified reference: ``'Sheet name'!$B$5:$B$8``."""
    ends = [parse_cell(part) for part in a1_range.split(":")]
    return sheet_ref(sheet, ":".join(cell_ref(r, c, absolute=True) for r, c in ends))


def _values(rows: Sequence[Sequence[CellValue]] | None, a1_range: str) -> list[CellValue]:
    """The values of a range in ``rows`` (None beyond the grid); [] when there are no rows."""
    if rows is None:
        return []
    return [rows[r][c] if r < len(rows) and c < len(rows[r]) else None for r, c in _cells(a1_range)]


# ---- text and shapes ----------------------------------------------------------------------
def _font(size: int, *, bold: bool = False, color: str = _TEXT) -> str:
    """Run properties with Latin and East Asian typefaces, so Chinese labels display."""
    return (
        f'sz="{size * 100}" b="{int(bold)}"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
        f'<a:latin typeface="{_FONT}"/><a:ea typeface="{_FONT}"/><a:cs typeface="{_FONT}"/>'
    )


def _text_props(size: int, *, bold: bool = False) -> str:
    """A ``c:txPr`` that sets the default font of an element."""
    return (
        "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f"<a:defRPr {_font(size, bold=bold)}</a:defRPr></a:pPr>"
        '<a:endParaRPr lang="zh-CN"/></a:p></c:txPr>'
    )


def _fill(color: str) -> str:
    return f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr>'


def _line(color: str, width_emu: int = 28575) -> str:
    return (
        f'<c:spPr><a:ln w="{width_emu}" cap="rnd"><a:solidFill><a:srgbClr val="{color}"/>'
        "</a:solidFill><a:round/></a:ln></c:spPr>"
    )


def _title(text: str) -> str:
    return (
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f"<a:defRPr {_font(13, bold=True)}</a:defRPr></a:pPr>"
        f'<a:r><a:rPr lang="zh-CN" {_font(13, bold=True)}</a:rPr><a:t>{escape(text)}</a:t></a:r>'
        '</a:p></c:rich></c:tx><c:overlay val="0"/></c:title>'
    )


def _labels(*, percent: bool) -> str:
    """Data labels: percentages on pies, values on bars."""
    leader_lines = '<c:showLeaderLines val="1"/>' if percent else ""
    return (
        f'<c:dLbls><c:numFmt formatCode="{"0%" if percent else "#,##0"}" sourceLinked="0"/>'
        f'{_text_props(9)}<c:showLegendKey val="0"/><c:showVal val="{int(not percent)}"/>'
        '<c:showCatName val="0"/><c:showSerName val="0"/>'
        f'<c:showPercent val="{int(percent)}"/><c:showBubbleSize val="0"/>'
        f"{leader_lines}</c:dLbls>"
    )


# ---- series and plot ----------------------------------------------------------------------
def _str_ref(formula: str, values: list[CellValue]) -> str:
    cache = ""
    if values:
        points = "".join(
            f'<c:pt idx="{i}"><c:v>{escape(_text(v))}</c:v></c:pt>'
            for i, v in enumerate(values)
            if v is not None
        )
        cache = f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'
    return f"<c:strRef><c:f>{escape(formula)}</c:f>{cache}</c:strRef>"


def _num_ref(formula: str, values: list[CellValue]) -> str:
    cache = ""
    if values:
        points = "".join(
            f'<c:pt idx="{i}"><c:v>{_number(v)}</c:v></c:pt>'
            for i, v in enumerate(values)
            if _number(v) is not None
        )
        cache = (
            "<c:numCache><c:formatCode>General</c:formatCode>"
            f'<c:ptCount val="{len(values)}"/>{points}</c:numCache>'
        )
    return f"<c:numRef><c:f>{escape(formula)}</c:f>{cache}</c:numRef>"


def _text(value: CellValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: CellValue) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return repr(float(value)) if isinstance(value, float) else str(value)


def _series(
    spec: ChartSpec,
    index: int,
    series: ChartSeries,
    sheet: str,
    rows: Sequence[Sequence[CellValue]] | None,
) -> str:
    categories = _values(rows, spec.categories)
    color = _PALETTE[index % len(_PALETTE)]
    pie = spec.kind in ("pie", "doughnut")
    if pie:
        points = len(_cells(spec.categories))
        look = "".join(
            f'<c:dPt><c:idx val="{i}"/><c:bubble3D val="0"/>'
            f'<c:spPr><a:solidFill><a:srgbClr val="{_PALETTE[i % len(_PALETTE)]}"/></a:solidFill>'
            '<a:ln w="12700"><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill></a:ln>'
            "</c:spPr></c:dPt>"
            for i in range(points)
        ) + _labels(percent=True)
    elif spec.kind == "line":
        look = (
            _line(color)
            + f'<c:marker><c:symbol val="circle"/><c:size val="5"/>{_fill(color)}</c:marker>'
        )
    else:
        look = _fill(color) + '<c:invertIfNegative val="0"/>'
        if len(spec.series) == 1:
            look += _labels(percent=False)
    tail = '<c:smooth val="0"/>' if spec.kind == "line" else ""
    data_sheet = spec.data_sheet or sheet
    return (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f"<c:tx><c:v>{escape(series.name)}</c:v></c:tx>{look}"
        f"<c:cat>{_str_ref(_formula(data_sheet, spec.categories), categories)}</c:cat>"
        f"<c:val>{_num_ref(_formula(data_sheet, series.values), _values(rows, series.values))}"
        f"</c:val>{tail}</c:ser>"
    )


def _axes(kind: str) -> str:
    """A category axis (id 1) and a value axis (id 2) with light gridlines."""
    horizontal = kind == "bar"
    # Horizontal bars list the first category at the top, as people read a ranking.
    orientation, crosses = ("maxMin", "max") if horizontal else ("minMax", "autoZero")
    # Trend lines run over dates (the run history); LibreOffice shows raw serials unless told.
    category_format = (
        '<c:numFmt formatCode="yyyy-mm-dd" sourceLinked="0"/>'
        if kind == "line"
        else '<c:numFmt formatCode="General" sourceLinked="1"/>'
    )
    no_ticks = (
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
    )
    category = (
        f'<c:catAx><c:axId val="1"/><c:scaling><c:orientation val="{orientation}"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"l" if horizontal else "b"}"/>'
        f"{category_format}{no_ticks}{_line(_GRID, 9525)}"
        f'{_text_props(9)}<c:crossAx val="2"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
    )
    value = (
        '<c:valAx><c:axId val="2"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"b" if horizontal else "l"}"/>'
        f"<c:majorGridlines>{_line(_GRID, 9525)}</c:majorGridlines>"
        f'<c:numFmt formatCode="#,##0" sourceLinked="0"/>{no_ticks}'
        f'<c:spPr><a:ln><a:noFill/></a:ln></c:spPr>{_text_props(9)}<c:crossAx val="1"/>'
        f'<c:crosses val="{crosses}"/><c:crossBetween val="between"/></c:valAx>'
    )
    return category + value


def _plot(spec: ChartSpec, sheet: str, rows: Sequence[Sequence[CellValue]]) -> str:
    own_rows = rows if spec.data_sheet in (None, sheet) else None
    series = "".join(_series(spec, i, s, sheet, own_rows) for i, s in enumerate(spec.series))
    axis_ids = '<c:axId val="1"/><c:axId val="2"/>'
    if spec.kind in ("bar", "column"):
        direction = "bar" if spec.kind == "bar" else "col"
        body = (
            f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/>'
            f'<c:varyColors val="0"/>{series}<c:gapWidth val="60"/>{axis_ids}</c:barChart>'
            + _axes(spec.kind)
        )
    elif spec.kind == "line":
        body = (
            f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series}'
            f'<c:marker val="1"/>{axis_ids}</c:lineChart>' + _axes(spec.kind)
        )
    elif spec.kind == "pie":
        body = f'<c:pieChart><c:varyColors val="1"/>{series}<c:firstSliceAng val="0"/></c:pieChart>'
    else:
        body = (
            f'<c:doughnutChart><c:varyColors val="1"/>{series}<c:firstSliceAng val="0"/>'
            '<c:holeSize val="55"/></c:doughnutChart>'
        )
    return f"<c:plotArea><c:layout/>{body}</c:plotArea>"


def _chart_space(spec: ChartSpec, sheet: str, rows: Sequence[Sequence[CellValue]]) -> str:
    """One chart part."""
    if spec.kind not in ("bar", "column", "pie", "doughnut", "line"):
        raise ValueError(f"chart kind '{spec.kind}' is not one of bar, column, pie, doughnut, line")
    legend = spec.kind in ("pie", "doughnut", "line") or len(spec.series) > 1
    legend_xml = (
        f'<c:legend><c:legendPos val="b"/><c:overlay val="0"/>{_text_props(9)}</c:legend>'
        if legend
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace {_NS}><c:lang val="zh-CN"/><c:roundedCorners val="0"/>'
        f'<c:chart>{_title(spec.title)}<c:autoTitleDeleted val="0"/>{_plot(spec, sheet, rows)}'
        f'{legend_xml}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        '<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
        f'<a:ln w="9525"><a:solidFill><a:srgbClr val="{_GRID}"/></a:solidFill></a:ln></c:spPr>'
        f"{_text_props(10)}</c:chartSpace>"
    )


def _anchor(spec: ChartSpec, index: int) -> str:
    """A two-cell anchor spanning ``width_cells`` × ``height_cells`` from the chart's anchor."""
    row, col = (n - 1 for n in parse_cell(spec.anchor))  # 0-based, as DrawingML counts
    width, height = spec.width_cells * _EMU_PER_CELL[0], spec.height_cells * _EMU_PER_CELL[1]

    def marker(tag: str, c: int, r: int) -> str:
        return (
            f"<xdr:{tag}><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>"
        )

    return (
        '<xdr:twoCellAnchor editAs="oneCell">'
        + marker("from", col, row)
        + marker("to", col + spec.width_cells, row + spec.height_cells)
        + '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="{index + 2}" name="Chart {index + 1}" descr="{escape(spec.title, {chr(34): "&quot;"})}"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        f'<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/></xdr:xfrm>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:r="{OFFICE_REL_NS}" '
        f'r:id="rId{index + 1}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
        "<xdr:clientData/></xdr:twoCellAnchor>"
    )
