"""The xlwings book adapter, on fake xlwings objects (no Excel here): reads a table, writes a column."""

from __future__ import annotations

from typing import Any

from sheetcrm.book.base import CellValue, ResultColumn
from sheetcrm.book.live_excel import ExcelBook


class Cell:
    def __init__(self, row: int, column: int) -> None:
        self.row, self.column = row, column


class FakeRange:
    def __init__(self, sheet: FakeSheet, top: tuple[int, int], bottom: tuple[int, int]) -> None:
        self.sheet, self.top, self.bottom, self.transpose = sheet, top, bottom, False
        self.number_format: str | None = None
        self.column_width: float | None = None

    def options(self, transpose: bool = False, **_: Any) -> FakeRange:
        self.transpose = transpose
        return self

    @property
    def value(self) -> list[list[Any]]:
        (r1, c1), (r2, c2) = self.top, self.bottom
        return [
            [self.sheet.cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)
        ]

    @value.setter
    def value(self, values: list[Any]) -> None:
        r, c = self.top
        for i, v in enumerate(values):
            self.sheet.cells[(r + i, c) if self.transpose else (r, c + i)] = v

    def offset(self, rows: int) -> FakeRange:
        return FakeRange(self.sheet, (self.top[0] + rows, self.top[1]), self.bottom)

    def resize(self, rows: int) -> FakeRange:
        self.sheet.formats.append(self)
        return self


class FakeSheet:
    def __init__(self, name: str, rows: list[list[Any]]) -> None:
        self.name = name
        self.tables: list[object] = []
        self.formats: list[FakeRange] = []
        self.cells = {(r + 1, c + 1): v for r, row in enumerate(rows) for c, v in enumerate(row)}

    @property
    def used_range(self) -> Any:
        class Used:
            last_cell = Cell(max(r for r, _ in self.cells), max(c for _, c in self.cells))

        return Used()

    def range(self, top: tuple[int, int], bottom: tuple[int, int] | None = None) -> FakeRange:
        return FakeRange(self, top, bottom or top)


class FakeBook:
    def __init__(self, *sheets: FakeSheet) -> None:
        self.sheets = _Sheets(sheets)
        self.fullname = "C:/data/客户.xlsx"


class _Sheets(list[FakeSheet]):
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)


ROWS: list[list[CellValue]] = [
    ["客户名单", None, None],
    ["客户编号", "客户名称", "手机"],
    ["C001", "华东五金", "13800138000"],
    ["C002", "南方建材", "13900139000"],
]


def test_reads_the_customer_table_below_a_title_and_writes_a_result_column() -> None:
    sheet = FakeSheet("客户", ROWS)
    book = ExcelBook(FakeBook(FakeSheet("说明", [["readme"]]), sheet))
    assert book.sheet_names() == ["说明", "客户"]
    table = book.read_customers()
    assert (table.sheet, table.header_row, table.first_column) == ("客户", 2, 1)
    assert list(table.frame["id"]) == ["C001", "C002"]
    book.write_columns(table, [ResultColumn("分级", ["A", "B"], number_format="@")])
    # Text goes behind Excel's ' prefix, so Excel keeps it as typed.
    assert [sheet.cells.get((r, 4)) for r in (2, 3, 4)] == ["'分级", "'A", "'B"]
    assert sheet.formats[0].number_format == "@"
    assert book.save() == "C:/data/客户.xlsx"


def test_text_that_looks_like_a_formula_or_number_is_written_as_text() -> None:
    sheet = FakeSheet("客户", ROWS)
    book = ExcelBook(FakeBook(sheet))
    table = book.read_customers()
    values: list[CellValue] = ['=HYPERLINK("http://x")', "00123", 3.5]
    book.write_columns(table, [ResultColumn("备注2", values[:2])])
    assert [sheet.cells.get((r, 4)) for r in (3, 4)] == ['\'=HYPERLINK("http://x")', "'00123"]
