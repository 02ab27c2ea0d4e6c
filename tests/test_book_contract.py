"""One Book contract for every door: the same scenarios on FileBook, UnoBook and ExcelBook.

Each scenario runs on the file book (the reference) and on the door under test, from the
same workbook file, and every sheet must then hold the same values, tab colours and
AutoFilters, and every sheet sheetcrm wrote the same header fill and date formats. The Excel door is
xlwings' own Book/Sheet/Range over the in-memory engine of ``xlwings_memory``; the
LibreOffice door is a headless soffice (marked ``libreoffice``).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from sheetcrm.a1 import column_letter, parse_cell, range_ref
from sheetcrm.book.base import Book, CellValue, ResultColumn
from sheetcrm.book.file import FileBook
from sheetcrm.book.live_excel import ExcelBook
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.demo import write_demo
from sheetcrm.errors import WorkbookError
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.sheets.history import HISTORY_SHEET
from sheetcrm.sheets.plan import PLAN_SHEET
from sheetcrm.sheets.tiers import HEADERS
from uno_env import grid_differences, uno_missing
from xlwings_memory import book_from_file

AS_OF = dt.date(2026, 6, 1)
Grids = dict[str, list[list[CellValue]]]


@dataclass(frozen=True)
class Looks:
    """What a sheet shows besides its values: tab colour, AutoFilter, header fill (A1), and the
    number format of each column's first date cell, as "RRGGBB", "A1:D9", lower-case codes."""

    tab: str | None
    autofilter: str | None
    fill: str | None = None
    date_formats: tuple[tuple[int, str], ...] = ()


def _first_dates(grid: list[list[CellValue]]) -> dict[int, tuple[int, int]]:
    """Each column's first date cell below row 1, as 1-based (row, column)."""
    found: dict[int, tuple[int, int]] = {}
    for r, row in enumerate(grid[1:], start=2):
        for c, value in enumerate(row, start=1):
            if isinstance(value, dt.date) and c not in found:
                found[c] = (r, c)
    return found


class Door:
    """Opens a workbook file as one kind of book, lets staff edit cells, reads every sheet."""

    name = "file"

    def open(self, path: Path) -> Book:
        """The workbook as this door's book."""
        return FileBook(path, backup=False)

    def grids(self, book: Book, path: Path) -> Grids:
        """Every sheet's values, as saved (a live book: as it is now)."""
        reader = XlsxReader(path)
        return {name: reader.read_grid(name) for name in reader.sheet_names()}

    def looks(self, book: Book, path: Path, grids: Grids) -> dict[str, Looks]:
        """Every sheet's :class:`Looks`, as saved (a live book: as it is now)."""
        wb = openpyxl.load_workbook(path)
        out = {}
        for ws in wb.worksheets:
            tab = ws.sheet_properties.tabColor
            fill = ws["A1"].fill
            formats = _first_dates(grids[ws.title])
            out[ws.title] = Looks(
                tab.rgb[-6:].upper() if tab is not None and tab.rgb else None,
                ws.auto_filter.ref or None,
                fill.fgColor.rgb[-6:].upper() if fill.fill_type == "solid" else None,
                tuple((c, ws.cell(*cell).number_format.lower()) for c, cell in formats.items()),
            )
        return out

    def header_style(
        self, book: Book, path: Path, sheet: str, cell: str
    ) -> tuple[bool, str | None]:
        """A cell's bold and solid fill ("RRGGBB"), as saved (a live book: as it is now)."""
        found = openpyxl.load_workbook(path)[sheet][cell]
        fill = found.fill.fgColor.rgb[-6:].upper() if found.fill.fill_type == "solid" else None
        return bool(found.font.b), fill

    def edit(self, book: Book, path: Path, sheet: str, cell: str, value: str) -> Book:
        """A staff member types a value into a cell; the book to go on with."""
        wb = openpyxl.load_workbook(path)
        wb[sheet][cell] = value
        wb.save(path)
        return self.open(path)

    def close(self) -> None:
        """Let go of whatever the door opened."""


