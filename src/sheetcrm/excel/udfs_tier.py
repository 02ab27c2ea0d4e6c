"""Tiering worksheet functions: the batch tiering columns, one formula at a time or per column.

Each function takes Excel-native values (numbers, text, dates as serials or
datetimes, 2-D lists for ranges) and gives exactly what ``sheetcrm tier``
writes for the same row. Rules and thresholds default to the documented
defaults; pass the data rows of the settings sheet's blocks to use the team's.

P(alive), expected purchases and the churn warning come from BG/NBD fitted on every
customer's transactions, which no single row holds: ``CRM_TIER_ARRAY`` given the
transactions range computes them for the whole table, and ``CRM_BGNBD`` gives the
fitted parameters for ``CRM_PALIVE``/``CRM_EXPECTED`` row by row. Each distinct set of
arguments is computed once (kept by the hash of its content), so a sheet of such
formulas recalculates with one fit per table, not one per cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import xlwings as xw

from ..book.base import CellValue
from ..i18n import tr
from ..roles import CUSTOMER_ROLES, role_info
from ..settings import Settings
from ..sheets.tiers import HEADERS
from ..table.header_row import match_roles
from ..table.transactions import read_transactions_grid
from ..tiering import bgnbd, lifecycle, rfm
from ..tiering.churn import MIN_FIT_CUSTOMERS, churn_risk
from ..tiering.settings import RULES, SEGMENTS, THRESHOLDS, TierSettings, parse_tier_settings
from ..tiering.tier import tier_customers
from ..values import is_blank, parse_bool
from .convert import as_column, date_arg, documented, excel_errors, flatten, number_arg, text_arg

__all__ = [
    "CRM_BGNBD",
    "CRM_EXPECTED",
    "CRM_PALIVE",
    "CRM_PALIVE_ARRAY",
    "CRM_RFM",
    "CRM_RFM_ARRAY",
    "CRM_SCORE",
    "CRM_SEGMENT",
    "CRM_STAGE",
    "CRM_TIER",
    "CRM_TIER_ARRAY",
]


_T = TypeVar("_T")
_MEMO: OrderedDict[bytes, Any] = OrderedDict()
_MEMO_SIZE = 16  # distinct tables × settings kept: a workbook has few


def _memo(compute: Callable[..., _T], *args: Any) -> _T:
    """``compute(*args)``, once per distinct content of the arguments (and language)."""
    key = hashlib.sha256(pickle.dumps((compute.__name__, _lang(), args))).digest()
    if key in _MEMO:
        _MEMO.move_to_end(key)
    else:
        _MEMO[key] = compute(*args)
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    result: _T = _MEMO[key]
    return result


def _rows(value: Any) -> list[list[Any]]:
    if not isinstance(value, list | tuple):
        return [[value]]
    return [list(row) if isinstance(row, list | tuple) else [row] for row in value]


def _typed(role: str, cells: list[Any]) -> pd.Series:
    kind = role_info(role).kind
    if kind == "date":
        return pd.to_datetime(pd.Series([date_arg(v) for v in cells], dtype=object))
    if kind in ("number", "integer"):
        numbers = pd.Series([number_arg(v) for v in cells], dtype="float64")
        return numbers.round().astype("Int64") if kind == "integer" else numbers
    if kind == "bool":
        return pd.Series([parse_bool(v) for v in cells], dtype="boolean")
    return pd.Series([text_arg(v) or None for v in cells], dtype=object)


def _frame(headers: Any, rows: list[list[Any]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """A customer frame from a header row and data rows, plus the role → header labels.

    Headers are read as the batch reads them (:func:`~sheetcrm.table.header_row.match_roles`).
    """
    texts = [text_arg(h).strip() for h in flatten(headers)]
    labels = match_roles(texts, CUSTOMER_ROLES)
    positions = {role: texts.index(label) for role, label in labels.items()}
    columns = {
        role: _typed(role, [row[at] if at < len(row) else None for row in rows])
        for role, at in positions.items()
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows))), labels


def _settings(rules: Any, thresholds: Any, preset: Any, labels: dict[str, str]) -> TierSettings:
    grid: list[list[CellValue]] = []
    for block, rows in ((RULES, rules), (THRESHOLDS, thresholds)):
        if not isinstance(rows, list | tuple) and is_blank(rows):
            continue  # not given: the documented defaults
        grid += [[f"[{block.key}]"], [label for _, label in block.columns]]
        grid += [row for row in _rows(rows) if not all(is_blank(v) for v in row)]
        grid.append([])
    grid += [
        [f"[{SEGMENTS.key}]"],
        [label for _, label in SEGMENTS.columns],
        *(list(row) for row in SEGMENTS.defaults),
    ]
    chosen = text_arg(preset).lower() or "b2c"
    return parse_tier_settings(Settings(grid), labels, preset=chosen, lang=_lang())


def _lang() -> Any:
    return "en" if tr("zh", "en") == "en" else "zh"


def _as_of(value: Any) -> dt.date:
    return date_arg(value) or dt.date.today()


def _transactions(value: Any) -> pd.DataFrame | None:
    """The transactions range (headers and rows) read as the batch reads the sheet."""
    if not isinstance(value, list | tuple) and is_blank(value):
        return None
    grid = [[None if is_blank(v) else v for v in row] for row in _rows(value)]
    frame, _ = read_transactions_grid(grid, tr("交易记录", "transactions"))
    if frame is None:
        raise ValueError(
            tr(
                "交易区域须含表头：客户编号、日期（金额可选）",
                "the transactions range needs its header: customer ID, date (amount optional)",
            )
        )
    return frame


def _tier_results(
    headers: Any,
    rows: list[list[Any]],
    as_of: Any,
    rules: Any,
    thresholds: Any,
    preset: Any,
    single: bool = False,
    transactions: Any = None,
) -> pd.DataFrame:
    frame, labels = _frame(headers, rows)
    settings = _settings(rules, thresholds, preset, labels)
    if single and any(rule.field in ("r", "f", "m") for rule in settings.rules):
        raise ValueError(
            tr(
                "规则用到 R/F/M 分，需要整列数据：请用 CRM_TIER_ARRAY",
                "the rules use R/F/M scores, which need the whole column: use CRM_TIER_ARRAY",
            )
        )
    return tier_customers(
        frame, settings, _as_of(as_of), labels=labels, transactions=_transactions(transactions)
    )


def _cell(value: Any) -> CellValue:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    plain: CellValue = value.item() if isinstance(value, np.generic) else value
    return plain


def _blank_row(row: list[Any]) -> bool:
    """A row with nothing in it: the batch skips it, so it has no result."""
    return all(is_blank(v) for v in row)


def _one_result(
    key: str, headers: Any, values: Any, as_of: Any, rules: Any, thresholds: Any, preset: Any
) -> CellValue:
    """One result of one customer's row (blank for a blank row, as in the batch)."""
    row = flatten(values)
    if _blank_row(row):
        return ""
    results = _tier_results(headers, [row], as_of, rules, thresholds, preset, single=True)
    return _cell(results[key].iloc[0])


