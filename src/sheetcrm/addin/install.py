"""Install the add-in where Excel opens it at start-up, with the config pointing at this Python."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..errors import UsageError
from ..i18n import tr
from .build import CONFIG_NAME, build_addin

__all__ = ["install_addin"]

_PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the folder `import sheetcrm` needs


def _places(platform: str, home: Path) -> tuple[Path, Path, str]:
    """(start-up folder, config file, interpreter key) on Windows or macOS."""
    if platform == "win32":
        appdata = Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
        conf = home / f".{CONFIG_NAME}" / f"{CONFIG_NAME}.conf"
        return appdata / "Microsoft" / "Excel" / "XLSTART", conf, "Interpreter_Win"
    office = home / "Library" / "Group Containers" / "UBF8T346G9.Office"
    startup = office / "User Content.localized" / "Startup.localized" / "Excel"
    # Sandboxed Mac Excel reads its config from its own container (xlwings' GetConfigFilePath).
    conf = home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{CONFIG_NAME}.conf"
    return startup, conf, "Interpreter_Mac"


def install_addin(
    *, platform: str | None = None, home: Path | None = None, addin: Path | None = None
) -> str:
    """Put the add-in (``addin``, or one built now) into Excel's start-up folder and write its
    config; what was done, as text. Elsewhere than Windows and macOS: a UsageError."""
    platform = platform or sys.platform
    if platform not in ("win32", "darwin"):
        raise UsageError(
            tr(
                "sheetcrm addin install 需要装有 Excel 的 Windows 或 macOS 电脑，此系统上没有 Excel。"
                "请在那台电脑上：\n"
                "1. 从 python.org 安装 Python，再 py -m pip install sheetcrm-*.whl；\n"
                "2. 运行 sheetcrm addin install；\n"
                "3. 重启 Excel，功能区出现「SheetCRM 客户管理」。详见 docs/excel-addin.md。",
                "sheetcrm addin install needs Excel on Windows or macOS; there is no Excel on this "
                "system. On the PC with Excel:\n"
                "1. install Python from python.org, then py -m pip install sheetcrm-*.whl;\n"
                "2. run sheetcrm addin install;\n"
                "3. restart Excel: the ribbon shows the tab 'SheetCRM 客户管理'. See docs/excel-addin.md.",
            )
        )
    home = home or Path.home()
    startup, conf, interpreter_key = _places(platform, home)
    startup.mkdir(parents=True, exist_ok=True)
    target = startup / "sheetcrm.xlam"
    if addin is None:
        build_addin(target)
    else:
        shutil.copyfile(addin, target)
    conf.parent.mkdir(parents=True, exist_ok=True)
    # xlwings' config file format: one "key","value" pair per line.
    conf.write_text(
        f'"{interpreter_key}","{sys.executable}"\n"PYTHONPATH","{_PACKAGE_PARENT}"\n',
        encoding="utf-8",
    )
    return tr(
        f"已安装加载项：{target}\n已写入配置：{conf}（Python：{sys.executable}）\n请重启 Excel。",
        f"Installed the add-in: {target}\nWrote the config: {conf} (Python: {sys.executable})\n"
        "Restart Excel.",
    )
