"""Our own sheets read back on a re-run as 2-D arrays, column by column (issue 15).

跟进计划 and 消息 come back from a file book as one object array, not a list per row:
``parse_plan_sheet`` and ``read_staff`` find blank rows, note rows and rows holding staff's
cells column by column. Each is checked here against the row-by-row rule it replaced, on
random grids of every kind of blank and filled cell, and list and array input must agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue
from sheetcrm.book.file import FileBook
from sheetcrm.schedule.columns import cell_text
from sheetcrm.sheets.carry import Carried, OurColumns, _Row, read_staff
from sheetcrm.sheets.messages import MESSAGES_SHEET, message_notes
from sheetcrm.sheets.plan import PLAN_SHEET, parse_plan_sheet
from sheetcrm.table.grid_rows import rows_array, sparse_rows
from sheetcrm.values import is_blank

NOTE = "⚠ 2027 年工作日为估算 estimated"
BLANKS: list[CellValue] = [None, "", "   ", "\u3000", float("nan")]
FILLED: list[CellValue] = ["张三", " 李四 ", "Ann", 0, 0.0, 3.5, 12.0, True, False, "x"]
cells = st.sampled_from(BLANKS + FILLED + [NOTE])


def rows_of(width: int) -> st.SearchStrategy[list[list[CellValue]]]:
    """Rows up to ``width`` wide (some shorter: a grid may be ragged), many nearly blank."""
    sparse = st.lists(st.sampled_from([*BLANKS, NOTE]), min_size=0, max_size=width)
    full = st.lists(cells, min_size=0, max_size=width)
    return st.lists(st.one_of(sparse, full), max_size=25)


@given(st.integers(1, 6).flatmap(lambda w: st.tuples(st.just(w), rows_of(w))), st.integers(0, 3))
@settings(max_examples=150, deadline=None)
def test_sparse_rows_counts_filled_cells_like_is_blank(
    drawn: tuple[int, list[list[CellValue]]], most: int
) -> None:
    width, rows = drawn
    body = rows_array(rows, width)
    expected = [sum(not is_blank(v) for v in row) <= most for row in body]
    assert sparse_rows(body, most).tolist() == expected


def test_sparse_rows_of_no_rows_or_no_columns() -> None:
    assert sparse_rows(np.empty((0, 3), dtype=object)).tolist() == []
    assert sparse_rows(np.empty((4, 0), dtype=object)).tolist() == [True] * 4


# ---- 跟进计划 -------------------------------------------------------------------------

PLAN_HEADERS = ["编号", "Customer ID", "客户", "负责人", "状态 Status", "备注", "电话备注"]


def _kept_rows(grid: Sequence[Sequence[CellValue]]) -> list[int]:
    """The Excel rows the plan keeps, by the row-by-row rule: not blank, not a lone note."""
    kept = []
    for number, row in enumerate(grid[1:], start=2):
        filled = [v for v in row if not is_blank(v)]
        note = len(filled) == 1 and isinstance(filled[0], str) and filled[0].startswith("⚠ ")
        if filled and not note:
            kept.append(number)
    return kept


text_cells = st.sampled_from([*BLANKS, "T1", " C2 ", "王五", 7.0, 8, NOTE])
status_cells = st.sampled_from([*BLANKS, "已完成", "open", "Skipped"])
plan_rows = st.tuples(
    *[status_cells if h == "状态 Status" else text_cells for h in PLAN_HEADERS], text_cells
).flatmap(lambda row: st.integers(0, len(row)).map(lambda n: list(row[:n])))


@given(st.lists(plan_rows, max_size=30))
@settings(max_examples=150, deadline=None)
def test_the_plan_keeps_the_rows_the_row_rule_kept_from_lists_and_arrays(
    body: list[list[CellValue]],
) -> None:
    grid: list[list[CellValue]] = [list(PLAN_HEADERS), *body]
    from_lists = parse_plan_sheet(grid, PLAN_SHEET)
    from_array = parse_plan_sheet(rows_array(grid), PLAN_SHEET)
    pd.testing.assert_frame_equal(from_lists, from_array)
    assert from_lists.index.tolist() == _kept_rows(grid)
    for key, header in (("touch_id", "编号"), ("customer", "客户"), ("owner", "负责人")):
        at = PLAN_HEADERS.index(header)
        expected = [
            cell_text(grid[n - 1][at] if at < len(grid[n - 1]) else None) for n in from_lists.index
        ]
        assert from_lists[key].tolist() == expected
    assert from_lists.attrs["extra_columns"] == ["电话备注"]


def test_a_note_row_moved_by_sorting_and_a_whitespace_row_are_not_touches() -> None:
    grid: list[list[CellValue]] = [
        list(PLAN_HEADERS),
        ["T1", "C1", "甲公司", "王", "待跟进", None, None],
        [None, None, None, NOTE, None, None, None],  # sorted by owner: the note moved there
        ["  ", "\u3000", None, float("nan"), "", None, None],
        ["T2", "C2", " 乙公司 ", None, None, None, "回电"],
        [NOTE, "C3", None, None, None, None, None],  # a note beside a value is a row
    ]
    frame = parse_plan_sheet(rows_array(grid), PLAN_SHEET)
    assert frame.index.tolist() == [2, 5, 6]
    assert frame["customer"].tolist() == ["甲公司", "乙公司", ""]
    assert frame["电话备注"].tolist() == [None, "回电", None]


def test_a_header_alone_is_an_empty_plan_whichever_form() -> None:
    for grid in ([list(PLAN_HEADERS)], rows_array([list(PLAN_HEADERS)])):
        frame = parse_plan_sheet(grid, PLAN_SHEET)
        assert frame.empty and frame.index.name == "row"
    assert parse_plan_sheet(np.empty((0, 0), dtype=object), PLAN_SHEET).empty


# ---- read_staff: 消息 and any of our sheets -------------------------------------------

OURS = OurColumns({"id": ("编号", "ID"), "name": ("名称", "Name"), "status": ("状态", "Status")})


def _keys(rows: Sequence[Mapping[str, CellValue]]) -> list[Hashable | None]:
    return [cell_text(row.get("id")) or None for row in rows]


def _at(row: Sequence[CellValue], column: int) -> CellValue:
    return row[column] if column < len(row) else None


def _read_staff_by_rows(grid: list[list[CellValue]], kept: tuple[str, ...]) -> Carried:
    """The row-by-row rule ``read_staff`` replaced (header in the first row here)."""
    header = grid[0]
    fields = {c: OURS.field_of(t) for c, t in enumerate(header) if OURS.field_of(t)}
    staff = [c for c, t in enumerate(header) if c not in fields and not is_blank(t)]
    carried = Carried(OURS, _keys, kept, [cell_text(header[c]) for c in staff])
    if not staff and not set(kept) & set(fields.values()):
        return carried
    counts: dict[Hashable, int] = {}
    for number, row in enumerate(grid[1:]):
        ours = {name: _at(row, c) for c, name in fields.items() if name}
        found = _keys([ours])[0] or ("\0no key", number)
        count = counts[found] = counts.get(found, -1) + 1
        staff_cells = [_at(row, c) for c in staff]
        if any(not is_blank(v) for v in staff_cells) or any(
            not is_blank(ours.get(name)) for name in kept
        ):
            carried.rows[(found, count)] = _Row(ours, staff_cells)
    return carried


staff_cells = st.sampled_from([*BLANKS, "已发送", "sent", "回电", 1.0])
id_cells = st.sampled_from([None, "", "A", "B", "C", 1.0])


@given(
    st.lists(
        st.tuples(id_cells, st.sampled_from(["甲", None]), staff_cells, staff_cells),
        max_size=25,
    ),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_read_staff_from_columns_keeps_what_the_row_rule_kept(
    lines: list[tuple[CellValue, ...]], with_staff: bool, ragged: bool
) -> None:
    header: list[CellValue] = ["编号", "Name", "Status", *(["处理意见"] if with_staff else [])]
    width = len(header)
    body = [list(line[:width]) for line in lines]
    if ragged:  # trailing blanks left off, as some books give rows
        body = [row[: max(1, len(row) - 1)] if is_blank(row[-1]) else row for row in body]
    grid = [header, *body]
    expected = _read_staff_by_rows(grid, ("status",))
    for given_grid in (grid, rows_array(grid)):
        carried = read_staff(given_grid, OURS, _keys, kept=("status",))
        assert carried.headers == expected.headers
        assert carried.rows == expected.rows


def test_message_notes_of_an_array_without_staff_reads_no_row() -> None:
    header = ["客户编号", "渠道", "发送日期", "状态"]
    grid = rows_array(
        [header, ["C1", "短信", dt.date(2026, 12, 3), None], ["C2", "邮件", None, " "]]
    )
    assert message_notes(grid).rows == {}
    grid[2, 3] = "已发送"
    assert list(message_notes(grid).rows) == [(("C2", "email", ""), 0)]


def test_a_file_book_reads_our_sheet_back_as_the_grid_it_reads(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = MESSAGES_SHEET
    for row in (["客户编号", "状态", "备注"], ["C1", "已发送", None], [None, None, "回电"]):
        sheet.append(row)
    workbook.save(path)
    book = FileBook(path, output=tmp_path / "out.xlsx")
    assert book.read_array(MESSAGES_SHEET).tolist() == book.read_grid(MESSAGES_SHEET)


def test_a_sheet_written_this_run_reads_back_while_small_and_is_not_kept_when_big(
    tmp_path: Path,
) -> None:
    from sheetcrm.book.base import ColumnRows, SheetSpec
    from sheetcrm.demo import write_demo
    from sheetcrm.tuning import Tuning

    path = tmp_path / "book.xlsx"
    write_demo(path, customers=100)
    book = FileBook(path, output=tmp_path / "out.xlsx", tuning=Tuning(cached_cells=6))
    small: list[list[CellValue]] = [["编号", "状态"], ["C1", "已发送"], ["C2", None]]
    book.write_sheet(SheetSpec(name="小表", rows=small))
    assert book.read_grid("小表") == small
    assert book.read_array("小表").tolist() == small
    big = ColumnRows([["编号", "状态"]], [np.array(["C1", "C2", "C3"], object)] * 2)
    book.write_sheet(SheetSpec(name="大表", rows=big))
    assert "大表" in book.sheet_names()
    for read in (book.read_grid, book.read_array):
        try:
            read("大表")
        except RuntimeError as error:
            assert "大表" in str(error)
        else:
            raise AssertionError("a sheet too big to keep was read back")
    book.save()
    assert FileBook(tmp_path / "out.xlsx").read_grid("大表") == list(big)


def test_no_job_reads_a_long_sheet_of_ours_back_after_writing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why a file book need not keep 数据检查, 跟进计划 or 消息 once written."""
    from sheetcrm.demo import write_demo
    from sheetcrm.jobs import JOBS, JobOptions, run_job
    from sheetcrm.sheets.check import CHECK_SHEET

    read_back: list[str] = []
    original = FileBook._written_rows

    def spy(self: FileBook, sheet: str) -> Sequence[Sequence[CellValue]]:
        read_back.append(sheet)
        return original(self, sheet)

    monkeypatch.setattr(FileBook, "_written_rows", spy)
    path = tmp_path / "book.xlsx"
    write_demo(path, customers=100)
    options = JobOptions(as_of=dt.date(2026, 12, 3))
    for job in ("run", *JOBS, "run"):  # a first run, then each job on a run's output
        run_job(job, FileBook(path, backup=False), options)
    assert not {CHECK_SHEET, PLAN_SHEET, MESSAGES_SHEET} & set(read_back)
