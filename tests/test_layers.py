"""The import direction docs/DESIGN.md promises: read → engine → write, doors outside.

The engine (data check, tiering, schedule, messages, report, contact rules) takes and returns
frames: it never imports a spreadsheet library, a book implementation, a sheet layout or a
door. The sheet layouts (``sheetcrm.sheets``) may use the engine and the book's data types,
never a door. Checked on the source text, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sheetcrm

SRC = Path(sheetcrm.__file__).parent

ENGINE = ("check", "tiering", "schedule", "messages", "report", "contacts", "channels", "values")
SPREADSHEET_LIBRARIES = (
    "xlwings",
    "openpyxl",
    "python_calamine",
    "fastexcel",
    "lxml",
    "uno",
    "xlsxwriter",
)
DOORS = ("sheetcrm.cli", "sheetcrm.jobs", "sheetcrm.excel", "sheetcrm.addin", "sheetcrm.book.")
# The book's data types (CustomerTable, Problem, CellValue, SheetSpec…) are the contract every
# layer shares; only the implementations are off limits.
SHARED_TYPES = "sheetcrm.book.base"


def _modules(package: str) -> list[Path]:
    path = SRC / package
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, absolute, including lazy imports inside functions."""
    name = ".".join(("sheetcrm", *path.relative_to(SRC).with_suffix("").parts))
    return _imported(
        path.read_text(encoding="utf-8"), name.removesuffix(".__init__"), path.name == "__init__.py"
    )


def _imported(source: str, module: str, is_package: bool) -> set[str]:
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def _forbidden(module: str, prefixes: tuple[str, ...]) -> bool:
    if module == SHARED_TYPES or module.startswith(SHARED_TYPES + "."):
        return False
    # "x." stands for what is below x (the book's package itself holds nothing); "x" for x too.
    return any(
        module.startswith(p) if p.endswith(".") else module == p or module.startswith(p + ".")
        for p in prefixes
    )


@pytest.mark.parametrize("package", ENGINE)
def test_the_engine_never_imports_a_door_a_sheet_layout_or_a_spreadsheet_library(
    package: str,
) -> None:
    if not _modules(package)[0].exists():
        pytest.skip(f"sheetcrm.{package} is not a module here")
    off_limits = (*DOORS, "sheetcrm.sheets", *SPREADSHEET_LIBRARIES)
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in _modules(package)
        for module in _imports(path)
        if _forbidden(module, off_limits)
    }
    assert not wrong, sorted(wrong)


def test_sheet_layouts_never_import_a_door() -> None:
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in _modules("sheets")
        for module in _imports(path)
        if _forbidden(module, (*DOORS, *SPREADSHEET_LIBRARIES))
    }
    assert not wrong, sorted(wrong)


def test_the_checker_sees_lazy_and_relative_imports() -> None:
    """The check can fail: planted lazy and relative imports of a door are found."""
    source = "def f():\n    from ..book import xlsx_write\n    import lxml.etree\n"
    found = _imported(source, "sheetcrm.check.planted", is_package=False)
    assert {"sheetcrm.book.xlsx_write", "lxml.etree"} <= found
    off_limits = (*DOORS, *SPREADSHEET_LIBRARIES)
    assert [m for m in sorted(found) if _forbidden(m, off_limits)] == [
        "lxml.etree",
        "sheetcrm.book.xlsx_write",
    ]
    assert not _forbidden("sheetcrm.book.base", off_limits)
