"""The preserving writer: result columns, sheetcrm's own sheets, safe saving."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from libreoffice import csv_sheets
from sheetcrm import _background
from sheetcrm.a1 import column_letter, column_number
from sheetcrm.book import cell_xml, own_sheets, splice
from sheetcrm.book.base import (
    CellError,
    CellValue,
    ChartSeries,
    ChartSpec,
    ConditionalFill,
    ListValidation,
    ResultColumn,
    SheetSpec,
)
from sheetcrm.book.package import Package
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.errors import WorkbookError
from sheetcrm.tuning import Tuning

HEADERS = ["编号", "客户", "手机", "金额", "双倍"]
INJECTIONS = ["=1+1", "+A1", "-2", "@SUM(A1)"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A customer workbook with a Table, formulas, validation, merges, a comment and a summary."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "客户"
    ws.append(HEADERS)
    for i in range(1, 6):
        ws.append([i, f"客户{i}", f"1380000000{i}", i * 100, f"=D{i + 1}*2"])
    ws["E1"].font = Font(bold=True, color="FF0000")
    ws.add_table(
        Table(
            displayName="客户表",
            ref="A1:E6",
            tableStyleInfo=TableStyleInfo(name="TableStyleMedium9"),
        )
    )
    validation = DataValidation(type="list", formula1='"是,否"', sqref="C2:C6")
    ws.add_data_validation(validation)
    ws.conditional_formatting.add("D2:D6", CellIsRule(operator="greaterThan", formula=["250"]))
    ws["B2"].comment = Comment("重要客户", "销售")
    ws["A9"] = "备注：合并单元格"
    ws.merge_cells("A9:C9")
    summary = wb.create_sheet("汇总")
    summary["A1"] = "=SUM(客户!G2:G6)"  # G will hold the result column "score"
    summary["A2"] = "=SUM(客户!E2:E6)"
    path = tmp_path / "客户名单.xlsx"
    wb.save(path)
    return path


def _results(scores: list[float] | None = None) -> list[ResultColumn]:
    return [
        ResultColumn("等级", ["A", "B", *INJECTIONS[:3]], width=8),
        ResultColumn("score", scores or [1.5, 2.5, 3.5, 4.5, 5.5], number_format="0.0"),
        ResultColumn(
            "下次跟进",
            [dt.date(2024, 3, 5), dt.datetime(2024, 3, 6, 9, 30), None, CellError("#N/A"), True],
        ),
    ]


def _write(
    path: Path,
    results: list[ResultColumn],
    headers: list[str] = HEADERS,
    tuning: Tuning | None = None,
) -> PackageWriter:
    writer = PackageWriter(path, tuning)
    writer.write_columns("客户", 1, 1, 6, "客户表", headers, results)
    return writer


def _sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)


def test_columns_land_right_of_the_table_with_user_data_intact(book: Path) -> None:
    writer = _write(book, _results())
    writer.write_sheet(SheetSpec("跟进计划", [["客户", "日期"], ["客户1", dt.date(2024, 1, 2)]]))
    writer.save()
    wb = openpyxl.load_workbook(book)
    ws = wb["客户"]
    assert [c.value for c in ws[1]] == [*HEADERS, "等级", "score", "下次跟进"]
    assert [ws.cell(r, 6).value for r in range(2, 7)] == ["A", "B", "=1+1", "+A1", "-2"]
    assert ws["F4"].data_type == "s"  # text, never a formula
    assert [ws.cell(r, 7).value for r in range(2, 7)] == [1.5, 2.5, 3.5, 4.5, 5.5]
    assert ws["G2"].number_format == "0.0"
    assert ws["H2"].value == dt.datetime(2024, 3, 5)
    assert ws["H2"].number_format == "yyyy-mm-dd"
    assert ws["H3"].value == dt.datetime(2024, 3, 6, 9, 30)
    assert ws["H4"].value is None and ws["H5"].value == "#N/A" and ws["H6"].value is True
    assert [ws.cell(r, 5).value for r in range(2, 7)] == [f"=D{r}*2" for r in range(2, 7)]
    assert "A9:C9" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.data_validations.dataValidation[0].formula1 == '"是,否"'
    assert len(list(ws.conditional_formatting)) == 1
    assert ws["B2"].comment is not None and ws["B2"].comment.text == "重要客户"
    table = ws.tables["客户表"]
    assert table.ref == "A1:H6"
    assert [c.name for c in table.tableColumns] == [c.value for c in ws[1]]
    assert table.tableStyleInfo.name == "TableStyleMedium9"
    assert ws["F1"].font.b and ws["F1"].font.color.rgb == ws["E1"].font.color.rgb
    assert ws.column_dimensions["F"].width == 8
    assert wb.sheetnames == ["客户", "汇总", "跟进计划"]
    assert wb["跟进计划"]["B2"].value == dt.datetime(2024, 1, 2)


def test_rerun_replaces_columns_and_reuses_styles(book: Path) -> None:
    _write(book, _results()).save()
    styles_before = _sheet_xml(book, "xl/styles.xml")
    _write(book, _results([9, 8, 7, 6, 5]), [*HEADERS, "等级", "score", "下次跟进"]).save()
    ws = openpyxl.load_workbook(book)["客户"]
    assert [c.value for c in ws[1]] == [*HEADERS, "等级", "score", "下次跟进"]
    assert [ws.cell(r, 7).value for r in range(2, 7)] == [9, 8, 7, 6, 5]
    assert ws.tables["客户表"].ref == "A1:H6"
    assert len(ws.tables["客户表"].tableColumns) == 8
    assert _sheet_xml(book, "xl/styles.xml") == styles_before


def test_rerun_finds_old_columns_stored_as_shared_strings(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "excel.xlsx"
    with xlsxwriter.Workbook(path) as wb:  # like Excel, XlsxWriter stores text as shared strings
        ws = wb.add_worksheet("客户")
        for r, row in enumerate([["编号", "等级", "备注"], [1, "旧", ""], [2, "旧", ""]]):
            ws.write_row(r, 0, row)
    assert b"inlineStr" not in _sheet_xml(path)
    writer = PackageWriter(path)
    writer.write_columns(
        "客户", 1, 1, 3, None, ["编号", "等级"], [ResultColumn("等级", ["A", "B"])]
    )
    writer.save()
    ws2 = openpyxl.load_workbook(path)["客户"]
    assert [[c.value for c in row] for row in ws2.iter_rows()] == [
        ["编号", "等级", "备注"],
        [1, "A", None],
        [2, "B", None],
    ]


@pytest.mark.libreoffice
def test_libreoffice_reads_new_values_and_recalculates_dependent_formulas(
    book: Path, tmp_path: Path
) -> None:
    _write(book, _results()).save()
    sheets = csv_sheets(book, tmp_path / "csv")
    assert sheets["客户"][0][5:8] == ["等级", "score", "下次跟进"]
    assert [row[5] for row in sheets["客户"][1:6]] == ["A", "B", "=1+1", "+A1", "-2"]
    assert sheets["汇总"][0][0] == "17.5"  # 1.5 + 2.5 + 3.5 + 4.5 + 5.5, computed by LibreOffice
    assert sheets["汇总"][1][0] == "3000"


def test_data_in_the_way_is_refused_and_file_untouched(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    wb["客户"]["G4"] = "我的笔记"
    wb.save(book)
    before = book.read_bytes()
    with pytest.raises(WorkbookError) as error:
        _write(book, _results())
    assert "客户" in str(error.value) and "G4" in str(error.value)
    assert book.read_bytes() == before


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_like_text_stays_text(tmp_path: Path, text: str) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("s", [["h"], [text]]))
    writer.write_columns("Sheet1", 1, 1, 2, None, [], [ResultColumn("x", [text])])
    writer.save()
    for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        xml = _sheet_xml(path, part)
        assert b"<f>" not in xml and b"<f " not in xml
    wb = openpyxl.load_workbook(path)
    assert wb["s"]["A2"].value == text and wb["s"]["A2"].data_type == "s"
    assert wb["Sheet1"]["A2"].value == text and wb["Sheet1"]["A2"].data_type == "s"


_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r"), max_size=30
).filter(lambda t: "_x" not in t)
_VALUE = st.one_of(
    _TEXT,
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_VALUE, min_size=1, max_size=4), min_size=1, max_size=6))
def test_any_values_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[CellValue]]
) -> None:
    path = _raw_book(tmp_path_factory.mktemp("rt"), "<sheetData/>")
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("数据", rows, header_rows=0))
    writer.save()
    ws = openpyxl.load_workbook(path)["数据"]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            got = ws.cell(r, c).value
            if isinstance(value, str):
                cleaned = "".join(ch for ch in value if ch in "\t\n" or ord(ch) >= 32)
                cleaned = "".join(ch for ch in cleaned if ch not in "\ufffe\uffff")
                assert (got or "") == cleaned
            else:
                assert got == value


def test_literal_excel_escapes_survive(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("s", [["_x0041_ and \x01bell"]], header_rows=0))
    writer.save()
    xml = _sheet_xml(path, "xl/worksheets/sheet2.xml")
    assert b"_x005F_x0041_ and bell" in xml


def _raw_book(folder: Path, sheet_data: str, name: str = "raw.xlsx", extra: str = "") -> Path:
    """A minimal package by hand: no styles.xml, no sharedStrings, sheet XML as given."""
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'{extra}<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="A1:C9"/>{sheet_data}</worksheet>',
        )
    return path


@pytest.mark.parametrize("block", [8192, 2])  # 2: rows are encoded across block boundaries
def test_odd_row_and_cell_xml_is_handled(tmp_path: Path, block: int) -> None:
    sheet = (
        "<sheetData>"
        '<row r="1" spans="1:3"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c t="inlineStr"><is><t>name</t></is></c></row>'
        '<row spans="1:3"><c><v>1</v></c><c r="B2"><f t="shared" ref="B2:B3" si="0">A2*2</f><v>2</v></c></row>'
        '<row r="3"/>'  # an empty self-closing row
        '<row r="5"><c r="A5"><v>4</v></c><c r="E5"><v>99</v></c></row>'  # row 4 missing
        '<row r="12"><c r="A12" t="inlineStr"><is><t>below</t></is></c></row>'
        "</sheetData>"
    )
    path = _raw_book(tmp_path, sheet)
    writer = PackageWriter(path, Tuning(row_block=block))
    writer.write_columns(
        "Sheet1", 1, 1, 6, None, ["id", "name"], [ResultColumn("tier", ["a", "b", "c", "d", "e"])]
    )
    writer.save()
    xml = _sheet_xml(path)
    assert b"spans" not in xml
    root = etree.fromstring(xml)
    rows = root.findall(f".//{{{MAIN}}}row")
    assert [r.get("r") for r in rows] == ["1", "2", "3", "4", "5", "6", "12"]
    for row in rows:  # cells strictly in column order (a cell without r follows the one before)
        cols: list[int] = []
        for cell in row:
            letters = "".join(ch for ch in cell.get("r", "") if ch.isalpha())
            cols.append(column_number(letters) if letters else (cols[-1] if cols else 0) + 1)
        assert cols == sorted(set(cols))
    assert b'<f t="shared" ref="B2:B3" si="0">A2*2</f>' in xml
    assert root.find(f".//{{{MAIN}}}dimension").get("ref") == "A1:C9"  # as it was: covers ours
    ws = openpyxl.load_workbook(path)["Sheet1"]
    assert [ws.cell(r, 3).value for r in range(1, 8)] == ["tier", "a", "b", "c", "d", "e", None]
    assert ws["E5"].value == 99 and ws["B2"].value == "=A2*2" and ws["A12"].value == "below"


def test_data_under_a_new_column_inside_the_rows_is_refused(tmp_path: Path) -> None:
    path = _raw_book(
        tmp_path,
        '<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>2</v></c></row></sheetData>',
    )
    writer = PackageWriter(path)
    with pytest.raises(WorkbookError, match="C1"):
        writer.write_columns("Sheet1", 1, 1, 2, None, ["id", "x"], [ResultColumn("tier", ["a"])])


@dataclass
class _Parts:
    drawing_xml: bytes
    charts: list[bytes]


_CHART = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:plotArea><c:layout/>'
    b'<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/>'
    b"<c:val><c:numRef><c:f>'s'!$B$2:$B$3</c:f></c:numRef></c:val></c:ser>"
    b'<c:axId val="1"/><c:axId val="2"/></c:barChart>'
    b'<c:catAx><c:axId val="1"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:axPos val="b"/><c:crossAx val="2"/></c:catAx>'
    b'<c:valAx><c:axId val="2"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:axPos val="l"/><c:crossAx val="1"/></c:valAx>'
    b"</c:plotArea></c:chart></c:chartSpace>"
)


def _drawing(count: int) -> bytes:
    frames = "".join(
        "<xdr:twoCellAnchor><xdr:from><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        "<xdr:to><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>15</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{i + 2}" name="Chart {i + 1}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId{i + 1}"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>'
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><xdr:wsDr '
        'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{frames}</xdr:wsDr>'
    ).encode()


@pytest.fixture
def fake_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand in for sheetcrm.book.charts with a tiny bar chart: the plumbing is tested here."""
    monkeypatch.setattr(
        own_sheets,
        "drawing_parts",
        lambda charts, sheet, rows: _Parts(_drawing(len(charts)), [_CHART] * len(charts)),
    )