class ExcelDoor(Door):
    """ExcelBook over xlwings' own classes on the in-memory engine, seeded from the file."""

    name = "excel"

    def open(self, path: Path) -> Book:
        return ExcelBook(book_from_file(path), platform="win32")

    def grids(self, book: Book, path: Path) -> Grids:
        return {name: book.read_grid(name) for name in book.sheet_names()}

    def looks(self, book: Book, path: Path, grids: Grids) -> dict[str, Looks]:
        assert isinstance(book, ExcelBook)
        out = {}
        for sheet in book.book.sheets:
            data = sheet.impl._data
            formats = _first_dates(grids[sheet.name])
            out[sheet.name] = Looks(
                data.tab_color,
                data.autofilter,
                data.fills.get((1, 1)),
                tuple(
                    (c, data.number_formats.get(cell, "General").lower())
                    for c, cell in formats.items()
                ),
            )
        return out

    def header_style(
        self, book: Book, path: Path, sheet: str, cell: str
    ) -> tuple[bool, str | None]:
        assert isinstance(book, ExcelBook)
        data = book.book.sheets[sheet].impl._data
        at = parse_cell(cell)
        return at in data.bold, data.fills.get(at)

    def edit(self, book: Book, path: Path, sheet: str, cell: str, value: str) -> Book:
        assert isinstance(book, ExcelBook)
        book.book.sheets[sheet].range(cell).value = "'" + value
        return book


class UnoDoor(Door):
    """UnoBook over a headless LibreOffice."""

    name = "uno"

    def __init__(self, office: Any) -> None:
        self.office, self.docs = office, []  # type: ignore[var-annotated]

    def open(self, path: Path) -> Book:
        from sheetcrm.book.live_uno import UnoBook

        doc = self.office.load(path)
        self.docs.append(doc)
        return UnoBook(doc, store=False)

    def grids(self, book: Book, path: Path) -> Grids:
        return {name: book.read_grid(name) for name in book.sheet_names()}

    def looks(self, book: Book, path: Path, grids: Grids) -> dict[str, Looks]:
        doc = self.docs[-1]
        unnamed = doc.getPropertyValue("UnnamedDatabaseRanges")
        formats = doc.NumberFormats
        out = {}
        for index, name in enumerate(doc.Sheets.ElementNames):
            sheet = doc.Sheets.getByName(name)
            autofilter = None
            if unnamed.hasByTable(index) and unnamed.getByTable(index).AutoFilter:
                box = unnamed.getByTable(index).DataArea
                autofilter = range_ref(
                    box.StartRow + 1, box.StartColumn + 1, box.EndRow + 1, box.EndColumn + 1
                )
            fill = sheet.getCellByPosition(0, 0).CellBackColor
            dates = _first_dates(grids[name])
            out[name] = Looks(
                f"{sheet.TabColor:06X}" if sheet.TabColor != -1 else None,
                autofilter,
                f"{fill:06X}" if fill != -1 else None,
                tuple(
                    (
                        c,
                        formats.getByKey(
                            sheet.getCellByPosition(c - 1, r - 1).NumberFormat
                        ).FormatString.lower(),
                    )
                    for c, (r, _) in dates.items()
                ),
            )
        return out

    def header_style(
        self, book: Book, path: Path, sheet: str, cell: str
    ) -> tuple[bool, str | None]:
        found = self.docs[-1].Sheets.getByName(sheet).getCellRangeByName(cell)
        fill = None if found.IsCellBackgroundTransparent else f"{found.CellBackColor:06X}"
        return found.CharWeight >= 150, fill

    def edit(self, book: Book, path: Path, sheet: str, cell: str, value: str) -> Book:
        doc = self.docs[-1]
        doc.Sheets.getByName(sheet).getCellRangeByName(cell).setString(value)
        return book

    def close(self) -> None:
        for doc in self.docs:
            doc.close(True)


@pytest.fixture(scope="module")
def office() -> Iterator[Any]:
    """One private headless LibreOffice for the module's LibreOffice runs."""
    if uno_missing() is not None:
        pytest.skip(str(uno_missing()))
    from sheetcrm.book.uno_session import OfficeSession

    with OfficeSession() as session:
        yield session


@pytest.fixture(
    params=["file", "excel", pytest.param("uno", marks=pytest.mark.libreoffice)],
)
def door(request: pytest.FixtureRequest) -> Iterator[Door]:
    """Each door in turn."""
    chosen: Door
    if request.param == "uno":
        chosen = UnoDoor(request.getfixturevalue("office"))
    elif request.param == "excel":
        chosen = ExcelDoor()
    else:
        chosen = Door()
    yield chosen
    chosen.close()


