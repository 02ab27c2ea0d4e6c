"""Tiering worksheet functions give exactly the batch results for the same rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sheetcrm.book.base import CellError, CellValue
from sheetcrm.book.file import FileBook
from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.demo import write_demo
from sheetcrm.excel import udfs_tier
from sheetcrm.excel.udfs_tier import (
    CRM_BGNBD,
    CRM_EXPECTED,
    CRM_PALIVE,
    CRM_PALIVE_ARRAY,
    CRM_RFM,
    CRM_RFM_ARRAY,
    CRM_SCORE,
    CRM_SEGMENT,
    CRM_STAGE,
    CRM_TIER,
    CRM_TIER_ARRAY,
)
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.sheets.tiers import HEADERS as TIER_HEADERS
from sheetcrm.tiering import TierSettings, tier_customers
from sheetcrm.tiering.bgnbd import expected_purchases, p_alive
from sheetcrm.values import excel_serial
from uno_env import same_value

AS_OF = dt.date(2026, 6, 30)
HEADERS = ["客户编号", "累计金额", "购买次数", "首次购买日期", "最近购买日期", "互动次数", "城市"]
ROWS: list[list[CellValue]] = [
    ["C1", 52000, 6, dt.datetime(2024, 1, 5), 46190.0, 7, "上海"],
    ["C2", "¥12,000", 1, "2026-05-01", "2026-05-01", None, "北京"],
    ["C3", 500, 2, 45000, 45300, 0, None],
    ["C4", None, None, None, None, None, "广州"],
    ["C5", 500, 1, "2023-01-01", "2023-01-01", 12, "上海"],
]


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    from sheetcrm.excel.udfs_tier import _frame

    frame, labels = _frame(HEADERS, ROWS)
    with use_lang("zh"):
        return tier_customers(frame, TierSettings.default("b2c", "zh"), AS_OF, labels=labels)


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return value.item() if isinstance(value, np.generic) else value


def test_row_functions_equal_the_batch(batch: pd.DataFrame) -> None:
    with use_lang("zh"):
        for i, row in enumerate(ROWS):
            assert CRM_TIER(HEADERS, [row], AS_OF) == batch["tier"].iloc[i]
            assert CRM_SCORE(HEADERS, row, excel_serial(AS_OF)) == batch["score"].iloc[i]
            assert CRM_STAGE(row[3], row[4], row[2], AS_OF) == _plain(batch["stage"].iloc[i])


def test_array_function_equals_the_batch(batch: pd.DataFrame) -> None:
    with use_lang("zh"):
        for key in ("tier", "reason", "rfm", "segment_en", "r", "churn_risk"):
            column = CRM_TIER_ARRAY([HEADERS, *ROWS], key, AS_OF)
            assert [c[0] for c in column] == [_plain(v) for v in batch[key].astype(object)]
        assert CRM_TIER_ARRAY([HEADERS, *ROWS], "分级得分", AS_OF)[0] == [batch["score"].iloc[0]]
        assert CRM_TIER_ARRAY([HEADERS, *ROWS], "nope").startswith("#VALUE!")


def test_rfm_and_segment_functions_equal_the_batch(batch: pd.DataFrame) -> None:
    columns = {"m": 1, "f": 2, "r": 4}
    for kind, at in columns.items():
        column = [[row[at]] for row in ROWS]
        for i, row in enumerate(ROWS):
            assert CRM_RFM(row[at], column, kind.upper()) == _plain(batch[kind].iloc[i])
        assert [c[0] for c in CRM_RFM_ARRAY(column, kind)] == [
            _plain(v) for v in batch[kind].astype(object)
        ]
    for i in range(3):
        r, f, m = (int(batch[k].iloc[i]) for k in "rfm")
        assert CRM_SEGMENT(r, f, m) == batch["segment_cn"].iloc[i]
        assert CRM_SEGMENT(r, f, m, 11) == batch["segment_en"].iloc[i]
    assert CRM_SEGMENT(6, 1, 1).startswith("#VALUE!")


def test_custom_rules_from_the_settings_sheet_rows() -> None:
    rules = [["城市", "in list", "上海", 70, None, None]]
    with use_lang("en"):
        assert CRM_TIER(HEADERS, ROWS[4], AS_OF, rules) == "High value"
        assert CRM_TIER(HEADERS, ROWS[1], AS_OF, rules) == "Low value"
        refused = CRM_TIER(HEADERS, ROWS[0], AS_OF, [["M分", ">=", 4, 10]])
        assert refused.startswith("#VALUE!") and "CRM_TIER_ARRAY" in refused
        bad = CRM_TIER(HEADERS, ROWS[0], AS_OF, [["累计金额", "??", 4, 10]])
        assert bad.startswith("#VALUE!") and "operator" in bad


def test_palive_functions_equal_the_model() -> None:
    params = (0.242593, 4.413532, 0.792886, 2.425752)
    x, t_x, age = [2, 0, 5], [30.43, 0, 10], [38.86, 20, 38]
    expected = p_alive(x, t_x, age, *params)
    assert [CRM_PALIVE(x[i], t_x[i], age[i], *params) for i in range(3)] == expected.tolist()
    column = CRM_PALIVE_ARRAY([[v] for v in x], [[v] for v in t_x], [[v] for v in age], *params)
    assert [c[0] for c in column] == expected.tolist()
    assert (
        CRM_EXPECTED(39, 2, 30.43, 38.86, *params)
        == expected_purchases(39, 2, 30.43, 38.86, *params)[()]
    )
    assert CRM_PALIVE(1, 5, 3, *params).startswith("#VALUE!")
    assert CRM_PALIVE(1, 1, 3, -1, 1, 1, 1).startswith("#VALUE!")


DEMO_AS_OF = dt.date(2026, 6, 1)
# The batch takes these from the transactions sheet: a function must be given it too.
FROM_TRANSACTIONS = {"p_alive", "expected_90d", "churn_risk"}


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo workbook after ``sheetcrm tier``."""
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_demo(path, customers=100, as_of=DEMO_AS_OF)
    run_job("tier", FileBook(path, backup=False), JobOptions(as_of=DEMO_AS_OF))
    return path