def _chart_spec() -> SheetSpec:
    chart = ChartSpec("column", "等级分布", "A2:A3", [ChartSeries("人数", "B2:B3")], "D2")
    return SheetSpec(
        "s",
        [["等级", "人数"], ["A", 3], ["B", 5]],
        charts=[chart, chart],
        validations=[ListValidation(0, ["A", "B"])],
        conditional=[ConditionalFill((0, 1), "$B2>4", "FFC7CE", "9C0006")],
        freeze="B2",
        widths={0: 12},
        bold_cells=[(1, 1)],
        tab_color="00B050",
        number_formats={1: "0"},
    )


def test_charts_are_plumbed_and_replaced_without_orphans(tmp_path: Path, fake_charts: None) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    for _ in range(2):
        writer = PackageWriter(path)
        writer.write_sheet(_chart_spec())
        writer.save(backup=False)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert sorted(n for n in names if n.startswith("xl/charts/")) == [
            "xl/charts/chart1.xml",
            "xl/charts/chart2.xml",
        ]
        assert sorted(n for n in names if n.startswith("xl/drawings/")) == [
            "xl/drawings/_rels/drawing1.xml.rels",
            "xl/drawings/drawing1.xml",
        ]
        types_xml = z.read("[Content_Types].xml").decode()
        assert types_xml.count("drawingml.chart+xml") == 2 and types_xml.count("drawing+xml") == 1
        rels = etree.fromstring(z.read("xl/drawings/_rels/drawing1.xml.rels"))
        assert sorted(r.get("Id") for r in rels) == ["rId1", "rId2"]
        sheet = etree.fromstring(z.read("xl/worksheets/sheet2.xml"))
    order = [etree.QName(child).localname for child in sheet]
    assert order == [
        "sheetPr",
        "dimension",
        "sheetViews",
        "sheetFormatPr",
        "cols",
        "sheetData",
        "autoFilter",
        "conditionalFormatting",
        "dataValidations",
        "pageMargins",
        "drawing",
    ]
    ws = openpyxl.load_workbook(path)["s"]
    assert ws.freeze_panes == "B2"
    assert ws.sheet_properties.tabColor.rgb == "FF00B050"
    assert ws["B2"].font.b and ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert ws.auto_filter.ref == "A1:B3"
    assert ws.data_validations.dataValidation[0].formula1 == '"A,B"'


