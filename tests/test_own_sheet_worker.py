"""Long own sheets written by a worker process: the same bytes as in this process, rows packed
for the trip and unpacked to the same cells, and a worker that fails never fails the sheet."""

from __future__ import annotations

import datetime as dt
import math
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm.book import own_sheets, xlsx_write
from sheetcrm.book.base import (
    CellError,
    CellValue,
    ColumnRows,
    ConditionalFill,
    ListValidation,
    SheetSpec,
)
from sheetcrm.book.cell_xml import CellStyles
from sheetcrm.book.package import Deflated, Package
from sheetcrm.book.packed_rows import PackedRows
from sheetcrm.book.styles import Styles
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.tuning import Tuning

_HERE = Tuning(background_cells=10**12, row_block=3)
_WORKER = Tuning(background_cells=0, row_block=3)

_ODD_TEXT = [
    "a<b>&c",
    "_x0041_",
    "  outer  ",
    "two\nlines",
    "bad\x01char",
    "",
    "客户 Ünïcode",
    "x" * 40,
]


def _column(values: list[Any]) -> np.ndarray:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _specs() -> list[SheetSpec]:
    """Sheets of every kind of cell, list rows and ColumnRows, short rows, own styles, 0 rows."""
    day, moment = dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, 9, 30, 15, 500)
    mixed: list[CellValue] = [
        day,
        moment,
        7,
        -0.0,
        1e300,
        math.inf,
        True,
        False,
        CellError("#N/A"),
        None,
        *_ODD_TEXT,
    ]
    listed: list[list[CellValue]] = [
        ["名称", "Value", "备注"],
        *([v, f"{i}", i * 1.5] for i, v in enumerate(mixed)),
        ["short"],
        [],
        [None, None, "end"],
    ]
    n = len(mixed)
    body = ColumnRows(
        [["客户", "日期", "金额", "是否"], ["second head"]],
        [
            _column(mixed),
            _column([day + dt.timedelta(days=i) if i % 3 else None for i in range(n)]),
            _column([float(i) / 7 if i % 4 else None for i in range(n)]),
            _column([bool(i % 2) for i in range(n)]),
            _column([f"t{i % 3}" if i % 5 else None for i in range(n)]),
            _column([i * 10**6 for i in range(n)]),
            _column([None] * n),
        ],
        [["tail", 1], ["尾", day, moment, None, "x"]],
    )
    return [
        SheetSpec(
            name="Listed",
            rows=listed,
            widths={0: 20.0},
            number_formats={2: "0.00"},
            freeze="B2",
            bold_cells=[(2, 0), (5, 1)],
            cell_formats={(3, 2): "0.0%", (4, 0): "yyyy-mm-dd hh:mm"},
            wrap=[1],
            conditional=[ConditionalFill((0, 2), '=$B2="1"', "FFC7CE", "9C0006")],
            validations=[ListValidation(1, ["是", "否"])],
            tab_color="C00000",
        ),
        SheetSpec(
            name="Columns",
            rows=body,
            header_rows=2,
            number_formats={1: "yyyy-mm-dd"},
            bold_cells=[(3, 0), (n + 2, 1)],
            cell_formats={(5, 2): "0.000"},
        ),
        SheetSpec(name="Empty", rows=[]),
        SheetSpec(name="Header only", rows=ColumnRows([["a", "b"]], [_column([]), _column([])])),
        SheetSpec(name="No body", rows=ColumnRows([["a"]], [], [["x", day]])),
    ]


def _book(tmp_path: Path, date1904: bool) -> Path:
    path = tmp_path / f"book{int(date1904)}.xlsx"
    workbook = openpyxl.Workbook()
    if date1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    workbook.active.append(["客户"])
    workbook.save(path)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _written(book: Path, tuning: Tuning, out: Path, specs: list[SheetSpec]) -> dict[str, bytes]:
    writer = PackageWriter(book, tuning)
    for spec in specs:
        writer.write_sheet(spec)
    elsewhere = [pending.elsewhere for _, pending in writer._pending]
    assert elsewhere == ([True] * len(specs) if tuning is _WORKER else [])
    writer.save(out)
    return _parts(out)


@pytest.mark.parametrize("date1904", [False, True])
def test_a_worker_writes_the_same_bytes_as_this_process(tmp_path: Path, date1904: bool) -> None:
    book = _book(tmp_path, date1904)
    here = _written(book, _HERE, tmp_path / "here.xlsx", _specs())
    there = _written(book, _WORKER, tmp_path / "there.xlsx", _specs())
    assert here == there  # every part: sheets, styles numbered alike, workbook, content types
    assert b"<v>1</v>" in here["xl/worksheets/sheet2.xml"]  # the sheets are really there


def _sheet_part_dies_in_a_worker(*args: Any) -> Deflated:
    if os.getpid() != int(os.environ["TEST_JOB_PID"]):
        os._exit(9)  # killed, as the kernel's out-of-memory killer would
    return own_sheets.sheet_part(*args)


