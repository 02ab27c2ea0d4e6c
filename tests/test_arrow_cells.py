"""Rows of cell XML made by pyarrow compute are byte for byte those of the Python path."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm.book import arrow_cells, cell_xml, own_sheets
from sheetcrm.book.base import CellError, CellValue, ColumnRows, SheetSpec
from sheetcrm.book.cell_xml import MAX_TEXT, CellStyles
from sheetcrm.book.package import Package
from sheetcrm.book.styles import Styles

_STYLES = CellStyles(None, 5, 6)

_TEXT = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["\ud800", "a\udfff b"]),  # lone surrogates: Python's path cleans them out
    st.text(
        st.sampled_from("a 客_x0Ff\t\n\r\x0b\x1c\x85\xa0\u3000\u2028&<>\x01\ufffe"), max_size=8
    ),
    st.sampled_from(
        ["", " ", "客户", "Mr Smith", "_x0041_", "_x004G_", "a_X0041_", "a\u3000", "\x85a"]
    ),
    st.sampled_from(["a" * MAX_TEXT, "客" * MAX_TEXT, "a" * (MAX_TEXT + 1), " " + "a" * MAX_TEXT]),
    st.builds(np.str_, st.sampled_from(["a", "客户", ""])),
)
_NUMBER = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 2**63, True, False]),
    st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)),
    st.builds(np.bool_, st.booleans()),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1.0, -0.0, 0.1, 1e16, 1e-5]),
)
_WHEN = st.one_of(
    st.dates(),
    st.sampled_from([dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(1899, 12, 30)]),
    st.sampled_from([dt.date(1904, 1, 1), dt.date(1903, 12, 31), dt.date(1970, 1, 1)]),
    st.datetimes(),
    st.builds(pd.Timestamp, st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))),
)
_OTHER = st.one_of(
    st.none(),
    st.sampled_from([math.nan, pd.NA, pd.NaT, None]),
    st.builds(CellError, st.sampled_from(["#N/A", "#DIV/0!", "#REF!"])),
)
_ANY = st.one_of(_TEXT, _NUMBER, _WHEN, _OTHER)
# A column is mostly one kind (as our sheets' columns are), sometimes of every kind.
_KIND = st.sampled_from([_TEXT, _NUMBER, _WHEN, _OTHER, _ANY])


@st.composite
def _column(draw: st.DrawFn, height: int) -> np.ndarray:
    """An object column of ``height`` values, mostly of one kind, with blanks between."""
    kind = draw(_KIND)
    column = np.empty(height, dtype=object)
    column[:] = draw(st.lists(st.one_of(kind, kind, _OTHER), min_size=height, max_size=height))
    return column


@st.composite
def _block(draw: st.DrawFn) -> tuple[list[np.ndarray], np.ndarray, dict[tuple[int, int], bytes]]:
    """Columns of a block, each row's length, and single cells of their own."""
    height = draw(st.one_of(st.integers(0, 14), st.integers(200, 700)))
    width = draw(st.integers(0, 5))
    columns = [draw(_column(height)) for _ in range(width)]
    lengths = np.array(draw(st.lists(st.integers(0, width), min_size=height, max_size=height)))
    cells = st.tuples(st.integers(0, max(height - 1, 0)), st.integers(0, max(width - 1, 0)))
    own = {
        cell: draw(st.sampled_from([b"", b'<c r="Z1" s="3"/>']))
        for cell in draw(st.lists(cells, max_size=3))
        if height and width
    }
    return columns, lengths, own


@settings(max_examples=400, deadline=None)
@given(
    block=_block(),
    first=st.sampled_from([1, 2, 9, 99_999, 1_048_560]),
    styles=st.lists(st.sampled_from([None, 0, 7]), min_size=5, max_size=5),
    date1904=st.booleans(),
    cell_styles=st.sampled_from([_STYLES, CellStyles(3, 0, 9)]),
)
def test_rows_made_by_pyarrow_are_the_python_paths_bytes(
    block: tuple[list[np.ndarray], np.ndarray, dict[tuple[int, int], bytes]],
    first: int,
    styles: list[int | None],
    date1904: bool,
    cell_styles: CellStyles,
) -> None:
    columns, lengths, own = block
    rows = arrow_cells.RowBlock(columns, lengths, first, styles, own)
    python = own_sheets._rows_xml(rows, cell_styles, date1904)
    assert bytes(arrow_cells.rows_xml(rows, cell_styles, date1904)) == python
    assert python.count(b"<row ") == len(lengths)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.lists(st.one_of(_TEXT, st.none()), min_size=1, max_size=40), min_size=1, max_size=4
    ),
    styles=st.lists(st.sampled_from([None, 7]), min_size=4, max_size=4),
)
def test_columns_of_text_and_blanks_alone_are_the_python_paths_bytes(
    texts: list[list[str | None]], styles: list[int | None]
) -> None:
    # The columns our sheets write most, told texts in one pass (np.str_ among them too).
    height = max(map(len, texts))
    columns = []
    for values in texts:
        column = np.empty(height, dtype=object)
        column[:] = (values * height)[:height]
        columns.append(column)
    rows = arrow_cells.RowBlock(columns, np.full(height, len(columns)), 2, styles, {})
    python = own_sheets._rows_xml(rows, _STYLES, False)
    assert bytes(arrow_cells.rows_xml(rows, _STYLES, False)) == python