Scenario = Callable[[Door, Path], tuple[Book, Path]]


def _same_everywhere(
    door: Door, tmp_path: Path, source: Path, scenario: Scenario, only: str | None = None
) -> Grids:
    """Run a scenario on the file book and on the door; assert every sheet holds the same."""
    reference_path = tmp_path / "reference.xlsx"
    door_path = tmp_path / f"{door.name}.xlsx"
    shutil.copyfile(source, reference_path)
    shutil.copyfile(source, door_path)
    reference = Door()
    done = scenario(reference, reference_path)
    want = reference.grids(*done)
    want_looks = reference.looks(*done, want)
    done = scenario(door, door_path)
    got = door.grids(*done)
    got_looks = door.looks(*done, got)
    assert sorted(got) == sorted(want)
    given = set(XlsxReader(source).sheet_names())  # sheets sheetcrm did not write
    for sheet, grid in want.items():
        if only and sheet != only:
            continue
        seen = got[sheet]
        if sheet == HISTORY_SHEET:  # column A is the moment each run happened
            grid, seen = [row[1:] for row in grid], [row[1:] for row in seen]
        assert grid_differences(seen, grid) == [], (door.name, sheet)
        looks, seen_looks = want_looks[sheet], got_looks[sheet]
        if sheet in given:  # the user's own fills and formats are not ours to compare
            looks = Looks(looks.tab, looks.autofilter)
            seen_looks = Looks(seen_looks.tab, seen_looks.autofilter)
        assert seen_looks == looks, (door.name, sheet)
    return got


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest demo workbook (100 customers)."""
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_demo(path, customers=100, as_of=AS_OF)
    return path


def _run(door: Door, path: Path, times: int = 1) -> tuple[Book, Path]:
    book = door.open(path)
    for _ in range(times):
        run_job("run", book, JobOptions(as_of=AS_OF))
        if door.name == "file":
            book = door.open(path)
    return book, path


def test_first_run_writes_every_owned_sheet_alike(door: Door, tmp_path: Path, demo: Path) -> None:
    grids = _same_everywhere(door, tmp_path, demo, _run)
    assert {PLAN_SHEET, HISTORY_SHEET} <= set(grids)


def test_a_rerun_replaces_its_columns(door: Door, tmp_path: Path, demo: Path) -> None:
    grids = _same_everywhere(door, tmp_path, demo, lambda d, p: _run(d, p, times=2))
    header = next(row for row in grids["客户名单"] if HEADERS["tier"][0] in row)
    assert header.count(HEADERS["tier"][0]) == 1


def _plain_table(path: Path, rows: list[list[Any]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("客户")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write_number(r, c, value)
    book.close()
    return path


CUSTOMERS = [
    ["客户编号", "客户名称", "手机"],
    ["C001", "华东五金", "13800138000"],
    ["C002", "南方建材", "13900139000"],
]


def _write(columns: list[ResultColumn]) -> Scenario:
    def scenario(door: Door, path: Path) -> tuple[Book, Path]:
        book = door.open(path)
        book.write_columns(book.read_customers(), columns)
        book.save()
        return (door.open(path) if door.name == "file" else book), path

    return scenario


def test_a_language_switch_reuses_the_columns(door: Door, tmp_path: Path) -> None:
    source = _plain_table(tmp_path / "source.xlsx", CUSTOMERS)
    zh, en = HEADERS["tier"][:2]

    def switch(door: Door, path: Path) -> tuple[Book, Path]:
        book, path = _write([ResultColumn(zh, ["A", "B"])])(door, path)
        return (
            _write([ResultColumn(en, ["B", "A"])])(door, path)
            if door.name == "file"
            else (
                _again(book, [ResultColumn(en, ["B", "A"])]),
                path,
            )
        )

    grids = _same_everywhere(door, tmp_path, source, switch)
    assert [row[3] for row in grids["客户"]] == [en, "B", "A"]


def _again(book: Book, columns: list[ResultColumn]) -> Book:
    book.write_columns(book.read_customers(), columns)
    return book


def test_user_data_in_the_way_is_refused_and_nothing_is_written(door: Door, tmp_path: Path) -> None:
    rows = [[*row, None, None] for row in CUSTOMERS]
    rows[2][4] = "员工备注"  # E3: where the second result column would go
    source = _plain_table(tmp_path / "source.xlsx", rows)
    book = door.open(source)
    before = door.grids(book, source)
    with pytest.raises(WorkbookError, match="E3"):
        book.write_columns(
            book.read_customers(),
            [ResultColumn("客户等级", ["A", "B"]), ResultColumn("分级得分", [1.0, 2.0])],
        )
    assert door.grids(book, source) == before


def test_a_totals_row_gets_no_results(door: Door, tmp_path: Path) -> None:
    # With amounts: tiering refuses a table with nothing to tier by (no amount, orders or dates).
    rows = [[*row, amount] for row, amount in zip(CUSTOMERS, ["累计金额", 5000, 1200], strict=True)]
    source = _plain_table(tmp_path / "source.xlsx", [*rows, ["合计", None, None, 6200]])
    grids = _same_everywhere(door, tmp_path, source, lambda d, p: _run(d, p))
    tier = grids["客户"][0].index(HEADERS["tier"][0])
    assert grids["客户"][3][tier] is None


def test_staff_notes_on_the_plan_survive_a_rerun(door: Door, tmp_path: Path, demo: Path) -> None:
    def noted(door: Door, path: Path) -> tuple[Book, Path]:
        book, path = _run(door, path)
        notes = door.grids(book, path)[PLAN_SHEET][0].index("备注") + 1
        book = door.edit(book, path, PLAN_SHEET, f"{chr(64 + notes)}2", "客户已回电")
        run_job("run", book, JobOptions(as_of=AS_OF))
        return (door.open(path) if door.name == "file" else book), path

    # The plan only: openpyxl, which edits the file book, drops cached formula results.
    grids = _same_everywhere(door, tmp_path, demo, noted, only=PLAN_SHEET)
    assert any("客户已回电" in row for row in grids[PLAN_SHEET])


def _filtered_table(path: Path, rows: list[list[Any]], through: int) -> Path:
    """A plain customer table with an AutoFilter on its header row, ``through`` rows deep."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("客户")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.autofilter(0, 0, through - 1, len(rows[0]) - 1)
    book.close()
    return path


