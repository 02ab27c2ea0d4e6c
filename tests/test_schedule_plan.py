"""The follow-up plan: cadences on working days, capacity, re-runs that keep what staff typed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from random import Random

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm.book.base import CellValue
from sheetcrm.i18n import use_lang
from sheetcrm.schedule import (
    STATUS_CANCELLED,
    STATUS_DONE,
    STATUS_OPEN,
    STATUS_SKIPPED,
    PlanResult,
    PlanSettings,
    Rep,
    WorkCalendar,
    build_plan,
    parse_plan_settings,
)
from sheetcrm.schedule.cadence import TEMPLATE_KEYS
from sheetcrm.schedule.capacity import UNATTENDED, parse_channel_limits
from sheetcrm.settings import Settings
from sheetcrm.sheets.plan import PLAN_SHEET, parse_plan_sheet, plan_sheet

AS_OF = dt.date(2026, 11, 23)  # a Monday
DEFAULTS = parse_plan_settings(Settings(None))
CN = WorkCalendar("CN")


def book(
    tiers: list[str],
    *,
    owners: list[str] | None = None,
    last: list[dt.date | None] | None = None,
    first: list[dt.date | None] | None = None,
    churn: list[bool] | None = None,
    opt_out: list[bool] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A customer frame and its tiering result, one customer per tier code given."""
    n = len(tiers)
    index = pd.RangeIndex(2, n + 2)
    last = last or [AS_OF - dt.timedelta(days=40)] * n
    customers = pd.DataFrame(
        {
            "id": [f"C{i:03d}" for i in range(n)],
            "name": [f"客户{i}" for i in range(n)],
            "contact": [f"联系人{i}" for i in range(n)],
            "owner": owners or [""] * n,
            "first_purchase": first or [AS_OF - dt.timedelta(days=400)] * n,
            "last_purchase": last,
            "opt_out": opt_out or [False] * n,
        },
        index=index,
    )
    tier_frame = pd.DataFrame(
        {
            "tier": tiers,
            "tier_code": tiers,
            "segment_cn": "",
            "segment_en": "",
            "stage": "growth",
            "churn_risk": churn or [False] * n,
        },
        index=index,
    )
    return customers, tier_frame


def with_reps(*reps: Rep) -> PlanSettings:
    return PlanSettings(DEFAULTS.steps, tuple(reps))


def calling(*reps: Rep) -> PlanSettings:
    """The default cadences with tier C called instead of texted: every touch takes a rep."""
    steps = tuple(replace(s, channel="phone") if s.channel == "sms" else s for s in DEFAULTS.steps)
    return PlanSettings(steps, tuple(reps))


def as_grid(result: PlanResult) -> list[list[CellValue]]:
    return [list(row) for row in plan_sheet(result, "zh").rows]


def staff_edit(grid: list[list[CellValue]], row: int, **changes: CellValue) -> None:
    header = grid[0]
    for name, value in changes.items():
        grid[row][header.index(name)] = value


# ---- cadences ------------------------------------------------------------------------


def test_default_cadences_use_known_templates_and_follow_practice() -> None:
    assert {step.template for step in DEFAULTS.steps} <= set(TEMPLATE_KEYS)
    a_call = next(s for s in DEFAULTS.steps if s.applies_to == "A" and s.channel == "phone")
    assert a_call.repeat == 7
    churn = next(s for s in DEFAULTS.steps if "churn" in s.terms)
    assert (churn.channel, churn.offset, churn.repeat, churn.template) == (
        "phone",
        2,
        None,
        "winback",
    )


def test_high_value_call_every_seven_working_days_from_the_last_contact() -> None:
    last = dt.date(2026, 11, 20)
    customers, tiers = book(["A"], last=[last])
    touches = build_plan(customers, tiers, DEFAULTS, AS_OF, horizon_days=30).touches
    calls = touches[touches["channel"] == "phone"]["due"].tolist()
    assert calls[0] == CN.add_workdays(last, 7)
    assert calls[1] == CN.add_workdays(last, 14)


def test_churn_risk_gets_a_win_back_call_within_two_working_days_and_wins_over_tier() -> None:
    customers, tiers = book(["A"], churn=[True])
    touches = build_plan(customers, tiers, DEFAULTS, AS_OF).touches
    assert touches["template"].tolist() == ["winback"]
    assert touches["due"].iloc[0] == CN.add_workdays(AS_OF, 2)


