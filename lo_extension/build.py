"""Build ``sheetcrm.oxt``, the LibreOffice Calc extension: a SheetCRM toolbar and menu.

Usage: ``python lo_extension/build.py [OUT.oxt]`` with the Python that has sheetcrm
installed (its folders are written into the extension, since LibreOffice runs
macros in its own Python). Install the result with Tools → Extension Manager, or
``unopkg add sheetcrm.oxt``. The buttons, their order and their labels are the
Excel ribbon's (``xl_addin/customUI.xml``), so both applications show the same.
"""

from __future__ import annotations

import site
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

__all__ = ["OXT_NAME", "Button", "addons_xcu", "build_oxt", "ribbon_buttons", "script_url"]

HERE = Path(__file__).resolve().parent
RIBBON = HERE.parent / "xl_addin" / "customUI.xml"
OXT_NAME = "sheetcrm.oxt"  # script URLs name the installed package file: keep it fixed
_RIBBON_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
_STATIC = ("description.xml", "META-INF/manifest.xml", "python/sheetcrm_lo.py")
_CALC = "com.sun.star.sheet.SpreadsheetDocument"


@dataclass(frozen=True)
class Button:
    """One toolbar button: the ribbon's id and its Chinese and English labels."""

    id: str
    zh: str
    en: str


def ribbon_buttons(ribbon: Path = RIBBON) -> list[Button]:
    """The Excel ribbon's buttons in order, labels split into Chinese and English."""
    buttons = []
    for element in ElementTree.parse(ribbon).iter(f"{_RIBBON_NS}button"):
        # Ribbon labels read "数据检查 Check data": the Chinese word, then the English.
        zh, _, en = element.get("label", "").partition(" ")
        buttons.append(Button(element.get("id", ""), zh, en or zh))
    return buttons


def script_url(button_id: str) -> str:
    """The macro URL a button runs: ``on_button`` with the button's id as its argument."""
    return (
        f"vnd.sun.star.script:{OXT_NAME}|python|sheetcrm_lo.py$on_button({button_id})"
        "?language=Python&location=user:uno_packages"
    )


def _entry(node: str, button: Button, url: str, extra: str = "") -> str:
    """One toolbar button or menu item (Addons.xcu node)."""
    return (
        f'<node oor:name="{node}" oor:op="replace">'
        f'<prop oor:name="Context" oor:type="xs:string"><value>{_CALC}</value></prop>'
        f'<prop oor:name="URL" oor:type="xs:string"><value>{escape(url)}</value></prop>'
        '<prop oor:name="Title" oor:type="xs:string">'
        f'<value xml:lang="zh-CN">{escape(button.zh)}</value>'
        f'<value xml:lang="en-US">{escape(button.en)}</value><value>{escape(button.en)}</value></prop>'
        f'<prop oor:name="Target" oor:type="xs:string"><value>_self</value></prop>{extra}</node>'
    )


def addons_xcu(buttons: Sequence[Button]) -> str:
    """The configuration that adds the SheetCRM toolbar and menu to Calc."""
    tools = "".join(
        _entry(f"b{i:02d}", b, script_url(b.id)) for i, b in enumerate(buttons, start=1)
    )
    items = "".join(
        _entry(f"m{i:02d}", b, script_url(b.id)) for i, b in enumerate(buttons, start=1)
    )
    title = Button("", "SheetCRM 客户管理", "SheetCRM")
    menu = _entry("org.sheetcrm.menu", title, "", f'<node oor:name="Submenu">{items}</node>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:component-data xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" oor:name="Addons" oor:package="org.openoffice.Office">'
        '<node oor:name="AddonUI">'
        f'<node oor:name="OfficeToolBar"><node oor:name="org.sheetcrm.toolbar" oor:op="replace">{tools}</node></node>'
        f'<node oor:name="OfficeMenuBar">{menu}</node>'
        "</node></oor:component-data>\n"
    )


def _default_paths() -> list[str]:
    """Where this Python finds sheetcrm and its libraries."""
    import sheetcrm

    return [str(Path(sheetcrm.__file__).resolve().parents[1]), *site.getsitepackages()]


def build_oxt(target: Path, python_paths: Sequence[str] | None = None) -> Path:
    """Write the extension to ``target`` (a folder gets ``sheetcrm.oxt``); the file written."""
    target = Path(target)
    if target.is_dir():
        target = target / OXT_NAME
    paths = list(python_paths) if python_paths is not None else _default_paths()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as oxt:
        for name in _STATIC:
            oxt.write(HERE / name, name)
        oxt.writestr("Addons.xcu", addons_xcu(ribbon_buttons()))
        oxt.writestr("python/pythonpath/sheetcrm_lo_paths.py", f"PATHS = {paths!r}\n")
    return target


if __name__ == "__main__":
    print(build_oxt(Path(sys.argv[1] if len(sys.argv) > 1 else OXT_NAME)))
