"""Tiering engine: RFM, segments, rules, settings, stage, reasons, change, summary, invariants."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from random import Random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue, CustomerTable
from sheetcrm.errors import SettingsError
from sheetcrm.i18n import Lang, tr, use_lang
from sheetcrm.settings import Settings, settings_sheet_spec
from sheetcrm.sheets import tiers as tier_sheets
from sheetcrm.sheets.tiers import (
    HEADERS,
    forget_old_results,
    previous_tiers,
    result_columns,
    summary_sheet,
)
from sheetcrm.tiering import (
    TierSettings,
    churn,
    parse_tier_settings,
    previous_labels,
    tier_customers,
)
from sheetcrm.tiering import tier as tier_module
from sheetcrm.tiering.lifecycle import stage_keys, stage_label, stage_labels
from sheetcrm.tiering.rfm import HIGH_SCORE, rank_scores, score_against, segment_cn, segment_en
from sheetcrm.tiering.tier import RESULT_COLUMNS

AS_OF = dt.date(2026, 6, 30)
LABELS = {"amount": "累计金额", "orders": "购买次数", "last_purchase": "最近购买日期"}


def _customers(
    amounts: Sequence[float],
    orders: Sequence[int],
    days_ago: Sequence[int],
    first_days_ago: Sequence[int] | None = None,
) -> pd.DataFrame:
    n = len(amounts)
    first = first_days_ago or [d + 200 for d in days_ago]
    return pd.DataFrame(
        {
            "id": [f"C{i}" for i in range(n)],
            "amount": pd.array(amounts, dtype="float64"),
            "orders": pd.array(orders, dtype="Int64"),
            "last_purchase": pd.to_datetime([AS_OF - dt.timedelta(days=d) for d in days_ago]),
            "first_purchase": pd.to_datetime([AS_OF - dt.timedelta(days=d) for d in first]),
        },
        index=range(2, n + 2),
    )


def _zh() -> TierSettings:
    return TierSettings.default("b2c", lang="zh")


def test_rank_scores_handle_heavy_ties_where_qcut_fails() -> None:
    values = pd.Series([1] * 51 + list(range(2, 51)))
    with pytest.raises(ValueError):
        pd.qcut(values, 5)
    scores = rank_scores(values)
    assert scores.iloc[:51].nunique() == 1 and scores.iloc[0] == 2
    assert scores.max() == 5 and scores.min() == 2
    assert rank_scores(pd.Series([3.0, np.nan])).isna().tolist() == [False, True]
    assert rank_scores(pd.Series([10.0, 1.0]), higher_is_better=False).tolist() == [3, 5]


@given(
    st.lists(
        st.one_of(st.none(), st.integers(-3, 3).map(float), st.floats(-1e6, 1e6)), max_size=40
    ),
    st.booleans(),
)
def test_rank_scores_are_quintiles_of_the_average_rank(
    values: list[float | None], higher: bool
) -> None:
    series = pd.Series(values, dtype="float64")
    ranks = (series if higher else -series).rank(method="average")
    expected = np.ceil(ranks * 5 / series.notna().sum()).clip(1, 5).astype("Int64")
    pd.testing.assert_series_equal(rank_scores(series, higher_is_better=higher), expected)


@given(st.lists(st.integers(0, 20), min_size=1, max_size=40))
def test_score_against_equals_the_batch_score(values: list[int]) -> None:
    batch = rank_scores(pd.Series(values, dtype="float64"))
    for value, score in zip(values, batch, strict=True):
        assert score_against(float(value), [float(v) for v in values]) == score


def test_segments_in_both_traditions() -> None:
    def s(*v: int | None) -> pd.Series:
        return pd.Series(v, dtype="Int64")

    assert segment_cn(s(5, 1, 1), s(5, 1, 5), s(5, 1, 5)).tolist() == [
        "重要价值",
        "一般挽留",
        "重要保持",
    ]
    assert segment_en(s(5, 1, 5, 1), s(5, 1, 1, 5)).tolist() == [
        "Champions",
        "Lost",
        "New",
        "Can't Lose",
    ]
    assert segment_cn(s(5), s(None), s(5)).tolist() == [None]


def test_reason_says_why_in_the_users_words() -> None:
    frame = _customers([52000.0], [1], [12])
    result = tier_customers(frame, _zh(), AS_OF, labels=LABELS)
    assert result.loc[2, "reason"].startswith(
        "累计金额 52,000 ≥ 50,000 +40；最近购买日期 12 天前 +20 → 60 分 → 高价值客户"
    )
    assert "满意度" in result.loc[2, "reason"]  # a rule's column is missing from the table
    assert list(result.columns) == list(RESULT_COLUMNS)
    assert result.loc[2, ["tier", "tier_code", "score"]].tolist() == ["高价值客户", "A", 60.0]


def test_stage_labels_name_the_stage_keys() -> None:
    frame = _customers([1.0, 2.0, 3.0], [0, 1, 7], [5, 50, 5000])
    frame.loc[2, "last_purchase"] = pd.NaT
    keys = stage_keys(frame, AS_OF).tolist()
    with use_lang("en"):
        labels = stage_labels(frame, AS_OF).tolist()
        assert labels == [None if k is None else stage_label(k) for k in keys]
    assert labels == ["Acquisition", "Acquisition", "Departure"]


def test_an_empty_table_gives_empty_results() -> None:
    result = tier_customers(_customers([1.0], [1], [5]).iloc[:0], _zh(), AS_OF)
    assert list(result.columns) == list(RESULT_COLUMNS) and result.empty


def test_b2b_preset_and_english() -> None:
    frame = _customers([52000.0, 10.0], [6, 1], [12, 400])
    result = tier_customers(frame, TierSettings.default("b2b", lang="en"), AS_OF, labels={})
    assert result["tier"].tolist() == ["Strategic", "Potential"]
    assert "Total Spent 52,000 ≥ 50,000 +40" in result.loc[2, "reason"]
    assert result["stage"].tolist() == ["Maturity", "Departure"]


def test_missing_rfm_columns_leave_blanks_and_say_why() -> None:
    frame = pd.DataFrame({"amount": [100.0, 200.0]}, index=[2, 3])
    result = tier_customers(frame, _zh(), AS_OF)
    assert result["r"].isna().all() and result["rfm"].isna().all()
    assert result["segment_cn"].isna().all() and result["stage"].isna().all()
    assert "最近购买日期" in result.loc[2, "reason"] and "购买次数" in result.loc[2, "reason"]
    assert result["m"].tolist() == [3, 5]


def test_change_against_the_previous_run() -> None:
    frame = _customers([52000.0, 20000.0, 10.0, 10.0], [6, 2, 1, 1], [5, 30, 400, 10])
    previous = pd.Series(["潜力客户", "A", "普通客户", None], index=frame.index)
    result = tier_customers(frame, _zh(), AS_OF, previous=previous)
    assert result["change"].tolist() == ["↑", "↓", "↓", "新"]
    again = tier_customers(frame, _zh(), AS_OF, previous=result["tier"])
    assert (again["change"] == "=").all()


@pytest.mark.parametrize(("before", "now"), [("zh", "en"), ("en", "zh")])
@pytest.mark.parametrize("preset", ["b2c", "b2b"])
def test_a_switch_of_language_compares_like_with_like(before: Lang, now: Lang, preset: str) -> None:
    """Tiers written in the other language are the same tiers: unchanged ones show "=", moves
    still show, and the previous tiers are named as this run names them."""
    frame = _customers([52000.0, 20000.0, 10.0, 10.0, 900.0], [6, 2, 1, 1, 3], [5, 30, 400, 10, 60])
    first = tier_customers(frame, TierSettings.default(preset, lang=before), AS_OF)
    settings = TierSettings.default(preset, lang=now)
    again = tier_customers(frame, settings, AS_OF, previous=first["tier"])
    assert (again["change"] == "=").all()
    assert previous_labels(first["tier"], settings).tolist() == again["tier"].tolist()
    moved = first["tier"].copy()
    moved.iloc[0] = TierSettings.default(preset, lang=before).tiers[-1].label(before)
    assert tier_customers(frame, settings, AS_OF, previous=moved)["change"].iloc[0] == "↑"


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from([n for t in _zh().tiers for n in (t.label_zh, t.label_en, t.code)]),
            st.text(max_size=6),
        ),
        max_size=20,
    ),
    st.sampled_from(["zh", "en"]),
)
@settings(max_examples=60, deadline=None)
def test_previous_labels_rename_known_tiers_and_keep_the_rest(
    texts: list[str | None], lang: Lang
) -> None:
    settings_ = TierSettings.default("b2c", lang=lang)
    previous = pd.Series(pd.array(texts, dtype="string"), index=range(3, len(texts) + 3))
    renamed = previous_labels(previous, settings_)
    assert renamed.index.equals(previous.index)
    ranks = {
        n.casefold(): t.label(lang)
        for t in settings_.tiers
        for n in (t.label_zh, t.label_en, t.code)
    }
    for text, name in zip(texts, renamed, strict=True):
        if text is None:
            assert name is pd.NA
        else:
            assert name == ranks.get(text.strip().casefold(), text)


def test_decay_halves_points_every_n_days_after_n_days() -> None:
    frame = _customers([0.0, 0.0], [1, 1], [10, 270])
    frame["interactions"] = pd.Series([6, 6], dtype="Int64", index=frame.index)
    result = tier_customers(frame, _zh(), AS_OF)
    # 10 points for interactions; 270 days is two decay periods past the first 90 days.
    assert result["score"].tolist() == [30.0, 2.5]
    assert "衰减" in result.loc[3, "reason"]


def _grid_with(block: str, row: list[CellValue]) -> list[list[CellValue]]:
    grid = [list(r) for r in settings_sheet_spec().rows]
    start = next(i for i, r in enumerate(grid) if r and str(r[0]).startswith(f"[{block}]"))
    header = start + 1 + (1 if str(grid[start + 1][0]).startswith("ℹ") else 0)
    grid[header + 1] = row
    return grid


@pytest.mark.parametrize(
    ("row", "cell", "words"),
    [
        (["累计金额", "~~", 5, 10], "B", "between"),
        (["Nope", ">=", 5, 10], "A", "amount"),
        (["累计金额", ">=", "abc", 10], "C", "number"),
        (["累计金额", "between", "5", 10], "C", "10000, 50000"),
        (["城市", ">", "x", 10], "B", "number or date"),
    ],
)
def test_invalid_rules_name_the_cell_and_allowed_values(
    row: list[CellValue], cell: str, words: str
) -> None:
    with use_lang("en"), pytest.raises(SettingsError) as caught:
        parse_tier_settings(Settings(_grid_with("tier_rules", row)), {}, preset="b2c")
    assert f"cell {cell}" in str(caught.value) and words in str(caught.value)


def test_rules_accept_the_tables_own_header_text() -> None:
    grid = _grid_with("tier_rules", ["成交额", ">=", 1, 7])
    parsed = parse_tier_settings(Settings(grid), {"amount": "成交额"}, preset="b2c", lang="zh")
    assert parsed.rules[0].field == "amount" and parsed.rules[0].points == 7
    assert parsed.lang == "zh" and parsed.tiers[0].label("zh") == "高价值客户"


def test_rule_operators_on_text_and_dates() -> None:
    frame = _customers([1.0, 2.0, 3.0], [1, 1, 1], [5, 50, 500])
    frame["city"] = ["上海", "北京市", None]
    rows: list[list[CellValue]] = [
        ["城市", "in list", "上海，广州", 1],
        ["城市", "contains", "北京", 2],
        ["城市", "is blank", None, 4],
        ["最近购买日期", "<", "2026-06-01", 8],
        ["城市", "≠", "上海", 16],
    ]
    grid: list[list[CellValue]] = [["[tier_rules]"], ["h"], *rows, []]
    parsed = parse_tier_settings(Settings(grid), {}, preset="b2c", lang="zh")
    result = tier_customers(frame, parsed, AS_OF)
    assert result["score"].tolist() == [1.0, 2 + 8 + 16, 4 + 8]


def test_summary_counts_revenue_and_migration() -> None:
    frame = _customers([52000.0, 20000.0, 10.0], [6, 2, 1], [5, 30, 400])
    previous = pd.Series(["潜力客户", None, "普通客户"], index=frame.index)
    result = tier_customers(frame, _zh(), AS_OF, previous=previous)
    with use_lang("zh"):
        spec = summary_sheet(frame, result, previous=previous)
    rows = [list(r) for r in spec.rows]
    assert rows[1][:5] == [
        "高价值客户",
        1,
        pytest.approx(1 / 3),
        52000.0,
        pytest.approx(52000 / 72010),
    ]
    assert rows[0][6] == "上次 ＼ 本次"
    matrix = {r[6]: r[7:] for r in rows[1:4]}
    assert matrix["潜力客户"] == [1, 0, 0] and matrix["新"] == [0, 1, 0]


def test_result_columns_have_stable_headers_and_formats() -> None:
    frame = _customers([52000.0], [6], [5])
    result = tier_customers(frame, _zh(), AS_OF)
    zh = result_columns(result, "zh")
    en = result_columns(result, "en")
    assert [c.header for c in zh][:3] == ["客户等级", "等级代码", "分级得分"]
    assert [c.header for c in en][:3] == ["Tier", "Tier code", "Tier score"]
    assert dict((c.header, c.number_format) for c in en)["P(alive)"] == "0.0%"
    assert dict((c.header, c.values) for c in en)["P(alive)"] == [None]


customer_rows = st.lists(
    st.tuples(
        st.floats(0, 100_000, allow_nan=False),
        st.integers(0, 12),
        st.integers(0, 800),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(customer_rows, st.data())
def test_more_money_never_lowers_the_tier(
    rows: list[tuple[float, int, int]], data: st.DataObject
) -> None:
    frame = _customers(*map(list, zip(*rows, strict=True)))
    i = data.draw(st.integers(0, len(rows) - 1))
    extra = data.draw(st.floats(0, 100_000, allow_nan=False))
    richer = frame.copy()
    richer.iloc[i, richer.columns.get_loc("amount")] += extra
    before = tier_customers(frame, _zh(), AS_OF)
    after = tier_customers(richer, _zh(), AS_OF)
    assert after["tier_code"].iloc[i] <= before["tier_code"].iloc[i]  # A is best
    assert after["m"].iloc[i] >= before["m"].iloc[i]


@settings(max_examples=30, deadline=None)
@given(customer_rows, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order_and_rerun_is_idempotent(
    rows: list[tuple[float, int, int]], rnd: Random
) -> None:
    frame = _customers(*map(list, zip(*rows, strict=True)))
    result = tier_customers(frame, _zh(), AS_OF)
    order = list(frame.index)
    rnd.shuffle(order)
    shuffled = tier_customers(frame.loc[order], _zh(), AS_OF)
    pd.testing.assert_frame_equal(shuffled.loc[frame.index], result)
    again = tier_customers(frame, _zh(), AS_OF, previous=result["tier"])
    second = tier_customers(frame, _zh(), AS_OF, previous=again["tier"])
    pd.testing.assert_frame_equal(again, second)
    assert (again["change"] == "=").all()


@settings(max_examples=15, deadline=None)
@given(customer_rows, st.lists(st.integers(0, 12), min_size=25, max_size=25))
def test_each_reason_is_built_from_its_own_row(
    rows: list[tuple[float, int, int]], interactions: list[int]
) -> None:
    # Reasons are built once per group of rows that share them; no row may get another's.
    frame = _customers(*map(list, zip(*rows, strict=True)))
    frame["interactions"] = pd.array(interactions[: len(frame)], dtype="Int64")
    result = tier_customers(frame, _zh(), AS_OF)
    # The note on a strong RFM segment ranks the row against the others: not its own row's.
    ranked = re.compile(
        r"；RFM \d+（[^）]*）是与全体客户相比的排名，等级按上面的规则得分，两者口径不同"
    )
    for i in frame.index:
        alone = tier_customers(frame.loc[[i]], _zh(), AS_OF)
        for key in ("score", "tier"):
            assert alone.loc[i, key] == result.loc[i, key]
        assert ranked.sub("", alone.loc[i, "reason"]) == ranked.sub("", result.loc[i, "reason"])


def test_old_result_columns_are_forgotten_but_the_tiers_kept() -> None:
    # A re-run rewrites its result columns; only the old tiers matter (for the migration).
    raw = pd.DataFrame(
        {"客户编号": ["C1"], "客户等级": ["A 高价值"], "分级原因": ["旧原因"], "Tier score": [9.0]}
    )
    table = CustomerTable(
        sheet="客户",
        table=None,
        header_row=1,
        first_column=1,
        headers=list(raw.columns),
        roles={"id": "客户编号"},
        frame=pd.DataFrame({"id": ["C1"]}),
        raw=raw,
        problems=[],
    )
    kept = forget_old_results(table)
    assert list(kept.raw.columns) == ["客户编号", "客户等级"]
    assert kept.headers == ["客户编号", "客户等级", "分级原因", "Tier score"]  # the sheet's own
    previous = previous_tiers(kept)
    assert previous is not None and previous.tolist() == ["A 高价值"]
    assert list(table.raw.columns) == list(raw.columns)  # the table read is left as it was


def test_tiering_leaves_its_inputs_unchanged() -> None:
    frame = _customers([52000.0, 20000.0, 10.0, 0.0], [6, 2, 1, 0], [5, 30, 400, 900])
    frame["interactions"] = pd.array([3, None, 1, 0], dtype="Int64")
    previous = pd.Series(["潜力客户", None, "普通客户", "A"], index=frame.index)
    frame_before, previous_before = frame.copy(deep=True), previous.copy(deep=True)
    tier_customers(frame, _zh(), AS_OF, previous=previous, labels=LABELS)
    pd.testing.assert_frame_equal(frame, frame_before)
    pd.testing.assert_series_equal(previous, previous_before)


def test_every_result_column_has_its_headers() -> None:
    assert tuple(HEADERS) == RESULT_COLUMNS


def test_results_keep_their_types_and_warn_of_nothing() -> None:
    """Texts stay objects whichever pandas (pandas 3 would make its slower string type) and no
    deprecated keyword is used (pandas 3 warns of concat's copy=)."""
    frame = _customers([52000.0, 20000.0, 10.0], [6, 2, 1], [5, 30, 400])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        result = tier_customers(frame, _zh(), AS_OF, labels=LABELS)
    texts = ["tier", "tier_code", "rfm", "segment_cn", "segment_en", "stage", "reason", "change"]
    assert all(result[name].dtype == object for name in texts)
    assert list(result.columns) == list(RESULT_COLUMNS) and result.index.equals(frame.index)


def _old_explained(
    reason: np.ndarray,
    rank: np.ndarray,
    tiers: int,
    segment: np.ndarray,
    r: pd.Series,
    f: pd.Series,
    m: pd.Series,
    churn_note: np.ndarray,
) -> np.ndarray:
    """The reasons' endings as they were added before: a Python loop per row (the reference)."""
    high = HIGH_SCORE
    strong = ((f.fillna(0).to_numpy() >= high) & (m.fillna(0).to_numpy() >= high)) & (
        rank >= tiers / 2
    )
    out = reason.copy()
    rfm = tier_module._rfm_text(r, f, m, np.ones(len(reason), dtype=bool))
    text = tr(
        "；RFM {}（{}）是与全体客户相比的排名，等级按上面的规则得分，两者口径不同",
        "; RFM {} ({}) ranks the customer against all others, "
        "the tier adds up the rules above: they measure different things",
    )
    for at in np.flatnonzero(strong):
        out[at] += text.format(rfm[at], segment[at])
    for at in np.flatnonzero(churn_note != ""):
        out[at] += tr("；", "; ") + churn_note[at]
    return out


_SCORE = st.one_of(st.none(), st.integers(1, 5))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=4), st.integers(0, 3), _SCORE, _SCORE, _SCORE, st.text(max_size=3)
        ),
        max_size=30,
    ),
    st.sampled_from(["zh", "en"]),
)
def test_reason_endings_are_added_as_the_loop_added_them(
    rows: list[tuple[str, int, int | None, int | None, int | None, str]], lang: Lang
) -> None:
    reason = np.array([row[0] for row in rows], dtype=object)
    rank = np.array([row[1] for row in rows], dtype=np.int64)
    r, f, m = (pd.Series([row[i] for row in rows], dtype="Int64") for i in (2, 3, 4))
    segment = np.array([f"s{i}" for i in range(len(rows))], dtype=object)
    note = np.array([row[5] for row in rows], dtype=object)
    with use_lang(lang):
        new = tier_module._explained(reason, rank, 4, segment, r, f, m, note)
        assert new.tolist() == _old_explained(reason, rank, 4, segment, r, f, m, note).tolist()
    assert new.dtype == object and reason.tolist() == [row[0] for row in rows]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["B", "A", "C", "b", "AA"]), st.integers(0, 99)), max_size=30
    ),
    st.randoms(use_true_random=False),
)
def test_tiers_by_code_are_the_stable_sort_by_code(
    rows: list[tuple[str, int]], random: Random
) -> None:
    index = [row for row in range(2, len(rows) + 2)]
    random.shuffle(index)
    results = pd.DataFrame(
        {
            "tier": np.array([f"{code}-{n}" for code, n in rows], dtype=object),
            "tier_code": np.array([code for code, _ in rows], dtype=object),
        },
        index=index,
    )
    old = results.sort_values("tier_code", kind="stable")["tier"]
    assert tier_sheets._by_code(results).equals(old)
    assert tier_sheets._by_code(results).index.equals(old.index)


