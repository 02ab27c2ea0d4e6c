"""The built add-in: its VBA equals the sources, and ribbon, VBA and Python agree with each other."""

from __future__ import annotations

import importlib
import inspect
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from oletools.olevba import VBA_Parser

from sheetcrm.addin.build import (
    CUSTOM_UI,
    MACROS,
    addin_modules,
    build_addin,
    read_vba_modules,
    xlwings_template,
)
from sheetcrm.addin.wrappers import UDF_MODULE, udf_module_source, vba_name, vba_text
from sheetcrm.errors import UsageError
from sheetcrm.excel.buttons import BUTTONS
from sheetcrm.excel.udfs import udf_functions

UI = "{http://schemas.microsoft.com/office/2006/01/customui}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin") / "sheetcrm.xlam")


@pytest.fixture(scope="module")
def vba(addin: Path) -> dict[str, str]:
    """Module name → source text, as oletools extracts it from the built add-in."""
    macros = VBA_Parser(str(addin)).extract_macros()
    return {name.rsplit(".", 1)[0]: code.replace("\r\n", "\n") for _, _, name, code in macros}


def _procedures(source: str) -> set[str]:
    return set(re.findall(r"^(?:Public |Private )?(?:Sub|Function) (\w+)\(", source, re.M))


def test_build_is_deterministic(addin: Path, tmp_path: Path) -> None:
    assert build_addin(tmp_path / "again.xlam").read_bytes() == addin.read_bytes()


def test_every_module_extracted_by_oletools_equals_its_source(vba: dict[str, str]) -> None:
    template = zipfile.ZipFile(xlwings_template()).read("xl/vbaProject.bin")
    expected = addin_modules(read_vba_modules(template)[0], udf_functions())
    assert {m.name: m.source for m in expected} == vba
    assert {
        "xlwings",
        "Dictionary",
        "ThisWorkbook",
        "Sheet2",
        "SheetCRM_Ribbon",
        "SheetCRM_UDFs",
    } == set(vba)
    for path in (p for p in MACROS.iterdir() if p.name.endswith(".bas")):
        name = re.match(r'Attribute VB_Name = "(\w+)"', path.read_text(encoding="ascii"))
        assert name and vba[name.group(1)] == path.read_text(encoding="ascii")


def test_module_kinds_survive_a_read_back(addin: Path) -> None:
    modules, references = read_vba_modules(zipfile.ZipFile(addin).read("xl/vbaProject.bin"))
    kinds = {m.name: m.kind for m in modules}
    assert kinds["ThisWorkbook"] == kinds["Sheet2"] == "document"
    assert kinds["Dictionary"] == "class"
    assert kinds["xlwings"] == kinds["SheetCRM_UDFs"] == "standard"
    assert any(payload == b"Office" for _, payload in references)  # IRibbonControl lives there


def test_package_is_an_add_in_with_our_ribbon(addin: Path) -> None:
    package = zipfile.ZipFile(addin)
    types = ElementTree.fromstring(package.read("[Content_Types].xml"))
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{CT}Override")}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    rels = ElementTree.fromstring(package.read("_rels/.rels"))
    targets = {r.get("Type", "").rsplit("/", 2)[-2:][0]: r.get("Target") for r in rels}
    assert targets["ui"] == "customUI/customUI.xml"
    assert package.read("customUI/customUI.xml") == CUSTOM_UI.read_bytes()
    assert package.namelist()[0] == "[Content_Types].xml"
    assert 'name="sheetcrm.conf"' in package.read("xl/workbook.xml").decode()
    sheet = package.read("xl/worksheets/sheet1.xml").decode()
    strings = re.findall(r"<t>([^<]*)</t>", package.read("xl/sharedStrings.xml").decode())
    cells = [strings[int(v)] for v in re.findall(r'<c r="[AB]\d+" t="s"><v>(\d+)</v>', sheet)]
    assert cells == ["UDF Modules", UDF_MODULE]


