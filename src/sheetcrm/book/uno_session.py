"""A private headless LibreOffice, driven over UNO: start it, open documents, stop it.

Each session gets its own throw-away profile (two soffice processes sharing one
silently lose output) that tells Calc to recalculate formulas on load, so values
are LibreOffice's own, not the ones cached in the file. soffice listens on the
loopback interface only and is always stopped, also when something fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import UnoCallError, WorkbookError
from ..i18n import tr

__all__ = [
    "PROFILE_XCU",
    "OfficeSession",
    "UnoCallError",
    "import_uno",
    "office_environment",
    "open_document",
    "plain_error",
    "property_value",
    "soffice_path",
]

# Debian's python3-uno puts uno.py here; a virtualenv does not see it by itself.
_UNO_FOLDERS = ("/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program")
_INSTALL_HINT = (
    "请安装 libreoffice-calc-nogui 和 python3-uno",
    "install libreoffice-calc-nogui python3-uno",
)

# Always recalculate on load (0): otherwise Calc shows the values cached in the file.
PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
_START_TIMEOUT = 60.0  # seconds for soffice to listen; usually 1-3
# Point soffice's embedded Python at another Python's library (pyenv, a virtualenv): its
# script provider then fails (std::bad_alloc), and so does installing a Python extension.
_FOREIGN_PYTHON = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH")
# Attributes Python itself sets on exceptions (contextlib sets __traceback__, pyuno sets
# args); pyuno's struct __setattr__ refuses them, which masks the real error with
# "Couldn't convert <traceback object> to a UNO type".
_PYTHON_EXCEPTION_ATTRIBUTES = frozenset(
    ("args", "__traceback__", "__context__", "__cause__", "__suppress_context__")
)


def soffice_path() -> str | None:
    """The soffice executable, None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def import_uno() -> ModuleType:
    """The ``uno`` module, found also from a virtualenv; WorkbookError when it is missing."""
    try:
        import uno
    except ImportError:
        folders = [f for f in _UNO_FOLDERS if Path(f, "uno.py").exists() and f not in sys.path]
        sys.path.extend(folders)
        try:
            import uno
        except ImportError as exc:
            for folder in folders:
                sys.path.remove(folder)
            raise WorkbookError(
                tr(
                    f"找不到 LibreOffice 的 Python 接口（uno）：{_INSTALL_HINT[0]}",
                    f"LibreOffice's Python bridge (uno) is not available: {_INSTALL_HINT[1]}",
                )
            ) from exc
    _let_python_annotate_uno_exceptions(uno)
    module: ModuleType = uno  # uno has no stubs: mypy sees Any
    return module


def _let_python_annotate_uno_exceptions(uno: ModuleType) -> None:
    """Store Python's own exception attributes on UNO exceptions, not in the UNO struct.

    Without this, a UNO exception leaving any ``contextlib`` manager (pytest's
    own included) turns into "Couldn't convert <traceback object> to a UNO
    type", and an exception inside an ``Any`` (``.Cause``, an interaction
    request) cannot be read at all. Classes pyuno made before this are unchanged.
    """
    struct_setattr = getattr(uno, "_uno_struct__setattr__")  # noqa: B009 - private to uno
    if getattr(struct_setattr, "sheetcrm", False):
        return

    def setattr_(self: Any, name: str, value: object) -> None:
        if name in _PYTHON_EXCEPTION_ATTRIBUTES and isinstance(self, BaseException):
            BaseException.__setattr__(self, name, value)
        else:
            struct_setattr(self, name, value)

    setattr_.sheetcrm = True  # type: ignore[attr-defined]  # marks uno as patched (checked above)
    setattr(uno, "_uno_struct__setattr__", setattr_)  # noqa: B010 - private to uno


def _uno_type_name(exc: BaseException) -> str | None:
    """The UNO type of a pyuno exception (``com.sun.star....``), None for Python's own."""
    name = getattr(type(exc), "__pyunostruct__", None)
    return name if isinstance(name, str) else None


def plain_error(exc: BaseException) -> BaseException:
    """A UNO exception as a UnoCallError naming it and its causes; other exceptions as given."""
    type_name = _uno_type_name(exc)
    if type_name is None:
        return exc
    parts: list[str] = []
    current: Any = exc
    while current is not None and len(parts) < 8:
        try:
            name = _uno_type_name(current) or type(current).__name__
            message = str(getattr(current, "Message", current))
            parts.append(f"{name}: {message}".strip())
            current = getattr(current, "Cause", None)  # pyuno unpacks the Any
        except Exception as unreadable:  # say so instead of masking exc
            parts.append(f"(cause unreadable: {unreadable})")
            break
        if not isinstance(current, BaseException):
            break
    return UnoCallError(type_name, "\n  caused by ".join(parts))