@pytest.mark.parametrize("through", [1, 3])
def test_the_tables_autofilter_is_widened_over_the_results(
    door: Door, tmp_path: Path, through: int
) -> None:
    source = _filtered_table(tmp_path / "source.xlsx", CUSTOMERS, through)
    results = [ResultColumn("客户等级", ["A", "B"]), ResultColumn("分级日期", [AS_OF, None])]
    _same_everywhere(door, tmp_path, source, _write(results))
    reference = tmp_path / "reference.xlsx"
    file_door = Door()
    book = file_door.open(reference)
    looks = file_door.looks(book, reference, file_door.grids(book, reference))["客户"]
    # From the header row to the last customer, over both results; the date as the file writes it.
    assert looks.autofilter == f"A1:{column_letter(5)}3"
    assert looks.date_formats == ((5, "yyyy-mm-dd"),)


def test_a_filter_elsewhere_on_the_sheet_is_left_alone(door: Door, tmp_path: Path) -> None:
    rows: list[list[Any]] = [["客户清单", None, None], *CUSTOMERS]  # the filter is on the title
    source = _filtered_table(tmp_path / "source.xlsx", rows, 4)
    _same_everywhere(door, tmp_path, source, _write([ResultColumn("客户等级", ["A", "B"])]))


@pytest.mark.parametrize("look", [(True, "FFC000"), (False, None)])
def test_result_headers_look_like_the_tables_last_header(
    door: Door, tmp_path: Path, look: tuple[bool, str | None]
) -> None:
    bold, fill = look
    source = tmp_path / "source.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("客户")
    header = book.add_format({"bold": bold, **({"bg_color": "#" + fill} if fill else {})})
    for r, row in enumerate(CUSTOMERS):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value, header if r == 0 else None)
    book.close()
    results = [ResultColumn("客户等级", ["A", "B"]), ResultColumn("分级得分", [1.0, 2.0])]
    path = tmp_path / f"{door.name}.xlsx"
    shutil.copyfile(source, path)
    done = _write(results)(door, path)
    assert [door.header_style(*done, "客户", cell) for cell in ("D1", "E1")] == [look, look]
    assert door.header_style(*done, "客户", "D2") == (False, None)