def _as_excel(path: Any, sheet: str) -> list[list[Any]]:
    # As a UDF gets them from xlwings: dates as datetimes, blanks and errors as None.
    return [[_from_xlwings(v) for v in row] for row in XlsxReader(path).read_grid(sheet)]


@pytest.fixture(scope="module")
def demo_batch(demo_path: Any) -> tuple[list, list[list]]:  # type: ignore[type-arg]
    """The demo's header and rows after ``sheetcrm tier``: data columns, then the batch results."""
    as_excel = _as_excel(demo_path, "客户名单")
    return as_excel[0], as_excel[1:]


def _from_xlwings(value: object) -> object:
    """A cell as xlwings hands it to a worksheet function."""
    if type(value) is dt.date:
        return dt.datetime.combine(value, dt.time())
    return None if isinstance(value, CellError) else value


def _batch_cell(key: str, value: CellValue) -> CellValue:
    """A batch result cell as the UDF gives it (churn risk is written as 是/blank)."""
    if key == "churn_risk":
        return value == "是"
    return "" if value is None else value


def test_every_tier_function_equals_the_batch_over_the_demo(demo_batch: tuple) -> None:  # type: ignore[type-arg]
    header, rows = demo_batch
    width = header.index(TIER_HEADERS["tier"][0])
    data = [row[:width] for row in rows]
    batch = {
        key: [row[header.index(zh)] for row in rows] for key, (zh, _, _) in TIER_HEADERS.items()
    }
    with use_lang("zh"):
        for key in TIER_HEADERS.keys() - FROM_TRANSACTIONS:
            column = CRM_TIER_ARRAY([header[:width], *data], key, DEMO_AS_OF)
            got = [cell for (cell,) in column]
            want = [_batch_cell(key, v) for v in batch[key]]
            assert all(same_value(g, w) for g, w in zip(got, want, strict=True)), key
        role = {h: i for i, h in enumerate(header)}
        orders = [row[role["购买次数"]] for row in data]
        amounts = [row[role["累计金额"]] for row in data]
        lasts = [row[role["最近购买日期"]] for row in data]
        for i, row in enumerate(data):
            assert CRM_TIER(header[:width], row, DEMO_AS_OF) == _batch_cell(
                "tier", batch["tier"][i]
            )
            assert same_value(
                CRM_SCORE(header[:width], row, DEMO_AS_OF), _batch_cell("score", batch["score"][i])
            )
            stage = CRM_STAGE(row[role["首次购买日期"]], lasts[i], orders[i], DEMO_AS_OF)
            assert stage == _batch_cell("stage", batch["stage"][i])
            scores = [
                CRM_RFM(v, column, kind)
                for v, column, kind in (
                    (lasts[i], lasts, "r"),
                    (orders[i], orders, "f"),
                    (amounts[i], amounts, "m"),
                )
            ]
            assert scores == [_batch_cell(k, batch[k][i]) for k in ("r", "f", "m")], i
            if "" not in scores:
                assert CRM_SEGMENT(*scores) == batch["segment_cn"][i]
        for kind, values in (("r", lasts), ("f", orders), ("m", amounts)):
            assert [c for (c,) in CRM_RFM_ARRAY(values, kind)] == [
                _batch_cell(kind, v) for v in batch[kind]
            ]