_DOC_HEADERS = "客户表的表头行 / the customer table's header row"
_DOC_VALUES = "该客户的一行 / this customer's row"
_DOC_AS_OF = "统计日期，留空=今天 / as-of date, blank = today"
_DOC_RULES = "可选：设置表 [tier_rules] 的数据行 / optional: data rows of [tier_rules]"
_DOC_THRESHOLDS = "可选：[tier_thresholds] 的数据行 / optional: data rows of [tier_thresholds]"
_DOC_PRESET = "b2c 或 b2b / b2c or b2b"
_SETTINGS_DOCS = {
    "as_of": _DOC_AS_OF,
    "rules": _DOC_RULES,
    "thresholds": _DOC_THRESHOLDS,
    "preset": _DOC_PRESET,
}
_row_args = documented(headers=_DOC_HEADERS, values=_DOC_VALUES, **_SETTINGS_DOCS)


@xw.func
@_row_args
@excel_errors
def CRM_TIER(  # noqa: N802 - Excel's name
    headers: Any,
    values: Any,
    as_of: Any = None,
    rules: Any = None,
    thresholds: Any = None,
    preset: Any = None,
) -> CellValue:
    """The tier of one customer from their row, as the tier job writes it."""
    return _one_result("tier", headers, values, as_of, rules, thresholds, preset)


