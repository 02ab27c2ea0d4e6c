"""The hidden ``_xlnm._FilterDatabase`` name follows a sheet autofilter widened over the result
columns, in the form Excel writes it; LibreOffice (which reads the filter from that name) then
opens the result with the filter on the full range."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from libreoffice import convert
from sheetcrm.a1 import MAX_COLUMN, MAX_ROW, parse_range, range_ref, unquote_sheet
from sheetcrm.book.base import CellValue, ResultColumn, SheetSpec
from sheetcrm.book.defined_names import FILTER_DATABASE, set_filter_database
from sheetcrm.book.namespaces import MAIN_NS
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.tuning import Tuning

NS = {"m": MAIN_NS}
_FILTER = re.compile(r'<(?:\w+:)?autoFilter\b[^>]*\bref="([^"]*)"')


def _workbook(names: str = "", after_sheets: str = '<calcPr calcId="1"/>') -> etree._Element:
    return etree.fromstring(
        f'<workbook xmlns="{MAIN_NS}"><bookViews/><sheets><sheet name="a"/><sheet name="b"/>'
        f"</sheets>{names}{after_sheets}</workbook>"
    )


def _filter_names(workbook: etree._Element) -> dict[str, tuple[str, str, str]]:
    """localSheetId → (sheet, range, hidden) of every _FilterDatabase name."""
    found = {}
    for element in workbook.iterfind("m:definedNames/m:definedName", NS):
        if element.get("name") == FILTER_DATABASE:
            sheet, _, ref = (element.text or "").rpartition("!")
            found[element.get("localSheetId", "")] = (
                unquote_sheet(sheet),
                range_ref(*parse_range(ref)),
                element.get("hidden", ""),
            )
    return found


def test_an_existing_name_is_widened_and_nothing_else_changes() -> None:
    names = (
        "<definedNames>"
        '<definedName name="_xlnm._FilterDatabase" localSheetId="1" hidden="1">b!$A$1:$C$9</definedName>'
        '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">a!$B$2:$D$5</definedName>'
        '<definedName name="Rate">0.98</definedName>'
        "</definedNames>"
    )
    workbook = _workbook(names)
    set_filter_database(workbook, 0, "a", "B2:H40")
    assert _filter_names(workbook) == {"0": ("a", "B2:H40", "1"), "1": ("b", "A1:C9", "1")}
    untouched = etree.tostring(_workbook(names).find("m:definedNames", NS))
    widened = etree.tostring(workbook.find("m:definedNames", NS))
    assert widened == untouched.replace(b"a!$B$2:$D$5", b"'a'!$B$2:$H$40")


@pytest.mark.parametrize("after_sheets", ['<calcPr calcId="1"/>', "", "<extLst/>"])
def test_a_missing_name_is_added_where_the_schema_wants_it(after_sheets: str) -> None:
    workbook = _workbook(after_sheets=after_sheets)
    set_filter_database(workbook, 1, "b", "A1:F7")
    assert _filter_names(workbook) == {"1": ("b", "A1:F7", "1")}
    order = [etree.QName(child).localname for child in workbook]
    assert order[: order.index("definedNames")] == ["bookViews", "sheets"]


@pytest.mark.parametrize("sheet", ["Sheet1", "客户 名单", "O'Brien's", "2024", "a!b"])
@given(
    st.integers(1, MAX_ROW),
    st.integers(1, MAX_COLUMN),
    st.integers(0, 1000),
    st.integers(0, 50),
)
@settings(max_examples=25, deadline=None)
def test_any_sheet_and_range_reads_back(
    sheet: str, row: int, column: int, rows: int, columns: int
) -> None:
    last_row, last_column = min(row + rows, MAX_ROW), min(column + columns, MAX_COLUMN)
    ref = range_ref(row, column, last_row, last_column)
    workbook = _workbook()
    set_filter_database(workbook, 0, sheet, ref)
    assert _filter_names(workbook) == {"0": (sheet, ref, "1")}
    (element,) = workbook.iterfind("m:definedNames/m:definedName", NS)
    assert "$" in (element.text or "") and (element.text or "").endswith(
        range_ref(row, column, last_row, last_column, absolute=True)
    )


def test_a_name_added_takes_the_place_excel_gives_it(bundled_corpus_dir: Path) -> None:
    """Excel's own workbook.xml, its _FilterDatabase taken out and put back by us: same place,
    same attributes, same range (Excel lists names in order, "_xlnm." set aside)."""
    with zipfile.ZipFile(bundled_corpus_dir / "defined_name01.xlsx") as package:
        excel = etree.fromstring(package.read("xl/workbook.xml"))
    ours = etree.fromstring(etree.tostring(excel))
    names = ours.find("m:definedNames", NS)
    assert names is not None
    (mine,) = [e for e in names if e.get("name") == FILTER_DATABASE]
    names.remove(mine)
    set_filter_database(ours, 0, "Sheet1", "F1:G1")
    listed = [(e.get("name"), e.get("localSheetId"), e.get("hidden")) for e in names]
    assert listed == [
        (e.get("name"), e.get("localSheetId"), e.get("hidden"))
        for e in excel.iterfind("m:definedNames/m:definedName", NS)
    ]
    assert _filter_names(ours) == _filter_names(excel)


# -- the file writer ---------------------------------------------------------------------------

_HEADERS = ["Region", "Item", "Volume", "Month"]  # autofilter01: Excel's filter on A1:D51


def _write_results(path: Path, tuning: Tuning | None = None) -> None:
    writer = PackageWriter(path, tuning)
    columns = [
        ResultColumn("客户等级", [f"T{i}" for i in range(50)]),
        ResultColumn("Score", list(range(50))),
    ]
    writer.write_columns("Sheet1", 1, 1, 51, None, _HEADERS, columns)
    writer.save(backup=False)


def _parts(path: Path) -> tuple[list[str], etree._Element]:
    with zipfile.ZipFile(path) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
        return _FILTER.findall(sheet), etree.fromstring(package.read("xl/workbook.xml"))


@pytest.mark.parametrize("in_a_worker", [False, True])
def test_the_writer_widens_the_name_with_the_filter(
    bundled_corpus_dir: Path, tmp_path: Path, in_a_worker: bool
) -> None:
    path = tmp_path / "filtered.xlsx"
    shutil.copy(bundled_corpus_dir / "autofilter01.xlsx", path)
    _write_results(path, Tuning(background_part=1) if in_a_worker else None)
    filters, workbook = _parts(path)
    assert filters == ["A1:F51"]
    assert _filter_names(workbook) == {"0": ("Sheet1", "A1:F51", "1")}


def _without_defined_names(source: Path, target: Path) -> None:
    """The workbook as a tool that writes no _FilterDatabase leaves it."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb"<definedNames>.*</definedNames>", b"", data)
            new.writestr(info, data)


