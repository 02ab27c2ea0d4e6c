"""How long the add-in build and MS-OVBA compression take, as ratios to baselines measured here.

Run: .venv/bin/python benchmarks/bench_addin.py
Baselines: zlib (level 6) on the same VBA text; copying xlwings' template package with zipfile.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from sheetcrm.addin.build import build_addin, read_vba_modules, xlwings_template
from sheetcrm.addin.ovba import compress


def _best(func: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print compression and build figures against their baselines."""
    template = zipfile.ZipFile(xlwings_template()).read("xl/vbaProject.bin")
    modules, _ = read_vba_modules(template)
    text = next(m for m in modules if m.name == "xlwings").source.replace("\n", "\r\n").encode()
    ours, base = _best(lambda: compress(text)), _best(lambda: zlib.compress(text))
    print(
        f"MS-OVBA compress {len(text)} B: {ours / base:.0f}x zlib's time; "
        f"size {len(compress(text)) / len(zlib.compress(text)):.2f}x zlib's"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sheetcrm.xlam"

        def copy() -> None:
            with zipfile.ZipFile(xlwings_template()) as src, zipfile.ZipFile(out, "w") as dst:
                for name in src.namelist():
                    dst.writestr(name, src.read(name))

        build, baseline = _best(lambda: build_addin(out), 3), _best(copy, 3)
        print(f"build_addin: {build / baseline:.0f}x the time of copying the template package")


if __name__ == "__main__":
    main()