def test_the_whitespace_left_to_python_is_what_strip_removes() -> None:
    spaces = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert spaces == arrow_cells._WHITESPACE
    assert all(not (c + "a").strip().startswith(c) for c in spaces)


def test_common_kinds_never_reach_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[object] = []

    def encode(values: np.ndarray, *args: object) -> cell_xml.Encoded:
        sent.extend(values)
        return cell_xml.encode(values, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(arrow_cells, "encode", encode)
    columns = [
        np.array(
            ["客户1", "Mr Smith", "a&b\n<c>", " x", "_x0041_", "", "a\tb\u3000"], dtype=object
        ),
        np.array([1, -(2**63), 2**63 - 1, None, True, 2.5, 2**64], dtype=object),
        np.array([dt.date(2026, 12, 3), dt.date(1900, 3, 1), dt.date(1900, 2, 28)] * 2 + [None]),
    ]
    lengths = np.full(7, 3)
    rows = arrow_cells.RowBlock(columns, lengths, 2, [None, None, 4], {})
    out = bytes(arrow_cells.rows_xml(rows, _STYLES, False))
    # Only text holding Excel's escape, empty text, a bool, a float, a number past 64 bits
    # and a date of Excel's phantom leap year went to Python.
    phantom = dt.date(1900, 2, 28)
    assert sent == ["_x0041_", "", True, 2.5, 2**64, phantom, phantom]
    assert out == own_sheets._rows_xml(rows, _STYLES, False)


_EDGE = st.lists(st.lists(_ANY, max_size=6), max_size=3)


@st.composite
def _spec(draw: st.DrawFn) -> SheetSpec:
    """A sheet of ColumnRows: short or long head and tail rows, formats, cells of their own."""
    height, width = draw(st.integers(0, 30)), draw(st.integers(0, 5))
    rows = ColumnRows(draw(_EDGE), [draw(_column(height)) for _ in range(width)], draw(_EDGE))
    last = len(rows) - 1
    return SheetSpec(
        "表",
        rows,
        header_rows=draw(st.integers(0, 2)),
        number_formats={1: "0.00", 2: "yyyy-mm-dd"},
        wrap=[3],
        bold_cells=[(r, 0) for r in range(0, len(rows), 4)],
        cell_formats={(last, 1): "0%"} if last >= 0 else {},
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _blank_book(tmp_path_factory.mktemp("arrow") / "book.xlsx")


def _blank_book(path: Path) -> Path:
    """A workbook of one cell: its stylesheet is where the sheets' styles go."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["客户"])
    workbook.save(path)
    return path


def _sheet(path: Path, spec: SheetSpec, block: int, date1904: bool) -> bytes:
    """A sheet's XML with fresh styles of the same workbook."""
    styles = Styles(Package(path))
    cell_styles = CellStyles(None, styles.cell_xf(number_format="yyyy-mm-dd"), 4)
    return b"".join(own_sheets.sheet_xml(spec, None, styles, cell_styles, date1904, block))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=_spec(), block=st.integers(1, 12), date1904=st.booleans())
def test_a_sheet_written_with_pyarrow_is_the_sheet_written_without(
    book: Path, spec: SheetSpec, block: int, date1904: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow_cells, "MIN_ROWS", 0)
        with_arrow = _sheet(book, spec, block, date1904)
        patch.setattr(arrow_cells, "available", lambda: False)
        without = _sheet(book, spec, block, date1904)
    assert with_arrow == without


def _long_sheet() -> SheetSpec:
    """A sheet long enough to take pyarrow's path, of the kinds our long sheets hold."""
    count = arrow_cells.MIN_ROWS + 10
    numbers = np.arange(count)
    columns: list[np.ndarray] = [
        np.array([f"客户{n % 977}" for n in numbers], dtype=object),
        numbers.astype(object),
        np.array([dt.date(2026, 1, 1) + dt.timedelta(days=int(n % 400)) for n in numbers]),
        np.array([None, "a&b", 2.5, True, " 客户 "] * (count // 5), dtype=object),
    ]
    rows: list[CellValue] = ["编号", "数", "日期", "杂"]
    return SheetSpec("表", ColumnRows([rows], columns, [["合计", count]]))


_WITHOUT = """
import sys
sys.modules["pyarrow"] = sys.modules["pyarrow.compute"] = None  # as without sheetcrm[fast]
import hashlib
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_arrow_cells import _long_sheet, _sheet
from sheetcrm.book import arrow_cells
assert not arrow_cells.available()
print(hashlib.sha256(_sheet(Path(sys.argv[2]), _long_sheet(), 4096, False)).hexdigest())
"""


def test_without_pyarrow_the_python_path_writes_the_same_sheet(book: Path) -> None:
    spec = _long_sheet()
    assert arrow_cells.available()  # installed here, with the fast extra
    digest = hashlib.sha256(_sheet(book, spec, 4096, False)).hexdigest()
    here = str(Path(__file__).parent)
    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT, here, str(book)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == digest