def test_the_writer_adds_the_name_where_it_is_missing(
    bundled_corpus_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "no-name.xlsx"
    _without_defined_names(bundled_corpus_dir / "autofilter01.xlsx", path)
    assert _filter_names(_parts(path)[1]) == {}
    _write_results(path)
    filters, workbook = _parts(path)
    assert filters == ["A1:F51"] and _filter_names(workbook) == {"0": ("Sheet1", "A1:F51", "1")}


def test_a_filter_off_the_header_row_and_its_name_stay(
    bundled_corpus_dir: Path, tmp_path: Path
) -> None:
    """A filter that does not start at the table's header is not ours to widen: neither it nor
    its name changes, and workbook.xml stays as Excel wrote it."""
    path = tmp_path / "elsewhere.xlsx"
    shutil.copy(bundled_corpus_dir / "autofilter01.xlsx", path)
    with zipfile.ZipFile(path) as package:
        before = package.read("xl/workbook.xml")
    writer = PackageWriter(path)
    columns = [ResultColumn("Score", list(range(49)))]
    writer.write_columns("Sheet1", 2, 1, 51, None, ["East", "Apple", "9000", "July"], columns)
    writer.save(backup=False)
    filters, _ = _parts(path)
    assert filters == ["A1:D51"]
    with zipfile.ZipFile(path) as package:
        assert package.read("xl/workbook.xml") == before


@pytest.mark.libreoffice
def test_libreoffice_opens_the_result_with_the_filter_on_every_column(
    bundled_corpus_dir: Path, tmp_path: Path
) -> None:
    """LibreOffice takes a sheet's filter range from _FilterDatabase: a name left narrow would
    filter the old columns only (checked: A1:D51 before this fix)."""
    path = tmp_path / "filtered.xlsx"
    shutil.copy(bundled_corpus_dir / "autofilter01.xlsx", path)
    _write_results(path)
    writer = PackageWriter(path)
    writer.write_sheet(SheetSpec("数据检查", _CHECK_ROWS))
    writer.save(backup=False)
    (saved,) = convert([path], "xlsx", tmp_path / "lo")
    filters, workbook = _parts(saved)
    assert filters == ["A1:F51"]
    assert _filter_names(workbook)["0"][1] == "A1:F51"
    assert _filter_names(workbook)["1"][:2] == ("数据检查", "A1:C4")  # before: no filter at all


def test_a_grown_table_widens_its_own_filter_and_needs_no_name(
    bundled_corpus_dir: Path, tmp_path: Path
) -> None:
    """An Excel Table's filter lives in the table part, grown with the table; Excel keeps no
    _FilterDatabase for a Table, so none is added."""
    path = tmp_path / "table.xlsx"
    shutil.copy(bundled_corpus_dir / "table01.xlsx", path)
    writer = PackageWriter(path)
    headers = ["Column1", "Column2", "Column3", "Column4"]
    columns = [ResultColumn("Tier", [f"T{i}" for i in range(10)]), ResultColumn("Score", [1] * 10)]
    writer.write_columns("Sheet1", 3, 3, 13, "Table1", headers, columns)
    writer.save(backup=False)
    with zipfile.ZipFile(path) as package:
        table = etree.fromstring(package.read("xl/tables/table1.xml"))
        workbook = etree.fromstring(package.read("xl/workbook.xml"))
    auto = table.find("m:autoFilter", NS)
    assert table.get("ref") == "C3:H13" and auto is not None and auto.get("ref") == "C3:H13"
    assert _filter_names(workbook) == {}


_CHECK_ROWS: list[list[CellValue]] = [
    ["工作表", "行", "问题"],
    ["客户", 2, "空行"],
    ["客户", 5, "重复"],
    ["客户", 9, "x"],
]


def _names_after(path: Path, *specs: SheetSpec) -> tuple[etree._Element, bytes]:
    for spec in specs:
        writer = PackageWriter(path)
        writer.write_sheet(spec)
        writer.save(backup=False)
    with zipfile.ZipFile(path) as package:
        data = package.read("xl/workbook.xml")
    return etree.fromstring(data), data


def test_own_sheets_name_their_filters_and_a_filter_gone_takes_its_name(
    bundled_corpus_dir: Path, tmp_path: Path
) -> None:
    """sheetcrm's own sheets get the name with their filter (LibreOffice dropped their filters
    without it); rewritten unchanged, workbook.xml stays as it was; without a filter, no name."""
    path = tmp_path / "own.xlsx"
    shutil.copy(bundled_corpus_dir / "autofilter01.xlsx", path)
    spec = SheetSpec("数据检查", _CHECK_ROWS)
    workbook, first = _names_after(path, spec, SheetSpec("仪表盘", [["a"]], autofilter=False))
    assert _filter_names(workbook) == {
        "0": ("Sheet1", "A1:D51", "1"),  # Excel's own, untouched
        "1": ("数据检查", "A1:C4", "1"),
    }
    assert _names_after(path, spec)[1] == first
    grown = SheetSpec("数据检查", [*_CHECK_ROWS, ["客户", 12, "y"]])
    assert _filter_names(_names_after(path, grown)[0])["1"][1] == "A1:C5"
    workbook, _ = _names_after(path, SheetSpec("数据检查", _CHECK_ROWS, autofilter=False))
    assert set(_filter_names(workbook)) == {"0"}


def test_a_filter_gone_leaves_no_empty_names_list() -> None:
    workbook = _workbook()
    assert set_filter_database(workbook, 1, "b", "A1:C3")
    assert not set_filter_database(workbook, 1, "b", "A1:C3")  # nothing to change
    assert set_filter_database(workbook, 1, "b", None)
    assert workbook.find("m:definedNames", NS) is None
    assert not set_filter_database(workbook, 1, "b", None)
