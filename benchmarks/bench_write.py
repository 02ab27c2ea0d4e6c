"""The preserving writer against openpyxl on a big customer sheet.

Usage: .venv/bin/python benchmarks/bench_write.py [--rows 100000]

Builds a rows × 17 workbook with XlsxWriter, then times (a) PackageWriter
writing 12 result columns and saving, (b) openpyxl load + save of the same
file (the baseline), and prints both and the ratio ours/openpyxl, plus the
peak Python memory of (a) measured in a separate traced run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl
import xlsxwriter

from sheetcrm.book.base import ResultColumn
from sheetcrm.book.xlsx_write import PackageWriter

COLUMNS = 17
RESULTS = 12


def build(path: Path, rows: int) -> list[str]:
    """A customer sheet of rows × 17 mixed values; its headers."""
    headers = [f"字段{i}" for i in range(COLUMNS)]
    with xlsxwriter.Workbook(path, {"constant_memory": True}) as wb:
        ws = wb.add_worksheet("客户")
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, headers)
        start = dt.date(2020, 1, 1)
        for r in range(1, rows + 1):
            ws.write_row(r, 0, [r, f"客户{r}", f"138{r:08d}", "上海", r * 1.5, r % 7])
            ws.write_datetime(
                r, 6, dt.datetime.combine(start + dt.timedelta(days=r % 1000), dt.time()), date
            )
            ws.write_row(r, 7, [f"备注{r % 13}", r % 3, "是", r * 2, "A", 3.25, "x", "y", r, "z"])
    return headers


def ours(path: Path, rows: int, headers: list[str]) -> float:
    results = [
        ResultColumn(f"结果{i}", [f"T{r % 4}" if i % 2 else r * 0.5 for r in range(rows)])
        for i in range(RESULTS)
    ]
    start = time.perf_counter()
    writer = PackageWriter(path)
    writer.write_columns("客户", 1, 1, rows + 1, None, headers, results)
    writer.save(path.with_name("ours.xlsx"))
    return time.perf_counter() - start


def baseline(path: Path) -> float:
    start = time.perf_counter()
    wb = openpyxl.load_workbook(path)
    wb.save(path.with_name("openpyxl.xlsx"))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "big.xlsx")
        headers = build(path, args.rows)
        size = path.stat().st_size / 2**20
        mine = ours(path, args.rows, headers)
        tracemalloc.start()  # a second run for memory: tracing slows allocation several times
        ours(path, args.rows, headers)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        theirs = baseline(path)
        print(
            f"workbook: {args.rows:,} rows × {COLUMNS} columns, {size:.1f} MiB; +{RESULTS} columns"
        )
        print(
            f"PackageWriter write_columns + save: {mine:.2f} s (peak Python memory {peak:.0f} MiB)"
        )
        print(f"openpyxl load + save (baseline):     {theirs:.2f} s")
        print(f"ratio ours/openpyxl: {mine / theirs:.3f}")


if __name__ == "__main__":
    main()
