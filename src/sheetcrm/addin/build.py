"""Assemble the Excel add-in ``sheetcrm.xlam`` from text sources, on any OS.

The package and xlwings' own VBA modules come from the ``quickstart_addin_ribbon.xlam``
inside the installed xlwings (never copied into this repository); the ribbon
(``xl_addin/customUI.xml``), our VBA (``macros/*.bas``) and the worksheet-function
wrappers (generated from the Python UDFs) replace its sample parts, and a new
``vbaProject.bin`` is written by :mod:`sheetcrm.addin.ovba` and :mod:`sheetcrm.addin.cfb`.
Same inputs give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import olefile

from ..errors import UsageError, WorkbookError
from ..i18n import tr
from ..package_data import CHECKOUT, package_data
from .cfb import write_cfb
from .ovba import Module, ModuleKind, decompress, project_streams, read_records, reference_records
from .wrappers import UDF_MODULE, VBA_MODULE, udf_module_source

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_OUTPUT",
    "addin_modules",
    "build_addin",
    "read_vba_modules",
    "xlwings_template",
]

# Beside its sources in a checkout; installed from a wheel, in the folder the command runs in.
DEFAULT_OUTPUT = CHECKOUT / "xl_addin" / "sheetcrm.xlam" if CHECKOUT else Path("sheetcrm.xlam")
CUSTOM_UI = package_data("xl_addin/customUI.xml")
MACROS = package_data("macros")

# xlwings' PROJECT_NAME: the add-in reads the sheet "sheetcrm.conf" and the file
# %USERPROFILE%\.sheetcrm\sheetcrm.conf (written by `sheetcrm addin install`).
CONFIG_NAME = "sheetcrm"
_VBA_PROJECT_NAME = "SheetCRMAddin"  # differs from every module name, as VBA requires
_PROJECT_ID = "{6B1D5F0E-3C2A-4E7B-9A41-5E43A2C0F1D7}"  # fixed: builds are repeatable
_DROPPED = {"RibbonMyAddin"}  # xlwings' sample ribbon callback, replaced by SheetCRM_Ribbon
_SAMPLE_CONF_SHEET = "_myaddin.conf"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_OPEN_HOOK = "\nPrivate Sub Workbook_Open()\n    SheetCRM_UDFs.RegisterFunctions\nEnd Sub\n"


def xlwings_template() -> Path:
    """The ribbon add-in xlwings ships (``xlwings quickstart NAME --addin --ribbon`` copies it)."""
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    if not path.is_file():
        raise WorkbookError(
            tr(
                f"找不到 xlwings 自带的加载项模板 {path}：请安装 xlwings 0.37.8",
                f"xlwings' add-in template {path} is missing: install xlwings 0.37.8",
            )
        )
    return path


def read_vba_modules(vba_project: bytes) -> tuple[list[Module], list[tuple[int, bytes]]]:
    """The modules (with source) and the REFERENCE records of a vbaProject.bin."""
    ole = olefile.OleFileIO(io.BytesIO(vba_project))
    project_text = ole.openstream("PROJECT").read().decode("latin-1")
    documents = set(re.findall(r"^Document=([^/\r\n]+)/", project_text, re.MULTILINE))
    dir_data = decompress(ole.openstream("VBA/dir").read())
    codepage = 1252
    found: list[dict[str, Any]] = []
    for rid, payload in read_records(dir_data):
        if rid == 0x0003:
            codepage = int.from_bytes(payload, "little")
        elif rid == 0x0019:
            found.append({"name": payload.decode(f"cp{codepage}")})
        elif rid == 0x001A:
            found[-1]["stream"] = payload.decode(f"cp{codepage}")
        elif rid == 0x0031:
            found[-1]["offset"] = int.from_bytes(payload, "little")
        elif rid in (0x0021, 0x0022):
            found[-1]["standard"] = rid == 0x0021
    modules = []
    for info in found:
        stream = ole.openstream(f"VBA/{info['stream']}").read()
        text = decompress(stream[info["offset"] :]).decode(f"cp{codepage}")
        kind: ModuleKind = (
            "standard" if info["standard"] else "document" if info["name"] in documents else "class"
        )
        modules.append(Module(info["name"], kind, text.replace("\r\n", "\n")))
    return modules, reference_records(dir_data)


def _bas_name(text: str, path: Traversable) -> str:
    match = re.match(r'Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]*)"', text)
    if not match:
        raise UsageError(
            tr(
                f'{path} 第 1 行应为 Attribute VB_Name = "模块名"',
                f'{path} line 1 must be Attribute VB_Name = "ModuleName"',
            )
        )
    return match.group(1)


def addin_modules(
    template_modules: list[Module],
    functions: Mapping[str, Callable[..., Any]],
    macros: Traversable = MACROS,
) -> list[Module]:
    """xlwings' modules set up for sheetcrm, then ours: macros/*.bas and the UDF wrappers."""
    modules = []
    for module in template_modules:
        if module.name in _DROPPED:
            continue
        source = module.source
        if module.name == "xlwings":
            source, count = re.subn(
                r'^(Public Const PROJECT_NAME As String = )"[^"]*"',
                rf'\1"{CONFIG_NAME}"',
                source,
                flags=re.MULTILINE,
            )
            if count != 1:
                raise WorkbookError(
                    tr(
                        "xlwings 模块中找不到 PROJECT_NAME 常量：请使用 xlwings 0.37.8",
                        "the xlwings module has no PROJECT_NAME constant: use xlwings 0.37.8",
                    )
                )
        elif module.name == "ThisWorkbook":
            source = source.rstrip("\n") + "\n" + _OPEN_HOOK
        modules.append(Module(module.name, module.kind, source))
    for path in sorted((p for p in macros.iterdir() if p.name.endswith(".bas")), key=str):
        text = path.read_text(encoding="ascii")
        modules.append(Module(_bas_name(text, path), "standard", text))
    modules.append(Module(VBA_MODULE, "standard", udf_module_source(functions)))
    return modules