def _fits_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each BG/NBD fit from now on, counted (the worksheet functions' memory emptied)."""
    from sheetcrm.tiering import churn

    fits: list[int] = []
    real = churn.fit_bgnbd  # type: ignore[attr-defined]  # the name churn looks up

    def counted(*args: Any) -> Any:
        fits.append(len(args[0]))
        return real(*args)

    monkeypatch.setattr(churn, "fit_bgnbd", counted)
    monkeypatch.setattr(udfs_tier, "_MEMO", type(udfs_tier._MEMO)())
    return fits


Ranges = tuple[list[list[Any]], list[list[Any]]]


@pytest.fixture(scope="module")
def demo_ranges(demo_path: Any, demo_batch: tuple[list[Any], list[list[Any]]]) -> Ranges:
    """The demo's customer table (headers and data, no results) and transactions, as ranges."""
    header, rows = demo_batch
    width = header.index(TIER_HEADERS["tier"][0])
    return [header[:width], *(row[:width] for row in rows)], _as_excel(demo_path, "交易记录")


def test_palive_expected_and_churn_equal_the_batch_given_the_transactions(
    demo_batch: tuple[list[Any], list[list[Any]]],
    demo_ranges: Ranges,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    header, rows = demo_batch
    table, transactions = demo_ranges
    width = len(table[0])
    fits = _fits_counted(monkeypatch)
    with use_lang("zh"):
        for key in TIER_HEADERS:  # every column, those from the transactions included
            column = CRM_TIER_ARRAY(table, key, DEMO_AS_OF, None, None, None, transactions)
            at = header.index(TIER_HEADERS[key][0])
            # A blank row has no result at all (churn risk is otherwise 是 or blank: no).
            want = [
                "" if all(v is None for v in row[:width]) else _batch_cell(key, row[at])
                for row in rows
            ]
            got = [cell for (cell,) in column]
            assert all(same_value(g, w) for g, w in zip(got, want, strict=True)), key
        assert any(v not in ("", None) for v in want)
        assert len(fits) == 1  # one fit for all the columns of one table
        again = CRM_TIER_ARRAY(table, "p_alive", DEMO_AS_OF, None, None, None, transactions)
        assert any(cell != "" for (cell,) in again) and len(fits) == 1  # asked again: no new fit


def test_row_functions_with_the_batch_fit_equal_the_batch(
    demo_batch: tuple[list[Any], list[list[Any]]],
    demo_ranges: Ranges,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sheetcrm.tiering.churn import purchase_summary

    header, rows = demo_batch
    table, transactions = demo_ranges
    fits = _fits_counted(monkeypatch)
    [params] = CRM_BGNBD(table, transactions, DEMO_AS_OF)
    assert CRM_BGNBD(table, transactions, DEMO_AS_OF) == [params] and len(fits) == 1
    tx = pd.DataFrame(transactions[1:], columns=transactions[0])
    ids = pd.Series([row[header.index("客户编号")] for row in rows])
    history = purchase_summary(
        tx.rename(columns={"客户编号": "customer_id", "日期": "date"}), ids, DEMO_AS_OF
    )
    alive = header.index(TIER_HEADERS["p_alive"][0])
    expected = header.index(TIER_HEADERS["expected_90d"][0])
    checked = 0
    for i, row in enumerate(rows):
        x, t_x, age = history.iloc[i]
        if np.isnan(x):
            assert row[alive] is None and row[expected] is None
            continue
        assert same_value(CRM_PALIVE(x, t_x, age, *params), row[alive]), i
        assert same_value(CRM_EXPECTED(90 / 7, x, t_x, age, *params), row[expected]), i
        checked += 1
    assert checked >= 20


def test_too_few_customers_to_fit_is_said_as_the_batch_leaves_it_blank() -> None:
    transactions = [["客户编号", "交易日期"], ["C1", dt.datetime(2026, 1, 1)]]
    refused = CRM_BGNBD([HEADERS, *ROWS], transactions, AS_OF)
    assert refused.startswith("#VALUE!") and "20" in refused
    assert CRM_BGNBD([HEADERS, *ROWS], [["x"]], AS_OF).startswith("#VALUE!")
