"""The exception tree: one root, messages that name the place."""

from __future__ import annotations

import pickle

import pytest

import sheetcrm
from sheetcrm.errors import (
    InputError,
    MissingColumnError,
    SettingsError,
    SheetCRMError,
    TemplateError,
    UsageError,
    WorkbookError,
)


def test_every_error_is_a_sheetcrm_error() -> None:
    """Every exception class sheetcrm defines is under the one root, but private control-flow
    signals that never leave their module (a leading underscore)."""
    import importlib
    import inspect
    import pkgutil

    found = {}
    for info in pkgutil.walk_packages(sheetcrm.__path__, "sheetcrm."):
        if info.name in ("sheetcrm.__main__", "sheetcrm._background"):
            continue  # running them starts the command line or a worker
        module = importlib.import_module(info.name)
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found[f"{info.name}.{name}"] = value
    public = {
        name: cls for name, cls in found.items() if not name.rsplit(".", 1)[1].startswith("_")
    }
    assert "sheetcrm.errors.UnoCallError" in public
    outside = [name for name, cls in public.items() if not issubclass(cls, SheetCRMError)]
    assert not outside, outside


def test_input_error_names_sheet_row_column() -> None:
    error = MissingColumnError("add a 手机 column", sheet="客户名单", row=12, column="手机")
    assert isinstance(error, InputError)
    assert str(error) == "sheet '客户名单', row 12, column '手机': add a 手机 column"


def test_settings_and_template_errors_name_where() -> None:
    assert "cell C7" in str(SettingsError("bad", sheet="s", cell="C7"))
    error = TemplateError("unknown field", template="welcome", field="vip")
    assert error.template == "welcome" and "welcome" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        InputError("text in a number column", sheet="客户", row=7, column="金额"),
        MissingColumnError("no amount column", sheet="客户"),
        SettingsError("not a number", sheet="sheetcrm 设置", cell="B4"),
        TemplateError("unknown field", template="welcome", field="nmae"),
        UsageError("no such job"),
        WorkbookError("the file is open in Excel"),
    ],
)
def test_errors_pickle_with_their_fields(error: SheetCRMError) -> None:
    """A worker process sends its errors back pickled: they must arrive as they left."""
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)