@xw.func
@_row_args
@excel_errors
def CRM_SCORE(  # noqa: N802 - Excel's name
    headers: Any,
    values: Any,
    as_of: Any = None,
    rules: Any = None,
    thresholds: Any = None,
    preset: Any = None,
) -> CellValue:
    """The rule score of one customer from their row."""
    return _one_result("score", headers, values, as_of, rules, thresholds, preset)


_DOC_TABLE = "客户表（含表头行）/ the customer table including its header row"
_DOC_TRANSACTIONS = (
    "可选：交易记录（含表头：客户编号、日期）；存活概率、预计购买与流失预警由此而来 / "
    "optional: the transactions with their header; P(alive), expected purchases and churn "
    "risk come from them"
)


@xw.func
@xw.arg("table", doc=_DOC_TABLE)
@xw.arg(
    "column",
    doc="结果列：tier score r f m rfm segment_cn segment_en stage p_alive expected_90d "
    "churn_risk reason …",
)
@documented(**_SETTINGS_DOCS, transactions=_DOC_TRANSACTIONS)
@excel_errors
def CRM_TIER_ARRAY(  # noqa: N802 - Excel's name
    table: Any,
    column: Any = "tier",
    as_of: Any = None,
    rules: Any = None,
    thresholds: Any = None,
    preset: Any = None,
    transactions: Any = None,
) -> Any:
    """One result column (tier by default) for every row of a customer table, as a column.

    With the transactions, every column is the batch's, P(alive) and churn risk included;
    the results of one table are computed once for all the columns asked of it.
    """
    wanted = text_arg(column) or "tier"
    by_header = {h.casefold(): key for key, (zh, en, _) in HEADERS.items() for h in (key, zh, en)}
    key = by_header.get(wanted.casefold())
    if key is None:
        raise ValueError(
            tr(f"结果列 '{wanted}' 未知；可用：", f"unknown result column '{wanted}'; use one of: ")
            + ", ".join(HEADERS)
        )
    header, *body = _rows(table)
    kept = [i for i, row in enumerate(body) if not _blank_row(row)]
    results = _memo(
        _tier_results,
        header,
        [body[i] for i in kept],
        as_of,
        rules,
        thresholds,
        preset,
        False,
        transactions,
    )
    cells: list[CellValue] = [""] * len(body)  # blank rows: no result, as in the batch
    for i, value in zip(kept, results[key].astype(object), strict=True):
        cells[i] = _cell(value)
    return as_column(cells)


def _rfm_kind(kind: Any) -> bool:
    """Whether higher values score higher (F, M) or lower (R: ranks by date, latest best)."""
    text = text_arg(kind).casefold() or "m"
    if text not in ("r", "f", "m"):
        raise ValueError(
            tr(f"类型须为 R、F 或 M，现在是 '{text}'", f"kind must be R, F or M, not '{text}'")
        )
    return text != "r"


def _rfm_values(values: list[Any], higher: bool) -> list[float | None]:
    if higher:
        return [number_arg(v) for v in values]
    # Recency counts whole days, so rank by the date alone (ignoring the time of day).
    dates = [date_arg(v) for v in values]
    return [None if d is None else float(d.toordinal()) for d in dates]


@xw.func
@xw.arg(
    "value", doc="这位客户的值（R 用最近购买日期）/ this customer's value (R: last purchase date)"
)
@xw.arg("column", doc="整列的值 / the whole column of values")
@xw.arg("kind", doc="R、F 或 M / R, F or M")
@excel_errors
def CRM_RFM(value: Any, column: Any, kind: Any = "m") -> CellValue:  # noqa: N802 - Excel's name
    """The 1–5 R, F or M score of one value among a column, by rank-based quintiles."""
    higher = _rfm_kind(kind)
    (own,) = _rfm_values([value], higher)
    if own is None:
        return ""
    known = [v for v in _rfm_values(flatten(column), higher) if v is not None]
    return rfm.score_against(own, known)


