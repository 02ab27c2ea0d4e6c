"""Headless LibreOffice for tests: convert workbooks, find UNO.

Every call gets its own throw-away profile: two soffice runs sharing a
profile make the second exit 0 having written nothing. The profile sets
OOXMLRecalcMode to 0 (always recalculate), so converted files show values
LibreOffice computed, not the cached ones stored in the workbook.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sheetcrm.book.uno_session import PROFILE_XCU

__all__ = ["CHUNK", "CSV_FILTER", "convert", "csv_sheets", "soffice", "uno_python"]

CHUNK = 100  # files per soffice call

# UTF-8, comma-separated, "-quoted, formulas as results, every sheet to its own file.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def soffice() -> str | None:
    """The soffice executable, None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def uno_python() -> dict[str, str]:
    """How to run Python with UNO: the system interpreter and the PYTHONPATH it needs."""
    folders = [
        p
        for p in ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")
        if Path(p, "uno.py").exists()
    ]
    return {
        "python": shutil.which("python3") or "/usr/bin/python3",
        "pythonpath": os.pathsep.join(folders),
    }


def _outputs(source: Path, fmt: str, outdir: Path) -> list[Path]:
    extension = fmt.split(":", 1)[0]
    if fmt == CSV_FILTER or (fmt.startswith("csv:") and fmt.endswith(",-1")):
        # One file per sheet: <stem>-<sheet name>.csv
        return sorted(outdir.glob(f"{_glob_escape(source.stem)}-*.{extension}"))
    single = outdir / f"{source.stem}.{extension}"
    return [single] if single.exists() else []


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _run(executable: str, paths: Sequence[Path], fmt: str, outdir: Path, timeout: float) -> str:
    """One soffice call with a fresh profile; its console output."""
    with tempfile.TemporaryDirectory(prefix="sheetcrm-lo-") as profile:
        user = Path(profile, "user")
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(PROFILE_XCU, encoding="utf-8")
        process = subprocess.Popen(
            [
                executable,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--convert-to",
                fmt,
                "--outdir",
                str(outdir),
                *(str(path) for path in paths),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a hung call is ended with its children
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            return (
                f"timed out after {timeout} s on {[Path(p).name for p in paths]}: {stdout[-1500:]}"
            )
    return f"exit {process.returncode}: {stdout[-1500:]} {stderr[-1500:]}"


def convert(
    paths: Sequence[Path],
    fmt: str,
    outdir: Path,
    *,
    strict: bool = True,
    jobs: int = 1,
    timeout: float = 300,
) -> list[Path]:
    """Convert workbooks with as few soffice calls as work; the files written (csv: one per sheet).

    ``fmt`` is what ``--convert-to`` takes ("xlsx", "csv", "pdf", or :data:`CSV_FILTER`).
    Inputs need distinct file names (outputs are named after them). Calls take
    at most :data:`CHUNK` files (one soffice call silently stops after about
    245), ``jobs`` of them at a time; a call still running after ``timeout``
    seconds is killed. With ``strict``, an input without output fails with
    soffice's own console output.
    """
    executable = soffice()
    if executable is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: run tools/setup-libreoffice.sh")
    outdir.mkdir(parents=True, exist_ok=True)
    chunks = [list(paths[i : i + CHUNK]) for i in range(0, len(paths), CHUNK)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        logs = list(pool.map(lambda chunk: _run(executable, chunk, fmt, outdir, timeout), chunks))
    written: list[Path] = []
    missing = []
    for path in paths:
        outputs = _outputs(Path(path), fmt, outdir)
        written.extend(outputs)
        if not outputs:
            missing.append(Path(path).name)
    if strict and missing:
        raise AssertionError(
            f"LibreOffice converted nothing for {missing[:10]}; {' | '.join(logs)[-3000:]}"
        )
    return written


def csv_sheets(path: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as LibreOffice computes and shows it, by sheet name."""
    import csv

    sheets = {}
    for output in convert([path], CSV_FILTER, outdir):
        name = output.stem[len(path.stem) + 1 :]
        with output.open(encoding="utf-8", newline="") as handle:
            sheets[name] = list(csv.reader(handle))
    return sheets
