"""The LibreOffice extension: its toolbar mirrors the Excel ribbon, and its buttons run the jobs.

The integration tests install the built ``sheetcrm.oxt`` into a private headless
LibreOffice, press buttons through LibreOffice's own script framework (so the
jobs run in LibreOffice's Python, in its process, on the open document), and
compare the saved workbook with what the command line's file book writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree

import pytest

from sheetcrm.book.file import FileBook
from sheetcrm.demo import write_demo
from sheetcrm.excel.buttons import BUTTONS
from sheetcrm.i18n import set_lang
from sheetcrm.jobs import run_job
from sheetcrm.sheets.history import HISTORY_SHEET
from uno_env import grid_differences, office_python_differs, uno_missing

ROOT = Path(__file__).resolve().parents[1]
OOR = "{http://openoffice.org/2001/registry}"


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lo_build", ROOT / "lo_extension" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = _load_builder()


@pytest.fixture(scope="module")
def oxt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(build.build_oxt(tmp_path_factory.mktemp("oxt")))


def _toolbar(oxt: Path) -> list[tuple[str, dict[str, str]]]:
    """(macro URL, titles by language) of each toolbar button in the extension."""
    root = ElementTree.fromstring(zipfile.ZipFile(oxt).read("Addons.xcu"))
    toolbar = next(n for n in root.iter("node") if n.get(f"{OOR}name") == "org.sheetcrm.toolbar")
    buttons = []
    for node in toolbar:
        props = {p.get(f"{OOR}name"): p for p in node.iter("prop")}
        url = props["URL"].findtext("value") or ""
        titles = {
            v.get("{http://www.w3.org/XML/1998/namespace}lang", ""): v.text or ""
            for v in props["Title"]
        }
        buttons.append((url, titles))
    return buttons


def test_toolbar_has_every_ribbon_button_in_order_with_both_languages(oxt: Path) -> None:
    ribbon = build.ribbon_buttons()
    assert {b.id for b in ribbon} == set(BUTTONS)
    toolbar = _toolbar(oxt)
    assert [url for url, _ in toolbar] == [build.script_url(b.id) for b in ribbon]
    for (url, titles), button in zip(toolbar, ribbon, strict=True):
        assert f"$on_button({button.id})?" in url
        assert titles["zh-CN"] == button.zh and titles["en-US"] == button.en
        assert titles["zh-CN"] != titles["en-US"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in titles["zh-CN"])


def test_extension_holds_the_macros_the_manifest_names_and_the_paths_given(tmp_path: Path) -> None:
    oxt = build.build_oxt(tmp_path, python_paths=["/opt/x", "/opt/y"])
    assert oxt == tmp_path / build.OXT_NAME
    files = zipfile.ZipFile(oxt)
    manifest = ElementTree.fromstring(files.read("META-INF/manifest.xml"))
    entries = {
        e.get("{http://openoffice.org/2001/manifest}full-path"): e.get(
            "{http://openoffice.org/2001/manifest}media-type"
        )
        for e in manifest
    }
    assert entries == {
        "python": "application/vnd.sun.star.framework-script",
        "Addons.xcu": "application/vnd.sun.star.configuration-data",
    }
    assert "def on_button(" in files.read("python/sheetcrm_lo.py").decode()
    namespace: dict[str, Any] = {}
    exec(files.read("python/pythonpath/sheetcrm_lo_paths.py").decode(), namespace)
    assert namespace["PATHS"] == ["/opt/x", "/opt/y"]


def test_default_paths_find_this_sheetcrm(oxt: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(zipfile.ZipFile(oxt).read("python/pythonpath/sheetcrm_lo_paths.py").decode(), namespace)
    assert Path(namespace["PATHS"][0], "sheetcrm", "__init__.py").exists()


# ---- UNO errors stay readable (python3-uno, no soffice) -----------------------------------

needs_uno = pytest.mark.skipif(uno_missing() is not None, reason=str(uno_missing()))
runs_sheetcrm_inside_office = pytest.mark.skipif(
    office_python_differs() is not None, reason=str(office_python_differs())
)


@needs_uno
def test_a_uno_exception_leaves_a_contextlib_manager_as_itself() -> None:
    """pyuno refused ``exc.__traceback__ = ...``, masking the error with "Couldn't convert"."""
    from sheetcrm.book.uno_session import import_uno

    error = import_uno().getClass("com.sun.star.lang.IllegalArgumentException")

    @contextlib.contextmanager
    def manager() -> Iterator[None]:
        yield

    with pytest.raises(error, match="the real failure"), manager():
        raise error("the real failure", None, 1)


@needs_uno
def test_plain_error_says_the_uno_exception_and_its_cause() -> None:
    from sheetcrm.book.uno_session import UnoCallError, import_uno, plain_error
    from sheetcrm.errors import SheetCRMError

    uno = import_uno()
    inner = uno.getClass("com.sun.star.uno.RuntimeException")("C++ code threw bad_alloc", None)
    outer = uno.getClass("com.sun.star.deployment.DeploymentException")(
        "exception during addExtension", None, inner
    )
    assert outer.Cause.Message == "C++ code threw bad_alloc"  # an Any holding an exception
    plain = plain_error(outer)
    assert isinstance(plain, UnoCallError) and isinstance(plain, SheetCRMError)
    assert plain.type_name == "com.sun.star.deployment.DeploymentException"
    assert str(plain) == (
        "com.sun.star.deployment.DeploymentException: exception during addExtension"
        "\n  caused by com.sun.star.uno.RuntimeException: C++ code threw bad_alloc"
    )
    other = ValueError("not UNO")
    assert plain_error(other) is other


def test_soffice_does_not_inherit_another_pythons_home_or_path() -> None:
    """PYTHONHOME from pyenv or a virtualenv broke soffice's Python: addExtension failed."""
    from sheetcrm.book.uno_session import office_environment

    env = {"PYTHONHOME": "/x", "PYTHONPATH": "/y", "HOME": "/h", "PYTHONUTF8": "1"}
    assert office_environment(env) == {"HOME": "/h", "PYTHONUTF8": "1"}
    activated = {"VIRTUAL_ENV": "/v", "PATH": "/v/bin:/usr/bin", "HOME": "/h"}
    assert office_environment(activated) == {"PATH": "/usr/bin", "HOME": "/h"}


