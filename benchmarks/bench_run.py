"""`sheetcrm run` (check → tier → plan → messages → report) end to end: time, memory, steps.

Usage: .venv/bin/python benchmarks/bench_run.py [--rows 100000] [--full] [--rerun]

Each run happens in a fresh child process, so the peak memory printed is that
run's alone. The baseline, measured in the same run on the same file, is
openpyxl `load_workbook` + `save` (what a typical script would do to touch the
workbook at all). With --full it also runs a full sheet (1,048,575 customers);
the goal there is ≤ 60 s and ≤ 4 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sheetcrm.demo import write_big_customers

# The child runs the job with a progress hook that stamps the start of each step.
_CHILD = """
import json, resource, sys, time
from sheetcrm.book.file import FileBook
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.i18n import set_lang
set_lang("en")
marks = [("start", time.perf_counter())]
options = JobOptions(progress=lambda step: marks.append((step, time.perf_counter())))
report = run_job("run", FileBook(sys.argv[1], output=sys.argv[2], backup=False), options)
marks.append(("end", time.perf_counter()))
steps = [(a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:])]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"steps": steps, "peak_mib": peak, "lines": report.lines}))
"""


def _child(args: list[str]) -> tuple[float, str]:
    """Wall seconds and stdout of one child process."""
    before = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - before, done.stdout


def _run(book: Path, output: Path, label: str) -> float:
    """One `sheetcrm run` in a child process, its figures printed; the wall seconds."""
    seconds, out = _child(["-c", _CHILD, str(book), str(output)])
    result = json.loads(out)
    print(
        f"{label}: {seconds:.1f}s wall (with interpreter start), "
        f"peak memory {result['peak_mib']:,.0f} MiB"
    )
    for step, took in result["steps"]:
        print(f"    {step:<32} {took:6.2f}s")
    return seconds


def _measure(rows: int, folder: Path, baseline: bool, rerun: bool = False) -> float:
    book = folder / f"customers-{rows}.xlsx"
    start = time.perf_counter()
    write_big_customers(book, rows)
    print(f"built {rows:,} customers in {time.perf_counter() - start:.1f}s")
    output = folder / f"run-{rows}.xlsx"
    seconds = _run(book, output, f"sheetcrm run, {rows:,} customers")
    if rerun:  # what staff do every day: run again on the workbook the last run wrote
        _run(output, folder / f"rerun-{rows}.xlsx", f"sheetcrm run again on its output, {rows:,}")
    if baseline:
        code = "import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1]); wb.save(sys.argv[2])"
        theirs, _ = _child(["-c", code, str(book), str(folder / "openpyxl.xlsx")])
        print(f"openpyxl load + save of the same file: {theirs:.1f}s")
        print(f"ratio run/openpyxl: {seconds / theirs:.3f}")
    return seconds


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="also run 1,048,575 customers")
    parser.add_argument("--rerun", action="store_true", help="also run again on each output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sheetcrm-bench-") as name:
        small = _measure(args.rows, Path(name), baseline=True, rerun=args.rerun)
        if args.full:
            # openpyxl would take many minutes on a full sheet; the scaling is the figure here.
            full = _measure(1_048_575, Path(name), baseline=False, rerun=args.rerun)
            print(
                f"ratio full/{args.rows:,} rows: {full / small:.2f} (rows ×{1_048_575 / args.rows:.2f})"
            )


if __name__ == "__main__":
    main()
