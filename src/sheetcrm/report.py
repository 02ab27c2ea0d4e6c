"""The dashboard (仪表盘) and the run history (运行记录): KPIs, native charts, trends.

:func:`compute_kpis` is pure pandas over the engine's results; the sheet builders
turn the KPIs into :class:`~sheetcrm.book.base.SheetSpec` values any book can
write, and :func:`html_report` renders the same figures as one self-contained
HTML file with inline SVG charts (no scripts, fonts or links to fetch).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .a1 import range_ref
from .book.base import CellValue, ChartSeries, ChartSpec, Problem, SheetSpec
from .i18n import tr, use_lang
from .schedule import STATUS_CANCELLED, STATUS_DONE, STATUS_OPEN

__all__ = [
    "DASHBOARD_SHEET",
    "HISTORY_SHEET",
    "Kpis",
    "compute_kpis",
    "dashboard_sheet",
    "history_row",
    "history_sheet",
    "html_report",
]

DASHBOARD_SHEET = "仪表盘"
HISTORY_SHEET = "运行记录"
NEW = "新"

# Run-history headers are bilingual and fixed, so rows from runs in either language line up.
_RUN_AT, _AS_OF = "运行时间 Run at", "基准日 As of"
_FIXED = {
    "customers": "客户数 Customers",
    "revenue": "累计金额 Revenue",
    "churn": "流失预警 Churn risk",
    "at_risk": "风险金额 Revenue at risk",
    "completion": "跟进完成率 Follow-up completion",
}
_TIER_COUNT, _TIER_REVENUE = "客户数·{}", "金额·{}"
_PALETTE = ("#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47", "#264478")


@dataclass
class Kpis:
    """Everything the dashboard shows, as of one date."""

    as_of: dt.date
    customers: int
    revenue: float
    per_tier: pd.DataFrame  # index tier (A→D): customers, revenue, customer_share, revenue_share
    per_segment: pd.DataFrame  # by revenue: customers, revenue, revenue_share, cumulative_share
    migration: pd.DataFrame  # previous tier (or 新) × current tier, customer counts
    churn_customers: int
    revenue_at_risk: float
    repurchase_rate: float | None  # customers with ≥ 2 orders / customers with ≥ 1
    potential_before: int  # customers whose previous tier was the potential tier
    potential_upgraded: int  # … of whom now sit in a higher tier
    followups: pd.DataFrame  # per rep: done, overdue, due (to date), completion
    messages: pd.Series  # messages ready per channel
    problems: pd.Series  # data problems per kind

    @property
    def completion(self) -> float | None:
        """Share of follow-ups due by the as-of date that are done (None without a plan)."""
        due = int(self.followups["due"].sum()) if len(self.followups) else 0
        return int(self.followups["done"].sum()) / due if due else None

    @property
    def conversion(self) -> float | None:
        """Share of last run's potential customers now in a higher tier."""
        return self.potential_upgraded / self.potential_before if self.potential_before else None


