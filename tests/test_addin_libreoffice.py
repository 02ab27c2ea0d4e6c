"""LibreOffice opens the built add-in (as .xlam and as an .xlsm copy) and lists its Basic modules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from libreoffice import uno_python
from sheetcrm.addin.build import build_addin, read_vba_modules

pytestmark = pytest.mark.libreoffice

SCRIPT = Path(__file__).with_name("addin_uno_basic.py")
# LibreOffice's own header lines on an imported VBA module.
_LO_HEADER = ("Rem Attribute VBA_ModuleType=", "Option VBASupport ", "Option ClassModule")


def _code_lines(text: str) -> list[str]:
    return [
        line
        for line in text.replace("\r\n", "\n").split("\n")
        if line.strip() and not line.startswith(("Attribute ", *_LO_HEADER))
    ]


def test_libreoffice_lists_every_module_with_its_code(tmp_path: Path) -> None:
    uno = uno_python()
    if not uno["pythonpath"] or shutil.which("soffice") is None:
        pytest.skip("python3-uno or soffice not installed")
    addin = build_addin(tmp_path / "sheetcrm.xlam")
    copy = tmp_path / "sheetcrm-copy.xlsm"
    shutil.copyfile(addin, copy)
    env = {**os.environ, "PYTHONPATH": uno["pythonpath"]}
    result = subprocess.run(
        [uno["python"], str(SCRIPT), str(addin), str(copy)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    seen = json.loads(result.stdout)
    modules, _ = read_vba_modules(zipfile.ZipFile(addin).read("xl/vbaProject.bin"))
    for path in (addin, copy):
        book = seen[str(path)]
        assert book["sheets"] == ["sheetcrm.conf"]
        assert set(book["modules"]) == {m.name for m in modules}
        for module in modules:
            assert _code_lines(book["modules"][module.name]) == _code_lines(module.source), (
                module.name
            )