def office_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment soffice runs in: ours, without settings meant for another Python."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if k not in _FOREIGN_PYTHON}
    # An activated virtualenv puts its python3 first on PATH; LibreOffice's own Python
    # then fails to register an extension's Python component (std::bad_alloc).
    venv = source.get("VIRTUAL_ENV")
    if venv and "PATH" in env:
        own = str(Path(venv) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != own)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def property_value(uno: ModuleType, name: str, value: object) -> Any:
    """A ``com.sun.star.beans.PropertyValue``: how UNO takes named arguments."""
    prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    prop.Name, prop.Value = name, value
    return prop


def _require_file(path: Path) -> Path:
    if not path.is_file():
        raise WorkbookError(
            tr(f"找不到文件 {path}，请检查路径", f"file {path} does not exist; check the path")
        )
    return path


class OfficeSession:
    """One private headless soffice process and its UNO desktop; use as a context manager."""

    def __init__(self) -> None:
        executable = soffice_path()
        if executable is None:
            raise WorkbookError(
                tr(
                    f"找不到 LibreOffice（soffice）：{_INSTALL_HINT[0]}",
                    f"LibreOffice (soffice) is not installed: {_INSTALL_HINT[1]}",
                )
            )
        self.uno = import_uno()
        self._profile = Path(tempfile.mkdtemp(prefix="sheetcrm-uno-"))
        user = self._profile / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(PROFILE_XCU, encoding="utf-8")
        port = _free_port()
        self._process = subprocess.Popen(
            [
                executable,
                f"-env:UserInstallation={self._profile.as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nolockcheck",
                f"--accept=socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext",
            ],
            env=office_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, ended with its children
        )
        try:
            self.context = self._connect(port)
            self.desktop = self.context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", self.context
            )
        except BaseException:
            self.close()
            raise

    def _connect(self, port: int) -> Any:
        local = self.uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            try:
                return resolver.resolve(url)
            except Exception as exc:  # NoConnectException until soffice listens
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise WorkbookError(
                        tr(
                            f"LibreOffice 未能启动（退出码 {self._process.poll()}）：{exc}",
                            f"LibreOffice did not start (exit code {self._process.poll()}): {exc}",
                        )
                    ) from exc
                time.sleep(0.2)

    def url(self, path: Path) -> str:
        """The file URL UNO wants for a path."""
        return str(self.uno.systemPathToFileUrl(str(Path(path).resolve())))

    def load(self, path: Path) -> Any:
        """Open a workbook hidden; the Calc document."""
        path = _require_file(Path(path))
        args = [property_value(self.uno, "Hidden", True)]
        if path.suffix.lower() in (".xlsm", ".xlam"):
            # Keeps the VBA project; the plain xlsx filter would drop it on save.
            args.append(property_value(self.uno, "FilterName", "Calc MS Excel 2007 VBA XML"))
        doc = self.desktop.loadComponentFromURL(self.url(path), "_blank", 0, tuple(args))
        if doc is None or not hasattr(doc, "Sheets"):
            raise WorkbookError(
                tr(
                    f"LibreOffice 无法把 {path} 作为电子表格打开",
                    f"LibreOffice could not open {path} as a spreadsheet",
                )
            )
        return doc

    def close(self) -> None:
        """Stop soffice (asking first, then by force) and remove the profile."""
        desktop = getattr(self, "desktop", None)
        if desktop is not None and self._process.poll() is None:
            # A document left open (modified) would veto terminate() and keep its lock file;
            # the bridge drops as soffice exits, which raises on our side.
            with contextlib.suppress(Exception):
                components = desktop.Components.createEnumeration()
                while components.hasMoreElements():
                    components.nextElement().close(True)
            with contextlib.suppress(Exception):
                desktop.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> OfficeSession:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        """Stop soffice; a UNO exception leaves as a UnoCallError that says its causes."""
        self.close()
        if exc is not None:
            plain = plain_error(exc)
            if plain is not exc:
                raise plain from exc


@contextlib.contextmanager
def open_document(path: Path) -> Iterator[tuple[Any, Any]]:
    """Open a workbook in a private headless LibreOffice: yields (desktop, document)."""
    _require_file(Path(path))  # before paying for a LibreOffice start
    with OfficeSession() as office:
        doc = office.load(path)
        try:
            yield office.desktop, doc
        finally:
            with contextlib.suppress(Exception):  # already closed or the bridge is gone
                doc.close(True)