def test_new_customers_get_the_onboarding_sequence_from_their_first_purchase() -> None:
    first = AS_OF
    customers, tiers = book(["D"], first=[first], last=[first])
    touches = build_plan(customers, tiers, DEFAULTS, AS_OF, horizon_days=60).touches
    assert touches["template"].tolist() == [
        "welcome",
        "onboarding_call",
        "onboarding_email",
        "revisit",
    ]
    assert touches["due"].tolist()[:2] == [AS_OF, CN.add_workdays(AS_OF, 2)]


def test_a_welcome_sms_missed_over_the_weekend_is_still_sent_today_but_not_older_ones() -> None:
    friday = dt.date(2026, 11, 20)
    customers, tiers = book(["D", "D"], first=[friday, AS_OF - dt.timedelta(days=20)])
    touches = build_plan(customers, tiers, DEFAULTS, AS_OF, horizon_days=5).touches
    welcome = touches[touches["template"] == "welcome"]
    assert welcome["customer_id"].tolist() == ["C000"]
    assert welcome["due"].tolist() == [AS_OF]


def test_overdue_repeating_touch_is_pulled_up_to_today_once() -> None:
    customers, tiers = book(["A"], last=[dt.date(2026, 6, 1)])
    touches = build_plan(customers, tiers, DEFAULTS, AS_OF, horizon_days=10).touches
    calls = touches[touches["channel"] == "phone"]
    assert (calls["due"] == AS_OF).sum() == 1


def test_opted_out_customers_get_nothing() -> None:
    customers, tiers = book(["A", "B"], opt_out=[True, False])
    touches = build_plan(customers, tiers, DEFAULTS, AS_OF).touches
    assert set(touches["customer_id"]) == {"C001"}


def test_customers_without_a_cadence_get_nothing() -> None:
    customers, tiers = book(["Z"])
    assert build_plan(customers, tiers, DEFAULTS, AS_OF).touches.empty


# ---- working days and capacity -------------------------------------------------------------


def test_overflow_moves_to_the_next_working_day_highest_priority_first() -> None:
    customers, tiers = book(
        ["C", "C", "A", "C"], owners=["王"] * 4, churn=[False, False, True, False]
    )
    customers["last_purchase"] = AS_OF - dt.timedelta(days=200)
    result = build_plan(customers, tiers, calling(Rep("王", 1)), AS_OF, horizon_days=14)
    touches = result.touches
    first_day = touches[touches["due"] == AS_OF]
    assert len(first_day) == 1
    assert touches.groupby("due").size().max() == 1
    # the churn call (priority 1) is due later but no touch of lower priority blocks it
    winback = touches[touches["template"] == "winback"]["due"].iloc[0]
    assert winback == CN.add_workdays(AS_OF, 2)


def test_what_does_not_fit_is_reported_not_dropped_silently() -> None:
    customers, tiers = book(["C"] * 5, owners=["王"] * 5)
    customers["last_purchase"] = AS_OF - dt.timedelta(days=200)
    result = build_plan(customers, tiers, calling(Rep("王", 1)), AS_OF, horizon_days=3)
    assert result.beyond_capacity == len(result.unplaced)  # counted first, built when asked
    assert len(result.touches) + len(result.unplaced) == 5
    assert len(result.unplaced) >= 2
    assert set(result.unplaced["customer_id"]) <= set(customers["id"].astype(str))


def test_a_horizon_without_working_days_plans_nothing() -> None:
    customers, tiers = book(["A"], owners=["王"])
    sunday = dt.date(2026, 11, 22)
    result = build_plan(customers, tiers, DEFAULTS, sunday, horizon_days=1)
    assert result.touches.empty
    assert not result.warnings


def test_no_owners_and_no_reps_plans_under_unassigned_with_a_warning() -> None:
    customers, tiers = book(["A"])
    with use_lang("en"):
        result = build_plan(customers, tiers, DEFAULTS, AS_OF)
    assert set(result.touches["owner"]) == {"Unassigned"}
    assert any("Unassigned" in w.en for w in result.warnings)