def test_workbook_without_styles_gets_one(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("s", [["日期"], [dt.date(2024, 3, 5)]]))
    writer.save()
    with zipfile.ZipFile(path) as z:
        assert "xl/styles.xml" in z.namelist()
        assert b"styles+xml" in z.read("[Content_Types].xml")
        assert b"styles.xml" in z.read("xl/_rels/workbook.xml.rels")
    assert openpyxl.load_workbook(path)["s"]["A2"].value == dt.datetime(2024, 3, 5)


def test_1904_dates(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>", extra='<workbookPr date1904="1"/>')
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("s", [["日期"], [dt.date(2024, 3, 5)]]))
    writer.save()
    assert b"<v>43894</v>" in _sheet_xml(path, "xl/worksheets/sheet2.xml")  # 45356 - 1462


def _add_calc_chain(path: Path, cells: str = '<c r="B2" i="1"/>') -> None:
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN}">{cells}</calcChain>'.encode()
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


@pytest.mark.parametrize("formula_in_our_column", [True, False])
@pytest.mark.parametrize("in_a_worker", [False, True])  # the worker tells what it overwrote
def test_calc_chain_dropped_only_when_a_formula_is_overwritten(
    tmp_path: Path, formula_in_our_column: bool, in_a_worker: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = "<f>1+1</f><v>2</v>" if formula_in_our_column else "<v>2</v>"
    sheet = f'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>tier</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2">{old}</c></row></sheetData>'
    path = _raw_book(tmp_path, sheet)
    _add_calc_chain(path)
    writer = PackageWriter(path, Tuning(background_part=0) if in_a_worker else None)
    writer.write_columns("Sheet1", 1, 1, 2, None, ["id", "tier"], [ResultColumn("tier", ["A"])])
    writer.save()
    with zipfile.ZipFile(path) as z:
        present = "xl/calcChain.xml" in z.namelist()
        rels = z.read("xl/_rels/workbook.xml.rels")
        content_types = z.read("[Content_Types].xml")
    assert present is not formula_in_our_column
    assert (b"calcChain" in rels) is not formula_in_our_column
    assert (b"calcChain" in content_types) is not formula_in_our_column
    assert openpyxl.load_workbook(path)["Sheet1"]["B2"].value == "A"


@pytest.mark.parametrize(
    ("chain", "dropped"),
    [
        ('<c r="A1" i="1"/>', True),  # a formula of the sheet replaced
        ('<c r="A1" i="2"/><c r="B1"/><c r="C1" i="1"/>', True),  # later, among another's
        ('<c r="A1" i="2"/><c r="B1"/>', False),  # only another sheet's (B1: on sheet 2 too)
        ('<c r="A1"/>', True),  # no sheet id at all: it may be ours
    ],
)
def test_replacing_our_sheet_drops_the_calc_chain_only_when_it_names_that_sheet(
    tmp_path: Path, chain: str, dropped: bool
) -> None:
    path = _raw_book(
        tmp_path, '<sheetData><row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row></sheetData>'
    )
    _add_calc_chain(path, chain)
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("Sheet1", [["new"]]))
    writer.save()
    with zipfile.ZipFile(path) as z:
        assert ("xl/calcChain.xml" in z.namelist()) is not dropped
        assert (b"calcChain" in z.read("[Content_Types].xml")) is not dropped
    assert openpyxl.load_workbook(path)["Sheet1"]["A1"].value == "new"


