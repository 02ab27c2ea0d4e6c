"""Staff's columns and notes in sheetcrm's own sheets survive the next run (issue 19).

Each sheet: a first run, staff add a column with notes (and edit), the data changes so some
rows vanish and some move, a re-run: the notes follow their rows, vanished rows with notes
are kept at the bottom marked, rows staff left nothing in go. Plus the rule itself
(:mod:`sheetcrm.sheets.carry`) under random keys and orders.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _messages_data import AS_OF as MESSAGES_AS_OF
from _messages_data import customers, tiers
from sheetcrm.book.base import CellValue, Problem
from sheetcrm.book.file import FileBook
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.messages import MessageSettings, MessagesResult, compose_messages
from sheetcrm.settings import SETTINGS_SHEET
from sheetcrm.sheets.carry import MARK_HEADER, OBSOLETE, RESOLVED, OurColumns, carry, read_staff
from sheetcrm.sheets.check import CHECK_SHEET, problem_notes, problems_sheet
from sheetcrm.sheets.history import HISTORY_SHEET
from sheetcrm.sheets.messages import (
    MESSAGES_SHEET,
    message_notes,
    messages_sheet,
    sheet_channels,
)
from sheetcrm.sheets.tiers import SUMMARY_SHEET, summary_notes, summary_sheet
from sheetcrm.tiering.settings import Tier

AS_OF = dt.date(2026, 6, 1)
NOTE = "处理意见 Action"


# ---- the rule, on its own ------------------------------------------------------------

_TOY = OurColumns({"key": ("键", "Key"), "value": ("值", "Value")})


def _toy_keys(rows: Sequence[Mapping[str, CellValue]]) -> list[str | None]:
    return [str(r.get("key")) if r.get("key") not in (None, "") else None for r in rows]


def _toy_grid(
    keys: Sequence[str], notes: Sequence[str | None], lang: str = "zh"
) -> list[list[CellValue]]:
    header: list[CellValue] = ["键", "值"] if lang == "zh" else ["Key", "Value"]
    body: list[list[CellValue]] = [[k, f"v{k}", n] for k, n in zip(keys, notes, strict=True)]
    return [[*header, "备注"], *body]


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(
        st.tuples(st.sampled_from("abcdefg"), st.one_of(st.none(), st.text("xyz备注", max_size=3))),
        max_size=12,
    ),
    after=st.lists(st.sampled_from("abcdefghij"), max_size=12),
    lang=st.sampled_from(["zh", "en"]),
)
def test_no_note_is_lost_or_moved_to_another_key(
    before: list[tuple[str, str | None]], after: list[str], lang: str
) -> None:
    keys = [k for k, _ in before]
    notes = [n if n and n.strip() else None for _, n in before]
    staff = read_staff(_toy_grid(keys, notes, lang), _TOY, _toy_keys)
    new_header: list[CellValue] = ["Key", "Value"] if lang == "zh" else ["键", "值"]
    rows = carry([new_header, *([k, f"new {k}"] for k in after)], staff)
    # The note of the n-th row of a key before is the note of its n-th row now.
    wanted: dict[tuple[str, int], str] = {}
    seen: Counter[str] = Counter()
    for key, note in zip(keys, notes, strict=True):
        if note:
            wanted[(key, seen[key])] = note
        seen[key] += 1
    header = rows[0]
    note_at = header.index("备注") if "备注" in header else None
    mark_at = header.index(MARK_HEADER) if MARK_HEADER in header else None
    got: dict[tuple[str, int], str] = {}
    seen.clear()
    for row in rows[1 : 1 + len(after)]:
        key = str(row[0])
        if note_at is not None and row[note_at] is not None:
            got[(key, seen[key])] = str(row[note_at])
        assert mark_at is None or row[mark_at] is None
        seen[key] += 1
    now = Counter(after)
    assert got == {at: note for at, note in wanted.items() if at[1] < now[at[0]]}
    gone = rows[1 + len(after) :]  # keys no longer there: kept below in order, marked
    assert [(row[0], row[note_at] if note_at is not None else None) for row in gone] == [
        (key, note) for (key, n), note in wanted.items() if n >= now[key]
    ]
    for row in gone:
        assert mark_at is not None and row[mark_at] == OBSOLETE
        assert row[1] == f"v{row[0]}"  # our cells as they were
    assert [row[0] for row in rows[1 : 1 + len(after)]] == after  # the new order is kept


def test_without_staff_columns_the_sheet_is_as_before() -> None:
    staff = read_staff([*_toy_grid(["a"], [None])[:1], ["a", "x"]], _TOY, _toy_keys)
    rows: list[list[CellValue]] = [["键", "值"], ["b", 1]]
    assert carry(rows, read_staff(None, _TOY, _toy_keys)) == rows
    assert carry(rows, read_staff([["键", "值"], ["a", 1]], _TOY, _toy_keys)) == rows
    assert carry(rows, staff)[0] == ["键", "值", "备注"]  # an empty staff column stays


def test_a_title_row_above_the_header_and_rows_without_a_key() -> None:
    grid: list[list[CellValue]] = [
        ["我们的清单"],
        ["键", "值", "备注"],
        ["a", 1, "甲"],
        [None, None, "无键的笔记"],
        [None, None, None],
    ]
    rows = carry([["键", "值"], ["a", 2]], read_staff(grid, _TOY, _toy_keys))
    assert rows == [
        ["键", "值", MARK_HEADER, "备注"],
        ["a", 2, None, "甲"],
        [None, None, OBSOLETE, "无键的笔记"],
    ]


# ---- 数据检查 ----------------------------------------------------------------------------


def _problem(row: int, column: str, kind: str, value: CellValue = "x") -> Problem:
    return Problem("客户", row, column, value, f"问题 {kind}", "改正", kind)


def test_check_notes_follow_the_customer_when_rows_move() -> None:
    ids = pd.Series(["C1", "C2", "C3"], index=[2, 3, 4])
    first = problems_sheet(
        [
            _problem(2, "手机", "invalid_mobile"),
            _problem(3, "邮箱", "invalid_email"),
            _problem(4, "手机", "invalid_mobile"),
            Problem("交易", 7, "金额", -1, "负数", "", "range"),
        ],
        ids,
        "客户",
    )
    grid = [[*first.rows[0], NOTE, "负责人"]]
    for row in first.rows[1:]:
        note = {"C1": "已打电话确认", "C2": "等客户回复"}.get(str(row[6]))
        grid.append([*row, note, "王强" if row[0] == "交易" else None])
    # A row inserted above: every customer moves down one; C2's e-mail was fixed.
    moved = pd.Series(["C0", "C1", "C2", "C3"], index=[2, 3, 4, 5])
    again = problems_sheet(
        [
            _problem(3, "手机", "invalid_mobile"),
            _problem(5, "手机", "invalid_mobile"),
            _problem(2, "手机", "blank", None),
            Problem("交易", 7, "金额", -1, "负数", "", "range"),
        ],
        moved,
        "客户",
        problem_notes(grid),
    )
    header = list(again.rows[0])
    assert header[-3:] == [MARK_HEADER, NOTE, "负责人"]
    by_customer = {row[6]: row for row in again.rows[1:] if row[0] == "客户" and not row[8]}
    assert by_customer["C1"][-2] == "已打电话确认" and by_customer["C1"][1] == 3
    assert by_customer["C3"][-2] is None and by_customer["C0"][-2] is None
    transaction = next(row for row in again.rows[1:] if row[0] == "交易")
    assert transaction[-1] == "王强"
    resolved = again.rows[-1]
    assert resolved[6] == "C2" and resolved[8] == RESOLVED and resolved[-2] == "等客户回复"
    assert resolved[1] == 3 and resolved[2] == "邮箱"  # where it was, as it was
    assert sum(1 for row in again.rows if row[8] == RESOLVED) == 1  # C3 had no note: gone


def test_a_check_sheet_without_staff_columns_is_unchanged() -> None:
    problems = [_problem(2, "手机", "invalid_mobile")]
    plain = problems_sheet(problems)
    assert problems_sheet(problems, staff=problem_notes(plain.rows)).rows == plain.rows


# ---- 消息 ------------------------------------------------------------------------------


def _messages(rows: Sequence[tuple[str, str, dt.date | None]]) -> MessagesResult:
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "customer": [f"客户{r[0]}" for r in rows],
            "channel": [r[1] for r in rows],
            "to": [f"addr-{r[0]}" for r in rows],
            "subject": "",
            "body": [f"您好 {r[0]}" for r in rows],
            "chars": [5] * len(rows),
            "parts": pd.array([1] * len(rows), dtype="Int64"),
            "template": "welcome",
            "warnings": "",
            "missing_fields": "",
            "html": "",
            "send_date": [r[2] for r in rows],
        }
    )
    skipped = pd.DataFrame(columns=["customer_id", "customer", "channel", "reason", "to", "body"])
    return MessagesResult(frame, skipped)


def test_message_notes_and_status_follow_the_message_in_either_language() -> None:
    day, later = AS_OF, AS_OF + dt.timedelta(days=1)
    with use_lang("zh"):
        first = messages_sheet(
            _messages([("C1", "sms", day), ("C2", "email", day), ("C3", "sms", later)])
        )
    header = list(first.rows[0])
    assert header[-1] == "状态" and first.validations  # the status drop-down
    status = header.index("状态")
    grid = [[*header, "回访记录"]]
    for row in first.rows[1:]:
        line = list(row)
        if row[0] == "C1":
            line[status] = "已发送"
        grid.append([*line, {"C1": "已收到", "C3": "改天再发"}.get(str(row[0]))])
    # In English now; C3's message is no longer due, C4's is new, C2's moved up front.
    with use_lang("en"):
        again = messages_sheet(
            _messages([("C4", "email", day), ("C2", "email", day), ("C1", "sms", day)]),
            staff=message_notes(grid),
        )
    header = list(again.rows[0])
    assert header[-2:] == [MARK_HEADER, "回访记录"] and "Status" in header
    rows = {row[0]: row for row in again.rows[1:]}
    assert rows["C1"][header.index("Status")] == "已发送" and rows["C1"][-1] == "已收到"
    assert rows["C2"][-1] is None and rows["C4"][-1] is None
    assert again.rows[-1][0] == "C3" and again.rows[-1][-2] == OBSOLETE
    assert again.rows[-1][-1] == "改天再发"
    assert sheet_channels(again.rows) == ["Email", "Email", "SMS"]  # the kept row is no message


def test_a_message_sent_before_is_not_made_again_nor_its_text_resent() -> None:
    plain = compose_messages(customers(), tiers(), MessageSettings(), as_of=MESSAGES_AS_OF)
    first = plain.messages.iloc[0]
    again = plain.messages.iloc[1]
    sent = pd.DataFrame(
        [
            # the same customer, channel and day
            [first["customer_id"], first["channel"], first["send_date"], "", ""],
            # another day, but the same text to the same address
            [
                again["customer_id"],
                again["channel"],
                MESSAGES_AS_OF - dt.timedelta(days=1),
                again["to"],
                again["body"],
            ],
        ],
        columns=["customer_id", "channel", "send_date", "to", "body"],
    )
    result = compose_messages(
        customers(), tiers(), MessageSettings(), as_of=MESSAGES_AS_OF, sent=sent
    )
    assert result.already_sent == 2 and len(result.messages) == len(plain.messages) - 2
    made = set(zip(result.messages["customer_id"], result.messages["channel"], strict=True))
    assert (first["customer_id"], first["channel"]) not in made
    assert (again["customer_id"], again["channel"]) not in made
    assert result.skipped.equals(plain.skipped)  # not listed as not sent either


# ---- 分级汇总 --------------------------------------------------------------------------

TIERS = (Tier("高价值客户", "High value", "A", 60), Tier("普通客户", "Ordinary", "C", None))


def _tiered(tiers: Sequence[str], lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.Index(range(2, 2 + len(tiers)))
    label = {"A": ("高价值客户", "High value"), "C": ("普通客户", "Ordinary")}
    results = pd.DataFrame(
        {
            "tier": [label[t][lang == "en"] for t in tiers],
            "tier_code": list(tiers),
            "segment_cn": "重要价值客户" if lang == "zh" else "Important value",
            "segment_en": "Champions",
            "stage": "活跃" if lang == "zh" else "Active",
        },
        index=index,
    )
    return pd.DataFrame({"amount": [100.0] * len(tiers)}, index=index), results


def test_summary_notes_follow_section_and_group_across_languages() -> None:
    with use_lang("zh"):
        first = summary_sheet(*_tiered(["A", "C", "C"], "zh"))
    width = max(len(row) for row in first.rows)
    grid: list[list[CellValue]] = [list(row) + [None] * (width - len(row)) for row in first.rows]
    grid[0] += ["说明"]
    for row in grid[1:]:
        row.append({"高价值客户": "重点维护", "普通客户": "季度回访"}.get(str(row[0])))
    grid[0][5] = "复核人"  # column F, between the tables and the matrix
    grid[1][5] = "李娜"
    with use_lang("en"):
        again = summary_sheet(*_tiered(["C", "C"], "en"), staff=summary_notes(grid, TIERS))
    header = list(again.rows[0])
    assert header[-3:] == [MARK_HEADER, "复核人", "说明"]
    assert header[6] == "previous ＼ now" and header[5] is None  # the matrix where it was
    ordinary = next(row for row in again.rows if row and row[0] == "Ordinary")
    assert ordinary[-1] == "季度回访"
    gone = again.rows[-1]
    assert gone[0] == "高价值客户" and gone[-3] == OBSOLETE and gone[-2:] == ["李娜", "重点维护"]
    assert str(again.charts[0].anchor) == f"A{len(again.rows) + 2}"  # the chart below them all


# ---- whole jobs on a workbook ----------------------------------------------------------


def _customer_list(path: Path, first: Sequence[Sequence[CellValue]] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "客户"
    sheet.append(["客户编号", "客户名称", "手机", "邮箱", "累计金额", "购买次数", "最近购买日期"])
    for row in first:
        sheet.append(list(row))
    for n in range(6):
        mobile = "12345" if n in (1, 3) else f"1390571{n:04d}"  # C1 and C3: not mobiles
        sheet.append(
            [
                f"C{n}",
                f"客户{'甲乙丙丁戊己'[n]}公司",
                mobile,
                f"c{n}@example.cn",
                1000 * (n + 1),
                n + 1,
                dt.date(2026, 1, n + 1),
            ]
        )
    book.save(path)
    return path


def _edit(path: Path, sheet: str, edit: object) -> None:
    """Change a sheet as staff would in Excel (edit(worksheet)) and save."""
    book = openpyxl.load_workbook(path)
    edit(book[sheet])  # type: ignore[operator]
    book.save(path)


def _grid(path: Path, sheet: str) -> list[list[CellValue]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [list(row) for row in book[sheet].iter_rows(values_only=True)]


def test_check_job_keeps_staff_notes_when_rows_move_and_problems_go(tmp_path: Path) -> None:
    path = _customer_list(tmp_path / "list.xlsx")
    run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF))

    def annotate(ws: object) -> None:
        rows = list(ws.iter_rows())  # type: ignore[attr-defined]
        ws.cell(1, len(rows[0]) + 1, NOTE)  # type: ignore[attr-defined]
        for row in rows[1:]:
            if row[6].value in ("C1", "C3"):
                row[0].parent.cell(row[0].row, len(rows[0]) + 1, f"已联系 {row[6].value}")

    _edit(path, CHECK_SHEET, annotate)

    def change(ws: object) -> None:
        ws.insert_rows(2)  # type: ignore[attr-defined]  # a new customer on top: rows move
        for column, value in enumerate(
            ["C9", "客户辛公司", "13905719999", "c9@example.cn", 500, 1, dt.date(2026, 2, 1)],
            start=1,
        ):
            ws.cell(2, column, value)  # type: ignore[attr-defined]
        ws.cell(6, 3, "13905710003")  # type: ignore[attr-defined]  # C3's mobile fixed

    _edit(path, "客户", change)
    with use_lang("en"):  # the other language: the notes still follow
        run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF, lang="en"))
    grid = _grid(path, CHECK_SHEET)
    header = grid[0]
    note, mark = header.index(NOTE), header.index(MARK_HEADER)
    c1 = [row for row in grid[1:] if row[6] == "C1" and row[mark] is None]
    assert c1 and all(row[note] == "已联系 C1" for row in c1) and c1[0][1] == 4
    c3 = [row for row in grid if row[6] == "C3"]
    assert len(c3) == 1 and c3[0][mark] == RESOLVED and c3[0][note] == "已联系 C3"
    assert grid[-1] == c3[0]  # at the bottom
    # Re-run again: the resolved row stays while its note does; nothing doubles.
    run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF, lang="en"))
    assert _grid(path, CHECK_SHEET) == grid


def test_the_check_sheet_is_read_back_only_when_staff_added_a_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 数据检查 of 850,000 problems is not parsed on every re-run for nothing."""
    path = _customer_list(tmp_path / "list.xlsx")
    run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    read: list[str] = []
    whole = FileBook.read_grid

    def spy(book: FileBook, sheet: str) -> list[list[CellValue]]:
        read.append(sheet)
        return whole(book, sheet)

    monkeypatch.setattr(FileBook, "read_grid", spy)
    before = _grid(path, CHECK_SHEET)
    run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    assert CHECK_SHEET not in read and _grid(path, CHECK_SHEET) == before
    _edit(path, CHECK_SHEET, lambda ws: ws.cell(1, len(before[0]) + 1, NOTE))
    run_job("check", FileBook(path, backup=False), JobOptions(as_of=AS_OF))
    assert CHECK_SHEET in read and _grid(path, CHECK_SHEET)[0][-1] == NOTE


