"""`sheetcrm check` end to end against openpyxl load + save of the same workbook.

Usage: .venv/bin/python benchmarks/bench_check.py [--rows 100000] [--full]
       [--names current prefix people companies english] [--shared-strings] [--baseline-once]

For each name distribution (`sheetcrm.demo.write_big_customers`' ``names``; the file written
with a shared-strings table as Excel saves it with --shared-strings, else inline strings),
prints seconds (wall and CPU, as the machine may be shared) and the ratio ours/openpyxl
measured on the same file in the same run (the goal is ≤ 0.2; with --baseline-once, on the
first distribution's file only: its cell count is the others', and on a loaded machine it
takes minutes). With --full it also runs a full sheet (1,048,575 customers) of each and
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

from sheetcrm.demo import BIG_NAMES, write_big_customers


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
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped above; keeps Popen from waiting again
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: the check found problems
        raise SystemExit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(code)}")
    elapsed = time.perf_counter() - start
    return _Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _check(path: Path, out: Path) -> _Run:
    return _timed_subprocess(
        [sys.executable, "-m", "sheetcrm", "check", str(path), "--output", str(out)]
    )


def _openpyxl(path: Path, out: Path) -> _Run:
    code = "import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1]); wb.save(sys.argv[2])"
    return _timed_subprocess([sys.executable, "-c", code, str(path), str(out)])


def _measure(
    folder: Path, rows: int, names: str, shared_strings: bool, theirs: _Run | None
) -> _Run:
    """Check one generated file and load + save it with openpyxl unless ``theirs`` is given;
    print both and the ratio; return openpyxl's figures."""
    book = folder / f"customers-{names}.xlsx"
    start = time.perf_counter()
    write_big_customers(book, rows, names=names, shared_strings=shared_strings)
    strings = "shared strings" if shared_strings else "inline strings"
    print(f"[{names}, {strings}] built {rows:,} customers in {time.perf_counter() - start:.1f}s")
    ours = _check(book, folder / "checked.xlsx")
    measured = theirs is None
    theirs = _openpyxl(book, folder / "openpyxl.xlsx") if theirs is None else theirs
    print(f"sheetcrm check (end to end): {ours.wall:6.2f}s  (CPU {ours.cpu:6.2f}s)")
    print(
        f"openpyxl load + save:        {theirs.wall:6.2f}s  (CPU {theirs.cpu:6.2f}s)"
        + ("" if measured else "  (the first file's)")
    )
    print(
        f"ratio ours/openpyxl:         {ours.wall / theirs.wall:6.3f}  "
        f"(CPU {ours.cpu / theirs.cpu:.3f}; goal ≤ 0.2)"
    )
    book.unlink()
    return theirs


def _full(folder: Path, names: str, shared_strings: bool) -> None:
    """Check a full sheet; print time and peak memory."""
    full = folder / "full.xlsx"
    write_big_customers(full, 1_048_575, names=names, shared_strings=shared_strings)
    run = _check(full, folder / "full-checked.xlsx")
    print(
        f"[{names}] full sheet 1,048,575 customers: check {run.wall:.1f}s (CPU {run.cpu:.1f}s), "
        f"peak memory {run.peak:,.0f} MiB"
    )
    full.unlink()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="also run 1,048,575 customers")
    parser.add_argument("--names", nargs="+", choices=BIG_NAMES, default=["current"])
    parser.add_argument("--shared-strings", action="store_true", help="text as Excel saves it")
    parser.add_argument("--baseline-once", action="store_true", help="openpyxl on one file")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (the machine may be shared)")
    folder = Path(tempfile.mkdtemp(prefix="sheetcrm-bench-"))
    try:
        theirs = None
        for names in args.names:
            baseline = _measure(folder, args.rows, names, args.shared_strings, theirs)
            theirs = baseline if args.baseline_once else None
            if args.full:
                _full(folder, names, args.shared_strings)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