# -- saving -----------------------------------------------------------------------------------


def test_save_in_place_keeps_a_backup(book: Path) -> None:
    original = book.read_bytes()
    _write(book, _results()).save()
    first = book.parent / ".sheetcrm-backups" / "客户名单.first.xlsx"
    assert first.read_bytes() == original
    replaced = book.read_bytes()
    _write(book, _results(), [*HEADERS, "等级", "score", "下次跟进"]).save()
    assert first.read_bytes() == original  # the first backup is never overwritten
    runs = sorted(first.parent.glob("客户名单.2*.xlsx"))
    assert len(runs) == 1 and runs[0].read_bytes() == replaced
    assert not list(book.parent.glob(".~*"))


def test_save_to_output_leaves_original_alone(book: Path, tmp_path: Path) -> None:
    original = book.read_bytes()
    out = _write(book, _results()).save(tmp_path / "out.xlsx")
    assert out == tmp_path / "out.xlsx" and out.exists()
    assert book.read_bytes() == original
    assert not (book.parent / ".sheetcrm-backups").exists()


def test_xlsm_keeps_vba_and_content_type(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>", name="宏.xlsm")
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    macro_type = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", macro_type
    )
    members["xl/vbaProject.bin"] = bytes(range(256)) * 40
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("s", [["a"]]))
    writer.save()
    with (
        zipfile.ZipFile(path) as z,
        zipfile.ZipFile(path.parent / ".sheetcrm-backups" / "宏.first.xlsm") as b,
    ):
        assert z.read("xl/vbaProject.bin") == members["xl/vbaProject.bin"]
        assert (
            z.getinfo("xl/vbaProject.bin").compress_size
            == b.getinfo("xl/vbaProject.bin").compress_size
        )
        assert macro_type in z.read("[Content_Types].xml")