def _own_identity(path: Path) -> None:
    def sign(ws: object) -> None:
        for row in ws.iter_rows():  # type: ignore[attr-defined]
            if row[0].value == "signature":
                row[1].value = "【好运来】"
            if row[0].value == "sender":
                row[1].value = "好运来 <hi@haoyunlai.cn>"

    _edit(path, SETTINGS_SHEET, sign)


def test_messages_marked_sent_are_not_made_again_the_same_day(tmp_path: Path) -> None:
    path = _customer_list(tmp_path / "list.xlsx")
    run_job("settings", FileBook(path, backup=False))
    _own_identity(path)
    out = tmp_path / "out"
    options = JobOptions(as_of=AS_OF, export_dir=out)
    run_job("messages", FileBook(path, backup=False), options)
    first = _grid(path, MESSAGES_SHEET)
    header = first[0]
    status, channel, to = header.index("状态"), header.index("渠道"), header.index("收件人")
    sms = [row for row in first[1:] if row[channel] == "短信" and row[to]]
    assert len(sms) >= 3
    sent = {row[0] for row in sms[:2]}

    def mark(ws: object) -> None:
        ws.cell(1, len(header) + 1, "备注")  # type: ignore[attr-defined]
        for cells in list(ws.iter_rows())[1:]:  # type: ignore[attr-defined]
            if cells[0].value in sent and cells[channel].value == "短信":
                cells[status].value = "已发送" if cells[0].value == sms[0][0] else "SENT"
                ws.cell(cells[0].row, len(header) + 1, "平台回执 OK")  # type: ignore[attr-defined]

    _edit(path, MESSAGES_SHEET, mark)
    report = run_job("messages", FileBook(path, backup=False), options)
    assert any("2 条已在「消息」中标为已发送" in line for line in report.lines)
    with (out / "sms.csv").open(encoding="utf-8-sig") as handle:
        exported = [row[0] for row in csv.reader(handle)][1:]
    assert exported and not {str(row[to]) for row in sms[:2]} & set(exported)
    assert str(sms[2][to]) in exported
    again = _grid(path, MESSAGES_SHEET)
    kept = [row for row in again[1:] if row[0] in sent and row[channel] == "短信"]
    assert len(kept) == 2  # once each, as they were, with the status and note
    assert {str(row[status]) for row in kept} == {"已发送", "SENT"}
    assert all(row[-1] == "平台回执 OK" and row[5] for row in kept)
    assert MARK_HEADER not in again[0]
    keys = Counter((row[0], row[channel], row[header.index("发送日期")]) for row in again[1:])
    assert max(keys.values()) == 1


