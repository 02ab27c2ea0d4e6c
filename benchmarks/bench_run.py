"""`sheetcrm run` (check → tier → plan → messages → report) end to end: time, memory, steps.

Usage: .venv/bin/python benchmarks/bench_run.py [--rows 100000] [--full] [--rerun]
       [--names current prefix people companies english] [--shared-strings]

Each name distribution given (`sheetcrm.demo.write_big_customers`' ``names``) is run in
turn; with --shared-strings the files hold their text in a shared-strings table, as Excel
saves them, else inline.

Each run happens in a fresh child process, so the peak memory printed is that
run's alone: on Linux, the most the run and its worker processes held at once
(resident memory summed over the process tree, sampled from outside every
0.1 s; shared library pages count once per process, so it errs high), else
the run's own peak. The baseline, measured in the same run on the same file, is
openpyxl `load_workbook` + `save` (what a typical script would do to touch the
workbook at all). With --full it also runs a full sheet (1,048,575 customers);
the goal there is ≤ 60 s and ≤ 4 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sheetcrm.demo import BIG_NAMES, write_big_customers

# The child runs the job with a progress hook that stamps the start of each step.
_CHILD = """
import json, sys, time
from sheetcrm.book.file import FileBook
from sheetcrm.jobs import JobOptions, run_job
from sheetcrm.i18n import set_lang
set_lang("en")
marks = [("start", time.perf_counter())]
options = JobOptions(progress=lambda step: marks.append((step, time.perf_counter())))
report = run_job("run", FileBook(sys.argv[1], output=sys.argv[2], backup=False), options)
marks.append(("end", time.perf_counter()))
steps = [(a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:])]
print(json.dumps({"steps": steps, "lines": report.lines}))
"""


def _tree_rss(pid: int) -> dict[int, int]:
    """Resident KiB of a process and of each of its descendants now (what /proc tells)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        own = next((int(line.split()[1]) for line in status if line.startswith("VmRSS")), 0)
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (OSError, ValueError):
        return {}
    found = {pid: own}
    # A child is listed under the thread that started it while that thread lives, not under
    # the process: sheetcrm's workers are started by a thread of their own.
    for task in tasks:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            for kid in (task / "children").read_text().split():
                found.update(_tree_rss(int(kid)))
    return found


def _child(args: list[str]) -> tuple[float, str, float]:
    """Wall seconds, stdout and peak memory (MiB; the process tree's where /proc tells)."""
    before = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, text=True)
        peak, seen = 0, set()
        while process.poll() is None:
            now = _tree_rss(process.pid)
            # A process counts from its second look: between fork and exec a new worker shows
            # its parent's pages as its own for a few milliseconds.
            peak = max(
                peak, sum(kib for pid, kib in now.items() if pid in seen or pid == process.pid)
            )
            seen = set(now)
            time.sleep(0.1)
        seconds = time.perf_counter() - before
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"child failed ({process.returncode}): {err.read()[-2000:]}")
        # Where /proc did not tell: the largest child's own peak (this is its only child).
        own = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return seconds, out.read(), peak / 1024 if peak else own


def _run(book: Path, output: Path, label: str) -> float:
    """One `sheetcrm run` in a child process, its figures printed; the wall seconds."""
    seconds, out, peak = _child(["-c", _CHILD, str(book), str(output)])
    result = json.loads(out)
    print(f"{label}: {seconds:.1f}s wall (with interpreter start), peak memory {peak:,.0f} MiB")
    for step, took in result["steps"]:
        print(f"    {step:<32} {took:6.2f}s")
    return seconds


def _measure(
    rows: int, folder: Path, baseline: bool, names: str, shared_strings: bool, rerun: bool
) -> float:
    book = folder / f"customers-{rows}.xlsx"
    start = time.perf_counter()
    write_big_customers(book, rows, names=names, shared_strings=shared_strings)
    strings = "shared strings" if shared_strings else "inline strings"
    print(f"[{names}, {strings}] built {rows:,} customers in {time.perf_counter() - start:.1f}s")
    output = folder / f"run-{rows}.xlsx"
    seconds = _run(book, output, f"sheetcrm run, {rows:,} customers")
    if rerun:  # what staff do every day: run again on the workbook the last run wrote
        _run(output, folder / f"rerun-{rows}.xlsx", f"sheetcrm run again on its output, {rows:,}")
    if baseline:
        code = "import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1]); wb.save(sys.argv[2])"
        theirs, _, _ = _child(["-c", code, str(book), str(folder / "openpyxl.xlsx")])
        print(f"openpyxl load + save of the same file: {theirs:.1f}s")
        print(f"ratio run/openpyxl: {seconds / theirs:.3f}")
    return seconds


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--full", action="store_true", help="also run 1,048,575 customers")
    parser.add_argument("--rerun", action="store_true", help="also run again on each output")
    parser.add_argument("--names", nargs="+", choices=BIG_NAMES, default=["current"])
    parser.add_argument("--shared-strings", action="store_true", help="text as Excel saves it")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (the machine may be shared)")
    for names in args.names:
        with tempfile.TemporaryDirectory(prefix="sheetcrm-bench-") as name:
            small = _measure(
                args.rows, Path(name), True, names, args.shared_strings, rerun=args.rerun
            )
            if args.full:
                # openpyxl would take many minutes on a full sheet; the scaling is the figure.
                full = _measure(
                    1_048_575, Path(name), False, names, args.shared_strings, rerun=args.rerun
                )
                print(
                    f"ratio full/{args.rows:,} rows: {full / small:.2f} "
                    f"(rows ×{1_048_575 / args.rows:.2f})"
                )


if __name__ == "__main__":
    main()