def test_no_customers_no_touches() -> None:
    customers, tiers = book(["A"])
    result = build_plan(customers.iloc[:0], tiers.iloc[:0], DEFAULTS, AS_OF)
    assert result.touches.empty and result.unplaced.empty


def test_owners_keep_their_customers_and_the_rest_go_to_the_least_loaded_rep() -> None:
    customers, tiers = book(["C"] * 6, owners=["王", "王", "王", "", "", ""])
    result = build_plan(customers, tiers, with_reps(Rep("王", 50), Rep("李", 50)), AS_OF)
    owner = result.touches.groupby("customer_id")["owner"].first()
    assert list(owner[["C000", "C001", "C002"]]) == ["王"] * 3
    assert list(owner[["C003", "C004", "C005"]]) == ["李"] * 3


def test_reps_default_to_the_owners_in_the_data() -> None:
    customers, tiers = book(["C", "C"], owners=["王", ""])
    result = build_plan(customers, tiers, DEFAULTS, AS_OF)
    assert set(result.touches["owner"]) == {"王"}
    assert not result.warnings


frames = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D", "Z"]),
        st.sampled_from(["王", "李", ""]),
        st.integers(0, 400),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


def frame_from(rows: list[tuple[str, str, int, bool]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return book(
        [r[0] for r in rows],
        owners=[r[1] for r in rows],
        last=[AS_OF - dt.timedelta(days=r[2]) for r in rows],
        first=[AS_OF - dt.timedelta(days=r[2] + 5) for r in rows],
        churn=[r[3] for r in rows],
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.integers(1, 4), st.integers(5, 60))
def test_invariants_working_days_capacity_horizon(
    rows: list[tuple[str, str, int, bool]], capacity: int, days: int
) -> None:
    customers, tiers = frame_from(rows)
    result = build_plan(
        customers,
        tiers,
        with_reps(Rep("王", capacity), Rep("李", capacity)),
        AS_OF,
        horizon_days=days,
    )
    touches = result.touches
    assert all(CN.is_workday(d) for d in touches["due"])
    assert all(AS_OF <= d < AS_OF + dt.timedelta(days=days) for d in touches["due"])
    attended = touches[~touches["channel"].isin(UNATTENDED)]  # texts take no rep's time
    assert attended.groupby(["owner", "due"]).size().max() <= capacity if len(attended) else True
    assert touches["touch_id"].is_unique


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_plan(
    rows: list[tuple[str, str, int, bool]], random: Random
) -> None:
    customers, tiers = frame_from(rows)
    order = list(range(len(customers)))
    random.shuffle(order)
    plan_settings = with_reps(Rep("王", 2), Rep("李", 2))
    one = build_plan(customers, tiers, plan_settings, AS_OF).touches
    two = build_plan(customers.iloc[order], tiers.iloc[order], plan_settings, AS_OF).touches
    pd.testing.assert_frame_equal(one, two)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.integers(5, 40))
def test_what_did_not_fit_is_what_room_for_all_would_have_placed(
    rows: list[tuple[str, str, int, bool]], days: int
) -> None:
    customers, tiers = frame_from(rows)
    tight = build_plan(
        customers, tiers, calling(Rep("王", 1), Rep("李", 1)), AS_OF, horizon_days=days
    )
    roomy = build_plan(
        customers, tiers, calling(Rep("王", 999), Rep("李", 999)), AS_OF, horizon_days=days
    ).touches.set_index("touch_id")
    unplaced = tight.unplaced
    assert len(unplaced) == tight.beyond_capacity
    assert set(unplaced["touch_id"]).isdisjoint(tight.touches["touch_id"])
    assert set(unplaced["touch_id"]) | set(tight.touches["touch_id"]) == set(roomy.index)
    same = ["customer_id", "customer", "contact", "channel", "purpose", "template", "step"]
    expected = roomy.loc[unplaced["touch_id"], [*same, "priority"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(unplaced[[*same, "priority"]], expected, check_dtype=False)
    assert unplaced["due"].isna().all() and (unplaced["status"] == STATUS_OPEN).all()
    assert unplaced.index.equals(pd.RangeIndex(len(unplaced)))


# ---- re-running ------------------------------------------------------------------------------


def test_rerun_keeps_statuses_notes_and_staff_columns_and_adds_nothing_twice() -> None:
    customers, tiers = book(["A", "B", "C"], owners=["王"] * 3)
    first = build_plan(customers, tiers, DEFAULTS, AS_OF)
    grid = as_grid(first)
    grid[0].append("客户反馈")  # a column staff added
    for row in grid[1:]:
        row.append(None)
    staff_edit(
        grid, 1, 状态="done", 完成日期="2026/11/23", 备注="已回电，下周报价", 客户反馈="满意"
    )
    staff_edit(grid, 2, 状态="已跳过", 备注="出差")
    staff_edit(grid, 3, 备注="记得带样品")
    grid.append([None] * len(grid[0]))
    staff_edit(grid, len(grid) - 1, 客户="手工加的客户", 目的="送样品")
    grid[1:] = grid[:0:-1]  # staff sorted the sheet the other way round
    existing = parse_plan_sheet(grid, PLAN_SHEET)
    again = build_plan(customers, tiers, DEFAULTS, AS_OF + dt.timedelta(days=1), existing=existing)
    touches = again.touches
    by_note = touches.set_index("notes")
    assert by_note.loc["已回电，下周报价", "status"] == STATUS_DONE
    assert by_note.loc["已回电，下周报价", "done_date"] == AS_OF
    assert by_note.loc["已回电，下周报价", "客户反馈"] == "满意"
    assert by_note.loc["出差", "status"] == STATUS_SKIPPED
    assert by_note.loc["记得带样品", "status"] in (STATUS_OPEN, STATUS_CANCELLED)
    assert (touches["customer"] == "手工加的客户").sum() == 1
    ids = touches.loc[touches["touch_id"] != "", "touch_id"]
    assert ids.is_unique
    assert set(existing["touch_id"]) - {""} <= set(ids)  # nothing lost
    # a third run on the same day changes nothing
    third = build_plan(
        customers,
        tiers,
        DEFAULTS,
        AS_OF + dt.timedelta(days=1),
        existing=parse_plan_sheet(as_grid(again), PLAN_SHEET),
    )
    assert len(third.touches) == len(touches)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.randoms(use_true_random=False))
def test_rerun_does_not_depend_on_how_staff_sorted_the_sheet(
    rows: list[tuple[str, str, int, bool]], random: Random
) -> None:
    customers, tiers = frame_from(rows)
    plan_settings = with_reps(Rep("王", 2), Rep("李", 2))
    grid = as_grid(build_plan(customers, tiers, plan_settings, AS_OF))
    body = grid[1:]
    for i, row in enumerate(body):
        if i % 3 == 0:
            row[grid[0].index("状态")] = "已完成"
    shuffled = body[:]
    random.shuffle(shuffled)
    later = AS_OF + dt.timedelta(days=3)
    one = build_plan(
        customers, tiers, plan_settings, later, existing=parse_plan_sheet([grid[0], *body], "p")
    ).touches
    two = build_plan(
        customers, tiers, plan_settings, later, existing=parse_plan_sheet([grid[0], *shuffled], "p")
    ).touches
    pd.testing.assert_frame_equal(one, two)


def test_rows_staff_typed_in_count_against_the_reps_capacity() -> None:
    customers, tiers = book(["C"], owners=["王"])
    customers["last_purchase"] = AS_OF - dt.timedelta(days=200)
    plan_settings = calling(Rep("王", 1))
    grid = as_grid(build_plan(customers, tiers, plan_settings, AS_OF))
    assert grid[1][grid[0].index("跟进日期")] == AS_OF
    grid.append([None] * len(grid[0]))
    staff_edit(grid, len(grid) - 1, 客户="展会客户", 负责人="王", 跟进日期=AS_OF)
    again = build_plan(
        customers, tiers, plan_settings, AS_OF, existing=parse_plan_sheet(grid, PLAN_SHEET)
    ).touches
    assert again.groupby("due").size().max() == 1
    assert again.loc[again["touch_id"] != "", "due"].iloc[0] == CN.add_workdays(AS_OF, 1)


def test_a_done_call_pushes_the_next_call_out() -> None:
    customers, tiers = book(["A"], owners=["王"])
    first = build_plan(customers, tiers, DEFAULTS, AS_OF).touches
    call = first[first["channel"] == "phone"].iloc[0]
    grid = as_grid(PlanResult(first, first.iloc[:0], [], AS_OF))
    row = 1 + int(np.flatnonzero(first["touch_id"] == call["touch_id"])[0])
    done_on = AS_OF + dt.timedelta(days=2)
    staff_edit(grid, row, 状态="已完成", 完成日期=done_on)
    again = build_plan(
        customers, tiers, DEFAULTS, AS_OF, existing=parse_plan_sheet(grid, PLAN_SHEET)
    ).touches
    open_calls = again[(again["channel"] == "phone") & (again["status"] == STATUS_OPEN)]
    assert open_calls["due"].min() == CN.add_workdays(done_on, 7)
    assert (again["status"] == STATUS_CANCELLED).any()  # the old, now rescheduled, call


def test_touches_that_no_longer_apply_are_cancelled_with_the_reason() -> None:
    customers, tiers = book(["A", "B", "C"], owners=["王"] * 3)
    first = build_plan(customers, tiers, DEFAULTS, AS_OF)
    existing = parse_plan_sheet(as_grid(first), PLAN_SHEET)
    customers.loc[customers.index[0], "opt_out"] = True
    tiers.loc[tiers.index[1], ["tier", "tier_code"]] = "Z"
    customers = customers.iloc[[0, 1]]  # C002 left the table
    tiers = tiers.iloc[[0, 1]]
    as_read = existing.copy(deep=True)
    with use_lang("en"):
        touches = build_plan(customers, tiers, DEFAULTS, AS_OF, existing=existing).touches
    # The merge shares the previous plan's columns: it must never write into them.
    pd.testing.assert_frame_equal(existing, as_read)
    reasons = touches.groupby("customer_id")["cancel_reason"].first()
    assert (touches["status"] == STATUS_CANCELLED).all()
    assert reasons["C000"] == "customer opted out"
    assert "no longer applies" in reasons["C001"]
    assert "no longer in the table" in reasons["C002"]
    assert len(touches) == len(first.touches)  # cancelled, never deleted


def test_one_off_win_back_call_is_planned_once_across_daily_runs() -> None:
    customers, tiers = book(["A"], owners=["王"], churn=[True])
    result = build_plan(customers, tiers, DEFAULTS, AS_OF)
    for day in range(1, 4):
        existing = parse_plan_sheet(as_grid(result), PLAN_SHEET)
        result = build_plan(
            customers, tiers, DEFAULTS, AS_OF + dt.timedelta(days=day), existing=existing
        )
    assert len(result.touches) == 1


def test_texts_take_no_reps_capacity_and_keep_to_the_channel_limit() -> None:
    customers, tiers = book(["C"] * 5, owners=["王"] * 5)
    customers["last_purchase"] = AS_OF - dt.timedelta(days=200)
    free = build_plan(customers, tiers, with_reps(Rep("王", 1)), AS_OF, horizon_days=3)
    assert (free.touches["channel"] == "sms").sum() == 5 and free.beyond_capacity == 0
    assert (free.touches["due"] == AS_OF).all()
    limited = build_plan(
        customers, tiers, with_reps(Rep("王", 1)), AS_OF, horizon_days=3, channel_limits={"sms": 1}
    )
    assert limited.touches.groupby("due").size().max() == 1 and limited.beyond_capacity == 2


def test_channel_limits_default_to_unlimited() -> None:
    assert parse_channel_limits(Settings(None)) == {}


def test_a_text_to_a_landline_only_customer_is_a_call_whoever_else_is_texted() -> None:
    # Tier C is texted, tier A called and visited: only the texted customers' numbers are
    # looked at, and a landline there turns the text into a call; a mobile or a blank stays
    # texted.
    customers, tiers = book(["C", "C", "C", "A", "C"], owners=["王"] * 5)
    customers["last_purchase"] = AS_OF - dt.timedelta(days=200)
    customers["mobile"] = [
        "010-6552 9988",
        "13812345678",
        None,
        "021 5080 1234",
        "+86 755 8888 1234",
    ]
    plan = build_plan(customers, tiers, with_reps(Rep("王", 40)), AS_OF, horizon_days=3)
    channel = plan.touches.groupby("customer_id")["channel"].agg(set)
    assert channel["C000"] == {"phone"} and channel["C004"] == {"phone"}
    assert channel["C001"] == {"sms"} and channel["C002"] == {"sms"}
    assert channel["C003"] == {"phone", "visit"}