# ---- in LibreOffice -------------------------------------------------------------------


def _approving_environment(uno: ModuleType) -> Any:
    """A UNO command environment that says yes to "install this extension?"."""
    import unohelper
    from com.sun.star.task import XInteractionHandler
    from com.sun.star.ucb import (
        XCommandEnvironment,
        XProgressHandler,
    )

    approve = uno.getTypeByName("com.sun.star.task.XInteractionApprove")

    # uno has no stubs, so these bases are Any to mypy (disallow_subclassing_any).
    class Environment(unohelper.Base, XCommandEnvironment, XInteractionHandler, XProgressHandler):  # type: ignore[misc]
        def getInteractionHandler(self) -> Any:  # noqa: N802 - UNO's method names
            return self

        def getProgressHandler(self) -> Any:  # noqa: N802
            return self

        def handle(self, request: Any) -> None:
            for choice in request.getContinuations():
                if choice.queryInterface(approve):
                    choice.select()
                    return

        def push(self, status: Any) -> None:
            pass

        def update(self, status: Any) -> None:
            pass

        def pop(self) -> None:
            pass

    return Environment()


@pytest.fixture(scope="module")
def office(oxt: Path) -> Iterator[tuple[Any, Any]]:
    """(session, script provider) of a headless LibreOffice with the extension installed."""
    from sheetcrm.book.uno_session import OfficeSession, import_uno

    missing = uno_missing()
    if missing:
        pytest.skip(missing)
    uno = import_uno()
    with OfficeSession() as session:
        context = session.context
        manager = context.getValueByName("/singletons/com.sun.star.deployment.ExtensionManager")
        manager.addExtension(
            uno.systemPathToFileUrl(str(oxt)), (), "user", None, _approving_environment(uno)
        )
        factory = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", context
        )
        yield session, factory.createScriptProvider("")


