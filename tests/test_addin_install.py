"""Installing the add-in: start-up folder and xlwings config on Windows/macOS, advice elsewhere."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from sheetcrm.addin.install import install_addin
from sheetcrm.errors import UsageError
from sheetcrm.i18n import use_lang


def test_linux_says_excel_on_windows_or_macos_is_needed(tmp_path: Path) -> None:
    with use_lang("en"), pytest.raises(UsageError) as raised:
        install_addin(platform="linux", home=tmp_path)
    message = str(raised.value)
    assert "needs Excel on Windows or macOS" in message and "docs/excel-addin.md" in message
    assert raised.value.exit_code == 2
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("platform", "startup", "conf", "key"),
    [
        (
            "win32",
            "AppData/Roaming/Microsoft/Excel/XLSTART",
            ".sheetcrm/sheetcrm.conf",
            "Interpreter_Win",
        ),
        (
            "darwin",
            "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel",
            "Library/Containers/com.microsoft.Excel/Data/sheetcrm.conf",
            "Interpreter_Mac",
        ),
    ],
)
def test_install_copies_the_add_in_and_writes_the_config(
    platform: str,
    startup: str,
    conf: str,
    key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APPDATA", raising=False)
    addin = tmp_path / "built.xlam"
    addin.write_bytes(b"PK-add-in")
    home = tmp_path / "home"
    message = install_addin(platform=platform, home=home, addin=addin)
    assert (home / startup / "sheetcrm.xlam").read_bytes() == b"PK-add-in"
    lines = (home / conf).read_text(encoding="utf-8").splitlines()
    assert lines[0] == f'"{key}","{sys.executable}"'
    assert (
        lines[1].startswith('"PYTHONPATH",')
        and Path(lines[1].split('","')[1].rstrip('"'), "sheetcrm").is_dir()
    )
    assert str(home / startup / "sheetcrm.xlam") in message


def test_install_without_an_add_in_builds_one_into_the_start_up_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APPDATA", raising=False)
    install_addin(platform="win32", home=tmp_path)
    target = tmp_path / "AppData/Roaming/Microsoft/Excel/XLSTART/sheetcrm.xlam"
    with zipfile.ZipFile(target) as package:
        assert "customUI/customUI.xml" in package.namelist()
