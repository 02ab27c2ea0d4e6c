"""List the Basic modules LibreOffice sees in workbooks (run with a Python that has UNO).

Usage: python3 addin_uno_basic.py FILE...  → JSON {file: {"modules": {name: source}, "sheets": [...]}}
Starts its own headless soffice with a private profile, listening on loopback only.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue


def _prop(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(paths: list[str]) -> None:
    port = _free_port()
    profile = tempfile.mkdtemp(prefix="sheetcrm-uno-")
    office = subprocess.Popen(
        [
            shutil.which("soffice") or "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    desktop = None
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
        for _ in range(240):
            try:
                ctx = resolver.resolve(url)
                break
            except Exception:  # NoConnectException until soffice listens
                time.sleep(0.25)
        else:
            raise SystemExit("soffice did not start listening")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        out = {}
        for path in paths:
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(str(Path(path).resolve())),
                "_blank",
                0,
                (_prop("Hidden", True), _prop("FilterName", "Calc MS Excel 2007 VBA XML")),
            )
            modules = {}
            libraries = doc.BasicLibraries
            for library in libraries.getElementNames():
                libraries.loadLibrary(library)
                container = libraries.getByName(library)
                for name in container.getElementNames():
                    modules[name] = container.getByName(name)
            out[path] = {"modules": modules, "sheets": list(doc.Sheets.getElementNames())}
            doc.close(True)
        print(json.dumps(out))
    finally:
        if desktop is not None:
            # The bridge drops as soffice exits, which raises on our side.
            with contextlib.suppress(Exception):
                desktop.terminate()
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
