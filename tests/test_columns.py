"""`sheetcrm columns` on the customer lists of tests/data/lists, and the rows that are not
customers (totals, blank rows, repeated headers) never changing the customers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.cli import main
from sheetcrm.table.customer_table import build_customer_table

LISTS = Path(__file__).parent / "data" / "lists"
EXPECTED: list[dict[str, Any]] = json.loads((LISTS / "expected.json").read_text("utf-8"))
KEYS = {"sheet", "header_row", "customers", "columns", "missing"}


def _columns_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["columns", str(path), "--json", "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0
    found: dict[str, Any] = json.loads(out)
    return found


def test_there_are_at_least_30_lists() -> None:
    assert len(EXPECTED) >= 30
    assert all((LISTS / item["file"]).is_file() for item in EXPECTED)


@pytest.mark.parametrize("item", EXPECTED, ids=[item["file"] for item in EXPECTED])
def test_columns_json_says_what_each_list_holds(
    item: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    found = _columns_json(LISTS / item["file"], capsys)
    assert set(found) == KEYS  # the contract: these keys and no others
    assert all(set(column) == {"header", "role"} for column in found["columns"])
    assert (found["sheet"], found["header_row"]) == (item["sheet"], item["header_row"])
    roles = {column["header"]: column["role"] for column in found["columns"]}
    expected = {column["header"]: column["role"] for column in item["columns"]}
    assert roles == expected, item.get("why")
    assert found["customers"] == item["customers"]
    assert set(found["missing"]).isdisjoint(roles.values())


def test_share_recognised(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures for the lead: headers given their expected role, lists counted right."""
    headers = right = lists = 0
    for item in EXPECTED:
        found = _columns_json(LISTS / item["file"], capsys)
        roles = {column["header"]: column["role"] for column in found["columns"]}
        headers += len(item["columns"])
        right += sum(roles.get(c["header"], "?") == c["role"] for c in item["columns"])
        lists += found["customers"] == item["customers"]
    with capsys.disabled():
        print(
            f"\nheaders recognised: {right}/{headers} ({right / headers:.0%}); "
            f"lists counted right: {lists}/{len(EXPECTED)}"
        )
    assert right == headers and lists == len(EXPECTED)


def test_columns_reads_only_and_speaks_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = LISTS / "telesales_cn.xlsx"
    book = tmp_path / "list.xlsx"
    book.write_bytes(source.read_bytes())
    assert main(["columns", str(book), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "header row: 1" in out and "customers: 40" in out and "客户姓名" in out
    assert book.read_bytes() == source.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]


def test_columns_on_unusable_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["columns", str(tmp_path / "missing.xlsx"), "--lang", "en"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["columns", str(LISTS / "b2b_wan.xlsx"), "--sheet", "nope", "--lang", "en"]) == 2


# ---- rows that are not customers change nothing -----------------------------------------

_PLAIN = [item for item in EXPECTED if item["file"] != "excel_table_totals.xlsx"]


def _grid(item: dict[str, Any]) -> list[list[CellValue]]:
    return XlsxReader(LISTS / item["file"]).read_grid(item["sheet"])


def _customers(grid: list[list[CellValue]], item: dict[str, Any]) -> pd.DataFrame:
    table = build_customer_table(grid, item["sheet"], item["header_row"], 1)
    return table.frame.reset_index(drop=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    item=st.sampled_from(_PLAIN),
    kind=st.sampled_from(["totals", "blank", "header"]),
    where=st.floats(0, 1),
)
def test_a_totals_blank_or_header_row_leaves_the_customers_unchanged(
    item: dict[str, Any], kind: str, where: float
) -> None:
    grid = _grid(item)
    before = _customers(grid, item)
    header_index = item["header_row"] - 1
    table = build_customer_table(grid, item["sheet"], item["header_row"], 1)
    width = len(table.headers)
    at = header_index + 1 + round(where * (len(grid) - header_index - 1))
    if kind == "blank":
        row: list[CellValue] = [None] * width
    elif kind == "header":
        row = list(table.headers)
    else:
        row = [None] * width
        row[table.headers.index(table.roles["name"])] = "合计"
        for role in ("amount", "orders"):
            if role in table.roles:
                column = table.frame[role].iloc[: max(0, at - header_index - 1)]
                row[table.headers.index(table.roles[role])] = float(np.nansum(column))
    after = _customers([*grid[:at], row, *grid[at:]], item)
    pd.testing.assert_frame_equal(after, before)
