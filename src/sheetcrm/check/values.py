"""Required fields and value ranges: IDs, names and a way to reach each customer present;
amounts and order counts not negative, satisfaction on its scale, purchase dates plausible;
amounts too large to be real left out of the numbers (an infinite one is unreadable already)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from ..book.base import CustomerTable, Problem
from ..i18n import tr
from .problems import Collector, filled, rows_where

__all__ = ["IMPLAUSIBLE_AMOUNT", "check_ranges", "check_required", "without_implausible_amounts"]

_EARLIEST = dt.date(1990, 1, 1)

# No customer spends this much (in any currency a list is kept in): such a value is a typo or
# an overflow, and summing a few of them overflows floating point (numpy's RuntimeWarning).
IMPLAUSIBLE_AMOUNT = 1e12


def without_implausible_amounts(table: CustomerTable) -> CustomerTable:
    """The table with amounts too large to be real left blank, each a problem naming its cell
    (as an unreadable value is), so totals, rankings and tiers stay finite and meaningful."""
    frame = table.frame
    if "amount" not in frame.columns:
        return table
    amounts = pd.to_numeric(frame["amount"], errors="coerce")
    huge = (amounts.abs() > IMPLAUSIBLE_AMOUNT).to_numpy()
    if not huge.any():
        return table
    column = table.header_of("amount")
    raw = table.raw[column] if column in table.raw.columns else frame["amount"]
    problems = [
        Problem(
            table.sheet,
            int(row),
            column,
            raw.loc[row],
            tr(
                f"金额 {raw.loc[row]} 大得不可能（超过 {IMPLAUSIBLE_AMOUNT:,.0f}），未计入",
                f"the amount {raw.loc[row]} is too large to be real (above "
                f"{IMPLAUSIBLE_AMOUNT:,.0f}); left out",
            ),
            tr("核对后改正（可能多打了位数或是公式出错）", "check and correct it (extra digits?)"),
            "range",
        )
        for row in frame.index[huge]
    ]
    return dataclasses.replace(
        table,
        frame=frame.assign(amount=amounts.mask(huge)),
        problems=[*table.problems, *problems],
    )


def check_required(
    table: CustomerTable,
    out: Collector,
    text: dict[str, pd.Series],
    blank_mobile: pd.Series,
    blank_email: pd.Series,
) -> None:
    """Rows without an ID or a name (or the table without such a column), or with no contact."""
    frame = table.frame
    for role, zh, en in (("id", "客户编号", "customer ID"), ("name", "客户名称", "customer name")):
        if role not in frame.columns:
            out.add_one(
                Problem(
                    sheet=table.sheet,
                    row=None,
                    column=None,
                    value=None,
                    problem=tr(f"客户表没有「{zh}」列", f"the customer table has no {en} column"),
                    suggestion=tr(
                        f"添加一列，表头写「{zh}」", f"add a column headed '{zh}' or '{en}'"
                    ),
                    kind="missing",
                )
            )
            continue
        out.add(
            # Blank text is blank once stripped: the role's text column says so for every cell.
            rows_where(frame[role].isna() | (text[role] == "")),
            role,
            "missing",
            (
                tr(f"{zh}为空", f"the {en} is blank"),
                tr(f"填写{zh}", f"fill in the {en}"),
            ),
        )
    no_contact = blank_mobile & blank_email
    role = "mobile" if "mobile" in frame.columns else "email"
    out.add(
        rows_where(no_contact),
        role,
        "missing",
        (
            tr(
                "手机和邮箱都为空，无法联系",
                "neither a mobile nor an email: the customer cannot be reached",
            ),
            tr("至少填写手机或邮箱之一", "record a mobile number or an email address"),
        ),
    )


def _satisfaction_scale(values: pd.Series) -> float:
    """The rating scale the column uses (5, 10 or 100), judged from the bulk of its values."""
    present = values.dropna()
    if present.empty:
        return 5.0
    typical = float(present.abs().quantile(0.95))
    return next((scale for scale in (5.0, 10.0) if typical <= scale), 100.0)


def _dates(values: pd.Series) -> pd.Series:
    """A column as datetimes (unreadable values as NaT); typed columns pass through."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, errors="coerce")


def check_ranges(table: CustomerTable, out: Collector, today: dt.date) -> None:
    """Negative amounts and order counts, satisfaction off its scale, implausible dates."""
    frame = table.frame
    _check_negatives(frame, out)
    if "satisfaction" in frame.columns:
        _check_satisfaction(frame["satisfaction"], out)
    for role in ("first_purchase", "last_purchase"):
        if role in frame.columns:
            _check_date_range(_dates(frame[role]), role, out, today)
    if {"first_purchase", "last_purchase"} <= set(frame.columns):
        _check_date_order(_dates(frame["first_purchase"]), _dates(frame["last_purchase"]), out)


def _check_negatives(frame: pd.DataFrame, out: Collector) -> None:
    """Amounts and order counts below zero."""
    for role, zh, en in (("amount", "金额", "amount"), ("orders", "购买次数", "order count")):
        if role in frame.columns:
            values = pd.to_numeric(frame[role], errors="coerce")
            out.add(
                rows_where(values < 0),
                role,
                "range",
                (
                    tr(f"{zh}为负数", f"the {en} is negative"),
                    tr(
                        "改为 0 或正数；退款请记在交易记录中",
                        "make it 0 or more; record refunds as transactions",
                    ),
                ),
            )


def _check_satisfaction(column: pd.Series, out: Collector) -> None:
    """Satisfaction scores outside 0 to the scale the column uses."""
    values = pd.to_numeric(column, errors="coerce")
    scale = _satisfaction_scale(values)
    out.add(
        rows_where((values < 0) | (values > scale)),
        "satisfaction",
        "range",
        (
            tr(
                f"满意度超出 0–{scale:g} 的范围",
                f"the satisfaction score is outside 0–{scale:g}",
            ),
            tr(f"改为 0 到 {scale:g} 之间的分数", f"enter a score from 0 to {scale:g}"),
        ),
    )


def _check_date_range(dates: pd.Series, role: str, out: Collector, today: dt.date) -> None:
    """Purchase dates after the as-of date or before 1990."""
    out.add(
        rows_where(dates > pd.Timestamp(today)),
        role,
        "range",
        (
            tr(
                f"日期晚于基准日（{today.isoformat()}）",
                f"the date is after the as-of date ({today.isoformat()})",
            ),
            tr("核对年份后改正", "check the year and correct it"),
        ),
    )
    out.add(
        rows_where(dates < pd.Timestamp(_EARLIEST)),
        role,
        "range",
        (
            tr("日期早于 1990 年", "the date is before 1990"),
            tr("核对年份后改正", "check the year and correct it"),
        ),
    )


def _check_date_order(first: pd.Series, last: pd.Series, out: Collector) -> None:
    """A first purchase after the last one."""
    rows = rows_where(first > last)
    out.add(
        rows,
        "first_purchase",
        "date_order",
        (
            filled(
                "首次购买日期晚于最近购买日期（{}）",
                "the first purchase is after the last purchase ({})",
                np.array([day.isoformat() for day in last.loc[rows].dt.date], dtype=object),
            ),
            tr("两个日期可能填反了，请核对", "the two dates are probably swapped; check them"),
        ),
    )
