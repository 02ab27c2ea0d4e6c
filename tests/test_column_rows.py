"""Own sheets held as columns: ColumnRows reads as its rows and writes the same sheet XML."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetcrm.book import cell_xml, own_sheets
from sheetcrm.book.base import (
    CellError,
    CellValue,
    ColumnRows,
    Problem,
    SheetSpec,
    blank_cells,
)
from sheetcrm.book.package import Package
from sheetcrm.book.styles import Styles
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.i18n import Lang, use_lang
from sheetcrm.messages import MessagesResult
from sheetcrm.messages.composing import MESSAGE_COLUMNS, SKIPPED_COLUMNS
from sheetcrm.schedule.columns import cell_text
from sheetcrm.schedule.plan import TOUCH_COLUMNS, PlanResult
from sheetcrm.sheets.carry import Carried
from sheetcrm.sheets.check import problem_notes, problems_sheet
from sheetcrm.sheets.messages import message_notes, messages_sheet
from sheetcrm.sheets.plain_cells import plain_cells
from sheetcrm.sheets.plan import plan_rows, plan_sheet

_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r"), max_size=12
).filter(lambda t: "_x" not in t)
_VALUE = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "客户", "Mr Smith", "a&b", True, False, 0, 1, 1.0, -0.5]),
    st.builds(CellError, st.sampled_from(["#N/A", "#DIV/0!"])),
    st.dates(dt.date(1950, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)),
    st.integers(-(10**12), 10**12),
    _TEXT,
)
_ROWS = st.lists(st.lists(_VALUE, max_size=5), max_size=3)


@st.composite
def _column_rows(draw: st.DrawFn) -> tuple[ColumnRows, list[list[CellValue]]]:
    """A ColumnRows and the list of rows it stands for."""
    head, tail = draw(_ROWS), draw(_ROWS)
    width, height = draw(st.integers(0, 5)), draw(st.integers(0, 12))
    columns = [draw(st.lists(_VALUE, min_size=height, max_size=height)) for _ in range(width)]
    body = [[column[r] for column in columns] for r in range(height if width else 0)]
    return ColumnRows(head, columns, tail), [*head, *body, *tail]


@settings(max_examples=150, deadline=None)
@given(pair=_column_rows(), data=st.data())
def test_column_rows_read_as_the_list_of_their_rows(
    pair: tuple[ColumnRows, list[list[CellValue]]], data: st.DataObject
) -> None:
    rows, listed = pair
    assert len(rows) == len(listed)
    assert list(rows) == listed
    assert rows == listed
    for at in range(-len(listed), len(listed)):
        assert rows[at] == listed[at]
    for bad in (len(listed), -len(listed) - 1):
        with pytest.raises(IndexError):
            rows[bad]
    bounds = st.one_of(st.none(), st.integers(-len(listed) - 2, len(listed) + 2))
    part = slice(data.draw(bounds), data.draw(bounds), data.draw(st.sampled_from([None, 1, 2, -1])))
    assert rows[part] == listed[part]
    assert rows.width == max(map(len, listed), default=0)
    assert own_sheets.cell_count(rows) == sum(map(len, listed))


@pytest.fixture(scope="module")
def blank_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rows") / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["客户"])
    wb.save(path)
    return path


def _xml(path: Path, spec: SheetSpec, block: int) -> bytes:
    """A sheet's XML with fresh styles of the same workbook."""
    styles = Styles(Package(path))
    cell_styles = cell_xml.CellStyles(None, styles.cell_xf(number_format="yyyy-mm-dd"), 4)
    return b"".join(own_sheets.sheet_xml(spec, None, styles, cell_styles, False, block))


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=_column_rows(), block=st.integers(1, 6), header_rows=st.integers(1, 2))
def test_column_rows_write_the_sheet_xml_of_their_rows(
    blank_book: Path, pair: tuple[ColumnRows, list[list[CellValue]]], block: int, header_rows: int
) -> None:
    rows, listed = pair
    extras = dict(
        header_rows=header_rows,
        number_formats={1: "0.00"},
        wrap=[2],
        bold_cells=[(r, 0) for r in range(0, len(listed), 3)],
        cell_formats={(len(listed) - 1, 1): "0%"} if listed else {},
    )
    columnar = SheetSpec("表", rows, **extras)  # type: ignore[arg-type]
    plain = SheetSpec("表", listed, **extras)  # type: ignore[arg-type]
    assert _xml(blank_book, columnar, block) == _xml(blank_book, plain, block)
    assert own_sheets.filter_range(columnar) == own_sheets.filter_range(plain)


