"""Packaging: shipped files found through importlib.resources, no symlinks, dependency ranges,
sheetcrm without its speed-ups, and the one cell-typing step done with public pandas API."""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from packaging.requirements import Requirement

from sheetcrm.addin.build import CUSTOM_UI, MACROS
from sheetcrm.book.base import CellError
from sheetcrm.excel.buttons import GUIDE
from sheetcrm.package_data import CHECKOUT, package_data
from sheetcrm.table.grid_rows import inferred_column

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_the_checkout_is_found_and_its_top_level_folders_are_the_sources() -> None:
    assert CHECKOUT == ROOT
    assert Path(str(package_data("templates"))) == ROOT / "templates"
    assert Path(str(MACROS)) == ROOT / "macros"
    assert Path(str(CUSTOM_UI)) == ROOT / "xl_addin" / "customUI.xml"
    assert Path(str(GUIDE)) == ROOT / "docs" / "excel-addin.md"


@pytest.mark.parametrize(
    "name", ["xl_addin/customUI.xml", "macros", "templates/index.toml", "docs/excel-addin.md"]
)
def test_every_shipped_file_is_copied_into_the_wheel_by_setup_py(name: str) -> None:
    setup = ast.parse((ROOT / "setup.py").read_text("utf-8"))
    shipped = next(
        ast.literal_eval(node.value)
        for node in setup.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "SHIPPED"
    )
    assert any(name == s or name.startswith(s + "/") for s in shipped)
    resource = package_data(name)
    assert resource.is_file() or any(p.name.endswith(".bas") for p in resource.iterdir())


def test_an_installed_package_reads_its_own_copy(tmp_path: Path) -> None:
    # A wheel's layout: the shipped files inside the package, no checkout around it.
    package = tmp_path / "sheetcrm"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "package_data.py").write_bytes((ROOT / "src/sheetcrm/package_data.py").read_bytes())
    (package / "macros").mkdir()
    (package / "macros" / "A.bas").write_text('Attribute VB_Name = "A"\n')
    script = (
        "from sheetcrm.package_data import CHECKOUT, package_data;"
        "print(CHECKOUT, str(package_data('macros')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["None", str(package / "macros")]


def test_git_holds_no_symlinks() -> None:
    listing = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert [line for line in listing.splitlines() if line.startswith("120000")] == []


def test_dependencies_are_ranges_except_xlwings_and_the_lint_tools() -> None:
    project = PYPROJECT["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    requirements += [Requirement(r) for r in project["optional-dependencies"]["fast"]]
    exact = {r.name for r in requirements if any(s.operator == "==" for s in r.specifier)}
    assert exact == {"xlwings"}  # its DLL's name is in the add-in's VBA
    assert not {"isal", "fastexcel", "pyarrow"} & {
        r.name for r in map(Requirement, project["dependencies"])
    }
    pandas = next(r for r in requirements if r.name == "pandas")
    assert all(v in pandas.specifier for v in ("2.2.3", "2.3.3", "3.0.6", "3.1.1"))
    assert "4.0" not in pandas.specifier
    build = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert not any(s.operator == "==" for r in build for s in r.specifier)


def test_the_ci_constraints_pin_every_dependency() -> None:
    pinned = {
        Requirement(line).name.lower()
        for line in (ROOT / "constraints/ci.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    }
    project = PYPROJECT["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["fast"]
    assert {Requirement(r).name.lower() for r in wanted} <= pinned


def _big_sheet(path: Path) -> Path:
    """3,000 rows of one kind per column: read in parts, by fastexcel when it is installed."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("大表")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["编号", "名称", "日期", "金额"])
    for r in range(1, 3000):
        sheet.write(r, 0, f"C{r:05d}")
        sheet.write(r, 1, "客户" + str(r % 13))
        sheet.write_datetime(r, 2, dt.datetime(2024, 1, 1) + dt.timedelta(days=r % 400), dates)
        sheet.write_number(r, 3, r * 1.25)
    book.close()
    return path


# Reads the big sheet in parts and deflates a big part, with or without the speed-ups.
_SCRIPT = """
import sys, zlib
if sys.argv[2] == "without":  # as if sheetcrm[fast] were not installed
    for name in ("isal", "isal.isal_zlib", "fastexcel", "pyarrow"):
        sys.modules[name] = None
from pathlib import Path
from sheetcrm.book import package, sheetstream, xlsx_read
from sheetcrm.tuning import Tuning
tuning = Tuning(parts_from=1000, piece=4096)
values = xlsx_read.XlsxReader(Path(sys.argv[1]), tuning).read_array("大表")
data = b"".join(b'<row r="%d"><c><v>%d</v></c></row>' % (i, i * 7) for i in range(400_000))
deflated = package.deflate_stream([data], size_hint=len(data), tuning=tuning)
assert zlib.decompress(b"".join(deflated.chunks(2**20)), -15) == data
assert deflated.crc == zlib.crc32(data)
print(sheetstream.codec.__name__, sys.modules.get("fastexcel") is not None)
print(repr(values.tolist()))
"""


def test_without_the_speed_ups_zlib_and_calamine_read_the_same_values(tmp_path: Path) -> None:
    path = _big_sheet(tmp_path / "big.xlsx")
    runs = {}
    for mode in ("with", "without"):
        out = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(path), mode],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n", 1)
        runs[mode] = out
    assert runs["with"][0] == "isal.isal_zlib True"
    assert runs["without"][0] == "zlib False"
    assert runs["with"][1] == runs["without"][1]
    assert runs["with"][1].count("datetime.date(") == 2999


# Every kind of value a cell gives, and numpy's scalars.
_CELLS = {
    "none": None,
    "nan": float("nan"),
    "int": 3,
    "negative": -7,
    "2**53": 2**53,
    "float": 2.5,
    "inf": float("inf"),
    "bool": True,
    "np.bool_": np.bool_(False),
    "text": "a",
    "date": dt.date(2024, 1, 2),
    "datetime": dt.datetime(2024, 1, 2, 3),
    "time": dt.time(1),
    "timedelta": dt.timedelta(1),
    "np.int64": np.int64(4),
    "np.float64": np.float64(1.5),
    "error": CellError("#N/A"),
}


@pytest.mark.parametrize("length", [1, 2, 3])
def test_cells_are_typed_as_pandas_types_a_list_of_them(length: int) -> None:
    # The oracle is pandas' own (private) step that inferred_column replaces.
    lib = pytest.importorskip("pandas._libs.lib")
    for combo in itertools.product(_CELLS.values(), repeat=length):
        cells = np.empty(length, dtype=object)
        cells[:] = list(combo)
        expected = lib.maybe_convert_objects(cells.copy())
        got = inferred_column(cells)
        assert got.dtype == expected.dtype, combo
        assert pd.Series(got).equals(pd.Series(expected)), combo
    assert inferred_column(np.empty(0, dtype=object)).dtype == np.float64