def test_tier_and_report_jobs_keep_staff_columns_across_languages(tmp_path: Path) -> None:
    path = _customer_list(tmp_path / "list.xlsx")
    run_job("run", FileBook(path, backup=False), JobOptions(as_of=AS_OF))

    def note_summary(ws: object) -> None:
        width = ws.max_column  # type: ignore[attr-defined]
        ws.cell(1, width + 2, "说明")  # type: ignore[attr-defined]
        for cells in ws.iter_rows(min_row=2):  # type: ignore[attr-defined]
            if cells[0].value in ("合计",):
                ws.cell(cells[0].row, width + 2, "核对过")  # type: ignore[attr-defined]

    def note_history(ws: object) -> None:
        width = ws.max_column  # type: ignore[attr-defined]
        ws.cell(1, width + 1, "备注")  # type: ignore[attr-defined]
        ws.cell(2, width + 1, "第一次运行")  # type: ignore[attr-defined]

    _edit(path, SUMMARY_SHEET, note_summary)
    _edit(path, HISTORY_SHEET, note_history)
    run_job("run", FileBook(path, backup=False), JobOptions(as_of=AS_OF, lang="en"))
    summary = _grid(path, SUMMARY_SHEET)
    note = summary[0].index("说明")
    totals = [row for row in summary if row[0] == "Total"]
    assert len(totals) == 4 and all(row[note] == "核对过" for row in totals)
    assert MARK_HEADER not in summary[0]
    history = _grid(path, HISTORY_SHEET)
    at = history[0].index("备注")
    assert [row[at] for row in history[1:]] == ["第一次运行", None]
