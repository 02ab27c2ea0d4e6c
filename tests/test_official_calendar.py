"""Years past chinesecalendar: the official schedule pasted into [holidays], or a warning
that says what is estimated — on the console, in 跟进计划 and from the worksheet functions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue
from sheetcrm.book.file import FileBook
from sheetcrm.cli import main
from sheetcrm.errors import SettingsError
from sheetcrm.excel.udfs_plan import (
    CRM_CALENDAR_NOTE,
    CRM_IS_WORKDAY,
    CRM_NEXT_FOLLOWUP,
    CRM_WORKDAY,
)
from sheetcrm.i18n import use_lang
from sheetcrm.schedule import build_plan
from sheetcrm.schedule.holiday_dates import LONGEST_RANGE_DAYS, holiday_dates
from sheetcrm.schedule.plan import PlanResult, empty_touches
from sheetcrm.schedule.plan_settings import parse_plan_settings
from sheetcrm.schedule.statuses import STATUS_OPEN
from sheetcrm.schedule.workdays import CalendarDays, WorkCalendar, estimate_warning
from sheetcrm.settings import SETTINGS_SHEET, Settings
from sheetcrm.sheets.plan import PLAN_SHEET, parse_plan_sheet, plan_sheet
from sheetcrm.values import excel_serial

D = dt.date

# An illustrative 2027 schedule in the State Council's shape (the real notice is not out yet):
# rows as staff paste them, ranges and lists included.
SCHEDULE_2027: list[list[CellValue]] = [
    ["2027-01-01 至 2027-01-03", "官方休息", "元旦"],
    ["2027年2月5日至12日", "官方休息", "春节"],
    ["2027年1月31日（星期日）、2月20日（星期六）", "官方上班", "春节调休"],
    ["2027/4/3~4/5", "official off", "清明节 Qingming"],
    ["2027年5月1日至5日", "放假", "劳动节"],
    ["2027年4月25日（星期日）、5月8日（星期六）", "补班", "劳动节调休"],
    [D(2027, 6, 9), "官方休息 official off", "端午节"],
    ["2027-09-15", "法定假日", "中秋节"],
    ["2027年10月1日至7日", "官方休息", "国庆节"],
    ["2027年9月26日、10月9日", "official work", "国庆节调休"],
]
MAKE_UP_2027 = {D(2027, 1, 31), D(2027, 2, 20), D(2027, 4, 25), D(2027, 5, 8)}
MAKE_UP_2027 |= {D(2027, 9, 26), D(2027, 10, 9)}


def grid(*rows: list[CellValue]) -> list[list[CellValue]]:
    """A settings sheet holding only a [holidays] block with these rows (data from row 3)."""
    return [["[holidays]"], ["日期 Date", "类型 Type", "说明 Note"], *[list(r) for r in rows]]


def days_of(*rows: list[CellValue]) -> CalendarDays:
    return parse_plan_settings(Settings(grid(*rows))).calendar


OFFICIAL = days_of(*SCHEDULE_2027)


# ---- the date cells --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "first", "last", "count"),
    [
        ("2027-02-06", D(2027, 2, 6), D(2027, 2, 6), 1),
        (D(2027, 2, 6), D(2027, 2, 6), D(2027, 2, 6), 1),
        (excel_serial(D(2027, 2, 6)), D(2027, 2, 6), D(2027, 2, 6), 1),
        ("2027-02-06 至 2027-02-12", D(2027, 2, 6), D(2027, 2, 12), 7),
        ("2027年2月6日至12日", D(2027, 2, 6), D(2027, 2, 12), 7),
        ("２０２７年２月６日至１２日", D(2027, 2, 6), D(2027, 2, 12), 7),  # full-width paste
        ("2027/2/6 ~ 2/12", D(2027, 2, 6), D(2027, 2, 12), 7),
        ("2027-02-06—02-12", D(2027, 2, 6), D(2027, 2, 12), 7),
        ("2027年2月6日到2027年2月12日", D(2027, 2, 6), D(2027, 2, 12), 7),
        ("2026年12月31日至1月2日", D(2026, 12, 31), D(2027, 1, 2), 3),  # across New Year
        ("2027年2月14日（星期日）、2月20日（星期六）", D(2027, 2, 14), D(2027, 2, 20), 2),
        ("2027-09-26, 10-09", D(2027, 9, 26), D(2027, 10, 9), 2),
        ("2027年2月6日至12日、2月20日", D(2027, 2, 6), D(2027, 2, 20), 8),
    ],
)
def test_a_date_cell_names_a_date_a_range_or_a_list(
    cell: CellValue, first: dt.date, last: dt.date, count: int
) -> None:
    days = holiday_dates(cell)
    assert (days[0], days[-1], len(days)) == (first, last, count)
    assert list(days) == sorted(set(days))


@pytest.mark.parametrize(
    ("cell", "zh", "en"),
    [
        ("2月6日至12日", "缺少年份", "has no year"),
        ("2027-02-06 至", "无法识别", "not a date, a range"),
        ("2027年2月30日", "没有 2027-02-30", "does not exist"),
        ("2027-02-06 至 2027-12-12", "范围有 310 天", "310 days long"),
        ("2027-02-12 至 2027-02-06", "范围有 -5 天", "-5 days long"),
        ("2027年2月1日至3日至5日", "无法识别", "not a date, a range"),
        ("春节", "无法识别", "not a date, a range"),
        ("2027-02-06 放假", "无法识别", "not a date, a range"),
    ],
)
def test_an_unreadable_date_cell_is_refused_in_either_language(cell: str, zh: str, en: str) -> None:
    for lang, words in (("zh", zh), ("en", en)):
        with use_lang(lang), pytest.raises(ValueError, match=words):
            holiday_dates(cell)


@settings(max_examples=150, deadline=None)
@given(
    st.dates(D(2020, 1, 1), D(2035, 12, 31)),
    st.integers(0, LONGEST_RANGE_DAYS - 1),
    st.sampled_from(["{a} 至 {b}", "{a}~{b}", "{a}到{b}", "{a} — {b}"]),
    st.sampled_from(["iso", "zh", "slash"]),
)
def test_any_range_reads_as_exactly_its_days(
    first: dt.date, extra: int, shape: str, style: str
) -> None:
    last = first + dt.timedelta(days=extra)

    def written(day: dt.date) -> str:
        if style == "zh":
            return f"{day.year}年{day.month}月{day.day}日"
        return day.isoformat() if style == "iso" else f"{day.year}/{day.month}/{day.day}"

    days = holiday_dates(shape.format(a=written(first), b=written(last)))
    assert list(days) == [first + dt.timedelta(days=i) for i in range(extra + 1)]


# ---- the [holidays] block ------------------------------------------------------------


def test_the_official_rows_are_read_apart_from_the_company_days() -> None:
    assert OFFICIAL.official_work == MAKE_UP_2027
    assert len(OFFICIAL.official_off) == 3 + 8 + 3 + 5 + 1 + 1 + 7
    assert OFFICIAL.official_years == {2027}
    assert not OFFICIAL.extra_off and not OFFICIAL.extra_work
    company = days_of(["2027-03-08", None, "blank type: a company day off, as before"])
    assert company.extra_off == {D(2027, 3, 8)} and not company.official_years


@pytest.mark.parametrize(
    ("rows", "cell", "words"),
    [
        ([["2月6日至12日", "官方休息", ""]], "A3", "has no year"),
        ([["2027-02-06", "官方修息", ""]], "B3", "unknown type"),
        ([["2027-02-06", "官方休息", ""], ["", "官方上班", ""]], "A4", "the date is empty"),
        ([["2027-02-06 至 02-12", "官方休息", ""], ["2027-02-07", "补班", ""]], "B4", "B3"),
        ([["2027-02-08", "上班", ""], ["2027-02-08", "休息", ""]], "B4", "B3"),
    ],
)
def test_a_bad_holidays_row_names_its_cell(
    rows: list[list[CellValue]], cell: str, words: str
) -> None:
    with use_lang("en"), pytest.raises(SettingsError, match=f"cell {cell}:.*{words}"):
        days_of(*rows)


# ---- the calendar ------------------------------------------------------------------------


def test_2027_without_official_rows_is_estimated_without_make_up_days() -> None:
    cal = WorkCalendar("CN")
    year = [D(2027, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    assert not cal.is_workday(D(2027, 2, 8))  # Spring Festival, from the lunar rule
    assert not cal.is_workday(D(2027, 5, 3))  # Labour Day on a weekend moves to Monday
    assert not any(cal.is_workday(day) for day in year if day.weekday() >= 5)  # no 调休
    assert cal.estimated_between(D(2026, 12, 1), D(2027, 2, 1)) == (2027,)
    with use_lang("zh"):
        (zh,) = map(str, cal.warnings_for(D(2026, 12, 1), D(2027, 2, 1)))
    with use_lang("en"):
        (en,) = map(str, cal.warnings_for(D(2026, 12, 1), D(2027, 2, 1)))
    assert "不含调休" in zh and "[holidays]" in zh and "官方上班" in zh and "2027" in zh
    assert "without make-up working days" in en and "[holidays]" in en and "2027" in en
    assert "included" not in en and "含调休" not in zh.replace("不含调休", "")


def test_2027_with_official_rows_is_exact_and_make_up_days_are_working_days() -> None:
    cal = WorkCalendar("CN", OFFICIAL)
    assert cal.estimated_between(D(2026, 12, 1), D(2027, 12, 31)) == ()
    assert cal.warnings_for(D(2026, 12, 1), D(2027, 12, 31)) == []
    assert all(cal.is_workday(day) for day in MAKE_UP_2027)
    assert not any(cal.is_workday(day) for day in OFFICIAL.official_off)
    assert cal.add_workdays(D(2027, 2, 4), 1) == D(2027, 2, 15)  # over the Spring Festival
    assert cal.add_workdays(D(2027, 2, 19), 1) == D(2027, 2, 20)  # onto a make-up Saturday
    assert not cal.is_workday(D(2027, 5, 3))  # in the pasted range
    # 2028 has no rows: estimated again, and said so.
    assert cal.estimated_between(D(2027, 12, 1), D(2028, 1, 31)) == (2028,)


def test_company_days_still_override_the_official_schedule() -> None:
    days = CalendarDays(
        official_off=OFFICIAL.official_off,
        official_work=OFFICIAL.official_work,
        extra_off=frozenset({D(2027, 2, 20)}),  # the company gives the make-up Saturday off
        extra_work=frozenset({D(2027, 10, 7)}),
    )
    cal = WorkCalendar("CN", days)
    assert not cal.is_workday(D(2027, 2, 20))
    assert cal.is_workday(D(2027, 10, 7))
    assert cal.is_workday(D(2027, 1, 31))


weekdays_2027 = [D(2027, 1, 1) + dt.timedelta(days=i) for i in range(365)]
weekends_2027 = [day for day in weekdays_2027 if day.weekday() >= 5]


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.sampled_from([d for d in weekdays_2027 if d.weekday() < 5]), max_size=40),
    st.sets(st.sampled_from(weekends_2027), min_size=1, max_size=12),
    st.data(),
)
def test_is_workday_agrees_with_the_pasted_rows_and_make_up_days_count(
    off: set[dt.date], work: set[dt.date], data: st.DataObject
) -> None:
    rows: list[list[CellValue]] = [[d.isoformat(), "官方休息", ""] for d in sorted(off)]
    rows += [[f"{d.year}年{d.month}月{d.day}日", "official work", ""] for d in sorted(work)]
    cal = WorkCalendar("CN", days_of(*rows))
    expected = [(d.weekday() < 5 and d not in off) or d in work for d in weekdays_2027]
    ordinals = np.array([d.toordinal() for d in weekdays_2027])
    assert cal.workday_array(ordinals).tolist() == expected
    assert cal.estimated_between(D(2027, 1, 1), D(2027, 12, 31)) == ()
    # Moving over a make-up Saturday or Sunday counts it as one working day.
    saturday = data.draw(st.sampled_from(sorted(work)))
    start = data.draw(st.dates(D(2027, 1, 1), saturday - dt.timedelta(days=1)))
    steps = cal.count_between(start + dt.timedelta(days=1), saturday + dt.timedelta(days=1))
    assert cal.add_workdays(start, steps) == saturday
    assert cal.add_workdays(saturday, -steps) <= start


# ---- the plan and its sheet --------------------------------------------------------------

CUSTOMERS = pd.DataFrame(
    {
        "id": [f"C{i:03d}" for i in range(60)],
        "name": [f"客户{i}" for i in range(60)],
        "owner": ["王"] * 60,
        "last_purchase": [D(2026, 12, 1)] * 60,
        "first_purchase": [D(2024, 1, 1)] * 60,
    }
)
TIERS = pd.DataFrame(
    {
        "tier": ["高价值"] * 60,
        "tier_code": ["A"] * 60,
        "segment_cn": [""] * 60,
        "segment_en": [""] * 60,
        "stage": ["活跃"] * 60,
        "churn_risk": [False] * 60,
    }
)
CADENCE: list[list[CellValue]] = [
    ["[cadences]"],
    ["header"],
    ["A", 1, 0, 1, "电话", "回访", "revisit", 1],  # a call every working day
]
REPS: list[list[CellValue]] = [["[reps]"], ["header"], ["王", 3, ""]]


def plan(holidays: list[list[CellValue]]) -> PlanResult:
    """A 90-day plan from 2026-12-20 whose calls fill every working day."""
    rows: list[list[CellValue]] = [*CADENCE, [], *REPS, [], *grid(*holidays)]
    return build_plan(
        CUSTOMERS,
        TIERS,
        parse_plan_settings(Settings(rows)),
        D(2026, 12, 20),
        horizon_days=90,
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_warning_is_a_note_under_the_plan_and_reads_back_as_no_touch(lang: str) -> None:
    with use_lang(lang):
        result = plan([])
        spec = plan_sheet(result)
    assert result.estimated_years == (2027,)
    with use_lang(lang):
        assert str(result.warnings[0]) == estimate_warning(2027)
    *table, blank, note = spec.rows
    assert blank == [] and note[0] == "⚠ " + estimate_warning_in(lang, 2027)
    back = parse_plan_sheet([list(r) for r in spec.rows], PLAN_SHEET)
    assert len(back) == len(result.touches) == len(table) - 1
    # Sorted by staff, the note moves into the table and still is no touch.
    shuffled = [spec.rows[0], list(note), *[list(r) for r in table[1:]]]
    assert len(parse_plan_sheet(shuffled, PLAN_SHEET)) == len(result.touches)


def estimate_warning_in(lang: str, year: int) -> str:
    with use_lang(lang):
        return estimate_warning(year)


def test_with_official_rows_the_plan_has_no_note_and_uses_the_make_up_days() -> None:
    result = plan(SCHEDULE_2027)
    assert result.estimated_years == () and result.warnings == []
    spec = plan_sheet(result)
    assert not any(str(row[0] if row else "").startswith("⚠") for row in spec.rows)
    due = set(result.touches["due"])
    in_horizon = {d for d in MAKE_UP_2027 if d < D(2026, 12, 20) + dt.timedelta(days=90)}
    assert in_horizon == {D(2027, 1, 31), D(2027, 2, 20)}
    assert in_horizon <= due  # touches planned on the make-up Sunday and Saturday
    assert not due & OFFICIAL.official_off
    assert len(parse_plan_sheet([list(r) for r in spec.rows], PLAN_SHEET)) == len(result.touches)


def test_an_empty_plan_in_an_estimated_year_still_carries_the_note() -> None:
    result = PlanResult(empty_touches(), empty_touches(), as_of=D(2027, 1, 4))
    result.estimated_years = (2027,)
    rows = plan_sheet(result, "en").rows
    assert rows[1] == [] and str(rows[2][0]).startswith("⚠ working days in 2027")
    assert parse_plan_sheet([list(r) for r in rows], PLAN_SHEET).empty


# ---- the worksheet functions -------------------------------------------------------------


def test_the_udfs_read_the_official_rows_and_give_the_note_apart() -> None:
    s = excel_serial
    assert CRM_IS_WORKDAY("2027-02-20") is False  # estimated: no make-up Saturday
    assert CRM_IS_WORKDAY("2027-02-20", SCHEDULE_2027) is True
    assert CRM_WORKDAY("2027-02-04", 1, SCHEDULE_2027) == s(D(2027, 2, 15))
    assert CRM_WORKDAY("2027-02-19", 1, SCHEDULE_2027) == s(D(2027, 2, 20))
    assert CRM_WORKDAY("2027-02-19", 1) == s(D(2027, 2, 22))
    assert CRM_CALENDAR_NOTE(2027, SCHEDULE_2027) == ""
    assert CRM_CALENDAR_NOTE("2026-10-01") == ""
    assert CRM_CALENDAR_NOTE(None) == ""
    assert CRM_CALENDAR_NOTE(s(D(2027, 3, 1)), None, "CN", "en") == estimate_warning_in("en", 2027)
    assert CRM_CALENDAR_NOTE("2027", lang="zh") == estimate_warning_in("zh", 2027)
    assert CRM_CALENDAR_NOTE(2027, country="US") == ""  # only China's calendar is estimated
    # A single column still lists extra days off, as before.
    assert CRM_WORKDAY("2027-03-01", 1, [["2027-03-02"], [None]]) == s(D(2027, 3, 3))


def test_next_followup_counts_the_make_up_saturday() -> None:
    cadence = [["A", 1, 1, None, "电话", "回访", "revisit", 1]]
    exact = CRM_NEXT_FOLLOWUP("A", "2027-02-19", cadence, "2027-02-19", "CN", SCHEDULE_2027)
    estimated = CRM_NEXT_FOLLOWUP("A", "2027-02-19", cadence, "2027-02-19", "CN")
    assert exact == excel_serial(D(2027, 2, 20))
    assert estimated == excel_serial(D(2027, 2, 22))


def test_a_bad_row_in_the_udf_range_names_the_range_cell() -> None:
    rows = [["2027-02-06", "官方休息", ""], ["2027年2月30日", "官方上班", ""]]
    with use_lang("en"):
        answer = str(CRM_WORKDAY("2027-02-01", 1, rows))
    assert answer.startswith("#VALUE!") and "holidays argument" in answer and "A2" in answer


# ---- the job: console, sheet, re-run ------------------------------------------------


def paste_holidays(path: Path, rows: list[list[CellValue]]) -> None:
    """Insert rows under the [holidays] block's header, as staff paste them."""
    book = openpyxl.load_workbook(path)
    sheet = book[SETTINGS_SHEET]
    marker = next(cell.row for cell in sheet["A"] if str(cell.value or "").startswith("[holidays]"))
    header = marker + 2  # the title, its help line, then the header
    sheet.insert_rows(header + 1, len(rows))
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            sheet.cell(header + offset, column, value)
    book.save(path)