_CELLS = st.one_of(st.none(), st.text(max_size=3), st.floats(), st.integers(-3, 3))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_CELLS, max_size=20),
    st.sampled_from(["object", "text", "float64", "Int64", "boolean", "datetime"]),
)
def test_result_cells_are_as_before(values: list[object], kind: str) -> None:
    series: pd.Series
    if kind == "text":
        series = pd.Series([str(v) for v in values], dtype=object)
    elif kind == "object":
        series = pd.Series(values, dtype=object)
    elif kind == "float64":
        series = pd.Series([v if isinstance(v, float) else None for v in values], dtype="float64")
    elif kind == "Int64":
        series = pd.Series([v if type(v) is int else None for v in values], dtype="Int64")
    elif kind == "boolean":
        series = pd.Series([None if v is None else bool(v) for v in values], dtype="boolean")
    else:
        series = pd.to_datetime(pd.Series([None if v is None else "2026-01-02" for v in values]))
    blank = series.isna().to_numpy()
    old = series.astype(object).to_numpy(copy=True)
    old[blank] = None
    new = tier_sheets._cells(series)
    assert [(type(v), v) for v in new] == [(type(v), v) for v in old.tolist()]


_NUMBERS = st.lists(
    st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 0.5, 1.5, 2.5, 1e300])), max_size=30
)


