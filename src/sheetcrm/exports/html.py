"""The dashboard as one self-contained HTML file to e-mail: inline SVG charts, no scripts,
fonts or links to fetch."""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..book.base import CellValue
from ..i18n import tr
from ..report.history import AS_OF, tier_count
from ..report.kpis import Kpis, Tile
from ..report.kpis import tiles as kpi_tiles

__all__ = ["html_report"]

_PALETTE = ("#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47", "#264478")


def html_report(kpis: Kpis, history_rows: Sequence[Sequence[CellValue]], path: Path) -> Path:
    """Write the dashboard as one self-contained HTML file (inline SVG charts) to e-mail."""
    e = html.escape
    tiles = "".join(
        f'<div class="tile"><div class="label">{e(tile.label)}</div>'
        f'<div class="value">{e(_tile_text(tile))}</div></div>'
        for tile in kpi_tiles(kpis)
    )
    tier_table = _revenue_table(
        tr("客户等级", "Tier"), kpis.per_tier, "revenue_share", tr("金额占比", "Revenue share")
    )
    segment_table = _revenue_table(
        tr("分群", "Segment"),
        kpis.per_segment,
        "cumulative_share",
        tr("累计占比", "Cumulative share"),
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
    not_sent_table = _html_table(
        [tr("原因", "Reason"), tr("条数", "Messages")],
        [[k, f"{int(v):,}"] for k, v in kpis.not_sent.items()],
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
<h2>{e(tr("不发送的消息（按原因）", "Messages not sent, per reason"))}</h2>{not_sent_table}
<h2>{e(tr("数据问题（按类型）", "Data problems per kind"))}</h2>{problem_table}
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _tile_text(tile: Tile) -> str:
    """A tile's value as shown: thousands grouped, money in yuan, shares in percent."""
    if tile.kind == "share" or tile.value is None:
        return _pct(tile.value)
    return f"¥{tile.value:,.0f}" if tile.kind == "money" else f"{tile.value:,}"


def _pct(value: float | None) -> str:
    """A share in percent, "—" when there is none."""
    return (
        "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"
    )


def _html_table(header: Sequence[str], lines: Sequence[Sequence[object]]) -> str:
    """A table with a header row; a "no data" line when it has no lines."""
    e = html.escape
    head = "".join(f"<th>{e(str(h))}</th>" for h in header)
    body = (
        "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in line) + "</tr>" for line in lines)
        or f'<tr><td colspan="{len(header)}">{e(tr("（无数据）", "(no data)"))}</td></tr>'
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _revenue_table(label: str, frame: pd.DataFrame, share: str, share_header: str) -> str:
    """Customers, revenue and one share per tier or segment."""
    return _html_table(
        [label, tr("客户数", "Customers"), tr("金额", "Revenue"), share_header],
        [
            [k, f"{int(v['customers']):,}", f"¥{v['revenue']:,.0f}", _pct(v[share])]
            for k, v in frame.iterrows()
        ],
    )


def _svg(title: str, inner: str, height: int = 260) -> str:
    """An SVG picture with its title on top."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="360" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}"><text x="180" y="22" text-anchor="middle" '
        f'font-size="14" font-weight="bold">{html.escape(title)}</text>{inner}</svg>'
    )


def _svg_bars(title: str, items: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars, one per label, with their values."""
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
    """A doughnut of the shares, with a legend."""
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
        if (key := tier_count(tier)) in header
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
    if runs and AS_OF in header:
        at = header.index(AS_OF)
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