def _config_sheet() -> tuple[bytes, bytes]:
    """The add-in's hidden config sheet and its shared strings: only keys that have values."""
    # An empty key on this sheet would hide the user's config file, so list only set keys.
    pairs = [("UDF Modules", UDF_MODULE)]
    strings = [s for pair in pairs for s in pair]
    sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{2 * (r - 1)}</v></c>'
        f'<c r="B{r}" t="s"><v>{2 * (r - 1) + 1}</v></c></row>'
        for r in range(1, len(pairs) + 1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheet = (
        f'{head}<worksheet xmlns="{main}"><sheetPr codeName="Sheet2"/>'
        f'<dimension ref="A1:B{len(pairs)}"/><sheetViews><sheetView workbookViewId="0"/>'
        '</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>'
        '<col min="1" max="1" width="18" customWidth="1"/>'
        '<col min="2" max="2" width="24" customWidth="1"/></cols>'
        f"<sheetData>{rows}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )
    shared = (
        f'{head}<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>'
    )
    return sheet.encode(), shared.encode()


def build_addin(output: Path | None = None) -> Path:
    """Build the add-in (default :data:`DEFAULT_OUTPUT`) and return its path."""
    from ..excel.udfs import udf_functions

    output = output or DEFAULT_OUTPUT
    with zipfile.ZipFile(xlwings_template()) as template:
        parts = {name: template.read(name) for name in template.namelist()}
    template_modules, references = read_vba_modules(parts["xl/vbaProject.bin"])
    modules = addin_modules(template_modules, udf_functions())
    parts["xl/vbaProject.bin"] = write_cfb(
        project_streams(_PROJECT_ID, _VBA_PROJECT_NAME, modules, references)
    )
    parts["customUI/customUI.xml"] = CUSTOM_UI.read_bytes()
    workbook = parts["xl/workbook.xml"].decode()
    if f'name="{_SAMPLE_CONF_SHEET}"' not in workbook:
        raise WorkbookError(
            tr(
                f"xlwings 模板中找不到配置表 {_SAMPLE_CONF_SHEET}：请使用 xlwings 0.37.8",
                f"xlwings' template has no sheet {_SAMPLE_CONF_SHEET}: use xlwings 0.37.8",
            )
        )
    workbook = workbook.replace(f'name="{_SAMPLE_CONF_SHEET}"', f'name="{CONFIG_NAME}.conf"')
    parts["xl/workbook.xml"] = workbook.encode()
    parts["xl/worksheets/sheet1.xml"], parts["xl/sharedStrings.xml"] = _config_sheet()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        # [Content_Types].xml first, as Office writes it; fixed times and attributes.
        for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            package.writestr(info, parts[name])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(buffer.getvalue())
    return output