def test_xlwings_reads_the_sheetcrm_config(vba: dict[str, str]) -> None:
    assert 'Public Const PROJECT_NAME As String = "sheetcrm"' in vba["xlwings"]


def test_every_ribbon_action_exists_in_the_vba(vba: dict[str, str]) -> None:
    ui = ElementTree.fromstring(CUSTOM_UI.read_bytes())
    actions = {action for e in ui.iter() if (action := e.get("onAction"))}
    assert actions
    for action in actions:
        module, _, procedure = action.partition(".")
        assert procedure in _procedures(vba[module]), action


def test_ribbon_buttons_are_the_python_buttons_with_bilingual_tips() -> None:
    buttons = list(ElementTree.fromstring(CUSTOM_UI.read_bytes()).iter(f"{UI}button"))
    assert {b.get("id") for b in buttons} == set(BUTTONS)
    for button in buttons:
        assert button.get("imageMso")
        tip = button.get("supertip", "")
        assert re.search(r"[\u4e00-\u9fff]", tip) and re.search(r"[A-Za-z]{4}", tip)


def test_every_run_python_target_imports(vba: dict[str, str]) -> None:
    commands = [c for source in vba.values() for c in re.findall(r'RunPython "([^"]+)"', source)]
    ours = [c for c in commands if "sheetcrm" in c]
    assert ours
    for command in ours:
        statement, _, call = command.partition(";")
        namespace: dict[str, Any] = {}
        exec(statement, namespace)
        assert callable(namespace[call.strip().split("(")[0]])


def test_every_python_udf_has_a_wrapper_with_the_same_arguments(vba: dict[str, str]) -> None:
    wrappers = dict(re.findall(r"^Function (CRM_\w+)\(([^)]*)\)", vba["SheetCRM_UDFs"], re.M))
    functions = udf_functions()
    assert set(wrappers) == set(functions)
    udfs = importlib.import_module(UDF_MODULE)
    for name, func in functions.items():
        params = inspect.signature(func).parameters.values()
        expected = [
            ("Optional " if p.default is not p.empty else "") + vba_name(p.name) for p in params
        ]
        assert wrappers[name].split(", ") == expected if expected else wrappers[name] == ""
        assert f'XLPy.CallUDF("{UDF_MODULE}", "{name}", ' in vba["SheetCRM_UDFs"]
        assert getattr(udfs, name) is func


def test_workbook_open_registers_the_descriptions(vba: dict[str, str]) -> None:
    assert "SheetCRM_UDFs.RegisterFunctions" in vba["ThisWorkbook"]
    assert "RegisterFunctions" in _procedures(vba["SheetCRM_UDFs"])
    assert "CrmText" in _procedures(vba["SheetCRM_Ribbon"])


def _sample(date: Any, text: Any, kind: Any = "m", end: Any = None) -> Any:
    """客户分级 – the tier of one customer."""
    return date


def _star(*values: Any) -> Any:
    """Not supported."""
    return values


def test_wrapper_generator_on_a_small_module() -> None:
    source = udf_module_source({"CRM_SAMPLE": _sample})
    assert "Function CRM_SAMPLE(date_, text, Optional kind, Optional end_)" in source
    assert "Array(date_, text, kind, end_)" in source
    hexed = re.search(r'Description:=CrmText\("([0-9A-F]+)"\)', source)
    assert hexed and bytes.fromhex(hexed.group(1)).decode("utf-16-be") == _sample.__doc__
    assert source.isascii()
    with pytest.raises(UsageError, match="values"):
        udf_module_source({"CRM_STAR": _star})


def test_vba_text_quotes_ascii_and_spells_other_text_as_code_units() -> None:
    assert vba_text('say "hi"') == '"say ""hi"""'
    assert vba_text("客户😀") == 'CrmText("5BA26237D83DDE00")'