def compute_kpis(
    customers: pd.DataFrame,
    tiers: pd.DataFrame,
    *,
    problems: Sequence[Problem] | None = None,
    plan: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    previous_tiers: pd.Series | None = None,
    as_of: dt.date,
) -> Kpis:
    """The dashboard's figures from the customer frame and the engines' results."""
    amount = _numbers(customers, "amount").reindex(tiers.index, fill_value=0.0)
    orders = _numbers(customers, "orders").reindex(tiers.index, fill_value=0.0)
    total = float(amount.sum())
    tier = _labels(tiers["tier"])
    code_of = tiers["tier_code"].groupby(tier, observed=True).first().astype(str).to_dict()
    per_tier = _groups(tier, amount).reindex(
        sorted(code_of, key=lambda t: code_of[t]), fill_value=0
    )
    per_tier["customer_share"] = per_tier["customers"] / max(len(tiers), 1)
    segments = _labels(tiers["segment_cn"], tr("未分群（无购买）", "unsegmented (no purchases)"))
    per_segment = _groups(segments, amount).sort_values("revenue", ascending=False, kind="stable")
    per_segment["cumulative_share"] = per_segment["revenue_share"].cumsum()
    churn = tiers["churn_risk"].fillna(False).astype(bool)
    bought = int((orders >= 1).sum())

    before = _labels(
        previous_tiers.reindex(tiers.index)
        if previous_tiers is not None
        else pd.Series(None, index=tiers.index, dtype=object),
        NEW,
    )
    migration = (
        pd.DataFrame({"before": before, "now": tier})
        .groupby(["before", "now"], observed=True)
        .size()
        .unstack(fill_value=0)
    )
    migration.index, migration.columns = migration.index.astype(str), migration.columns.astype(str)
    migration = migration.reindex(columns=per_tier.index, fill_value=0)
    migration = migration.reindex(
        [t for t in per_tier.index if t in migration.index]
        + [t for t in migration.index if t not in per_tier.index]
    ).rename_axis(index="before", columns="now")

    potential_code = next((code_of[t] for t in code_of if _is_potential(t)), "B")
    # Last run's potential customers may all have moved on, leaving no current label to match.
    was_potential = _per_label(
        before, lambda t: code_of[t] == potential_code if t in code_of else _is_potential(t)
    )
    upgraded = was_potential & _per_label(tier, lambda t: code_of[t] < potential_code)
    return Kpis(
        as_of=as_of,
        customers=len(tiers),
        revenue=total,
        per_tier=per_tier,
        per_segment=per_segment,
        migration=migration,
        churn_customers=int(churn.sum()),
        revenue_at_risk=float(amount[churn].sum()),
        repurchase_rate=int((orders >= 2).sum()) / bought if bought else None,
        potential_before=int(was_potential.sum()),
        potential_upgraded=int(upgraded.sum()),
        followups=_followups(plan, as_of),
        messages=(
            messages["channel"].value_counts().sort_index()
            if messages is not None and len(messages)
            else pd.Series(dtype="int64")
        ),
        problems=pd.Series(Counter(p.kind for p in problems or ()), dtype="int64").sort_index(),
    )


def _is_potential(tier: object) -> bool:
    """Whether a tier label names the potential tier (潜力, in either language)."""
    return "潜力" in str(tier) or "potential" in str(tier).lower()


def _numbers(frame: pd.DataFrame, role: str) -> pd.Series:
    if role not in frame:
        return pd.Series(0.0, index=frame.index)
    return pd.to_numeric(frame[role], errors="coerce").fillna(0.0)


def _labels(values: pd.Series, missing: str | None = None) -> pd.Series:
    """Labels as text categories, blanks as ``missing``."""
    # A million customers share a few labels: each is hashed once, not once per customer.
    labels = values.astype("category")
    labels = labels.cat.rename_categories([str(c) for c in labels.cat.categories])
    if missing is not None and labels.isna().any():
        if missing not in labels.cat.categories:
            labels = labels.cat.add_categories([missing])
        labels = labels.fillna(missing)
    return labels


def _per_label(labels: pd.Series, test: Callable[[str], bool]) -> pd.Series:
    """A per-customer flag computed once per distinct label (blank labels are False)."""
    flags = np.array([test(c) for c in labels.cat.categories] + [False], dtype=bool)
    return pd.Series(flags[labels.cat.codes.to_numpy()], index=labels.index)


