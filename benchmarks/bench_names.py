"""Near-identical-name matching: candidates (`sheetcrm.check.similar_names`) against today's
blocks (`benchmarks/blocked_names.py`, the matcher before), on generated names of each kind (`sheetcrm.demo_names`;
`current`: the names of `sheetcrm.demo.write_big_customers`, the other benchmarks' sheets).

Usage: .venv/bin/python benchmarks/bench_names.py [--rows 100000] [--names prefix people ...]
       [--old-rows 20000] [--timeout 300] [--full] [--recall SAMPLES]

Each case runs in a child process of its own (a timeout stops it) and prints wall seconds,
CPU seconds, peak memory (resident, above what the process held before matching; Linux)
and rows found, then the size and CPU (dump + load) of what a job's worker is sent (the pickled
name keys) and sends back (the result). Today's matcher runs on ``--old-rows`` names (it is
quadratic in a block). With --full, the new matcher alone also runs on 1,048,575 names of each
kind of ``--names``.
With --recall, instead: the share of the rows today's matcher reports that the new one reports
too (the issue's recall), on SAMPLES lists of ``--old-rows`` names per kind (seeds 1, 2, …).
Peak memory is the process's high-water mark reset just before matching (Linux).
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from python_calamine import CalamineWorkbook

from sheetcrm.check.similar_names import NameKeys
from sheetcrm.demo import BIG_NAMES, CUSTOMER_HEADERS, CUSTOMER_SHEET, write_big_customers
from sheetcrm.demo_names import NameSample, sample_names

_FULL = 1_048_575


def _current(rows: int, seed: int) -> NameSample:
    """The name, city and contact columns of a big generated sheet, read back."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "big.xlsx")
        write_big_customers(path, rows, seed)
        cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(CUSTOMER_SHEET)
        table = np.asarray(cells.to_python()[1:], dtype=object)

    def column(header: str) -> np.ndarray:
        return table[:, CUSTOMER_HEADERS.index(header)].astype(str).astype(object)

    return NameSample(column("客户名称"), column("城市"), column("联系人"))


def _keys(kind: str, rows: int, seed: int = 1) -> NameKeys:
    sample = _current(rows, seed) if kind == "current" else sample_names(kind, rows, seed)
    return sample.keys()


def _reset_peak() -> None:
    """Start this process's high-water mark of resident memory afresh (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak() -> float:
    """This process's high-water mark of resident memory, in MiB (Linux)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def _one(matcher: str, kind: str, rows: int) -> None:
    """In the child: generate, then time one matcher and print its figures as JSON."""
    if matcher == "new":
        from sheetcrm.check.similar_names import near_names
    else:
        from blocked_names import near_names
    keys = _keys(kind, rows)
    # The peak while matching, less what the process held before: generating the names (or
    # reading the sheet they come from) may have peaked higher than the matching.
    _reset_peak()
    before = _peak()
    wall, cpu = time.perf_counter(), time.process_time()
    found = near_names(keys)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _peak() - before
    figures = {"wall": wall, "cpu": cpu, "peak": peak, "found": len(found)}
    # What a job's worker process is sent and sends back, pickled: size and CPU both ways.
    for name, value in (("keys", keys), ("result", found)):
        cpu = time.process_time()
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        figures[f"{name}_dump"] = time.process_time() - cpu
        cpu = time.process_time()
        pickle.loads(data)
        figures[f"{name}_load"] = time.process_time() - cpu
        figures[f"{name}_size"] = len(data) / 2**20
    print(json.dumps(figures))


def _recall(kind: str, rows: int, samples: int) -> str:
    """Rows today's matcher reports that the new one reports too, over ``samples`` lists."""
    from blocked_names import near_names as today

    from sheetcrm.check.similar_names import near_names

    both = reported = 0
    for seed in range(1, samples + 1):
        keys = _keys(kind, rows, seed)
        old = set(today(keys).index.tolist())
        both += len(old & set(near_names(keys).index.tolist()))
        reported += len(old)
    share = both / reported if reported else 1.0
    return f"recall {kind:10} {samples} × {rows:,} names: {both:,} of {reported:,} = {share:.4f}"


def _case(matcher: str, kind: str, rows: int, timeout: float) -> str:
    """One case in a child process, as a line of the table."""
    code = [sys.executable, __file__, "--one", matcher, kind, str(rows)]
    try:
        done = subprocess.run(code, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return f"{matcher:4} {kind:10} {rows:>9,}  > {timeout:.0f} s (stopped)"
    figures = json.loads(done.stdout.splitlines()[-1])
    sent = "".join(
        f"  {name} {figures[f'{name}_size']:.0f} MiB, "
        f"{figures[f'{name}_dump']:.2f} + {figures[f'{name}_load']:.2f} s CPU pickled"
        for name in ("keys", "result")
    )
    return (
        f"{matcher:4} {kind:10} {rows:>9,}  {figures['wall']:7.2f} s wall "
        f"{figures['cpu']:7.2f} s CPU {figures['peak']:8.0f} MiB more  {figures['found']:>8,} found"
        f"{sent}"
    )


def main() -> None:
    """Run the cases and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--old-rows", type=int, default=20_000)
    parser.add_argument("--names", nargs="+", choices=BIG_NAMES, default=list(BIG_NAMES))
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--full", action="store_true", help="also 1,048,575 names, new only")
    parser.add_argument("--recall", type=int, metavar="SAMPLES", help="recall vs today's")
    parser.add_argument("--one", nargs=3, metavar=("MATCHER", "KIND", "ROWS"), help="child")
    args = parser.parse_args()
    if args.one:
        _one(args.one[0], args.one[1], int(args.one[2]))
        return
    if args.recall:
        for kind in args.names:
            print(_recall(kind, args.old_rows, args.recall), flush=True)
        return
    for kind in args.names:
        print(_case("new", kind, args.rows, args.timeout), flush=True)
        print(_case("old", kind, args.old_rows, args.timeout), flush=True)
        if args.old_rows != args.rows:
            print(_case("new", kind, args.old_rows, args.timeout), flush=True)
    if args.full:
        for kind in args.names:
            print(_case("new", kind, _FULL, args.timeout), flush=True)


if __name__ == "__main__":
    main()
