"""The public API is small and deliberate: adding to it is a decision, so it is pinned here."""

from __future__ import annotations

import sheetcrm

PUBLIC = {
    "BGNBDFit",
    "Book",
    "CustomerTable",
    "Problem",
    "ResultColumn",
    "FileBook",
    "InputError",
    "JobOptions",
    "JobReport",
    "MissingColumnError",
    "SettingsError",
    "SheetCRMError",
    "TemplateError",
    "UsageError",
    "WorkCalendar",
    "WorkbookError",
    "__version__",
    "build_plan",
    "compose_messages",
    "expected_purchases",
    "fit_bgnbd",
    "p_alive",
    "run_job",
    "sms_length",
    "tier_customers",
}


def test_all_is_pinned() -> None:
    assert set(sheetcrm.__all__) == PUBLIC


def test_everything_in_all_exists_and_is_documented() -> None:
    for name in sheetcrm.__all__:
        value = getattr(sheetcrm, name)
        if callable(value):
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_type_checkers_see_each_public_name_where_it_is_loaded_from() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(sheetcrm))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    seen = {
        alias.name: (node.module or "")
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == sheetcrm._HOMES


def test_cli_version_matches_package() -> None:
    from importlib.metadata import version

    assert version("sheetcrm") == sheetcrm.__version__


def test_the_facade_loads_each_part_when_first_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sheetcrm; before = set(sys.modules); sheetcrm.run_job; "
        "print('sheetcrm.jobs' in before, 'sheetcrm.jobs' in sys.modules, sheetcrm.UsageError)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[:2] == ["False", "True"]
    assert set(dir(sheetcrm)) >= set(sheetcrm.__all__)
