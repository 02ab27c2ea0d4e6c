"""The dashboard sheet (仪表盘): the as-of date, KPI tiles, tables and the native charts that
read them (the trend line reads the run history sheet)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..a1 import range_ref
from ..book.base import CellValue, ChartSeries, ChartSpec, SheetSpec
from ..i18n import tr, use_lang
from ..report.history import AS_OF, tier_count
from ..report.kpis import Kpis, tiles
from ..tiering.churn import rule_text
from .history import HISTORY_SHEET

__all__ = ["DASHBOARD_SHEET", "dashboard_sheet"]

DASHBOARD_SHEET = "仪表盘"

_COUNT, _MONEY, _SHARE = "#,##0", "#,##0", "0.0%"
_TILE_FORMATS = {"count": _COUNT, "money": _MONEY, "share": _SHARE}


class _Grid:
    """Rows being laid out top to bottom, with per-cell formats and bold cells."""

    def __init__(self) -> None:
        self.rows: list[list[CellValue]] = []
        self.formats: dict[tuple[int, int], str] = {}
        self.bold: list[tuple[int, int]] = []

    def add(
        self, values: Sequence[CellValue], formats: Sequence[str | None] = (), *, bold: bool = False
    ) -> int:
        """Add a row; its 0-based index."""
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


@dataclass(frozen=True)
class _Tables:
    """Where the charted tables landed: 1-based Excel rows of their first and last lines."""

    tiers: tuple[int, int]
    segments: tuple[int, int]
    reps: tuple[int, int] | None  # None without follow-ups


def dashboard_sheet(
    kpis: Kpis, history_rows: Sequence[Sequence[CellValue]], lang: str
) -> SheetSpec:
    """The dashboard: the as-of date, KPI tiles, tables and the native charts that read them."""
    with use_lang(lang):
        grid = _Grid()
        grid.add([tr("SheetCRM 客户管理仪表盘", "SheetCRM customer dashboard")], bold=True)
        churn_share = kpis.churn_customers / kpis.customers if kpis.customers else 0.0
        grid.add(
            [
                tr("基准日", "As of"),
                kpis.as_of,
                None,
                tr("流失预警占比", "Churn-risk share"),
                churn_share,
                rule_text(),
            ],
            [None, "yyyy-mm-dd", None, None, "0.0%", None],
        )
        grid.add([])
        shown = tiles(kpis)
        grid.add([tile.label for tile in shown], bold=True)
        grid.add(
            [tile.value if tile.value is not None else "—" for tile in shown],
            [_TILE_FORMATS[tile.kind] for tile in shown],
        )
        grid.add([])
        # Charts sit right of the tables and below the tiles, which span ten columns.
        top = len(grid.rows) + 1
        anchors = [f"{column}{top + 17 * step}" for step in range(3) for column in ("H", "O")]
        charts = _charts(kpis, _tables(grid, kpis), history_rows, anchors)
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


def _tables(grid: _Grid, kpis: Kpis) -> _Tables:
    """The tables under the tiles: tiers, segments, migration, reps, channels, messages not
    sent, problems."""
    tiers = _revenue_table(
        grid,
        tr("各等级客户与金额", "Customers and revenue per tier"),
        tr("客户等级", "Tier"),
        kpis.per_tier,
        [
            ("customer_share", tr("客户占比", "Customer share")),
            ("revenue_share", tr("金额占比", "Revenue share")),
        ],
    )
    segments = _revenue_table(
        grid,
        tr("RFM 分群金额（帕累托）", "Revenue per RFM segment (Pareto)"),
        tr("分群", "Segment"),
        kpis.per_segment,
        [
            ("revenue_share", tr("金额占比", "Revenue share")),
            ("cumulative_share", tr("累计占比", "Cumulative share")),
        ],
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
    reps = grid.table(
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
        tr("不发送的消息（按原因）", "Messages not sent, per reason"),
        [tr("原因", "Reason"), tr("条数", "Messages")],
        [[str(k), int(v)] for k, v in kpis.not_sent.items()],
        [None, _COUNT],
    )
    grid.table(
        tr("数据问题（按类型）", "Data problems per kind"),
        [tr("类型", "Kind"), tr("数量", "Count")],
        [[str(k), int(v)] for k, v in kpis.problems.items()],
        [None, _COUNT],
    )
    return _Tables(tiers, segments, reps if rep_lines else None)


def _revenue_table(
    grid: _Grid, title: str, label: str, frame: pd.DataFrame, shares: Sequence[tuple[str, str]]
) -> tuple[int, int]:
    """Customers, revenue and shares (column, header) per tier or segment; its data rows."""
    lines: list[list[CellValue]] = [
        [str(k), int(v["customers"]), float(v["revenue"]), *(float(v[c]) for c, _ in shares)]
        for k, v in frame.iterrows()
    ]
    return grid.table(
        title,
        [label, tr("客户数", "Customers"), tr("金额", "Revenue"), *(h for _, h in shares)],
        lines,
        [None, _COUNT, _MONEY, *[_SHARE] * len(shares)],
    )


def _charts(
    kpis: Kpis, tables: _Tables, history_rows: Sequence[Sequence[CellValue]], anchors: list[str]
) -> list[ChartSpec]:
    """The native charts, each reading one table (the trend line the run history)."""
    (tier_first, tier_last), (seg_first, seg_last) = tables.tiers, tables.segments
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
    if tables.reps:
        rep_first, rep_last = tables.reps
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
    return charts


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
        if (key := tier_count(tier)) in header
    ]
    if not series or AS_OF not in header:
        return None
    dates = header.index(AS_OF) + 1
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
