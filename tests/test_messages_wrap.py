"""Long message bodies wrap in 消息 (issue 17): the body column is wide and wraps, in the file
written and in a live Excel book."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from _messages_data import AS_OF, customers, tiers
from sheetcrm.book.base import SheetSpec
from sheetcrm.book.file import FileBook
from sheetcrm.book.live_excel import ExcelBook
from sheetcrm.book.live_uno import UnoBook
from sheetcrm.book.uno_session import OfficeSession
from sheetcrm.i18n import use_lang
from sheetcrm.messages import MessageSettings, compose_messages
from sheetcrm.sheets.messages import messages_sheet
from uno_env import uno_missing
from xlwings_memory import memory_book


def _spec() -> SheetSpec:
    with use_lang("zh"):
        return messages_sheet(
            compose_messages(customers(), tiers(), MessageSettings(), as_of=AS_OF)
        )


def _workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["客户编号", "客户名称"])
    workbook.save(path)
    return path


def _assert_body_wraps(path: Path, spec: SheetSpec) -> None:
    sheet = openpyxl.load_workbook(path)["消息"]
    body = spec.rows[0].index("正文") + 1
    letter = openpyxl.utils.get_column_letter(body)
    cells = [sheet.cell(r, body) for r in range(2, len(spec.rows) + 1)]
    assert cells and all(c.alignment.wrap_text for c in cells)
    shown = [str(c.value or "") for c in cells]
    assert shown == [str(row[body - 1] or "") for row in spec.rows[1:]]
    assert sheet.column_dimensions[letter].width >= 60
    assert not sheet.cell(1, body).alignment.wrap_text  # the header as before
    others = [sheet.cell(2, c).alignment.wrap_text for c in range(1, len(spec.rows[0]) + 1)]
    assert others.count(True) == 1  # only the body
    assert sheet.cell(2, 4).number_format == "@"  # the address column keeps its format


def test_the_body_column_wraps_in_the_file(tmp_path: Path) -> None:
    spec = _spec()
    book = FileBook(_workbook(tmp_path / "book.xlsx"), backup=False)
    book.write_sheet(spec)
    _assert_body_wraps(book.save(), spec)


@pytest.mark.libreoffice
@pytest.mark.skipif(uno_missing() is not None, reason=str(uno_missing()))
def test_the_body_column_wraps_in_libreoffice(tmp_path: Path) -> None:
    spec = _spec()
    with OfficeSession() as office:
        doc = office.load(_workbook(tmp_path / "book.xlsx"))
        try:
            book = UnoBook(doc, output=tmp_path / "saved.xlsx")
            book.write_sheet(spec)
            saved = book.save()
        finally:
            doc.close(True)
    _assert_body_wraps(saved, spec)


def test_the_body_column_wraps_in_excel() -> None:
    xl = memory_book({"客户": [["客户编号", "客户名称"], ["C1", "甲"]]})
    spec = _spec()
    ExcelBook(xl).write_sheet(spec)
    data = xl.sheets["消息"].impl._data
    body = spec.rows[0].index("正文") + 1
    assert {(r, body) for r in range(2, len(spec.rows) + 1)} <= data.wrap
    assert all(c == body for _, c in data.wrap)