def _sheet_part_out_of_memory_in_a_worker(*args: Any) -> Deflated:
    if os.getpid() != int(os.environ["TEST_JOB_PID"]):
        raise MemoryError("std::bad_alloc")
    return own_sheets.sheet_part(*args)


@pytest.mark.parametrize(
    "failing", [_sheet_part_dies_in_a_worker, _sheet_part_out_of_memory_in_a_worker]
)
def test_a_failed_worker_still_gives_the_finished_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: Any
) -> None:
    book = _book(tmp_path, False)
    specs = _specs()[:2]
    here = _written(book, _HERE, tmp_path / "here.xlsx", specs)
    monkeypatch.setenv("TEST_JOB_PID", str(os.getpid()))
    monkeypatch.setattr(xlsx_write, "sheet_part", failing)
    assert _written(book, _WORKER, tmp_path / "there.xlsx", specs) == here


def test_a_sheet_written_again_stops_the_worker_of_the_first(tmp_path: Path) -> None:
    book = _book(tmp_path, False)
    first, second = _specs()[:2]
    writer = PackageWriter(book, _WORKER)
    writer.write_sheet(first)
    (_, pending), *_ = writer._pending
    process = pending._process
    writer.write_sheet(SheetSpec(name=first.name, rows=second.rows, header_rows=2))
    assert process is not None and process.poll() is not None  # stopped and reaped
    assert len(writer._pending) == 1
    writer.save(tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)[first.name]
    assert next(sheet.iter_rows(values_only=True))[0] == "客户"


# -- packed rows --------------------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
_BLANK = st.sampled_from([None, math.nan, pd.NA, pd.NaT])
# Columns of one kind (packed as arrays) with blanks, and mixed ones (sent as they are).
_KINDS = [
    _TEXT,
    st.sampled_from(["", " a ", "_x0041_", "<&>", "客户"]),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True),
    st.booleans(),
    st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)),
    st.builds(np.float32, st.floats(width=32)),
    st.builds(np.bool_, st.booleans()),
    st.builds(CellError, st.sampled_from(["#N/A", "#REF!"])),
]


@st.composite
def _columns(draw: st.DrawFn) -> list[np.ndarray]:
    height = draw(st.integers(0, 9))
    columns = []
    for _ in range(draw(st.integers(0, 4))):
        kinds = draw(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=2))
        cell = st.one_of(*kinds, _BLANK) if draw(st.booleans()) else st.one_of(*kinds)
        columns.append(_column(draw(st.lists(cell, min_size=height, max_size=height))))
    return columns


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or value != value


@settings(max_examples=300, deadline=None)
@given(columns=_columns(), data=st.data())
def test_packed_columns_slice_as_the_same_cells(
    columns: list[np.ndarray], data: st.DataObject
) -> None:
    rows = ColumnRows([["h"]], columns, [["t", 1]])
    back = pickle.loads(pickle.dumps(PackedRows(rows)))
    assert isinstance(back, ColumnRows)
    assert (back.head, back.tail, len(back), back.width) == (
        rows.head,
        rows.tail,
        len(rows),
        rows.width,
    )
    height = rows.body_rows
    for before, packed in zip(rows.columns, back.columns, strict=True):
        a = data.draw(st.integers(0, height))
        b = data.draw(st.integers(a, height))
        for part in (slice(a, b), slice(b, height), slice(0, a), slice(None)):
            after = packed[part]
            assert after.dtype == object and len(after) == len(before[part])
            for x, y in zip(before[part], after, strict=True):
                if x is pd.NA:  # its column goes as it is: an own cell writes it as text
                    assert y is x
                elif _blank(x):
                    assert y is None or _blank(y)  # None where packed, as it was where not
                else:  # the same value; the plain type where it was a numpy one
                    assert y == x and (type(y) is type(x) or isinstance(x, np.generic | str))


@pytest.fixture(scope="module")
def blank_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _book(tmp_path_factory.mktemp("packed"), False)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(columns=_columns(), block=st.integers(1, 5), date1904=st.booleans())
def test_packed_rows_write_the_same_sheet(
    blank_book: Path, columns: list[np.ndarray], block: int, date1904: bool
) -> None:
    rows = ColumnRows([["h", "日期"]], columns, [["t", dt.date(2020, 1, 1)]])
    spec = SheetSpec(name="s", rows=rows, number_formats={1: "0.00"}, bold_cells=[(1, 0)])
    styles = Styles(Package(blank_book))
    cell_styles = CellStyles(None, styles.cell_xf(number_format="yyyy-mm-dd"), 4)
    job = own_sheets.sheet_job(spec, None, styles, cell_styles, date1904, Tuning(row_block=block))
    assert b"".join(own_sheets.sheet_xml(job.packed())) == b"".join(own_sheets.sheet_xml(job))
