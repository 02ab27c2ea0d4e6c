"""The settings sheet: blocks written with defaults, read back, errors naming cells."""

from __future__ import annotations

import datetime as dt

import pytest

import sheetcrm.settings as settings_module
from sheetcrm.book.base import CellValue
from sheetcrm.errors import SettingsError
from sheetcrm.i18n import use_lang
from sheetcrm.settings import (
    SETTINGS_SHEET,
    Block,
    Settings,
    parse_general,
    register,
    settings_sheet_spec,
)


def _grid() -> list[list[CellValue]]:
    return [list(row) for row in settings_sheet_spec().rows]


def _row_of(grid: list[list[CellValue]], key: str) -> int:
    return next(i for i, row in enumerate(grid) if row and row[0] == key)


def test_defaults_when_sheet_missing() -> None:
    general = parse_general(Settings(None))
    assert general.as_of is None and general.language == "zh" and general.horizon_days == 30


def test_written_sheet_reads_back_and_edits_count() -> None:
    grid = _grid()
    grid[_row_of(grid, "as_of")][1] = dt.datetime(2026, 3, 5)
    grid[_row_of(grid, "horizon_days")][1] = "60"
    general = parse_general(Settings(grid))
    assert general.as_of == dt.date(2026, 3, 5)
    assert general.horizon_days == 60


def test_bad_value_names_the_cell() -> None:
    grid = _grid()
    row = _row_of(grid, "horizon_days")
    grid[row][1] = 999
    with use_lang("en"), pytest.raises(SettingsError) as info:
        parse_general(Settings(grid))
    assert info.value.cell == f"B{row + 1}"
    assert SETTINGS_SHEET in str(info.value) and "1 to 366" in str(info.value)


def test_blocks_separated_by_blank_rows_and_relabelled_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings_module, "_REGISTRY", dict(settings_module._REGISTRY))
    register(Block("test_block", "测试", "Test", (("a", "A"), ("b", "B")), (("x", 1),)))
    grid = _grid()
    start = next(i for i, row in enumerate(grid) if row and str(row[0]).startswith("[test_block]"))
    grid[start + 1] = ["甲", "乙"]  # staff relabelled the header: columns go by position
    grid.insert(start + 3, ["y", 2])
    data = Settings(grid).block("test_block")
    assert data.from_sheet
    assert [values for _, values in data.records()] == [{"a": "x", "b": 1}, {"a": "y", "b": 2}]
    row_number = next(n for n, v in data.records() if v["a"] == "y")
    assert data.cell(row_number, "b") == f"B{start + 4}"


def test_duplicate_block_is_refused() -> None:
    grid: list[list[CellValue]] = [*_grid(), ["[general] again"], ["k", "v"], ["as_of", None]]
    with pytest.raises(SettingsError, match="general"):
        Settings(grid)