# ---- empty text is no cell ----------------------------------------------------------------


def test_empty_text_is_no_cell_or_a_styled_blank() -> None:
    styles = cell_xml.CellStyles(None, 3, 4)
    assert cell_xml.cell_xml("B2", "", None, styles, False) == b""
    assert cell_xml.cell_xml("B2", "", 7, styles, False) == b'<c r="B2" s="7"/>'
    # text left empty once what XML cannot hold is taken out
    assert cell_xml.cell_xml("B2", "\x01\x02", None, styles, False) == b""
    rows = np.array([b"1", b"2", b"3", b"4"], dtype=object)
    values = np.array(["", "x", "", None], dtype=object)
    cells = cell_xml.column_cells("C", None, values, rows, styles, False)
    assert cells.tolist() == [b"", b'<c r="C2" t="inlineStr"><is><t>x</t></is></c>', b"", b""]
    styled = cell_xml.column_cells("C", 9, values, rows, styles, False)
    assert styled.tolist() == [
        b'<c r="C1" s="9"/>',
        b'<c r="C2" s="9" t="inlineStr"><is><t>x</t></is></c>',
        b'<c r="C3" s="9"/>',
        b'<c r="C4" s="9"/>',
    ]


def test_empty_text_reads_back_as_a_blank(blank_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    writer = PackageWriter(blank_book)
    body = [np.array(["", "乙", ""], dtype=object), np.array(["a", "", " "], dtype=object)]
    writer.write_sheet(SheetSpec("表", ColumnRows([["甲 A", ""]], body, [["", "尾"]])))
    writer.save(out)
    with zipfile.ZipFile(out) as z:
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = b"".join(z.read(n) for n in names)
    assert b"<t></t>" not in xml and b'<c r="A2"' not in xml
    assert b'<c r="B1" s="' in xml  # the header's blank keeps the header style
    grid = CalamineWorkbook.from_path(out).get_sheet_by_name("表").to_python()
    # calamine gives "" for any blank in the used range: the text " " is kept as it was
    assert grid == [["甲 A", ""], ["", "a"], ["乙", ""], ["", " "], ["", "尾"]]


# ---- plain cell values --------------------------------------------------------------------


def test_plain_cells_turn_numpy_and_pandas_values_into_python_ones() -> None:
    stamp = pd.Timestamp("2026-03-04 05:06")
    mixed = pd.Series([np.int64(3), np.float64(2.5), np.nan, pd.NA, pd.NaT, stamp, "x", None])
    cells = plain_cells(mixed).tolist()
    assert cells == [3, 2.5, None, None, None, stamp.to_pydatetime(), "x", None]
    assert [type(v) for v in cells[:2]] == [int, float]
    assert type(cells[5]) is dt.datetime
    assert plain_cells(mixed, days=True)[5] == dt.date(2026, 3, 4)
    assert type(plain_cells(mixed, days=True)[5]) is dt.date
    dates = pd.Series(pd.to_datetime(["2026-01-02", None]))
    assert plain_cells(dates, days=True).tolist() == [dt.date(2026, 1, 2), None]
    assert plain_cells(dates).tolist() == [dt.datetime(2026, 1, 2), None]
    numbers = plain_cells(pd.Series([1, None, 3], dtype="Int64")).tolist()
    assert numbers == [1, None, 3] and type(numbers[0]) is int
    assert plain_cells(pd.Series([], dtype=object)).tolist() == []
    # numpy's scalars as a string array's items and a frame's rows give them
    texts = np.fromiter(iter(np.array(["甲", "b"])), object, 2)
    odd = np.array([*texts, np.bool_(True), np.datetime64("2026-01-02"), pd.NA], dtype=object)
    cells = plain_cells(odd).tolist()
    assert cells == ["甲", "b", True, dt.datetime(2026, 1, 2), None]
    assert [type(v) for v in cells[:4]] == [str, str, bool, dt.datetime]


def test_plain_cells_leave_the_frame_as_it_was() -> None:
    column = pd.Series(["a", np.nan, None], dtype=object)
    plain_cells(column)
    assert column.isna().tolist() == [False, True, True]
    assert column.iloc[1] is not None


# ---- the three sheets: same rows, same order ----------------------------------------------

_SHEETS = st.sampled_from(["客户名单", "Customers", "sheetcrm 设置", "交易"])
_PROBLEM = st.builds(
    Problem,
    sheet=_SHEETS,
    row=st.one_of(st.none(), st.integers(1, 30)),
    column=st.sampled_from([None, "手机", "Email"]),
    value=st.one_of(_VALUE, st.sampled_from([np.int64(7), np.float64("nan")])),
    problem=st.sampled_from(["重复", "bad e-mail", ""]),
    suggestion=st.sampled_from(["", "删除 delete"]),
    kind=st.sampled_from(["duplicate", "invalid", "missing"]),
)


def _old_problem_rows(
    problems: list[Problem], ids: pd.Series | None, sheet: str
) -> list[list[CellValue]]:
    """The 数据检查 rows as the list-building code made them (the reference)."""
    sheets, _ = pd.factorize(np.array([p.sheet for p in problems], dtype=object), sort=True)
    numbers = np.array([p.row or 0 for p in problems], dtype=np.int64)
    ordered = [problems[i] for i in np.lexsort((numbers, sheets)).tolist()]
    rows = []
    for p in ordered:
        customer = ""
        if ids is not None and p.sheet == sheet and p.row is not None:
            found = ids[~ids.index.duplicated()].get(p.row)
            customer = cell_text(found) if found is not None and not pd.isna(found) else ""
        value = str(p.value) if isinstance(p.value, CellError) else p.value
        rows.append([p.sheet, p.row, p.column, value, p.problem, p.suggestion, customer, p.kind])
    return rows


def _with_staff_column() -> Carried:
    """What a previous 数据检查 sheet with a column staff added (and no rows) leaves to carry."""
    return problem_notes([["工作表 Sheet", "行 Row", "问题 Problem", "类型 Kind", "处理意见"]])


_MESSAGE_HEADERS = ["客户编号", "客户", "渠道", "收件人", "主题", "正文", "字数", "条数"]
_MESSAGE_HEADERS += ["模板", "提示", "缺失字段", "发送日期", "状态"]


def _same(a: CellValue, b: CellValue) -> bool:
    """Equal as cells: blanks alike (None, NaN), same type family."""
    if a is None or (isinstance(a, float) and a != a):
        return b is None or (isinstance(b, float) and b != b)
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@settings(max_examples=80, deadline=None)
@given(
    problems=st.lists(_PROBLEM, max_size=25),
    ids=st.one_of(
        st.none(), st.lists(st.sampled_from(["C1", " C2 ", 3, 4.0, None]), min_size=30, max_size=30)
    ),
    lang=st.sampled_from(["zh", "en"]),
)
def test_problems_sheet_keeps_its_rows_and_their_order(
    problems: list[Problem], ids: list[CellValue] | None, lang: str
) -> None:
    customer_ids = None if ids is None else pd.Series(ids, index=range(1, 31), dtype=object)
    with use_lang(lang):
        spec = problems_sheet(problems, customer_ids, "客户名单")
        carried = problems_sheet(problems, customer_ids, "客户名单", problem_notes(None))
        listed = problems_sheet(problems, customer_ids, "客户名单", _with_staff_column())
    assert isinstance(spec.rows, ColumnRows) and isinstance(carried.rows, ColumnRows)
    assert not isinstance(listed.rows, ColumnRows)  # staff's column carried: the list path
    assert [row[:8] for row in listed.rows] == list(spec.rows) == carried.rows
    body = list(spec.rows)[1:]
    if not problems:
        assert len(body) == 1
        return
    expected = _old_problem_rows(problems, customer_ids, "客户名单")
    assert len(body) == len(expected)
    for got, want in zip(body, expected, strict=True):
        assert all(_same(w, g) for g, w in zip(got, want, strict=True)), (got, want)
        assert not any(isinstance(v, np.generic | pd.Timestamp) for v in got)


def _messages(count: int) -> MessagesResult:
    """Messages with every kind of column: Int64 parts with gaps, dates, text."""
    rows = [
        {
            "customer_id": f"C{i}",
            "customer": ["王伟", "Acme Ltd", ""][i % 3],
            "channel": ["sms", "email"][i % 2],
            "to": f"1380000{i:04d}",
            "subject": "" if i % 2 == 0 else "Hello",
            "body": f"您好 {i}",
            "chars": 4 + i,
            "parts": 1 if i % 2 == 0 else None,
            "template": "welcome",
            "warnings": "" if i % 4 else "⚠ check",
            "html": "",
            "send_date": dt.date(2026, 12, 3) + dt.timedelta(days=i % 5),
        }
        for i in range(count)
    ]
    frame = pd.DataFrame(rows, columns=list(MESSAGE_COLUMNS), dtype=object)
    frame["chars"] = frame["chars"].astype("int64")
    frame["parts"] = pd.array(frame["parts"].tolist(), dtype="Int64")
    skipped = pd.DataFrame(
        [["C9", "李娜", "email", "no valid email", None, "", "welcome", ""]],
        columns=list(SKIPPED_COLUMNS),
        dtype=object,
    )
    return MessagesResult(frame, skipped)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("count", [0, 1, 7])
def test_messages_sheet_keeps_its_rows(lang: Lang, count: int) -> None:
    result = _messages(count)
    spec = messages_sheet(result, lang)
    listed = messages_sheet(result, lang, message_notes([[*_MESSAGE_HEADERS, "备注"]]))
    assert isinstance(spec.rows, ColumnRows) and not isinstance(listed.rows, ColumnRows)
    assert [row[:13] for row in listed.rows] == list(spec.rows)
    rows = list(spec.rows)
    assert len(rows) == 1 + count + 1
    for i, row in enumerate(rows[1 : 1 + count]):
        m = result.messages.iloc[i]
        assert row[0] == m["customer_id"] and row[5] == m["body"]
        assert row[6] == 4 + i and type(row[6]) is int
        assert row[7] == (1 if i % 2 == 0 else None)
        assert row[10] is None and row[12] is None
        assert row[11] == m["send_date"] and type(row[11]) is dt.date
    assert rows[-1][0] == "C9" and str(rows[-1][9]).startswith(("不发送：", "not sent: "))


def _touches(count: int) -> pd.DataFrame:
    """A touch frame with typed columns: datetime64 due dates with gaps, Int64 priorities."""
    frame = pd.DataFrame(
        {key: [f"{key}{i}" for i in range(count)] for key in TOUCH_COLUMNS}, dtype=object
    )
    frame["channel"] = [["sms", "email", "", None][i % 4] for i in range(count)]
    frame["status"] = "open"
    frame["due"] = pd.to_datetime(
        [None if i % 3 == 2 else f"2026-12-0{1 + i % 5}" for i in range(count)]
    )
    frame["done_date"] = [pd.Timestamp("2026-11-30")] * count
    frame["priority"] = pd.array([i if i % 2 else None for i in range(count)], dtype="Int64")
    frame["notes"] = [np.nan if i % 2 else "" for i in range(count)]
    return frame


@pytest.mark.parametrize("count", [0, 1, 9])
def test_plan_sheet_keeps_its_rows(count: int) -> None:
    result = PlanResult(
        _touches(count), pd.DataFrame(), as_of=dt.date(2026, 12, 3), estimated_years=(2027,)
    )
    spec = plan_sheet(result, "en")
    assert isinstance(spec.rows, ColumnRows)
    with use_lang("en"):
        headers, rows = plan_rows(result)
    listed = list(spec.rows)
    assert listed[0] == headers and listed[1 : 1 + count] == rows
    assert listed[1 + count :] == [[], [listed[-1][0]]] and str(listed[-1][0]).startswith("⚠ ")
    for i, row in enumerate(rows):
        due = row[6]
        assert due is None if i % 3 == 2 else type(due) is dt.date
        assert row[11] == dt.date(2026, 11, 30) and type(row[11]) is dt.date
        assert row[9] == (i if i % 2 else None)
        assert row[12] is None if i % 2 else row[12] == ""
        assert not any(isinstance(v, np.generic | pd.Timestamp) for v in row)


@pytest.mark.parametrize("order", ["C", "F"])
def test_blank_cells_are_none_in_every_element_and_take_values(order: str) -> None:
    # np.empty, not np.full: what a reader fills in part by part, and the rest reads blank.
    cells = blank_cells((3, 4), order="F" if order == "F" else "C")
    assert cells.dtype == object and cells.shape == (3, 4)
    assert cells.flags.f_contiguous == (order == "F")
    assert cells.tolist() == [[None] * 4] * 3
    assert all(value is None for value in cells.ravel())
    cells[1, 2] = "客户"
    assert (cells == None).sum() == 11  # noqa: E711 - elementwise, as readers test blanks
    assert pd.isna(pd.Series(blank_cells(2))).all()
