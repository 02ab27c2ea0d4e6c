"""Kill ``sheetcrm run`` at seeded random moments: the workbook is always whole.

After each kill the workbook is the one before that run or a complete new file
(python-calamine reads every sheet), the first backup is the original, and the
next run leaves no temporary file or lock behind.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import sheetcrm

ROWS = 20_000
KILLS = 20
SEED = 19
SRC = Path(sheetcrm.__file__).resolve().parents[1]


def _write_book(path: Path, rows: int, seed: int) -> None:
    """A plain customer list of rows customers."""
    rnd = random.Random(seed)
    with xlsxwriter.Workbook(path, {"constant_memory": True}) as wb:
        sheet = wb.add_worksheet("客户名单")
        dates = wb.add_format({"num_format": "yyyy-mm-dd"})
        headers = ["客户编号", "客户名称", "手机", "城市", "负责人", "首次购买日期"]
        headers += ["最近购买日期", "购买次数", "累计金额", "满意度"]
        sheet.write_row(0, 0, headers)
        for row in range(1, rows + 1):
            first = dt.date(2023, 1, 1) + dt.timedelta(days=rnd.randrange(900))
            last = first + dt.timedelta(days=rnd.randrange(400))
            sheet.write_string(row, 0, f"C{row:06d}")
            sheet.write_string(row, 1, f"客户{row:06d}贸易有限公司")
            sheet.write_string(row, 2, f"13{rnd.randrange(10**8, 10**9)}")
            sheet.write_string(row, 3, rnd.choice(["北京", "上海", "深圳", "杭州"]))
            sheet.write_string(row, 4, rnd.choice(["赵敏", "钱伟", "孙丽", "李强"]))
            sheet.write_datetime(row, 5, dt.datetime.combine(first, dt.time()), dates)
            sheet.write_datetime(row, 6, dt.datetime.combine(last, dt.time()), dates)
            sheet.write_number(row, 7, rnd.randrange(1, 30))
            sheet.write_number(row, 8, round(rnd.uniform(100, 90_000), 2))
            sheet.write_number(row, 9, rnd.randrange(1, 6))


def _start(book: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    argv = [sys.executable, "-m", "sheetcrm", "run", book.name, "--as-of", "2026-11-20"]
    argv += ["--lang", "en"]
    return subprocess.Popen(
        argv, cwd=book.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _stages(book: Path) -> list[tuple[str, float]]:
    """A whole run's progress: each step's line prefix ('' for the start) and how long it took."""
    started = time.monotonic()
    run = _start(book)
    assert run.stderr is not None
    marks = [("", started)]
    for line in run.stderr:
        if line.startswith("["):
            marks.append((line.split("]")[0] + "]", time.monotonic()))
    assert run.wait() in (0, 1)
    ends = [at for _, at in marks[1:]] + [time.monotonic()]
    return [(mark, end - at) for (mark, at), end in zip(marks, ends, strict=True)]


def _kill_during(book: Path, mark: str, after: float) -> None:
    """Start a run, wait for its progress line mark, then kill it after that many seconds."""
    run = _start(book)
    assert run.stderr is not None
    if mark:
        for line in run.stderr:
            if line.startswith(mark):
                break
    time.sleep(after)
    run.kill()
    run.wait()
    run.stderr.close()


def _kills(folder: Path, seed: int, kills: int) -> dict[str, int]:
    """Kill runs on folder's workbook at seeded moments spread over every step of a run."""
    book = folder / "客户名单.xlsx"
    _write_book(book, ROWS, seed)
    original = book.read_bytes()
    stages = _stages(book)  # also the first run, which makes the first backup
    first_backup = folder / ".sheetcrm-backups" / "客户名单.first.xlsx"
    assert first_backup.read_bytes() == original
    rnd = random.Random(seed)
    outcomes = {"kept": 0, "replaced": 0, "temp left": 0}
    for kill in range(kills):
        mark, length = stages[kill % len(stages)]  # every step, the saving included
        before = book.read_bytes()
        _kill_during(book, mark, rnd.random() * length)
        if book.read_bytes() == before:
            outcomes["kept"] += 1
        else:
            assert _opens(book), f"kill {kill} in {mark!r}: the workbook is not whole"
            outcomes["replaced"] += 1
        outcomes["temp left"] += any(n.startswith(".~sheetcrm-") for n in _litter(folder))
        assert first_backup.read_bytes() == original
    last = _start(book)
    assert last.wait() in (0, 1)
    assert last.stderr is not None
    last.stderr.close()
    assert _opens(book) and first_backup.read_bytes() == original
    assert _litter(folder) == []
    return outcomes


def _opens(path: Path) -> bool:
    """True when python-calamine reads every sheet of the file."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        for name in workbook.sheet_names:
            workbook.get_sheet_by_name(name).to_python()
    except Exception:
        return False
    return True


def _litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".~", "~$")))


def test_killed_runs_leave_the_original_or_a_whole_new_file(tmp_path: Path) -> None:
    started = time.monotonic()
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    # Two workbooks side by side, half the kills each: the runs mostly wait on files and imports.
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(_kills, folders, [SEED, SEED + 1], [KILLS // 2] * 2))
    outcomes = {key: sum(d[key] for d in done) for key in done[0]}
    print(f"{KILLS} kills on {ROWS}-row books in {time.monotonic() - started:.0f} s: {outcomes}")
    assert outcomes["kept"] and outcomes["replaced"]  # the moments reached both sides of saving


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
