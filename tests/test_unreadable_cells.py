"""A number formatted as a date that lies far outside any date makes python-calamine panic
(a pyo3 PanicException, which is no Exception): sheetcrm answers exit 2 naming the cells."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.cli import main
from sheetcrm.errors import WorkbookError
from sheetcrm.tuning import Tuning

IN_PARTS = Tuning(parts_from=1000, piece=4096)  # a small threshold sends the sheet into parts


def _book(path: Path, rows: int, bad: dict[int, float], *, shared: bool = True) -> Path:
    """A customer list whose 最近购买日期 column is date-formatted; ``bad`` rows hold numbers."""
    book = xlsxwriter.Workbook(path, {"constant_memory": not shared})  # inline strings
    sheet = book.add_worksheet("客户名单")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["客户编号", "客户名称", "最近购买日期", "累计金额"])
    for r in range(1, rows + 1):
        sheet.write_string(r, 0, f"C{r:05d}")
        sheet.write_string(r, 1, f"客户{r}号商贸有限公司")
        sheet.write_number(r, 2, bad.get(r, 45000 + r % 300), dates)
        sheet.write_number(r, 3, r * 10.0)
    book.close()
    return path


@pytest.mark.parametrize("value", [-1e12, -1e20, -1.7e308])
def test_the_cli_names_the_cell_and_exits_2(
    tmp_path: Path, value: float, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _book(tmp_path / "list.xlsx", 20, {7: value})
    before = path.read_bytes()
    assert main(["check", str(path), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "'客户名单' cell C8" in err and "General" in err and "Traceback" not in err
    assert path.read_bytes() == before


def test_far_but_readable_numbers_are_left_to_the_data_check(tmp_path: Path) -> None:
    path = _book(tmp_path / "list.xlsx", 20, {3: -1e11, 4: 1e20})
    assert main(["check", str(path), "--no-backup"]) == 1  # problems, not a refusal


def test_a_big_sheet_read_in_parts_names_every_bad_cell(tmp_path: Path) -> None:
    bad = {5: -1e15, 1500: -1e13, 2999: -3e12}
    path = _book(tmp_path / "big.xlsx", 3000, bad, shared=False)
    with pytest.raises(WorkbookError) as raised:
        XlsxReader(path, IN_PARTS).read_customers()
    said = str(raised.value)
    assert all(f"C{row + 1}" in said for row in bad)


def test_a_cell_cut_between_pieces_is_found(tmp_path: Path) -> None:
    """Pieces of 4 KB cut cells anywhere; every row's turn to be cut is tried."""
    for row in range(200, 260):
        path = _book(tmp_path / f"cut{row}.xlsx", 400, {row: -1e14}, shared=False)
        with pytest.raises(WorkbookError, match=f"C{row + 1}\\b"):
            XlsxReader(path, IN_PARTS).read_customers()