@xw.func
@xw.arg("column", doc="整列的值 / the whole column of values")
@xw.arg("kind", doc="R、F 或 M / R, F or M")
@excel_errors
def CRM_RFM_ARRAY(column: Any, kind: Any = "m") -> Any:  # noqa: N802 - Excel's name
    """The 1–5 R, F or M score of every value of a column, as a column."""
    higher = _rfm_kind(kind)
    values = pd.Series(_rfm_values(flatten(column), higher), dtype="float64")
    return as_column([_cell(v) for v in rfm.rank_scores(values).astype(object)])


@xw.func
@xw.arg("r", doc="R 分 1–5 / R score")
@xw.arg("f", doc="F 分 1–5 / F score")
@xw.arg("m", doc="M 分 1–5 / M score")
@xw.arg("model", doc="8（重要价值…）或 11（Champions…）/ 8 or 11")
@excel_errors
def CRM_SEGMENT(r: Any, f: Any, m: Any, model: Any = 8) -> CellValue:  # noqa: N802 - Excel's name
    """The RFM segment of R, F and M scores: the Chinese 8-segment or the English 11-segment map."""
    scores = []
    for name, value in (("R", r), ("F", f), ("M", m)):
        number = number_arg(value)
        if number is None or number not in (1, 2, 3, 4, 5):
            raise ValueError(tr(f"{name} 分须为 1–5 的整数", f"{name} must be a whole score 1–5"))
        scores.append(pd.Series([int(number)], dtype="Int64"))
    which = text_arg(model) or "8"
    if which == "8":
        return _cell(rfm.segment_cn(*scores)[0])
    if which == "11":
        return _cell(rfm.segment_en(scores[0], scores[1])[0])
    raise ValueError(
        tr(f"模型须为 8 或 11，现在是 '{which}'", f"model must be 8 or 11, not '{which}'")
    )


@xw.func
@xw.arg("first_purchase", doc="首次购买日期 / first purchase date")
@xw.arg("last_purchase", doc="最近购买日期 / last purchase date")
@xw.arg("orders", doc="购买次数 / number of orders")
@xw.arg("as_of", doc=_DOC_AS_OF)
@excel_errors
def CRM_STAGE(first_purchase: Any, last_purchase: Any, orders: Any, as_of: Any = None) -> CellValue:  # noqa: N802 - Excel's name
    """The lifecycle stage (获取期 … 离开期) from first and last purchase and the order count."""
    frame = pd.DataFrame(
        {
            "first_purchase": _typed("first_purchase", [first_purchase]),
            "last_purchase": _typed("last_purchase", [last_purchase]),
            "orders": _typed("orders", [orders]),
        }
    )
    key = lifecycle.stage_keys(frame, _as_of(as_of))[0]
    return "" if key is None else lifecycle.stage_label(key)


def _params(r: Any, alpha: Any, a: Any, b: Any) -> tuple[float, float, float, float]:
    out = []
    for name, value in (("r", r), ("alpha", alpha), ("a", a), ("b", b)):
        number = number_arg(value)
        if number is None or number <= 0:
            raise ValueError(
                tr(f"参数 {name} 须为正数", f"parameter {name} must be a positive number")
            )
        out.append(number)
    return out[0], out[1], out[2], out[3]


