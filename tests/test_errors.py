"""The exception tree: one root, messages that name the place."""

from __future__ import annotations

import sheetcrm
from sheetcrm.errors import InputError, MissingColumnError, SettingsError, TemplateError


def test_every_error_is_a_sheetcrm_error() -> None:
    for name in (
        "InputError",
        "MissingColumnError",
        "SettingsError",
        "TemplateError",
        "UsageError",
        "WorkbookError",
    ):
        assert issubclass(getattr(sheetcrm, name), sheetcrm.SheetCRMError)


def test_input_error_names_sheet_row_column() -> None:
    error = MissingColumnError("add a 手机 column", sheet="客户名单", row=12, column="手机")
    assert isinstance(error, InputError)
    assert str(error) == "sheet '客户名单', row 12, column '手机': add a 手机 column"


def test_settings_and_template_errors_name_where() -> None:
    assert "cell C7" in str(SettingsError("bad", sheet="s", cell="C7"))
    error = TemplateError("unknown field", template="welcome", field="vip")
    assert error.template == "welcome" and "welcome" in str(error)