@settings(max_examples=150, deadline=None)
@given(_NUMBERS, _NUMBERS, st.sampled_from(["{:.0f} 天，{:.0f} 天", "{:.0%} of {:g}"]))
def test_churn_notes_formatted_once_per_distinct_pair_are_formatted_per_row(
    first: list[float], second: list[float], text: str
) -> None:
    n = min(len(first), len(second))
    days, gap = np.array(first[:n], dtype=np.float64), np.array(second[:n], dtype=np.float64)
    made = churn._formatted(text, days, gap)
    assert made.dtype == object
    assert made.tolist() == list(map(text.format, days.tolist(), gap.tolist()))
    one = text.split(" ")[0]
    assert churn._formatted(one, days).tolist() == list(map(one.format, days.tolist()))


_CELLS = st.one_of(
    st.none(),
    st.sampled_from([" A ", "a", "高价值客户", " 高价值客户", "VIP", "vip ", "", "  ", "ǅ"]),
    st.text(max_size=6),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.booleans(),
)


@given(st.lists(_CELLS, max_size=60))
@settings(max_examples=200, deadline=None)
def test_texts_changed_once_each_are_changed_as_row_by_row(cells: list[object]) -> None:
    # 1, 1.0 and True are equal as Python values but not as texts: each keeps its own.
    values = pd.Series(cells, dtype=object, index=pd.RangeIndex(5, 5 + len(cells)), name="等级")

    def change(texts: pd.Series) -> pd.Series:
        return texts.str.strip().str.casefold()

    once = tier_module.each_text_once(values, change)
    row_by_row = change(values.astype("string"))
    pd.testing.assert_series_equal(once, row_by_row, check_dtype=False)
    assert once.dtype == "string"