def test_failed_save_leaves_no_trace(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = book.read_bytes()
    writer = _write(book, _results())

    def broken(stream: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer.package, "save_to", broken)
    with pytest.raises(OSError, match="disk full"):
        writer.save()
    assert book.read_bytes() == original
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]


def test_refuses_when_open_in_excel(book: Path) -> None:
    book.with_name("~$" + book.name).write_bytes(b"lock")
    with pytest.raises(WorkbookError, match="Excel"):
        _write(book, _results()).save()


def test_refuses_when_changed_since_read_but_not_when_only_touched(book: Path) -> None:
    writer = _write(book, _results())
    wb = openpyxl.load_workbook(book)
    wb["客户"]["B2"] = "别人改的"
    wb.save(book)
    with pytest.raises(WorkbookError, match="changed"):
        writer.save()
    assert openpyxl.load_workbook(book)["客户"]["B2"].value == "别人改的"
    writer = _write(book, _results())
    book.touch()
    writer.save()


def test_refuses_unwritable_folder(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = _write(book, _results())
    monkeypatch.setattr("os.access", lambda path, mode: False)  # tests may run as root
    with pytest.raises(WorkbookError, match="cannot write to folder"):
        writer.save()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,phone\n", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"), "password"),
        (b"PK\x03\x04broken", "damaged"),
    ],
)
def test_corrupt_input_is_explained(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(WorkbookError, match=message):
        PackageWriter(path)


def test_zip_without_content_types_is_explained(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist() if n != "[Content_Types].xml"}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(WorkbookError, match="Content_Types"):
        PackageWriter(path).write_sheet(SheetSpec("s", [["a"]]))


def test_zip_without_workbook_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(WorkbookError, match=r"workbook\.xml"):
        PackageWriter(path)


def test_bad_sheet_name_is_refused(tmp_path: Path) -> None:
    writer = PackageWriter(_raw_book(tmp_path, "<sheetData/>"))
    with pytest.raises(WorkbookError, match="a/b"):
        writer.write_sheet(SheetSpec("a/b", [["x"]]))


@given(st.text())
def test_text_taken_as_plain_needs_no_escaping_or_cleaning(text: str) -> None:
    # The encoder writes "plain" text into <t> untouched; it must be what the careful path writes.
    if cell_xml._plain(text):
        assert escape(cell_xml.clean_text(text)) == text
        assert cell_xml._preserve(text) == ""


@st.composite
def _sheet_rows(draw: st.DrawFn) -> str:
    """sheetData with the row and cell shapes writers produce: gaps, spans, no r, self-closing."""
    rows: list[tuple[str, str]] = []
    number = 0
    for _ in range(draw(st.integers(0, 14))):
        number += draw(st.sampled_from([1, 1, 1, 2, 3]))
        shape = draw(st.sampled_from(["plain", "plain", "spans", "late-r", "no-r", "empty"]))
        columns = sorted(draw(st.sets(st.integers(1, 4), max_size=4)))
        with_r = shape != "no-r" or not columns or columns != list(range(1, len(columns) + 1))
        cells = "".join(
            f'<c r="{column_letter(c)}{number}"><v>{c}</v></c>' if with_r else f"<c><v>{c}</v></c>"
            for c in columns
        )
        attrs = {
            "plain": f' r="{number}"',
            "spans": f' r="{number}" spans="1:4"',
            "late-r": f' ht="20" customHeight="1" r="{number}"',
            "no-r": f' r="{number}"' if with_r else "",
            "empty": f' r="{number}"',
        }[shape]
        if shape == "no-r" and not with_r and rows and not rows[-1][1]:
            attrs = f' r="{number}"'  # a row without r follows the previous row's number
        rows.append((f"<row{attrs}/>" if shape == "empty" else f"<row{attrs}>{cells}</row>", attrs))
    return "<sheetData>" + "".join(row for row, _ in rows) + "</sheetData>"


def _written_xml(
    path: Path,
    header_row: int,
    last_row: int,
    values: list[CellValue],
    tuning: Tuning | None = None,
) -> bytes:
    writer = PackageWriter(path, tuning)
    results = [ResultColumn("tier", values), ResultColumn("score", [len(str(v)) for v in values])]
    writer.write_columns("Sheet1", header_row, 1, last_row, None, ["a", "b", "c", "d"], results)
    return writer.package.read("xl/worksheets/sheet1.xml")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sheet_data=_sheet_rows(),
    header_row=st.integers(1, 3),
    values=st.lists(st.sampled_from(["A", "B", None, 1.5]), max_size=12),
)
def test_bulk_and_piece_by_piece_splicing_write_what_row_by_row_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sheet_data: str,
    header_row: int,
    values: list[CellValue],
) -> None:
    # Three ways through the same sheet must agree byte for byte, on a first run and a re-run:
    # whole rows in bulk, rows one by one, and the sheet streamed in tiny pieces.
    path = _raw_book(tmp_path, sheet_data, name=f"s{abs(hash(sheet_data))}.xlsx")
    last_row = header_row + len(values)

    def outputs(tuning: Tuning | None = None) -> bytes:
        first = _written_xml(path, header_row, last_row, values, tuning)
        again = tmp_path / "again.xlsx"
        again.write_bytes(_replace_part(path, first))
        return first + b"|" + _written_xml(again, header_row, last_row, values, tuning)

    expected = outputs()
    with monkeypatch.context() as patch:
        patch.setattr(splice.RowSplicer, "bulk", lambda *args: None)
        assert outputs() == expected
    assert outputs(Tuning(piece=9)) == expected
    with monkeypatch.context() as patch:
        patch.setattr(splice, "_FUSED", 0)  # no column's tails fused with what follows them
        assert outputs() == expected


