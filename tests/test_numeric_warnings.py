"""Numeric warnings never reach the console: cells holding INF, NaN, 1e309, huge numbers or
empty text are problems in 数据检查, and the numbers computed from the rest stay finite."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue, CustomerTable
from sheetcrm.book.file import FileBook
from sheetcrm.check.values import IMPLAUSIBLE_AMOUNT, without_implausible_amounts
from sheetcrm.demo import write_demo
from sheetcrm.i18n import use_lang
from sheetcrm.sheets.check import CHECK_SHEET

SRC = Path(__file__).resolve().parents[1] / "src"
ODD: list[CellValue] = [
    float("inf"),
    float("-inf"),
    float("nan"),
    "1e309",
    "-1e309",
    10**30,
    "",
    "NaN",
    "INF",
    1e200,
    -1e200,
    0,
    -5,
]


def _odd_book(folder: Path, amounts: list[CellValue]) -> Path:
    """A small demo book whose amounts, counts and scores hold odd numbers, and whose purchase
    dates and transaction amounts hold odd text."""
    path = folder / "odd.xlsx"
    write_demo(path, customers=100)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = {cell.value: cell.column for cell in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        pick = ODD[row % len(ODD)]
        sheet.cell(row, header["累计金额"], amounts[row % len(amounts)])
        for name in ("购买次数", "互动次数", "满意度"):
            sheet.cell(row, header[name], pick)
        if row % 3 == 0:
            # Text only: calamine cannot read a date-formatted infinite number (see report).
            sheet.cell(row, header["最近购买日期"], str(pick))
    transactions = book["交易记录"]
    for row in range(2, transactions.max_row + 1):
        transactions.cell(row, 3, ODD[row % len(ODD)])
    book.save(path)
    _infinite_cells(path)
    return path


def _infinite_cells(path: Path) -> None:
    """Number cells of INF, -INF and NaN as a program other than Excel may write them
    (openpyxl leaves them empty: ``<v></v>``)."""
    spelled = itertools.cycle([b"1e309", b"-1e309", b"inf", b"NaN"])
    with zipfile.ZipFile(path) as source:
        parts = {info: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts.items():
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<v></v>", lambda _: b"<v>" + next(spelled) + b"</v>", data)
            target.writestr(info, data)


def _run(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter that shows every warning."""
    return subprocess.run(
        [sys.executable, "-W", "default", "-m", "sheetcrm", *args, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
        timeout=600,
    )


@pytest.mark.parametrize("job", ["run", "report"])
def test_odd_numbers_give_problems_and_no_warning(tmp_path: Path, job: str) -> None:
    path = _odd_book(tmp_path, ODD)
    for attempt in ("first", "again"):  # a re-run reads the results of the first
        done = _run(path, job, "--as-of", "2026-06-01", "--lang", "zh")
        assert done.returncode in (0, 1), done.stderr
        assert "RuntimeWarning" not in done.stdout + done.stderr, (attempt, done.stderr)
        assert "Warning" not in done.stderr, (attempt, done.stderr)
    if job == "run":
        problems = FileBook(path, backup=False).read_grid(CHECK_SHEET)
        said = "\n".join(str(value) for row in problems for value in row)
        assert "无穷大" in said  # INF and 1e309 (issue 17)
        assert "大得不可能" in said  # 10**30 and 1e200


def test_amounts_whose_sum_overflows_give_no_warning(tmp_path: Path) -> None:
    path = _odd_book(tmp_path, [1e308, 1e308, 1.0])
    done = _run(path, "check", "--as-of", "2026-06-01")
    assert "RuntimeWarning" not in done.stderr, done.stderr


def _table(amounts: list[float]) -> CustomerTable:
    index = pd.RangeIndex(2, 2 + len(amounts))
    frame = pd.DataFrame({"amount": pd.Series(amounts, index=index, dtype="float64")})
    raw = pd.DataFrame({"累计金额": pd.Series(amounts, index=index, dtype=object)})
    return CustomerTable("客户", None, 1, 1, ["累计金额"], {"amount": "累计金额"}, frame, raw)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=-1e308, max_value=1e308),
            st.just(float("nan")),
            st.sampled_from([IMPLAUSIBLE_AMOUNT, -IMPLAUSIBLE_AMOUNT, 1e12 + 1]),
        ),
        max_size=30,
    )
)
def test_implausible_amounts_are_blank_and_each_a_problem(amounts: list[float]) -> None:
    table = _table(amounts)
    before = table.frame["amount"].copy()
    with use_lang("en"):
        out = without_implausible_amounts(table)
    kept = out.frame["amount"].to_numpy()
    huge = np.abs(np.asarray(amounts, dtype=float)) > IMPLAUSIBLE_AMOUNT
    assert [p.row for p in out.problems] == [int(r) for r in table.frame.index[huge]]
    assert all(p.column == "累计金额" and "too large" in p.problem for p in out.problems)
    assert np.isnan(kept[huge]).all()
    assert np.array_equal(kept[~huge], np.asarray(amounts, dtype=float)[~huge], equal_nan=True)
    assert np.isfinite(np.nansum(kept))  # what totals and rankings sum stays finite
    pd.testing.assert_series_equal(table.frame["amount"], before)  # the given table unchanged
