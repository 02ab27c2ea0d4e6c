"""Chart parts: well-formed DrawingML, references and cached values from the sheet's rows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue, ChartKind, ChartSeries, ChartSpec
from sheetcrm.book.charts import drawing_parts

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

ROWS: list[list[CellValue]] = [["等级", "客户数"], ["高价值", 3], ["潜力", 5.5], ["普通", None]]
KINDS: tuple[ChartKind, ...] = ("bar", "column", "pie", "doughnut", "line")


def _spec(kind: ChartKind) -> ChartSpec:
    return ChartSpec(kind, "各等级客户数", "A2:A4", [ChartSeries("客户数", "B2:B4")], "D2")


def _find(element: ET.Element, path: str) -> ET.Element:
    """The first match of path, failing the test when there is none."""
    found = element.find(path)
    assert found is not None, path
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_well_formed_with_refs_and_caches(kind: ChartKind) -> None:
    parts = drawing_parts([_spec(kind)], "汇总 'A'", ROWS)
    chart = ET.fromstring(parts.charts[0])
    plot = chart.find(f"{C}chart/{C}plotArea")
    assert plot is not None
    tag = {"bar": "barChart", "column": "barChart", "line": "lineChart"}.get(kind, f"{kind}Chart")
    assert plot.find(f"{C}{tag}") is not None
    formulas = [f.text for f in chart.iter(f"{C}f")]
    assert formulas == ["'汇总 ''A'''!$A$2:$A$4", "'汇总 ''A'''!$B$2:$B$4"]
    labels = [v.text for v in _find(chart, f".//{C}strCache").iter(f"{C}v")]
    assert labels == ["高价值", "潜力", "普通"]
    numbers = chart.find(f".//{C}numCache")
    assert numbers is not None
    assert [(p.get("idx"), p.findtext(f"{C}v")) for p in numbers.iter(f"{C}pt")] == [
        ("0", "3"),
        ("1", "5.5"),
    ]  # the blank cell has no point: a gap, not a zero
    assert (
        chart.findtext(f".//{C}title//{{http://schemas.openxmlformats.org/drawingml/2006/main}}t")
        == "各等级客户数"
    )
    has_axes = plot.find(f"{C}valAx") is not None
    assert has_axes == (kind in ("bar", "column", "line"))


def test_bar_direction_differs_for_bar_and_column() -> None:
    bar, column = (ET.fromstring(drawing_parts([_spec(k)], "S", ROWS).charts[0]) for k in KINDS[:2])
    assert _find(bar, f".//{C}barDir").get("val") == "bar"
    assert _find(column, f".//{C}barDir").get("val") == "col"


def test_drawing_anchors_each_chart_with_its_relationship_in_order() -> None:
    specs = [
        _spec("pie"),
        ChartSpec("line", "趋势", "A2:A4", [ChartSeries("n", "B2:B4")], "B20", 5, 10),
    ]
    parts = drawing_parts(specs, "S", ROWS)
    assert len(parts.charts) == 2
    drawing = ET.fromstring(parts.drawing_xml)
    anchors = drawing.findall(f"{XDR}twoCellAnchor")
    assert [_find(a, f".//{C}chart").get(f"{R}id") for a in anchors] == ["rId1", "rId2"]
    start = _find(anchors[1], f"{XDR}from")
    end = _find(anchors[1], f"{XDR}to")
    assert (start.findtext(f"{XDR}col"), start.findtext(f"{XDR}row")) == ("1", "19")
    assert (end.findtext(f"{XDR}col"), end.findtext(f"{XDR}row")) == ("6", "29")


def test_data_on_another_sheet_is_referenced_without_a_stale_cache() -> None:
    spec = ChartSpec(
        "line", "趋势", "A2:A9", [ChartSeries("高价值", "B2:B9")], "A1", data_sheet="运行记录"
    )
    chart = ET.fromstring(drawing_parts([spec], "仪表盘", ROWS).charts[0])
    assert [f.text for f in chart.iter(f"{C}f")] == ["'运行记录'!$A$2:$A$9", "'运行记录'!$B$2:$B$9"]
    assert chart.find(f".//{C}numCache") is None


def test_text_is_escaped() -> None:
    spec = ChartSpec("column", "<a & b>", "A2:A3", [ChartSeries("x<y", "B2:B3")], "D2")
    chart = ET.fromstring(drawing_parts([spec], "S", [["h"], ["<&>", 1], ["ok", 2]]).charts[0])
    assert chart.findtext(f".//{C}ser/{C}tx/{C}v") == "x<y"
    assert [v.text for v in _find(chart, f".//{C}strCache").iter(f"{C}v")] == ["<&>", "ok"]


def test_bad_range_is_refused_with_the_value() -> None:
    spec = ChartSpec("column", "t", "A2:nope", [ChartSeries("n", "B2:B3")], "D2")
    with pytest.raises(ValueError, match="nope"):
        drawing_parts([spec], "S", ROWS)


# Child order of the CT_* sequences of ECMA-376 Part 1, §21.2 (the parents this module writes).
_ORDER = {
    "chartSpace": "date1904 lang roundedCorners chart spPr txPr",
    "chart": "title autoTitleDeleted plotArea legend plotVisOnly dispBlanksAs",
    "barChart": "barDir grouping varyColors ser dLbls gapWidth overlap axId",
    "lineChart": "grouping varyColors ser dLbls marker axId",
    "pieChart": "varyColors ser dLbls firstSliceAng",
    "doughnutChart": "varyColors ser dLbls firstSliceAng holeSize",
    "ser": "idx order tx spPr invertIfNegative marker dPt dLbls cat val smooth",
    "dPt": "idx invertIfNegative marker bubble3D explosion spPr",
    "dLbls": "numFmt spPr txPr showLegendKey showVal showCatName showSerName showPercent "
    "showBubbleSize showLeaderLines",
    "catAx": "axId scaling delete axPos majorGridlines numFmt majorTickMark minorTickMark "
    "tickLblPos spPr txPr crossAx crosses auto lblAlgn lblOffset noMultiLvlLbl",
    "valAx": "axId scaling delete axPos majorGridlines numFmt majorTickMark minorTickMark "
    "tickLblPos spPr txPr crossAx crosses crossBetween",
    "legend": "legendPos overlay spPr txPr",
    "title": "tx overlay",
}


@pytest.mark.parametrize("kind", KINDS)
def test_children_follow_the_schema_order(kind: ChartKind) -> None:
    two = ChartSpec(
        kind, "t", "A2:A4", [ChartSeries("a", "B2:B4"), ChartSeries("b", "B2:B4")], "D2"
    )
    checked = set()
    for spec in (_spec(kind), two):
        chart = ET.fromstring(drawing_parts([spec], "S", ROWS).charts[0])
        for parent in chart.iter():
            name = parent.tag.removeprefix(C)
            if name not in _ORDER or not parent.tag.startswith(C):
                continue
            checked.add(name)
            order = _ORDER[name].split()
            children = [child.tag.removeprefix(C) for child in parent]
            assert set(children) <= set(order), (name, children)
            ranks = [order.index(child) for child in children]
            assert ranks == sorted(ranks), (name, children)
    assert {"chartSpace", "chart", "ser", "dLbls" if kind != "line" else "legend"} <= checked


def test_openpyxl_reads_each_chart_back() -> None:
    """An independent reader of the chart schema finds the kind, the series and the formula."""
    from openpyxl.chart.chartspace import ChartSpace
    from openpyxl.chart.reader import read_chart

    expected: dict[ChartKind, str] = {
        "bar": "BarChart",
        "column": "BarChart",
        "pie": "PieChart",
        "doughnut": "DoughnutChart",
        "line": "LineChart",
    }
    for kind, name in expected.items():
        xml = drawing_parts([_spec(kind)], "S", ROWS).charts[0]
        chart = read_chart(ChartSpace.from_tree(ET.fromstring(xml)))
        assert type(chart).__name__ == name
        assert [s.val.numRef.f for s in chart.series] == ["'S'!$B$2:$B$4"]


@settings(max_examples=50, deadline=None)
# U+FFFE/U+FFFF are not XML characters at all: no workbook can hold them in a sheet name.
@given(
    st.text(
        st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\ufffe\uffff"),
        min_size=1,
        max_size=31,
    )
)
def test_any_sheet_name_is_quoted_so_the_reference_reads_back(sheet: str) -> None:
    chart = ET.fromstring(drawing_parts([_spec("column")], sheet, ROWS).charts[0])
    formula = chart.findtext(f".//{C}val//{C}f")
    assert formula is not None and formula.endswith("!$B$2:$B$4")
    quoted = formula.removesuffix("!$B$2:$B$4")
    assert quoted[0] == quoted[-1] == "'"
    assert quoted[1:-1].replace("''", "'") == sheet