def _replace_part(path: Path, sheet: bytes) -> bytes:
    """The package at path with its sheet1.xml replaced (what a first run saved)."""
    out = path.with_name("replaced.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info, data)
    return out.read_bytes()


def test_a_full_width_sheet_is_spliced_in_bulk_without_changing_the_xml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows the way Excel writes them (spans, every cell with r): the bulk path takes them all.
    rows = "".join(
        f'<row r="{r}" spans="1:3">'
        + "".join(f'<c r="{column_letter(c)}{r}"><v>{r * c}</v></c>' for c in range(1, 4))
        + "</row>"
        for r in range(1, 2001)
    )
    path = _raw_book(tmp_path, f"<sheetData>{rows}</sheetData>")
    values: list[CellValue] = [f"t{r % 7}" for r in range(1999)]
    calls: list[int] = []
    original = splice.RowSplicer.bulk

    def counting(
        self: splice.RowSplicer, piece: bytes, begin: int, stop: int
    ) -> list[bytes] | None:
        done = original(self, piece, begin, stop)
        calls.append(done is not None)
        return done

    monkeypatch.setattr(splice.RowSplicer, "bulk", counting)
    xml = _written_xml(path, 1, 2000, values, Tuning(piece=4096))
    assert len(calls) > 10 and all(calls[:-1])  # many pieces, all in bulk but the last (no rows)
    assert b"spans" not in xml
    # The results start right of the four headers given, at E; row 2000 holds value 1998.
    assert b'<c r="C2000"><v>6000</v></c><c r="E2000" t="inlineStr"><is><t>t3</t></is></c>' in xml
    monkeypatch.setattr(splice.RowSplicer, "bulk", lambda *args: None)
    assert _written_xml(path, 1, 2000, values, Tuning(piece=4096)) == xml


_CELL_VALUE = st.one_of(
    st.none(),
    st.sampled_from(
        [True, False, 1, 0, 1.0, 0.0, -0.5, float("nan"), float("inf"), "1", "a&b", " x", "是"]
    ),
    st.builds(CellError, st.sampled_from(["#N/A", "#DIV/0!"])),
    st.dates(dt.date(1950, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)),
    _TEXT,
    st.integers(-(10**15), 10**15),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_CELL_VALUE, max_size=40), style=st.sampled_from([None, 7]))