def _press(office: tuple[Any, Any], doc: Any, button: str) -> str:
    _, provider = office
    result = provider.getScript(build.script_url(button)).invoke((doc,), (), ())
    return str(result[0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_demo(path, customers=100)
    return path


def _without_run_times(sheet: str, grid: list[list[Any]]) -> list[list[Any]]:
    """A grid with the run history's run times blanked: the two runs were not at one instant."""
    if sheet != HISTORY_SHEET:
        return grid
    assert all(isinstance(row[0], dt.datetime) for row in grid[1:])
    return [grid[0], *([None, *row[1:]] for row in grid[1:])]


@runs_sheetcrm_inside_office
@pytest.mark.libreoffice
def test_buttons_in_libreoffice_save_what_the_command_line_writes(
    office: tuple[Any, Any], demo: Path, tmp_path: Path
) -> None:
    in_office, by_file = tmp_path / "office.xlsx", tmp_path / "file.xlsx"
    shutil.copyfile(demo, in_office)
    shutil.copyfile(demo, by_file)
    session, _ = office
    jobs = {button: job for button, job in BUTTONS.items() if job != "help"}
    doc = session.load(in_office)
    try:
        lines = {button: _press(office, doc, button) for button in jobs}
    finally:
        doc.close(True)
    set_lang(None)  # no language chosen, as in the office (an earlier CLI test may have chosen)
    reports = {job: run_job(job, FileBook(by_file, backup=False)) for job in jobs.values()}
    assert lines == {button: "\n".join(reports[job].lines) for button, job in jobs.items()}
    office_book, file_book = FileBook(in_office), FileBook(by_file)
    assert office_book.sheet_names() == file_book.sheet_names()
    office_table, file_table = office_book.read_customers(), file_book.read_customers()
    assert office_table.headers == file_table.headers
    assert set(reports["tier"].columns) <= set(file_table.headers)
    assert (office_table.table, office_table.last_row) == (file_table.table, file_table.last_row)
    for sheet in file_book.sheet_names():
        got, want = (
            _without_run_times(sheet, b.read_grid(sheet)) for b in (office_book, file_book)
        )
        assert not grid_differences(got, want), sheet


@runs_sheetcrm_inside_office
@pytest.mark.libreoffice
def test_help_and_unknown_buttons(office: tuple[Any, Any], demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "demo.xlsx"
    shutil.copyfile(demo, copy)
    session, _ = office
    doc = session.load(copy)
    try:
        assert "excel-addin.md" in _press(office, doc, "crmHelp")
        with pytest.raises(Exception, match="crmNoSuchButton"):
            _press(office, doc, "crmNoSuchButton")
    finally:
        doc.close(True)


@runs_sheetcrm_inside_office
@pytest.mark.libreoffice
def test_a_toolbar_click_runs_the_job_on_the_active_document(
    office: tuple[Any, Any], demo: Path, tmp_path: Path
) -> None:
    """Dispatch the toolbar's own URL on the document's frame, as a click does."""
    copy = tmp_path / "demo.xlsx"
    shutil.copyfile(demo, copy)
    session, _ = office
    before = copy.read_bytes()
    doc = session.load(copy)
    try:
        frame = doc.CurrentController.Frame
        frame.activate()  # the macro finds "the open workbook" as the desktop's current one
        session.desktop.setActiveFrame(frame)
        helper = session.context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", session.context
        )
        done = helper.executeDispatch(frame, build.script_url("crmCheck"), "", 0, ())
        assert "数据检查" in doc.Sheets.ElementNames
        assert str(done.Result).count("\n") >= 1
        # A refused job is told in a message box (headless: closed at once), not raised.
        refused = helper.executeDispatch(frame, build.script_url("crmNoSuchButton"), "", 0, ())
        assert "crmNoSuchButton" in str(refused.Result)
        # Like Excel, the press leaves saving to the user: the file is untouched.
        assert copy.read_bytes() == before
    finally:
        doc.close(True)


@pytest.mark.libreoffice
def test_libreoffice_registers_the_toolbar_and_the_menu(office: tuple[Any, Any]) -> None:
    session, _ = office
    from sheetcrm.book.uno_session import import_uno

    uno = import_uno()
    argument = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    argument.Name, argument.Value = "nodepath", "/org.openoffice.Office.Addons/AddonUI"
    provider = session.context.ServiceManager.createInstanceWithContext(
        "com.sun.star.configuration.ConfigurationProvider", session.context
    )
    addons = provider.createInstanceWithArguments(
        "com.sun.star.configuration.ConfigurationAccess", (argument,)
    )
    toolbar = addons.getByHierarchicalName("OfficeToolBar/org.sheetcrm.toolbar")
    urls = [toolbar.getByName(name).URL for name in sorted(toolbar.ElementNames)]
    assert urls == [build.script_url(b.id) for b in build.ribbon_buttons()]
    menu = addons.getByHierarchicalName("OfficeMenuBar/org.sheetcrm.menu")
    assert menu.Title and len(menu.Submenu.ElementNames) == len(urls)
