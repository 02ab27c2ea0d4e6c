"""Every module imports on its own, as a worker process or a user's script imports it: no import
cycle that only shows when one module is imported first (``import sheetcrm.schedule`` alone).

One interpreter per group of modules, all of sheetcrm forgotten before each import: an import
cycle between our modules shows exactly as in a fresh interpreter, and libraries loaded once
keep the test cheap on a shared machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sheetcrm

SRC = Path(sheetcrm.__file__).parent

# Imports each module named after the package, the package forgotten before each; prints
# "module<TAB>error" for each that fails (an absent optional library is not a failure).
_IMPORT_EACH = """
import importlib, sys
package, names = sys.argv[1], sys.argv[2:]
for name in names:
    for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
        del sys.modules[key]
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and not error.name.startswith(package):
            continue  # an optional library (xlwings, uno) is not installed here
        print(f"{name}\\t{type(error).__name__}: {error}")
    except Exception as error:
        print(f"{name}\\t{type(error).__name__}: {error}")
"""


def _modules(root: Path, package: str) -> dict[str, list[str]]:
    """Module names by group: each subpackage, and the package's own modules ("")."""
    groups: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # running it is its job
        name = ".".join((package, *parts)).removesuffix(".__init__")
        groups.setdefault(parts[0] if len(parts) > 1 else "", []).append(name)
    return groups


def _failures(root: Path, package: str, names: list[str]) -> dict[str, str]:
    """{module: error} for the modules that do not import on their own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root.parent), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, package, *names],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    lines = [line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line]
    return {name: error for name, error in lines}


GROUPS = _modules(SRC, "sheetcrm")


@pytest.mark.parametrize("group", sorted(GROUPS), ids=lambda g: g or "sheetcrm")
def test_every_module_imports_on_its_own(group: str) -> None:
    assert _failures(SRC, "sheetcrm", GROUPS[group]) == {}


def test_every_module_is_checked() -> None:
    names = {name for group in GROUPS.values() for name in group}
    assert {"sheetcrm", "sheetcrm.schedule", "sheetcrm.schedule.cadence", "sheetcrm.jobs"} <= names
    assert len(names) == sum(1 for p in SRC.rglob("*.py") if p.stem != "__main__")


def test_the_check_finds_a_cycle_that_only_one_import_order_hits(tmp_path: Path) -> None:
    """A planted cycle: ``a`` first works (b finds a's name defined), ``b`` first does not."""
    root = tmp_path / "planted"
    (root / "inner").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "inner" / "__init__.py").write_text("")
    (root / "inner" / "a.py").write_text("NAME = 1\nfrom .b import OTHER\n")
    (root / "inner" / "b.py").write_text("from .a import NAME\nOTHER = NAME\n")
    groups = _modules(root, "planted")
    assert groups == {
        "": ["planted"],
        "inner": ["planted.inner", "planted.inner.a", "planted.inner.b"],
    }
    found = _failures(root, "planted", groups["inner"])
    assert list(found) == ["planted.inner.b"] and "ImportError" in found["planted.inner.b"]
