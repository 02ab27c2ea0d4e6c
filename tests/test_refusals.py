"""A job that cannot do its work honestly stops with exit 2 and says why, writing nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetcrm.book.base import SheetSpec
from sheetcrm.book.file import FileBook
from sheetcrm.cli import main
from sheetcrm.errors import InputError, TemplateError
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.sheets.templates import TEMPLATES_SHEET, templates_sheet_spec

LISTS = Path(__file__).parent / "data" / "lists"
AS_OF = dt.date(2026, 6, 1)


def _with_template(tmp_path: Path, body: str) -> Path:
    """The telesales list (no e-mail column) with a winback SMS template of staff's own."""
    path = tmp_path / "telesales.xlsx"
    shutil.copy(LISTS / "telesales_cn.xlsx", path)
    spec = templates_sheet_spec()
    rows = [*spec.rows, ["winback", "sms", "zh", "", "", body, "否"]]
    book = FileBook(path, backup=False)
    book.write_sheet(SheetSpec(name=TEMPLATES_SHEET, rows=rows, header_rows=2))
    book.save()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_template_needing_a_field_no_column_carries_stops_the_job(tmp_path: Path) -> None:
    path = _with_template(tmp_path, "{{ customer.salutation }}，您的邮箱是 {{ customer.email }}")
    before = _digest(path)
    options = JobOptions(as_of=AS_OF, channels=("sms",))
    with use_lang("zh"), pytest.raises(TemplateError) as caught:
        run_job("messages", FileBook(path, backup=False), options)
    assert caught.value.field == "email" and caught.value.template == "winback"
    assert "没有邮箱" in str(caught.value)
    assert _digest(path) == before  # nothing written
    args = ["messages", str(path), "--as-of", AS_OF.isoformat(), "--channels", "sms"]
    assert main(args) == 2


def test_a_guarded_field_is_not_needed(tmp_path: Path) -> None:
    path = _with_template(
        tmp_path,
        "{{ customer.salutation }}{% if customer.email %}，邮箱 {{ customer.email }}{% endif %}",
    )
    options = JobOptions(as_of=AS_OF, channels=("sms",))
    report = run_job("messages", FileBook(path, backup=False), options)
    assert report.exit_code == 0


def test_tiering_without_amount_orders_or_dates_stops(tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户编号", "客户名称", "手机", "城市"])
    for n in range(5):
        sheet.append([f"C{n}", f"客户{n}", f"1380000000{n}", "杭州"])
    book.save(path)
    with use_lang("zh"), pytest.raises(InputError, match="无法分级"):
        run_job("tier", FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    assert main(["tier", str(path), "--as-of", AS_OF.isoformat()]) == 2
    # The check needs no purchases: it still runs.
    assert run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF)).exit_code in (
        0,
        1,
    )