def _groups(keys: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Customers and revenue per label, in label order."""
    total = float(amount.sum())
    frame = (
        pd.DataFrame({"key": keys, "amount": amount})
        .groupby("key", observed=True, sort=True)["amount"]
        .agg(customers="size", revenue="sum")
    )
    frame.index = frame.index.astype(str)
    frame["revenue_share"] = frame["revenue"] / total if total else 0.0
    frame.index.name = None
    return frame


def _followups(plan: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """Per rep: touches done, open and overdue, due by the as-of date, and completion."""
    columns = ["done", "overdue", "due", "completion"]
    if plan is None or not len(plan) or "status" not in plan:
        return pd.DataFrame(columns=columns)
    live = plan[plan["status"] != STATUS_CANCELLED]
    dates = pd.to_datetime(live["due"], errors="coerce")
    due = dates <= pd.Timestamp(as_of)
    done = live["status"] == STATUS_DONE
    overdue = (live["status"] == STATUS_OPEN) & (dates < pd.Timestamp(as_of))
    owner = _labels(live["owner"].mask(live["owner"] == ""), tr("未分配", "unassigned"))
    frame = pd.DataFrame({"owner": owner, "done": done, "overdue": overdue, "due": due | done})
    per_rep = (
        frame.groupby("owner", observed=True, sort=True)[["done", "overdue", "due"]]
        .sum()
        .astype(int)
    )
    per_rep.index = per_rep.index.astype(str)
    per_rep["completion"] = (per_rep["done"] / per_rep["due"].where(per_rep["due"] > 0)).fillna(0.0)
    per_rep.index.name = None
    return per_rep


# ---- run history ----------------------------------------------------------------------------
def history_row(kpis: Kpis, as_of: dt.date, run_at: dt.datetime) -> dict[str, CellValue]:
    """This run's line of the run history, by header."""
    row: dict[str, CellValue] = {
        _RUN_AT: run_at.replace(microsecond=0),
        _AS_OF: as_of,
        _FIXED["customers"]: kpis.customers,
        _FIXED["revenue"]: round(kpis.revenue, 2),
        _FIXED["churn"]: kpis.churn_customers,
        _FIXED["at_risk"]: round(kpis.revenue_at_risk, 2),
        _FIXED["completion"]: kpis.completion,
    }
    for tier, values in kpis.per_tier.iterrows():
        row[_TIER_COUNT.format(tier)] = int(values["customers"])
    for tier, values in kpis.per_tier.iterrows():
        row[_TIER_REVENUE.format(tier)] = round(float(values["revenue"]), 2)
    return row


def history_sheet(
    grid: Sequence[Sequence[CellValue]] | None, row: Mapping[str, CellValue]
) -> SheetSpec:
    """The run history with this run appended; earlier rows are carried over exactly as read."""
    old_header = [str(v) if v is not None else "" for v in grid[0]] if grid else []
    header = old_header + [key for key in row if key not in old_header]
    body = [list(line) + [None] * (len(header) - len(line)) for line in (grid or [])[1:]]
    body = [line for line in body if any(v not in (None, "") for v in line)]
    body.append([row.get(key) for key in header])
    formats: dict[int, str] = {}
    for index, key in enumerate(header):
        if key == _RUN_AT:
            formats[index] = "yyyy-mm-dd hh:mm"
        elif key == _AS_OF:
            formats[index] = "yyyy-mm-dd"
        elif key == _FIXED["completion"]:
            formats[index] = "0.0%"
        elif key.startswith(("累计金额", "风险金额", "金额·")):
            formats[index] = "#,##0"
    return SheetSpec(
        name=HISTORY_SHEET,
        rows=[header, *body],
        widths={i: max(12.0, min(28.0, len(h) * 1.6)) for i, h in enumerate(header)},
        number_formats=formats,
        freeze="C2",
    )


# ---- dashboard sheet --------------------------------------------------------------------------
_COUNT, _MONEY, _SHARE = "#,##0", "#,##0", "0.0%"


class _Grid:
    """Rows being laid out top to bottom, with per-cell formats and bold cells."""

    def __init__(self) -> None:
        self.rows: list[list[CellValue]] = []
        self.formats: dict[tuple[int, int], str] = {}
        self.bold: list[tuple[int, int]] = []

    def add(
        self, values: Sequence[CellValue], formats: Sequence[str | None] = (), *, bold: bool = False
    ) -> int:
        index = len(self.rows)
        self.rows.append(list(values))
        for column, fmt in enumerate(formats):
            if fmt:
                self.formats[(index, column)] = fmt
        if bold:
            self.bold.extend((index, c) for c in range(len(values)))
        return index

    def table(
        self,
        title: str,
        header: Sequence[str],
        lines: Sequence[Sequence[CellValue]],
        formats: Sequence[str | None],
    ) -> tuple[int, int]:
        """A titled table; the 1-based Excel rows of its first and last data line."""
        self.add([title], bold=True)
        self.add(header, bold=True)
        first = len(self.rows)
        for line in lines:
            self.add(line, formats)
        if not lines:
            self.add([tr("（无数据）", "(no data)")])
        self.add([])
        return first + 1, first + max(len(lines), 1)


def dashboard_sheet(
    kpis: Kpis, history_rows: Sequence[Sequence[CellValue]], lang: str
) -> SheetSpec:
    """The dashboard: the as-of date, KPI tiles, tables and the native charts that read them."""
    with use_lang(lang):  # type: ignore[arg-type]
        return _dashboard(kpis, history_rows)


def _dashboard(kpis: Kpis, history_rows: Sequence[Sequence[CellValue]]) -> SheetSpec:
    grid = _Grid()
    grid.add([tr("SheetCRM 客户管理仪表盘", "SheetCRM customer dashboard")], bold=True)
    grid.add([tr("基准日", "As of"), kpis.as_of], [None, "yyyy-mm-dd"])
    grid.add([])
    tiles = [
        (tr("客户数", "Customers"), kpis.customers, _COUNT),
        (tr("累计金额", "Revenue"), kpis.revenue, _MONEY),
        (tr("复购率", "Repurchase rate"), kpis.repurchase_rate, _SHARE),
        (tr("流失预警客户", "Churn-risk customers"), kpis.churn_customers, _COUNT),
        (tr("风险金额", "Revenue at risk"), kpis.revenue_at_risk, _MONEY),
        (tr("潜力客户升级率", "Potential → higher tier"), kpis.conversion, _SHARE),
        (tr("跟进完成率", "Follow-up completion"), kpis.completion, _SHARE),
        (tr("逾期跟进", "Overdue follow-ups"), _overdue(kpis), _COUNT),
        (tr("待发送消息", "Messages ready"), int(kpis.messages.sum()), _COUNT),
        (tr("数据问题", "Data problems"), int(kpis.problems.sum()), _COUNT),
    ]
    grid.add([label for label, _, _ in tiles], bold=True)
    grid.add(
        [value if value is not None else "—" for _, value, _ in tiles], [fmt for *_, fmt in tiles]
    )
    grid.add([])
    # Charts sit right of the tables and below the tiles, which span ten columns.
    top = len(grid.rows) + 1
    anchors = [f"{column}{top + 17 * step}" for step in range(3) for column in ("H", "O")]

    tier_lines: list[list[CellValue]] = [
        [
            str(t),
            int(v["customers"]),
            float(v["revenue"]),
            float(v["customer_share"]),
            float(v["revenue_share"]),
        ]
        for t, v in kpis.per_tier.iterrows()
    ]
    tier_first, tier_last = grid.table(
        tr("各等级客户与金额", "Customers and revenue per tier"),
        [
            tr("客户等级", "Tier"),
            tr("客户数", "Customers"),
            tr("金额", "Revenue"),
            tr("客户占比", "Customer share"),
            tr("金额占比", "Revenue share"),
        ],
        tier_lines,
        [None, _COUNT, _MONEY, _SHARE, _SHARE],
    )
    segment_lines: list[list[CellValue]] = [
        [
            str(s),
            int(v["customers"]),
            float(v["revenue"]),
            float(v["revenue_share"]),
            float(v["cumulative_share"]),
        ]
        for s, v in kpis.per_segment.iterrows()
    ]
    seg_first, seg_last = grid.table(
        tr("RFM 分群金额（帕累托）", "Revenue per RFM segment (Pareto)"),
        [
            tr("分群", "Segment"),
            tr("客户数", "Customers"),
            tr("金额", "Revenue"),
            tr("金额占比", "Revenue share"),
            tr("累计占比", "Cumulative share"),
        ],
        segment_lines,
        [None, _COUNT, _MONEY, _SHARE, _SHARE],
    )
    migration_lines: list[list[CellValue]] = [
        [str(t), *(int(v) for v in counts)] for t, counts in kpis.migration.iterrows()
    ]
    grid.table(
        tr("等级迁移（上次 → 本次）", "Tier migration (previous → now)"),
        [tr("上次 ＼ 本次", "previous ＼ now"), *map(str, kpis.migration.columns)],
        migration_lines,
        [None, *[_COUNT] * len(kpis.migration.columns)],
    )
    rep_lines: list[list[CellValue]] = [
        [str(rep), int(v["due"]), int(v["done"]), int(v["overdue"]), float(v["completion"])]
        for rep, v in kpis.followups.iterrows()
    ]
    rep_first, rep_last = grid.table(
        tr("跟进完成情况（按负责人）", "Follow-ups per rep"),
        [
            tr("负责人", "Rep"),
            tr("应完成", "Due"),
            tr("已完成", "Done"),
            tr("逾期", "Overdue"),
            tr("完成率", "Completion"),
        ],
        rep_lines,
        [None, _COUNT, _COUNT, _COUNT, _SHARE],
    )
    grid.table(
        tr("待发送消息（按渠道）", "Messages ready per channel"),
        [tr("渠道", "Channel"), tr("条数", "Messages")],
        [[str(k), int(v)] for k, v in kpis.messages.items()],
        [None, _COUNT],
    )
    grid.table(
        tr("数据问题（按类型）", "Data problems per kind"),
        [tr("类型", "Kind"), tr("数量", "Count")],
        [[str(k), int(v)] for k, v in kpis.problems.items()],
        [None, _COUNT],
    )

    charts = [
        ChartSpec(
            "doughnut",
            tr("客户等级构成", "Customers per tier"),
            f"A{tier_first}:A{tier_last}",
            [ChartSeries(tr("客户数", "Customers"), f"B{tier_first}:B{tier_last}")],
            anchors[0],
            7,
            16,
        ),
        ChartSpec(
            "column",
            tr("各等级金额", "Revenue per tier"),
            f"A{tier_first}:A{tier_last}",
            [ChartSeries(tr("金额", "Revenue"), f"C{tier_first}:C{tier_last}")],
            anchors[1],
            7,
            16,
        ),
        ChartSpec(
            "bar",
            tr("RFM 分群金额（帕累托）", "Revenue per segment (Pareto)"),
            f"A{seg_first}:A{seg_last}",
            [ChartSeries(tr("金额", "Revenue"), f"C{seg_first}:C{seg_last}")],
            anchors[2],
            7,
            16,
        ),
    ]
    trend = _trend_chart(kpis, history_rows, anchors[3])
    if trend:
        charts.append(trend)
    if rep_lines:
        charts.append(
            ChartSpec(
                "bar",
                tr("跟进完成情况", "Follow-ups per rep"),
                f"A{rep_first}:A{rep_last}",
                [
                    ChartSeries(tr("应完成", "Due"), f"B{rep_first}:B{rep_last}"),
                    ChartSeries(tr("已完成", "Done"), f"C{rep_first}:C{rep_last}"),
                    ChartSeries(tr("逾期", "Overdue"), f"D{rep_first}:D{rep_last}"),
                ],
                anchors[4],
                7,
                16,
            )
        )
    return SheetSpec(
        name=DASHBOARD_SHEET,
        rows=grid.rows,
        header_rows=0,
        widths={0: 22, 1: 13, 2: 15, 3: 13, 4: 13, 5: 13, 6: 13, 7: 13, 8: 13, 9: 13},
        freeze=None,
        autofilter=False,
        bold_cells=grid.bold,
        cell_formats=grid.formats,
        tab_color="4472C4",
        charts=charts,
    )


def _trend_chart(
    kpis: Kpis, history_rows: Sequence[Sequence[CellValue]], anchor: str
) -> ChartSpec | None:
    """Customers per tier over the runs, read from the run history sheet."""
    if len(history_rows) < 2:
        return None
    header = [str(v) for v in history_rows[0]]
    last = len(history_rows)
    series = [
        ChartSeries(
            str(tier),
            range_ref(2, header.index(key) + 1, last, header.index(key) + 1),
        )
        for tier in kpis.per_tier.index
        if (key := _TIER_COUNT.format(tier)) in header
    ]
    if not series or _AS_OF not in header:
        return None
    dates = header.index(_AS_OF) + 1
    return ChartSpec(
        "line",
        tr("各等级客户数趋势", "Customers per tier over time"),
        range_ref(2, dates, last, dates),
        series,
        anchor,
        7,
        16,
        data_sheet=HISTORY_SHEET,
    )


# ---- HTML report ------------------------------------------------------------------------------
def html_report(kpis: Kpis, history_rows: Sequence[Sequence[CellValue]], path: Path) -> Path:
    """Write the dashboard as one self-contained HTML file (inline SVG charts) to e-mail."""
    e = html.escape
    tiles = "".join(
        f'<div class="tile"><div class="label">{e(label)}</div><div class="value">{e(value)}</div></div>'
        for label, value in [
            (tr("客户数", "Customers"), f"{kpis.customers:,}"),
            (tr("累计金额", "Revenue"), f"¥{kpis.revenue:,.0f}"),
            (tr("复购率", "Repurchase rate"), _pct(kpis.repurchase_rate)),
            (tr("流失预警客户", "Churn-risk customers"), f"{kpis.churn_customers:,}"),
            (tr("风险金额", "Revenue at risk"), f"¥{kpis.revenue_at_risk:,.0f}"),
            (tr("潜力客户升级率", "Potential → higher tier"), _pct(kpis.conversion)),
            (tr("跟进完成率", "Follow-up completion"), _pct(kpis.completion)),
            (tr("逾期跟进", "Overdue follow-ups"), f"{_overdue(kpis):,}"),
            (tr("待发送消息", "Messages ready"), f"{int(kpis.messages.sum()):,}"),
            (tr("数据问题", "Data problems"), f"{int(kpis.problems.sum()):,}"),
        ]
    )
    tier_table = _html_table(
        [
            tr("客户等级", "Tier"),
            tr("客户数", "Customers"),
            tr("金额", "Revenue"),
            tr("金额占比", "Revenue share"),
        ],
        [
            [t, f"{int(v['customers']):,}", f"¥{v['revenue']:,.0f}", _pct(v["revenue_share"])]
            for t, v in kpis.per_tier.iterrows()
        ],
    )
    segment_table = _html_table(
        [
            tr("分群", "Segment"),
            tr("客户数", "Customers"),
            tr("金额", "Revenue"),
            tr("累计占比", "Cumulative share"),
        ],
        [
            [s, f"{int(v['customers']):,}", f"¥{v['revenue']:,.0f}", _pct(v["cumulative_share"])]
            for s, v in kpis.per_segment.iterrows()
        ],
    )
    rep_table = _html_table(
        [
            tr("负责人", "Rep"),
            tr("应完成", "Due"),
            tr("已完成", "Done"),
            tr("逾期", "Overdue"),
            tr("完成率", "Completion"),
        ],
        [
            [r, *(f"{int(v[k]):,}" for k in ("due", "done", "overdue")), _pct(v["completion"])]
            for r, v in kpis.followups.iterrows()
        ],
    )
    migration_table = _html_table(
        [tr("上次 ＼ 本次", "previous ＼ now"), *map(str, kpis.migration.columns)],
        [[t, *(f"{int(v):,}" for v in counts)] for t, counts in kpis.migration.iterrows()],
    )
    channel_table = _html_table(
        [tr("渠道", "Channel"), tr("条数", "Messages")],
        [[k, f"{int(v):,}"] for k, v in kpis.messages.items()],
    )
    problem_table = _html_table(
        [tr("类型", "Kind"), tr("数量", "Count")],
        [[k, f"{int(v):,}"] for k, v in kpis.problems.items()],
    )
    tier_counts = [(str(t), float(v["customers"])) for t, v in kpis.per_tier.iterrows()]
    charts = [
        _svg_doughnut(tr("客户等级构成", "Customers per tier"), tier_counts),
        _svg_bars(
            tr("各等级金额", "Revenue per tier"),
            [(str(t), float(v["revenue"])) for t, v in kpis.per_tier.iterrows()],
        ),
        _svg_bars(
            tr("RFM 分群金额", "Revenue per segment"),
            [(str(s), float(v["revenue"])) for s, v in kpis.per_segment.iterrows()],
        ),
        _svg_trend(tr("各等级客户数趋势", "Customers per tier over time"), kpis, history_rows),
    ]
    page = f"""<!DOCTYPE html>
<html lang="{tr("zh-CN", "en")}"><head><meta charset="utf-8">
<title>{e(tr("SheetCRM 客户管理报告", "SheetCRM customer report"))} {kpis.as_of.isoformat()}</title>
<style>
body{{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",Arial,sans-serif;color:#333;margin:24px;max-width:1100px}}
h1{{font-size:22px}} h2{{font-size:16px;margin-top:28px}}
.tiles{{display:flex;flex-wrap:wrap;gap:10px}} .tile{{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:120px}}
.label{{font-size:12px;color:#666}} .value{{font-size:20px;font-weight:bold;color:#264478}}
.charts{{display:flex;flex-wrap:wrap;gap:16px}} svg{{border:1px solid #eee;background:#fff}}
table{{border-collapse:collapse;font-size:13px}} th,td{{border:1px solid #ddd;padding:4px 10px;text-align:right}}
th{{background:#f2f2f2}} td:first-child,th:first-child{{text-align:left}}
</style></head><body>
<h1>{e(tr("SheetCRM 客户管理报告", "SheetCRM customer report"))}</h1>
<p>{e(tr("基准日", "As of"))}: {kpis.as_of.isoformat()}</p>
<div class="tiles">{tiles}</div>
<div class="charts">{"".join(charts)}</div>
<h2>{e(tr("各等级客户与金额", "Customers and revenue per tier"))}</h2>{tier_table}
<h2>{e(tr("RFM 分群金额（帕累托）", "Revenue per RFM segment (Pareto)"))}</h2>{segment_table}
<h2>{e(tr("等级迁移（上次 → 本次）", "Tier migration (previous → now)"))}</h2>{migration_table}
<h2>{e(tr("跟进完成情况（按负责人）", "Follow-ups per rep"))}</h2>{rep_table}
<h2>{e(tr("待发送消息（按渠道）", "Messages ready per channel"))}</h2>{channel_table}
<h2>{e(tr("数据问题（按类型）", "Data problems per kind"))}</h2>{problem_table}
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _overdue(kpis: Kpis) -> int:
    return int(kpis.followups["overdue"].sum()) if len(kpis.followups) else 0


def _pct(value: float | None) -> str:
    return (
        "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"
    )


def _html_table(header: Sequence[str], lines: Sequence[Sequence[object]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(h))}</th>" for h in header)
    body = (
        "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in line) + "</tr>" for line in lines)
        or f'<tr><td colspan="{len(header)}">{e(tr("（无数据）", "(no data)"))}</td></tr>'
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _svg(title: str, inner: str, height: int = 260) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="360" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}"><text x="180" y="22" text-anchor="middle" '
        f'font-size="14" font-weight="bold">{html.escape(title)}</text>{inner}</svg>'
    )


def _svg_bars(title: str, items: Sequence[tuple[str, float]]) -> str:
    top = max((v for _, v in items), default=0.0) or 1.0
    step = min(28, 200 // max(len(items), 1))
    bars = "".join(
        f'<text x="108" y="{44 + i * step + step * 0.6:.0f}" text-anchor="end" font-size="11">'
        f"{html.escape(label[:10])}</text>"
        f'<rect x="112" y="{40 + i * step}" width="{value / top * 190:.1f}" height="{step * 0.7:.1f}" '
        f'fill="{_PALETTE[0]}"/><text x="{116 + value / top * 190:.1f}" '
        f'y="{44 + i * step + step * 0.6:.0f}" font-size="10">{value:,.0f}</text>'
        for i, (label, value) in enumerate(items)
    )
    return _svg(title, bars)


def _svg_doughnut(title: str, items: Sequence[tuple[str, float]]) -> str:
    total = sum(v for _, v in items) or 1.0
    radius, circumference = 70.0, 2 * math.pi * 70.0
    offset, arcs, legend = 0.0, [], []
    for i, (label, value) in enumerate(items):
        length = value / total * circumference
        color = _PALETTE[i % len(_PALETTE)]
        arcs.append(
            f'<circle cx="120" cy="140" r="{radius}" fill="none" stroke="{color}" stroke-width="36" '
            f'stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 120 140)"/>'
        )
        legend.append(
            f'<rect x="230" y="{70 + i * 20}" width="10" height="10" fill="{color}"/>'
            f'<text x="246" y="{79 + i * 20}" font-size="11">{html.escape(label)} '
            f"{value / total:.0%}</text>"
        )
        offset += length
    return _svg(title, "".join(arcs + legend))


def _svg_trend(title: str, kpis: Kpis, history_rows: Sequence[Sequence[CellValue]]) -> str:
    """Customers per tier over the runs, with the first and last as-of dates under the axis."""
    header = [str(v) for v in history_rows[0]] if history_rows else []
    runs = list(history_rows[1:])
    columns = [
        (str(tier), header.index(key))
        for tier in kpis.per_tier.index
        if (key := _TIER_COUNT.format(tier)) in header
    ]

    def x(i: int) -> float:
        return 50 + i / max(len(runs) - 1, 1) * 280

    points = [
        [
            (x(i), float(v))
            for i, row in enumerate(runs)
            if c < len(row) and isinstance(v := row[c], int | float) and not isinstance(v, bool)
        ]
        for _, c in columns
    ]
    top = max((v for line in points for _, v in line), default=0.0) or 1.0

    def y(v: float) -> float:
        return 210 - v / top * 165

    parts = [
        '<line x1="50" y1="210" x2="330" y2="210" stroke="#bbb"/>',
        f'<text x="46" y="{y(top) + 4:.0f}" text-anchor="end" font-size="10">{top:,.0f}</text>',
        '<text x="46" y="214" text-anchor="end" font-size="10">0</text>',
    ]
    if runs and _AS_OF in header:
        at = header.index(_AS_OF)
        for i in sorted({0, len(runs) - 1}):
            when = runs[i][at] if at < len(runs[i]) else None
            text = when.isoformat()[:10] if isinstance(when, dt.date) else str(when or "")
            parts.append(
                f'<text x="{x(i):.0f}" y="226" text-anchor="middle" font-size="10">'
                f"{html.escape(text)}</text>"
            )
    for n, ((label, _), line) in enumerate(zip(columns, points, strict=True)):
        color = _PALETTE[n % len(_PALETTE)]
        xy = " ".join(f"{px:.1f},{y(v):.1f}" for px, v in line)
        parts.append(f'<polyline points="{xy}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(
            f'<circle cx="{px:.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>' for px, v in line
        )
        parts.append(
            f'<rect x="{20 + n * 85}" y="242" width="10" height="10" fill="{color}"/>'
            f'<text x="{34 + n * 85}" y="251" font-size="11">{html.escape(label)}</text>'
        )
    return _svg(title, "".join(parts))