def _history(frequency: Any, recency: Any, age: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = [
        np.array([np.nan if (n := number_arg(v)) is None else n for v in flatten(x)], dtype=float)
        for x in (frequency, recency, age)
    ]
    if len({len(a) for a in arrays}) != 1:
        raise ValueError(tr("三个区域须一样长", "the three ranges must have the same length"))
    with np.errstate(invalid="ignore"):
        impossible = (arrays[0] < 0) | (arrays[1] < 0) | (arrays[1] > arrays[2])
    if impossible.any():
        raise ValueError(
            tr(
                "复购次数与最近须 ≥ 0，且最近不能大于客龄",
                "frequency and recency must be ≥ 0 and recency cannot exceed the age T",
            )
        )
    return arrays[0], arrays[1], arrays[2]


_DOC_FIT = "拟合参数（CRM_BGNBD 的结果）/ fitted BG/NBD parameter (from CRM_BGNBD)"


@xw.func
@xw.arg("frequency", doc="复购次数（购买天数−1）/ repeat purchases")
@xw.arg("recency", doc="首购到末购的周数 / weeks from first to last purchase")
@xw.arg("age", doc="首购至今的周数 / weeks since the first purchase")
@documented(r=_DOC_FIT, alpha=_DOC_FIT, a=_DOC_FIT, b=_DOC_FIT)
@excel_errors
def CRM_PALIVE(  # noqa: N802 - Excel's name
    frequency: Any, recency: Any, age: Any, r: Any, alpha: Any, a: Any, b: Any
) -> CellValue:
    """P(alive) of one customer under fitted BG/NBD parameters."""
    x, t_x, big_t = _history(frequency, recency, age)
    return _cell(bgnbd.p_alive(x, t_x, big_t, *_params(r, alpha, a, b))[0])


@xw.func
@xw.arg("frequency", doc="复购次数列 / column of repeat purchases")
@xw.arg("recency", doc="最近（周）列 / column of recency in weeks")
@xw.arg("age", doc="客龄（周）列 / column of T in weeks")
@documented(r=_DOC_FIT, alpha=_DOC_FIT, a=_DOC_FIT, b=_DOC_FIT)
@excel_errors
def CRM_PALIVE_ARRAY(  # noqa: N802 - Excel's name
    frequency: Any, recency: Any, age: Any, r: Any, alpha: Any, a: Any, b: Any
) -> Any:
    """P(alive) of every customer of three columns, as a column."""
    x, t_x, big_t = _history(frequency, recency, age)
    return as_column([_cell(v) for v in bgnbd.p_alive(x, t_x, big_t, *_params(r, alpha, a, b))])


@xw.func
@xw.arg("weeks", doc="未来周数（90 天 = 90/7）/ horizon in weeks (90 days = 90/7)")
@xw.arg("frequency", doc="复购次数 / repeat purchases")
@xw.arg("recency", doc="首购到末购的周数 / weeks from first to last purchase")
@xw.arg("age", doc="首购至今的周数 / weeks since the first purchase")
@documented(r=_DOC_FIT, alpha=_DOC_FIT, a=_DOC_FIT, b=_DOC_FIT)
@excel_errors
def CRM_EXPECTED(  # noqa: N802 - Excel's name
    weeks: Any, frequency: Any, recency: Any, age: Any, r: Any, alpha: Any, a: Any, b: Any
) -> CellValue:
    """Expected purchases of one customer in the next weeks under fitted BG/NBD parameters."""
    horizon = number_arg(weeks)
    if horizon is None or horizon < 0:
        raise ValueError(tr("周数须为非负数", "weeks must be a number ≥ 0"))
    x, t_x, big_t = _history(frequency, recency, age)
    return _cell(bgnbd.expected_purchases(horizon, x, t_x, big_t, *_params(r, alpha, a, b))[0])


def _fit(table: Any, transactions: Any, as_of: Any) -> bgnbd.BGNBDFit:
    """BG/NBD fitted as the batch fits it: the table's customers, their transactions."""
    header, *body = _rows(table)
    frame, _ = _frame(header, [row for row in body if not _blank_row(row)])
    fit = churn_risk(frame, _as_of(as_of), _transactions(transactions)).fit
    if fit is None:
        raise ValueError(
            tr(
                f"有交易记录的客户不足 {MIN_FIT_CUSTOMERS} 位或无人复购，无法拟合（批量结果同样留空）",
                f"fewer than {MIN_FIT_CUSTOMERS} customers with transactions, or no repeat "
                "buyer: no fit (the batch leaves these results blank too)",
            )
        )
    return fit


@xw.func
@xw.arg("table", doc=_DOC_TABLE)
@xw.arg("transactions", doc="交易记录（含表头）/ the transactions with their header")
@xw.arg("as_of", doc=_DOC_AS_OF)
@excel_errors
def CRM_BGNBD(table: Any, transactions: Any, as_of: Any = None) -> Any:  # noqa: N802 - Excel's name
    """The BG/NBD parameters r, alpha, a, b the batch fits, as one row (for CRM_PALIVE)."""
    fit = _memo(_fit, table, transactions, as_of)
    return [[fit.r, fit.alpha, fit.a, fit.b]]
