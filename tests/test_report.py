"""Dashboard and run history: KPIs equal an independent count, history only grows, charts show."""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from libreoffice import convert
from sheetcrm.a1 import column_number
from sheetcrm.book.base import CellValue, Problem
from sheetcrm.book.file import FileBook
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.check import kind_counts
from sheetcrm.demo import write_demo
from sheetcrm.exports.html import html_report
from sheetcrm.i18n import use_lang
from sheetcrm.jobs import run_job
from sheetcrm.report.history import history_row
from sheetcrm.report.kpis import compute_kpis
from sheetcrm.sheets.dashboard import DASHBOARD_SHEET, dashboard_sheet
from sheetcrm.sheets.history import HISTORY_SHEET, history_sheet

AS_OF = dt.date(2026, 6, 30)


Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series]
EngineAndDashboard = tuple[pd.DataFrame, pd.DataFrame, list[list[CellValue]], Path]


@pytest.fixture
def frames() -> Frames:
    """Eight customers, their tiers, a small plan and last run's tiers."""
    index = pd.RangeIndex(2, 10)
    customers = pd.DataFrame(
        {"amount": [900.0, 50, 400, 10, 0, 300, 700, 20], "orders": [5, 1, 3, 1, 0, 2, 4, 1]},
        index=index,
    )
    tier = ["高价值", "低价值", "潜力", "低价值", "低价值", "潜力", "高价值", "低价值"]
    code = {"高价值": "A", "潜力": "B", "低价值": "D"}
    tiers = pd.DataFrame(
        {
            "tier": tier,
            "tier_code": [code[t] for t in tier],
            "segment_cn": [
                "重要价值",
                "一般发展",
                "重要保持",
                None,
                None,
                "重要保持",
                "重要价值",
                "一般发展",
            ],
            "churn_risk": [False, True, False, True, False, True, False, False],
        },
        index=index,
    )
    plan = pd.DataFrame(
        {
            "owner": ["王强", "王强", "李娜", "李娜", "李娜"],
            "status": ["已完成", "待跟进", "待跟进", "已取消", "待跟进"],
            "due": pd.to_datetime(
                ["2026-06-01", "2026-06-10", "2026-06-30", "2026-06-01", "2026-07-15"]
            ),
            "done_date": [pd.Timestamp("2026-06-02"), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        }
    )
    previous = pd.Series(
        ["潜力", "低价值", "潜力", None, "低价值", "高价值", "潜力", "低价值"], index=index
    )
    return customers, tiers, plan, previous


def test_kpis_equal_an_independent_count(frames: Frames) -> None:
    customers, tiers, plan, previous = frames
    problems = [Problem("S", 3, "手机", "1", "bad", kind="invalid_mobile")] * 2 + [
        Problem("S", 4, "邮箱", "x", "bad", kind="invalid_email")
    ]
    messages = pd.DataFrame({"channel": ["短信", "短信", "邮件"]})
    kpis = compute_kpis(
        customers, tiers, problems=kind_counts(problems), plan=plan, messages=messages,
        previous_tiers=previous, as_of=AS_OF,
    )  # fmt: skip
    assert kpis.customers == 8
    assert kpis.revenue == pytest.approx(2380.0)
    assert list(kpis.per_tier.index) == ["高价值", "潜力", "低价值"]  # A → D
    assert kpis.per_tier.loc["高价值", "revenue"] == pytest.approx(1600.0)
    assert kpis.per_tier.loc["低价值", "customers"] == 4
    assert kpis.per_tier["revenue_share"].sum() == pytest.approx(1.0)
    # Pareto: largest segment first, cumulative share ends at 100 %.
    assert kpis.per_segment.index[0] == "重要价值"
    assert kpis.per_segment["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert kpis.per_segment["customers"].sum() == 8  # unsegmented customers are counted too
    assert kpis.churn_customers == 3
    assert kpis.revenue_at_risk == pytest.approx(50 + 10 + 300)
    assert kpis.repurchase_rate == pytest.approx(4 / 7)
    # Previous 潜力: rows 2, 4, 8 → now 高价值, 潜力, 高价值: two moved up.
    assert (kpis.potential_before, kpis.potential_upgraded) == (3, 2)
    assert kpis.migration.loc["潜力", "高价值"] == 2
    assert kpis.migration.loc["新", "低价值"] == 1
    wang, li = kpis.followups.loc["王强"], kpis.followups.loc["李娜"]
    assert (wang["due"], wang["done"], wang["overdue"]) == (2, 1, 1)
    assert (li["due"], li["done"], li["overdue"]) == (1, 0, 0)  # cancelled and future ones left out
    assert kpis.completion == pytest.approx(1 / 3)
    assert kpis.messages.to_dict() == {"短信": 2, "邮件": 1}
    assert kpis.problems.to_dict() == {"invalid_email": 1, "invalid_mobile": 2}


def test_history_keeps_every_earlier_row_exactly(frames: Frames) -> None:
    customers, tiers, plan, previous = frames
    kpis = compute_kpis(customers, tiers, plan=plan, previous_tiers=previous, as_of=AS_OF)
    old: list[list[CellValue]] = [
        ["运行时间 Run at", "基准日 As of", "客户数 Customers", "staff note"],
        [dt.datetime(2026, 5, 1, 9, 30), dt.datetime(2026, 5, 1), 7, "kept as typed"],
        [None, None, None, None],
    ]
    sheet = history_sheet(old, history_row(kpis, AS_OF, dt.datetime(2026, 6, 30, 8, 0)))
    header = list(sheet.rows[0])
    assert header[:4] == old[0]  # old headers in place, new ones appended
    assert "客户数·高价值" in header
    assert sheet.rows[1][:4] == old[1]
    assert len(sheet.rows) == 3  # the blank line is dropped, one row added
    new = dict(zip(header, sheet.rows[2], strict=True))
    assert new["客户数 Customers"] == 8
    assert new["staff note"] is None
    assert new["客户数·低价值"] == 4


def test_dashboard_tables_and_charts_agree_with_the_kpis(frames: Frames) -> None:
    customers, tiers, plan, previous = frames
    kpis = compute_kpis(customers, tiers, plan=plan, previous_tiers=previous, as_of=AS_OF)
    history = history_sheet(None, history_row(kpis, AS_OF, dt.datetime(2026, 6, 30)))
    sheet = dashboard_sheet(kpis, history.rows, "zh")
    assert sheet.name == DASHBOARD_SHEET
    assert AS_OF in sheet.rows[1]
    doughnut = next(c for c in sheet.charts if c.kind == "doughnut")
    first, last = (int(part[1:]) for part in doughnut.categories.split(":"))
    labels = [sheet.rows[r - 1][0] for r in range(first, last + 1)]
    counts = [sheet.rows[r - 1][1] for r in range(first, last + 1)]
    assert labels == list(kpis.per_tier.index)
    assert counts == list(kpis.per_tier["customers"])
    trend = next(c for c in sheet.charts if c.kind == "line")
    assert trend.data_sheet == HISTORY_SHEET
    assert {s.name for s in trend.series} == set(kpis.per_tier.index)


def test_html_report_is_self_contained(frames: Frames, tmp_path: Path) -> None:
    customers, tiers, plan, previous = frames
    tiers = tiers.assign(segment_cn=tiers["segment_cn"].fillna("<script>alert(1)</script>"))
    kpis = compute_kpis(customers, tiers, plan=plan, previous_tiers=previous, as_of=AS_OF)
    history = history_sheet(None, history_row(kpis, AS_OF, dt.datetime(2026, 6, 30)))
    page = html_report(kpis, history.rows, tmp_path / "r.html").read_text(encoding="utf-8")
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 4
    for chart in charts:
        ET.fromstring(chart)  # each inline chart is well-formed SVG
    assert "Tier migration" in page and "Data problems per kind" in page and "王强" in page
    assert "<script" not in page  # customer-supplied text is escaped
    assert "src=" not in page and "href=" not in page and "@import" not in page
    assert "高价值" in page and "2026-06-30" in page


@pytest.fixture(scope="module")
def run_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "book.xlsx"
    write_demo(path, customers=300, seed=3)
    run_job("run", FileBook(path))
    return path


def test_run_writes_the_dashboard_and_history_then_report_appends(run_book: Path) -> None:
    book = FileBook(run_book)
    assert {DASHBOARD_SHEET, HISTORY_SHEET} <= set(book.sheet_names())
    first = book.read_grid(HISTORY_SHEET)
    assert len(first) == 2
    run_job("report", FileBook(run_book))
    again = FileBook(run_book).read_grid(HISTORY_SHEET)
    assert len(again) == 3
    assert again[1] == first[1]  # history is never rewritten
    dashboard = FileBook(run_book).read_grid(DASHBOARD_SHEET)
    cell = dashboard[4][0]
    assert isinstance(cell, int | float)
    customers = int(cell)
    assert customers == len(FileBook(run_book).read_customers().frame)


@pytest.mark.libreoffice
def test_libreoffice_draws_the_dashboard_charts(run_book: Path, tmp_path: Path) -> None:
    """The dashboard alone, converted to PDF by LibreOffice: its chart colours are on the pages."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: run tools/setup-libreoffice.sh")
    source = FileBook(run_book)
    path = tmp_path / "dashboard.xlsx"
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet("x")
    workbook.close()
    writer = PackageWriter(path)
    from sheetcrm.jobs import JobOptions, Run

    run = Run(source, JobOptions())
    kpis = compute_kpis(
        run.table.frame, run.tiers, plan=run.touches, previous_tiers=run.previous_tiers,
        as_of=run.as_of,
    )  # fmt: skip
    history = history_sheet(
        source.read_grid(HISTORY_SHEET), history_row(kpis, run.as_of, dt.datetime.now())
    )
    writer.write_sheet(dashboard_sheet(kpis, history.rows, "zh"))
    writer.write_sheet(history)
    writer.save()
    (pdf,) = convert([path], "pdf", tmp_path / "pdf")
    subprocess.run(["pdftoppm", "-r", "30", str(pdf), str(tmp_path / "page")], check=True)
    palette = {(0x44, 0x72, 0xC4), (0xED, 0x7D, 0x31), (0xA5, 0xA5, 0xA5), (0xFF, 0xC0, 0x00)}
    seen: dict[tuple[int, int, int], int] = dict.fromkeys(palette, 0)
    for page in sorted(tmp_path.glob("page*.ppm")):
        pixels = _ppm(page).reshape(-1, 3)
        for colour in palette:
            seen[colour] += int(np.all(np.abs(pixels - colour) <= 6, axis=1).sum())
    # Bars and doughnut slices in all four series colours, each a visible area.
    assert all(count > 50 for count in seen.values()), seen


def _ppm(path: Path) -> np.ndarray:
    """The pixels of a binary (P6) PPM file, as a height × width × 3 array."""
    data = path.read_bytes()
    fields: list[bytes] = []
    offset = 0
    while len(fields) < 4:
        while data[offset : offset + 1].isspace():
            offset += 1
        end = offset
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[offset:end])
        offset = end
    assert fields[0] == b"P6" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return (
        np.frombuffer(data, np.uint8, width * height * 3, offset + 1)
        .reshape(height, width, 3)
        .astype(int)
    )


@pytest.fixture(scope="module")
def engine_and_dashboard(
    tmp_path_factory: pytest.TempPathFactory,
) -> EngineAndDashboard:
    """A demo book's customer frame and tiers (the engine, before the run) and its dashboard."""
    path = tmp_path_factory.mktemp("fresh") / "book.xlsx"
    write_demo(path, customers=300, seed=5)
    from sheetcrm.jobs import JobOptions, Run

    before = Run(FileBook(path), JobOptions())
    frame, tiers = before.table.frame, before.tiers
    run_job("run", FileBook(path))
    return frame, tiers, FileBook(path).read_grid(DASHBOARD_SHEET), path


def test_dashboard_figures_equal_an_independent_count_of_the_engine_results(
    engine_and_dashboard: EngineAndDashboard,
) -> None:
    """Tiles and the tier table recounted in plain Python from the tiering engine's output."""
    frame, tiers, dashboard, _ = engine_and_dashboard
    amount = [0.0 if math.isnan(v) else float(v) for v in frame["amount"].astype(float)]
    orders = [0.0 if math.isnan(v) else float(v) for v in frame["orders"].astype(float)]
    churn = [bool(v) for v in tiers["churn_risk"]]
    expected: dict[str, list[float]] = {}
    for tier, money in zip(tiers["tier"], amount, strict=True):
        counts = expected.setdefault(str(tier), [0, 0.0])
        counts[0] += 1
        counts[1] += money

    tiles = dict(zip(dashboard[3], dashboard[4], strict=False))
    assert tiles["客户数"] == len(tiers)
    assert tiles["累计金额"] == pytest.approx(sum(amount))
    assert tiles["流失预警客户"] == sum(churn)
    assert tiles["风险金额"] == pytest.approx(
        sum(m for m, c in zip(amount, churn, strict=True) if c)
    )
    repeat, bought = sum(o >= 2 for o in orders), sum(o >= 1 for o in orders)
    assert tiles["复购率"] == pytest.approx(repeat / bought)
    start = next(i for i, line in enumerate(dashboard) if line[0] == "各等级客户与金额") + 2
    shown = {}
    for line in dashboard[start:]:
        if line[0] is None:
            break
        shown[line[0]] = [line[1], line[2]]
    assert shown.keys() == expected.keys()
    for tier, (count, revenue) in expected.items():
        assert shown[tier][0] == count
        assert shown[tier][1] == pytest.approx(revenue)


def test_written_tier_column_agrees_with_the_dashboard(
    engine_and_dashboard: EngineAndDashboard,
) -> None:
    _, tiers, _, path = engine_and_dashboard
    table = FileBook(path).read_customers()
    grid = FileBook(path).read_grid(table.sheet)
    column = list(grid[table.header_row - 1]).index("客户等级")
    written = {r: grid[r - 1][column] for r in tiers.index}
    assert written == {r: str(t) for r, t in tiers["tier"].items()}


def test_charts_leave_every_filled_cell_of_the_dashboard_visible(frames: Frames) -> None:
    customers, tiers, plan, previous = frames
    kpis = compute_kpis(customers, tiers, plan=plan, previous_tiers=previous, as_of=AS_OF)
    history = history_sheet(None, history_row(kpis, AS_OF, dt.datetime(2026, 6, 30)))
    history = history_sheet(history.rows, history_row(kpis, AS_OF, dt.datetime(2026, 7, 1)))
    sheet = dashboard_sheet(kpis, history.rows, "en")
    assert len(sheet.charts) == 5
    covered: set[tuple[int, int]] = set()
    for chart in sheet.charts:
        letters = "".join(ch for ch in chart.anchor if ch.isalpha())
        row, col = int(chart.anchor[len(letters) :]) - 1, column_number(letters) - 1
        area = {
            (r, c)
            for r in range(row, row + chart.height_cells)
            for c in range(col, col + chart.width_cells)
        }
        assert not area & covered, f"{chart.title} overlaps another chart"
        covered |= area
    filled = {
        (r, c) for r, line in enumerate(sheet.rows) for c, v in enumerate(line) if v is not None
    }
    assert filled and not filled & covered


def test_follow_ups_without_an_owner_are_counted_as_unassigned(frames: Frames) -> None:
    customers, tiers, _, _ = frames
    plan = pd.DataFrame(
        {
            "owner": ["王强", "", None],
            "status": ["待跟进", "已完成", "待跟进"],
            "due": pd.to_datetime(["2026-06-01", "2026-06-02", "2026-06-03"]),
            "done_date": [pd.NaT, pd.Timestamp("2026-06-02"), pd.NaT],
        }
    )
    with use_lang("zh"):
        kpis = compute_kpis(customers, tiers, plan=plan, as_of=AS_OF)
    assert kpis.followups.to_dict("index") == {
        "王强": {"done": 0, "overdue": 1, "due": 1, "completion": 0.0},
        "未分配": {"done": 1, "overdue": 1, "due": 2, "completion": 0.5},
    }
