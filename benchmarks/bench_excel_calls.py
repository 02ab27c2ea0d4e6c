"""How many xlwings calls ExcelBook makes for a full ``run``: the goal is a count that does
not grow with the number of customers (each range read and written in one call).

Run: .venv/bin/python benchmarks/bench_excel_calls.py [--customers 2000 100000]
The book is xlwings' own Book/Sheet/Range over the in-memory engine of
tests/xlwings_memory.py, which counts every call from xlwings into the engine (a COM or
AppleScript round trip in Excel).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from sheetcrm.book.live_excel import ExcelBook
from sheetcrm.demo import write_big_customers, write_demo
from sheetcrm.jobs import JobOptions, run_job

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from xlwings_memory import CALLS, book_from_file

AS_OF = dt.date(2026, 6, 1)


def main() -> None:
    """Print the xlwings calls of a full run per number of customers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[2000, 100_000])
    for customers in parser.parse_args().customers:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "book.xlsx")
            if customers <= 12_800:
                write_demo(path, customers=customers, as_of=AS_OF)
            else:
                write_big_customers(path, customers)
            book = ExcelBook(book_from_file(path), platform="win32")  # native calls counted too
            CALLS.clear()
            started = time.perf_counter()
            run_job("run", book, JobOptions(as_of=AS_OF))
            seconds = time.perf_counter() - started
        top = ", ".join(f"{name} {count}" for name, count in CALLS.most_common(6))
        print(
            f"{customers:>7} customers: {sum(CALLS.values())} calls "
            f"({seconds:.1f} s in memory); most: {top}"
        )


if __name__ == "__main__":
    main()
