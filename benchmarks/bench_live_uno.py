"""The LibreOffice door against the file door, as ratios to baselines measured here.

Run: .venv/bin/python benchmarks/bench_live_uno.py [--customers 2000]
Baselines: the same step through FileBook (calamine + package writer) on a copy of the
same demo workbook. Needs soffice and python3-uno.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sheetcrm.book.file import FileBook
from sheetcrm.book.live_uno import UnoBook
from sheetcrm.book.uno_session import OfficeSession
from sheetcrm.demo import CUSTOMER_SHEET, write_demo
from sheetcrm.jobs import JobOptions, run_job

AS_OF = dt.date(2026, 6, 1)


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _file_job(path: Path, job: str) -> None:
    """Run one job through a FileBook opened here (opening is part of the step timed)."""
    run_job(job, FileBook(path, backup=False), JobOptions(as_of=AS_OF))


def main() -> None:
    """Print read, per-job and start-up figures of UnoBook against FileBook."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    customers = parser.parse_args().customers
    with tempfile.TemporaryDirectory() as tmp:
        demo, copy = Path(tmp, "demo.xlsx"), Path(tmp, "cli.xlsx")
        write_demo(demo, customers=customers)
        shutil.copyfile(demo, copy)
        file_read = _timed(lambda: FileBook(copy).read_grid(CUSTOMER_SHEET))
        file_jobs = {
            job: _timed(partial(_file_job, copy, job))
            for job in ("check", "tier", "plan", "messages", "report")
        }
        started = time.perf_counter()
        with OfficeSession() as office:
            start_up = time.perf_counter() - started
            doc = office.load(demo)
            book = UnoBook(doc, output=Path(tmp, "uno.xlsx"))
            uno_read = _timed(lambda: book.read_grid(CUSTOMER_SHEET))
            uno_jobs = {
                job: _timed(partial(run_job, job, book, JobOptions(as_of=AS_OF)))
                for job in file_jobs
            }
            doc.close(True)
    print(f"demo workbook, {customers} customers; UnoBook time as a multiple of FileBook's")
    print(f"read customer sheet: {uno_read / file_read:.1f}x ({file_read * 1000:.0f} ms baseline)")
    for job, base in file_jobs.items():
        print(f"job {job}: {uno_jobs[job] / base:.1f}x")
    total = sum(file_jobs.values())
    print(
        f"all five jobs: {sum(uno_jobs.values()) / total:.1f}x; soffice start: {start_up / total:.1f}x"
    )


if __name__ == "__main__":
    main()