def test_column_cells_match_the_cell_by_cell_xml(
    values: list[CellValue], style: int | None
) -> None:
    # The vectorised encoder shares XML between equal values: True, 1 and 1.0 must not mix.
    styles = cell_xml.CellStyles(None, 3, 4)
    rows = [str(r).encode() for r in range(5, 5 + len(values))]
    cells = cell_xml.column_cells(
        "AB",
        style,
        cell_xml.padded(values, len(values)),
        np.array(rows, dtype=object),
        styles,
        False,
    )
    expected = [
        cell_xml.cell_xml(f"AB{r}", v, style, styles, False)
        for r, v in zip(range(5, 5 + len(values)), values, strict=True)
    ]
    assert list(cells) == expected


def _zip_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every CRC checks out
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("size_hint", [0, 2**30])  # default level, and level 1 for big parts
def test_streamed_part_round_trips_and_copies_the_rest_raw(tmp_path: Path, size_hint: int) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    package = Package(path)
    pieces: list[bytes | memoryview] = [
        b"<x>",
        memoryview(b"abc" * 1_500_000),
        *(b"%d," % i for i in range(50_000)),
        b"</x>",
    ]
    package.write_stream("xl/worksheets/sheet1.xml", iter(pieces), size_hint)
    whole = b"".join(pieces)
    assert package.read("xl/worksheets/sheet1.xml") == whole
    out = tmp_path / "out.xlsx"
    with out.open("wb") as handle:
        package.save_to(handle)
    before, after = _zip_parts(path), _zip_parts(out)
    assert list(after) == list(before)
    assert after["xl/worksheets/sheet1.xml"] == whole
    assert {k: v for k, v in after.items() if "sheet1" not in k} == {
        k: v for k, v in before.items() if "sheet1" not in k
    }


