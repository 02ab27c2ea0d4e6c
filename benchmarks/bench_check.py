"""`sheetcrm check` end to end against openpyxl load + save of the same workbook.

Usage: .venv/bin/python benchmarks/bench_check.py [--rows 100000] [--full]

Prints seconds and the ratio ours/openpyxl (the goal is ≤ 0.2). With --full it
also runs a full sheet (1,048,575 customers) and prints time and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sheetcrm.demo import write_big_customers


def _timed_subprocess(code: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of a child process."""
    start = time.perf_counter()
    subprocess.run(code, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kib / 1024


def _check(path: Path, out: Path) -> tuple[float, float]:
    return _timed_subprocess(
        [sys.executable, "-m", "sheetcrm", "check", str(path), "--output", str(out)]
    )


def _openpyxl(path: Path, out: Path) -> float:
    code = "import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1]); wb.save(sys.argv[2])"
    return _timed_subprocess([sys.executable, "-c", code, str(path), str(out)])[0]


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
        ours, _ = _check(book, folder / "checked.xlsx")
        theirs = _openpyxl(book, folder / "openpyxl.xlsx")
        print(f"sheetcrm check (end to end): {ours:6.2f}s")
        print(f"openpyxl load + save:        {theirs:6.2f}s")
        print(f"ratio ours/openpyxl:         {ours / theirs:6.3f}  (goal ≤ 0.2)")
        if args.full:
            full = folder / "full.xlsx"
            write_big_customers(full, 1_048_575)
            seconds, peak = _check(full, folder / "full-checked.xlsx")
            print(
                f"full sheet 1,048,575 customers: check {seconds:.1f}s, peak memory {peak:,.0f} MiB"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
