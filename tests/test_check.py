"""The data check: phones, emails, required fields, ranges, date order, duplicates."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from sheetcrm.book.base import CellError, CustomerTable, Problem
from sheetcrm.check import CheckResult, check_customers, name_keys, near_names, similar_names
from sheetcrm.check.problems import Collector
from sheetcrm.i18n import use_lang

TODAY = dt.date(2026, 11, 20)
HEADERS = {
    "id": "客户编号",
    "name": "客户名称",
    "contact": "联系人",
    "mobile": "手机",
    "email": "邮箱",
    "city": "城市",
    "first_purchase": "首次购买日期",
    "last_purchase": "最近购买日期",
    "orders": "购买次数",
    "amount": "累计金额",
    "satisfaction": "满意度",
}


def make_table(rows: list[dict[str, Any]], problems: list[Problem] | None = None) -> CustomerTable:
    """A CustomerTable with Excel rows 2.. built from role dicts (missing roles are blank)."""
    index = pd.Index(range(2, 2 + len(rows)), name="row")
    base = {"id": None, "name": None, "contact": None, "mobile": None, "email": None, "city": None}
    full = [{**base, "first_purchase": None, "last_purchase": None, **row} for row in rows]
    frame = pd.DataFrame(full, index=index)
    for role in ("first_purchase", "last_purchase"):
        frame[role] = pd.to_datetime(frame[role])
    for role in ("amount", "satisfaction"):
        if role in frame:
            frame[role] = frame[role].astype("float64")
    if "orders" in frame:
        frame["orders"] = frame["orders"].astype("Int64")
    roles = {role: HEADERS[role] for role in frame.columns}
    raw = frame.rename(columns=roles).astype(object)
    return CustomerTable(
        sheet="客户名单",
        table="客户表",
        header_row=1,
        first_column=1,
        headers=list(roles.values()),
        roles=roles,
        frame=frame,
        raw=raw,
        problems=problems or [],
    )


def good(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"C{n:03d}",
        "name": f"客户{n}号有限公司",
        "contact": f"联系人{n}",
        "mobile": f"1380000{n:04d}",
        "email": f"c{n}@qq.com",
        "city": f"城市{n}",
        **extra,
    }


def check(rows: list[dict[str, Any]], **kw: Any) -> CheckResult:
    with use_lang("en"):
        return check_customers(make_table(rows, **kw), today=TODAY)


def kinds_at(result: Any) -> set[tuple[int | None, str]]:
    return {(p.row, p.kind) for p in result.problems}


def test_clean_rows_have_no_problems() -> None:
    result = check([good(1), good(2), good(3)])
    assert result.problems == []
    assert result.summary == {}
    assert list(result.cleaned["mobile_kind"]) == ["mobile"] * 3


@pytest.mark.parametrize(
    ("typed", "number", "kind"),
    [
        ("+86 138 1234 5678", "13812345678", "mobile"),
        ("0086-13812345678", "13812345678", "mobile"),
        ("138.1234.5678", "13812345678", "mobile"),
        ("(+86)13812345678", "13812345678", "mobile"),
        ("8613812345678", "13812345678", "mobile"),
        ("+44 7911 123456", "+447911123456", "mobile"),
        ("0571-88881234", "0571 8888 1234", "landline"),
        ("1381234567", "", "invalid"),
        ("hello", "", "invalid"),
        (None, "", "blank"),
    ],
)
def test_mobiles_are_normalised(typed: str | None, number: str, kind: str) -> None:
    result = check([good(1, mobile=typed)])
    assert result.cleaned.at[2, "mobile"] == number
    assert result.cleaned.at[2, "mobile_kind"] == kind


def test_landline_and_invalid_mobile_problems_name_the_cell() -> None:
    result = check([good(1, mobile="0571-88881234"), good(2, mobile="13812")])
    landline, invalid = result.problems
    assert (landline.row, landline.column, landline.kind) == (2, "手机", "landline")
    assert landline.value == "0571-88881234"
    assert "record a mobile for SMS" in landline.suggestion
    assert (invalid.row, invalid.kind, invalid.value) == (3, "invalid_mobile", "13812")
    assert result.summary == {"landline": 1, "invalid_mobile": 1}


@pytest.mark.parametrize(
    ("typed", "fix"),
    [
        ("wang@163,com", "wang@163.com"),
        ("li@qq,com", "li@qq.com"),
        ("zhao@163.con", "zhao@163.com"),
        ("sun@gmial.com", "sun@gmail.com"),
        ("qian＠qq.com", "qian@qq.com"),
    ],
)
def test_bad_emails_get_a_suggested_fix(typed: str, fix: str) -> None:
    result = check([good(1, email=typed)])
    (problem,) = result.problems
    assert problem.kind == "invalid_email"
    assert fix in problem.suggestion
    assert not result.cleaned.at[2, "email_ok"]


def test_emails_are_trimmed_and_lower_cased() -> None:
    result = check([good(1, email="  Wang.Li@QQ.com ")])
    assert result.cleaned.at[2, "email"] == "wang.li@qq.com"
    assert result.cleaned.at[2, "email_ok"]


def test_required_fields() -> None:
    result = check([good(1, id=None), good(2, name="  "), good(3, mobile=None, email=None)])
    assert kinds_at(result) == {(2, "missing"), (3, "missing"), (4, "missing")}
    assert {p.column for p in result.problems} == {"客户编号", "客户名称", "手机"}


def test_cells_the_reader_reported_are_not_reported_again() -> None:
    reader = Problem("客户名单", 2, "客户名称", CellError("#N/A"), "error", kind="error")
    result = check([good(1, name=None)], problems=[reader])
    assert result.problems == []


def test_ranges_and_date_order() -> None:
    rows = [
        good(1, amount=-5.0, orders=1, satisfaction=4.0),
        good(2, amount=10.0, orders=-1, satisfaction=5.0),
        good(3, amount=10.0, orders=1, satisfaction=150.0),
        good(4, first_purchase="2027-01-01", last_purchase="2027-02-01"),
        good(5, first_purchase="1985-01-01", last_purchase="2020-01-01"),
        good(6, first_purchase="2024-05-01", last_purchase="2024-03-01"),
    ]
    result = check(rows)
    assert kinds_at(result) == {
        (2, "range"),
        (3, "range"),
        (4, "range"),
        (5, "range"),
        (6, "range"),
        (7, "date_order"),
    }
    assert sum(p.row == 5 for p in result.problems) == 2  # both dates in the future


@pytest.mark.parametrize(("scale", "bad"), [(5, 7.0), (10, 12.0), (100, 120.0)])
def test_satisfaction_scale_is_inferred(scale: int, bad: float) -> None:
    rows = [good(n, satisfaction=float(scale - n % 3)) for n in range(1, 40)]
    rows.append(good(99, satisfaction=bad))
    result = check(rows)
    assert [(p.row, p.kind) for p in result.problems] == [(len(rows) + 1, "range")]
    assert f"0–{scale}" in result.problems[0].problem


def test_duplicates_name_the_first_row() -> None:
    rows = [
        good(1),
        good(2, mobile="+86 138-0000-0001"),  # same mobile as row 2
        good(3, email="C1@qq.com"),  # same email as row 2
        good(4, id="C001"),  # same id as row 2
        good(5, name="杭州西湖龙井茶业销售有限公司", city="杭州"),
        good(6, name="杭州西湖龙井茶业销售", city="杭州"),  # same city, name without suffix
        good(7, name="杭州西湖龙井茶叶销售有限公司", city="杭州"),  # one character off
        good(8, name="杭州西湖龙井茶业销售有限公司", city="宁波"),  # other city and contact
        good(9, name="ＡＢＣ Trading Co., Ltd.", contact="Mr Li", city=None),
        good(10, name="abc trading", contact="Mr Li", city=None),  # same contact, no city
    ]
    result = check(rows)
    dups = {p.row: p for p in result.problems if p.kind == "duplicate"}
    assert set(dups) == {3, 4, 5, 7, 8, 11}  # keys are distinct: the set is the sorted list
    assert "same mobile as row 2" in dups[3].problem
    assert dups[3].column == "手机"
    assert "same email as row 2" in dups[4].problem
    assert "same customer ID as row 2" in dups[5].problem
    assert "row 6" in dups[7].problem and dups[7].column == "客户名称"
    assert "row 6" in dups[8].problem
    assert "row 10" in dups[11].problem
    assert result.summary == {"duplicate": 6}


def test_landlines_are_not_duplicates_by_phone() -> None:
    result = check([good(1, mobile="0571-88881234"), good(2, mobile="0571 8888 1234")])
    assert {p.kind for p in result.problems} == {"landline"}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["甲公司", "乙", "甲", "丙集团", "乙有限公司"]), min_size=1, max_size=12
    )
)
def test_duplicates_always_point_backwards(names: list[str]) -> None:
    rows = [good(n, name=name, city="杭州") for n, name in enumerate(names)]
    result = check(rows)
    for problem in result.problems:
        assert problem.kind == "duplicate"
        head = int(problem.problem.split("row ")[1].split(":")[0])
        assert problem.row is not None and head < problem.row
    # exactly one row per distinct normalised name is left unflagged
    flagged = {p.row for p in result.problems}
    distinct = {
        name.replace("有限公司", "").replace("集团", "").replace("公司", "") for name in names
    }
    assert len(rows) - len(flagged) == len(distinct)


def test_problems_are_bilingual() -> None:
    table = make_table([good(1, mobile="0571-88881234")])
    with use_lang("zh"):
        (zh,) = check_customers(table, today=TODAY).problems
    assert "固定电话" in zh.problem and "短信" in zh.suggestion


# ---- the fast paths give what the plain per-value paths give ---------------------------------

_NAME_PIECES = st.sampled_from(
    [
        "杭州",
        "西湖",
        "茶业",
        "有限公司",
        "股份有限公司",
        "集团",
        "公司",
        "Co., Ltd.",
        "co.,ltd",
        "Inc.",
        "LTD",
        "llc",
        " ",
        "_",
        "-",
        "（",
        "）",
        "ａ",
        "Ａ",
        "x",
        "İ",
        "·",
        ".",
        ",",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_NAME_PIECES, st.text(max_size=4)), max_size=8).map("".join))
def test_name_normalising_in_one_pass_equals_two(name: str) -> None:
    folded = unicodedata.normalize("NFKC", name).lower()
    two_pass = similar_names._NAME_NOISE.sub("", similar_names._COMPANY_SUFFIX.sub("", folded))
    assert similar_names.normalise_names(np.array([name], dtype=object))[0] == two_pass


def _normalise(name: str) -> str:
    return str(similar_names._NAME_DROP.sub("", unicodedata.normalize("NFKC", name).lower()))


def _similar_slowly(frame: pd.DataFrame) -> dict[int, int]:
    """Near-identical names by comparing every pair of rows in a block, then the first row."""
    rows = list(frame.index)
    text = {
        role: {r: "" if frame.at[r, role] is None else str(frame.at[r, role]).strip() for r in rows}
        for role in ("name", "city", "contact")
    }
    norm = {r: _normalise(text["name"][r]) for r in rows}

    named = [r for r in rows if norm[r]]
    cluster = {r: r for r in named}

    def root(r: int) -> int:
        while cluster[r] != r:
            r = cluster[r]
        return r

    for a in named:
        for b in named:
            if a < b and fuzz.ratio(norm[a], norm[b]) >= 90:  # every pair: no blocks
                cluster[root(b)] = root(a)
    found: dict[int, int] = {}
    for b in named:
        for a in named:
            same = [k for k in ("city", "contact") if text[k][a] and text[k][a] == text[k][b]]
            if a < b and root(a) == root(b) and same:
                found.setdefault(b, a)
    return found


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["杭州西湖茶业", "杭州西湖茶叶", "西湖茶业有限公司", "杭州西湖", "甲", ""]
            ),
            st.sampled_from(["杭州", "", "宁波"]),
            st.sampled_from(["王伟", "", "李娜"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_similar_names_equal_pairwise_comparison(rows: list[tuple[str, str, str]]) -> None:
    frame = pd.DataFrame(
        [{"name": n or None, "city": c or None, "contact": p or None} for n, c, p in rows],
        index=range(2, 2 + len(rows)),
        dtype=object,
    )
    assert near_names(name_keys(frame)).to_dict() == _similar_slowly(frame)


def _value_per_row(table: CustomerTable, row: int, role: str) -> object:
    """The cell value a problem shows, looked up one row at a time (the reference semantics)."""
    header = table.header_of(role)
    if header in table.raw.columns and row in table.raw.index:
        value = table.raw.at[row, header]
    elif role in table.frame.columns:
        value = table.frame.at[row, role]
    else:
        return None
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


_CELLS = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=False),
    st.just(float("nan")),
    st.just(CellError("#N/A")),
    st.just(pd.NaT),
    st.just(pd.Timestamp("2024-03-05 10:00")),
    st.just(np.int64(7)),
    st.just(np.float64("nan")),
    st.just(np.bool_(True)),
    st.just(dt.date(2024, 1, 2)),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_CELLS, _CELLS, st.booleans()), min_size=1, max_size=8),
    st.lists(st.integers(0, 9), max_size=12),
)
def test_values_of_many_rows_equal_one_row_at_a_time(
    cells: list[tuple[object, object, bool]], picks: list[int]
) -> None:
    """Raw cells, typed cells where the raw frame lacks the row, and absent roles."""
    index = pd.Index(range(2, 2 + len(cells)), name="row")
    frame = pd.DataFrame(
        {
            "name": pd.Series([typed for _, typed, _ in cells], index=index, dtype=object),
            "amount": pd.Series([float(n) for n in range(len(cells))], index=index),
            "last_purchase": pd.to_datetime(pd.Series(["2024-01-01"] * len(cells), index=index)),
        }
    )
    in_raw = [row for row, (_, _, kept) in zip(index, cells, strict=True) if kept]
    raw = pd.DataFrame(
        {"客户名称": [raw for raw, _, kept in cells if kept]}, index=pd.Index(in_raw), dtype=object
    )
    table = CustomerTable("客户名单", None, 1, 1, ["客户名称"], {"name": "客户名称"}, frame, raw)
    rows = np.array([2 + pick % len(cells) for pick in picks], dtype=np.int64)
    collector = Collector(table)
    for role in ("name", "amount", "last_purchase", "notes"):
        fast = collector.values(rows, role).tolist()
        slow = [_value_per_row(table, int(row), role) for row in rows]
        assert [(type(v), v) for v in fast] == [(type(v), v) for v in slow]


def test_name_clusters_are_int64() -> None:
    """Cluster numbers are multiplied by counts of cities and contacts: int32 would overflow."""
    names = np.array(["杭州西湖龙井茶业销售", "杭州西湖龙井茶叶销售", "宁波"], dtype=object)
    clusters = similar_names._name_clusters(names)
    assert clusters.dtype == np.int64
    assert clusters[0] == clusters[1] != clusters[2]


def test_an_empty_table_has_no_problems() -> None:
    table = make_table([good(1)])
    table.frame, table.raw = table.frame.iloc[:0], table.raw.iloc[:0]
    result = check_customers(table, today=TODAY)
    assert result.problems == [] and result.cleaned.empty


def test_check_problems_are_plain_python_as_objects_were() -> None:
    rows = [good(1), good(2, id="C001", email="x@@y", mobile="010-62345678"), good(3, name=None)]
    result = check(rows)
    for problem in result.problems:
        assert type(problem.row) is int
        assert all(type(text) is str for text in (problem.problem, problem.suggestion))
    assert result.summary == dict(Counter(p.kind for p in result.problems))
    assert set(result.summary) == {"duplicate", "invalid_email", "landline", "missing"}


def test_a_long_suggested_address_is_not_cut_short() -> None:
    """A fix longer than the default suggestion is shown whole (a fixed-width array cut it)."""
    typed = "a.very.long.name.of.somebody@gmial.com"
    result = check([good(1, email=typed), good(2, email="bad")])
    fixes = sorted(p.suggestion for p in result.problems)
    assert fixes == [
        "did you mean a.very.long.name.of.somebody@gmail.com?",
        "write it like name@example.com",
    ]
    with use_lang("zh"):
        (zh, _) = check_customers(
            make_table([good(1, email=typed), good(2, email="bad")]), today=TODAY
        ).problems
    assert zh.suggestion == "是否应为 a.very.long.name.of.somebody@gmail.com？"


def test_a_table_wide_problem_keeps_its_blank_row() -> None:
    table = make_table([good(1)])
    table.frame = table.frame.drop(columns="id")
    result = check_customers(table, today=TODAY)
    (missing,) = [p for p in result.problems if p.row is None]
    assert (missing.column, missing.value, missing.kind) == (None, None, "missing")