def test_failed_stream_leaves_the_part_as_it_was(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    package = Package(path)
    original = package.read("xl/worksheets/sheet1.xml")

    def pieces() -> Iterator[bytes]:
        yield b"<half"
        raise WorkbookError("stop")

    with pytest.raises(WorkbookError):
        package.write_stream("xl/worksheets/sheet1.xml", pieces(), 0)
    assert package.read("xl/worksheets/sheet1.xml") == original
    assert not package.is_changed("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize(
    "head",
    ['<sheetFormatPr defaultRowHeight="15"/>', '<cols><col min="5" max="5" width="3"/></cols>', ""],
)
def test_widths_and_dimension_go_before_the_rows(tmp_path: Path, head: str) -> None:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
    path = _raw_book(tmp_path, f"{head}<sheetData>{rows}</sheetData>")
    writer = PackageWriter(path)
    writer.write_columns("Sheet1", 1, 1, 2, None, ["id"], [ResultColumn("t", ["x"], width=9)])
    writer.save()
    root = etree.fromstring(_sheet_xml(path))
    names = [etree.QName(child).localname for child in root]
    assert names.index("cols") < names.index("sheetData")
    cols = root.findall(f".//{{{MAIN}}}col")
    assert [c.get("min") for c in cols] == sorted((c.get("min") for c in cols), key=int)
    assert any(c.get("min") == "2" and c.get("width") == "9" for c in cols)
    assert [d.get("ref") for d in root.findall(f"{{{MAIN}}}dimension")] == ["A1:C9"]  # covers ours
    ws = openpyxl.load_workbook(path)["Sheet1"]
    assert ws["B1"].value == "t" and ws["B2"].value == "x"


def test_own_sheet_rows_keep_short_rows_and_per_cell_styles(tmp_path: Path) -> None:
    path = _raw_book(tmp_path, "<sheetData/>")
    rows: list[list[CellValue]] = [["a", "b", "c"], [1, None], [], [dt.date(2024, 5, 6), 2.5, "x"]]
    spec = SheetSpec(
        "s",
        rows,
        number_formats={1: "0.00"},
        bold_cells=[(1, 0), (0, 1)],
        cell_formats={(3, 1): "0%"},
    )
    writer = PackageWriter(path)
    writer.write_sheet(spec)
    writer.save()
    root = etree.fromstring(_sheet_xml(path, "xl/worksheets/sheet2.xml"))
    cells = [[c.get("r") for c in row] for row in root.iter(f"{{{MAIN}}}row")]
    # B2 is blank but its column has a style; row 3 has no cells; no cell past a row's end.
    assert cells == [["A1", "B1", "C1"], ["A2", "B2"], [], ["A4", "B4", "C4"]]
    ws = openpyxl.load_workbook(path)["s"]
    assert ws["A2"].font.b and ws["B1"].font.b and not ws["A4"].font.b
    assert ws["B4"].number_format == "0%" and ws["B2"].number_format == "0.00"
    assert ws["A4"].value == dt.datetime(2024, 5, 6) and ws["B4"].value == 2.5


def test_values_go_to_the_rows_given(tmp_path: Path) -> None:
    # The customer frame skips blank rows: row 3 is blank, so the values belong to rows 2, 4, 5.
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in (2, 4, 5))
    path = _raw_book(
        tmp_path,
        f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>{rows}</sheetData>',
    )
    writer = PackageWriter(path)
    writer.write_columns(
        "Sheet1", 1, 1, 5, None, ["id"], [ResultColumn("t", ["a", "b", "c"])], rows=[2, 4, 5]
    )
    writer.save()
    ws = openpyxl.load_workbook(path)["Sheet1"]
    assert [ws.cell(r, 2).value for r in range(1, 7)] == ["t", "a", None, "b", "c", None]
    writer = PackageWriter(path)  # a re-run with one customer fewer leaves no stale result
    writer.write_columns(
        "Sheet1", 1, 1, 5, None, ["id"], [ResultColumn("t", ["x", "y"])], rows=[2, 5]
    )
    writer.save()
    ws = openpyxl.load_workbook(path)["Sheet1"]
    assert [ws.cell(r, 2).value for r in range(1, 7)] == ["t", "x", None, None, "y", None]
    with pytest.raises(ValueError):
        writer.write_columns("Sheet1", 1, 1, 5, None, ["id"], [ResultColumn("t", ["x"])], rows=[1])


# -- a big sheet's columns, written by a worker process -------------------------------------


@pytest.fixture
def in_worker() -> Tuning:
    """Every customer sheet counts as big: a worker process writes the result columns."""
    return Tuning(background_part=0)


def test_a_worker_writes_the_same_file(book: Path, tmp_path: Path, in_worker: Tuning) -> None:
    inline = tmp_path / "inline.xlsx"
    elsewhere = tmp_path / "elsewhere.xlsx"
    writer = _write(book, _results(), tuning=in_worker)
    assert [pending.elsewhere for _, pending in writer._pending] == [True]
    writer.save(elsewhere)
    inline_writer = _write(book, _results())  # a small sheet: written inline
    assert not inline_writer._pending
    inline_writer.save(inline)
    with zipfile.ZipFile(inline) as a, zipfile.ZipFile(elsewhere) as b:
        assert a.namelist() == b.namelist()
        assert all(a.read(name) == b.read(name) for name in a.namelist())


def test_data_in_the_way_found_by_a_worker_is_refused_at_save(
    book: Path, in_worker: Tuning
) -> None:
    wb = openpyxl.load_workbook(book)
    wb["客户"]["G4"] = "我的笔记"
    wb.save(book)
    before = book.read_bytes()
    writer = _write(book, _results(), tuning=in_worker)  # the worker finds it; the error waits
    with pytest.raises(WorkbookError) as error:
        writer.save()
    assert "客户" in str(error.value) and "G4" in str(error.value)
    assert book.read_bytes() == before


def test_a_worker_refuses_a_file_changed_since_it_was_read(
    book: Path, monkeypatch: pytest.MonkeyPatch, in_worker: Tuning
) -> None:
    started: list[tuple[Callable[..., object], tuple[object, ...]]] = []

    def keep(
        work: Callable[..., object], *args: object, **options: object
    ) -> _background.Pending[object]:
        started.append((work, args))
        return _background.Pending(work, args, redo=False)  # not started: nobody asks for it

    monkeypatch.setattr(_background, "start", keep)
    writer = PackageWriter(book, in_worker)
    writer.write_columns("客户", 1, 1, 6, "客户表", HEADERS, _results())
    wb = openpyxl.load_workbook(book)
    wb["客户"]["A2"] = 99  # Excel saved the file meanwhile
    wb.save(book)
    ((work, args),) = started
    with pytest.raises(WorkbookError, match="changed after sheetcrm read it"):
        work(*args)
