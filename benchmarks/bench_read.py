"""Reading and checking 100,000 customers against openpyxl merely loading the same file.

Usage: .venv/bin/python benchmarks/bench_read.py [--rows 100000]

Prints seconds for XlsxReader.read_customers, check_customers and openpyxl
load_workbook, and the ratios against openpyxl measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import openpyxl

from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.check import check_customers
from sheetcrm.demo import write_big_customers


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sheetcrm-bench-read-"))
    try:
        book = folder / "customers.xlsx"
        start = time.perf_counter()
        write_big_customers(book, args.rows)
        print(f"wrote {args.rows:,} customers in {time.perf_counter() - start:.1f}s")
        start = time.perf_counter()
        table = XlsxReader(book).read_customers()
        read = time.perf_counter() - start
        start = time.perf_counter()
        result = check_customers(table)
        checked = time.perf_counter() - start
        start = time.perf_counter()
        openpyxl.load_workbook(book)
        baseline = time.perf_counter() - start
        print(f"read_customers:          {read:6.2f}s")
        print(f"check_customers:         {checked:6.2f}s  ({len(result.problems):,} problems)")
        print(f"openpyxl load_workbook:  {baseline:6.2f}s")
        print(f"ratio read/openpyxl:       {read / baseline:6.3f}")
        print(f"ratio check/openpyxl:      {checked / baseline:6.3f}")
        print(f"ratio (read+check)/openpyxl: {(read + checked) / baseline:6.3f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
