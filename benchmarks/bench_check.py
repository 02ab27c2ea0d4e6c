"""`sheetcrm check` end to end against openpyxl load + save of the same workbook.

Usage: .venv/bin/python benchmarks/bench_check.py [--rows 100000] [--full]

Prints seconds (wall and CPU, as the machine may be shared) and the ratio ours/openpyxl
(the goal is ≤ 0.2). With --full it also runs a full sheet (1,048,575 customers) and
prints time and peak memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sheetcrm.demo import write_big_customers


@dataclass(frozen=True)
class _Run:
    """What one child process took: wall seconds, CPU seconds and peak memory (MiB)."""

    wall: float
    cpu: float
    peak: float


def _timed_subprocess(code: list[str]) -> _Run:
    """Run a child and measure it alone (its own rusage, not the maximum over all children)."""
    start = time.perf_counter()
    child = subprocess.Popen(code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped above; keeps Popen from waiting again
    elapsed = time.perf_counter() - start
    return _Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _check(path: Path, out: Path) -> _Run:
    return _timed_subprocess(
        [sys.executable, "-m", "sheetcrm", "check", str(path), "--output", str(out)]
    )


def _openpyxl(path: Path, out: Path) -> _Run:
    code = "import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1]); wb.save(sys.argv[2])"
    return _timed_subprocess([sys.executable, "-c", code, str(path), str(out)])


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="also run 1,048,575 customers")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sheetcrm-bench-"))
    try:
        book = folder / "customers.xlsx"
        start = time.perf_counter()
        write_big_customers(book, args.rows)
        print(f"built {args.rows:,} customers in {time.perf_counter() - start:.1f}s")
        ours = _check(book, folder / "checked.xlsx")
        theirs = _openpyxl(book, folder / "openpyxl.xlsx")
        print(f"sheetcrm check (end to end): {ours.wall:6.2f}s  (CPU {ours.cpu:6.2f}s)")
        print(f"openpyxl load + save:        {theirs.wall:6.2f}s  (CPU {theirs.cpu:6.2f}s)")
        print(
            f"ratio ours/openpyxl:         {ours.wall / theirs.wall:6.3f}  "
            f"(CPU {ours.cpu / theirs.cpu:.3f}; goal ≤ 0.2)"
        )
        if args.full:
            full = folder / "full.xlsx"
            write_big_customers(full, 1_048_575)
            run = _check(full, folder / "full-checked.xlsx")
            print(
                f"full sheet 1,048,575 customers: check {run.wall:.1f}s (CPU {run.cpu:.1f}s), "
                f"peak memory {run.peak:,.0f} MiB"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