def plan_notes(path: Path) -> list[str]:
    grid = FileBook(path, backup=False).read_grid(PLAN_SHEET)
    return [str(row[0]) for row in grid if row and str(row[0] or "").startswith("⚠")]


@pytest.mark.parametrize(("lang", "words"), [("zh", "不含调休"), ("en", "without make-up")])
def test_the_job_warns_on_the_console_and_in_the_sheet_until_rows_are_pasted(
    book_path: Path, capsys: pytest.CaptureFixture[str], lang: str, words: str
) -> None:
    args = ["plan", str(book_path), "--as-of", "2026-12-20", "--days", "90", "--lang", lang]
    assert main(args) == 0
    console = capsys.readouterr().err
    assert words in console and "[holidays]" in console
    (note,) = plan_notes(book_path)
    assert words in note
    first = parse_plan_sheet(FileBook(book_path, backup=False).read_grid(PLAN_SHEET), PLAN_SHEET)
    assert not first["touch_id"].fillna("").astype(str).str.startswith("⚠").any()

    paste_holidays(book_path, SCHEDULE_2027)
    assert main(args) == 0
    console = capsys.readouterr().err
    assert words not in console
    assert plan_notes(book_path) == []
    again = parse_plan_sheet(FileBook(book_path, backup=False).read_grid(PLAN_SHEET), PLAN_SHEET)
    due = set(again.loc[again["status"] == STATUS_OPEN, "due"].dropna())
    assert not due & OFFICIAL.official_off
    assert {D(2027, 1, 31), D(2027, 2, 20)} <= due


def test_a_bad_pasted_row_stops_the_job_naming_the_cell(
    book_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", str(book_path), "--as-of", "2026-12-20", "--lang", "en"]) == 0
    paste_holidays(book_path, [["2027年2月6日至12日", "官方休息", ""], ["2月20日", "官方上班", ""]])
    capsys.readouterr()
    assert main(["plan", str(book_path), "--as-of", "2026-12-20", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert SETTINGS_SHEET in err and "has no year" in err


@pytest.mark.parametrize(("lang", "words"), [("zh", "请检查年份"), ("en", "check their year")])
def test_official_rows_that_contradict_the_built_in_years_are_flagged(
    lang: str, words: str
) -> None:
    # Excel turned a typed 2月6日 into 2026-02-06 (a working Friday in 2026's real schedule).
    typed = days_of(["2026-02-06", "官方休息", ""], ["2026-10-01", "官方休息", ""])
    with use_lang(lang):
        (warning,) = map(
            str, WorkCalendar("CN", typed).warnings_for(D(2027, 1, 1), D(2027, 1, 31))[1:]
        )
    assert words in warning and "2026-02-06" in warning and "2026-10-01" not in warning
    agreeing = days_of(["2026-10-01 至 2026-10-07", "官方休息", ""])
    assert WorkCalendar("CN", agreeing).warnings_for(D(2026, 9, 1), D(2026, 10, 31)) == []
    assert WorkCalendar("US", typed).warnings_for(D(2026, 1, 1), D(2026, 3, 1)) == []
