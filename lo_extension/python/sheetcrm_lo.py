"""SheetCRM's toolbar in LibreOffice Calc: each button runs one job on the open workbook.

Runs inside LibreOffice's own Python. A toolbar button calls
``on_button(<button id>)``, the same ids (and the same code path,
``sheetcrm.excel.buttons.press``) as the Excel ribbon, on the open document
seen through ``sheetcrm.book.live_uno.UnoBook``. The folders holding sheetcrm
and its libraries were written into ``sheetcrm_lo_paths`` (in ``pythonpath/``,
which LibreOffice puts on ``sys.path``) when the extension was built.
"""

from __future__ import annotations

import sys
from typing import Any

import sheetcrm_lo_paths

_MESSAGE_BOX_INFO, _MESSAGE_BOX_ERROR = "infobox", "errorbox"


def _use_sheetcrm() -> None:
    """Put sheetcrm's folders first, so its own library versions win over the system's."""
    for folder in reversed(sheetcrm_lo_paths.PATHS):
        if folder not in sys.path:
            sys.path.insert(0, folder)


def _show(doc: Any, title: str, text: str, kind: str) -> None:
    """A message box over the document's window."""
    window = doc.CurrentController.Frame.ContainerWindow
    toolkit = window.Toolkit
    box = toolkit.createMessageBox(window, kind, 1, title, text)  # 1: an OK button
    box.execute()


def on_button(*args: Any) -> str:
    """Run the job behind a toolbar button (its id is the last argument); the report's text.

    Given a document before the id (tests, other macros), errors are raised to the
    caller; from the toolbar, the result or the error is shown in a message box.
    """
    _use_sheetcrm()
    from sheetcrm.book.live_uno import UnoBook
    from sheetcrm.errors import SheetCRMError
    from sheetcrm.excel.buttons import press
    from sheetcrm.i18n import tr
    from sheetcrm.jobs import JobOptions

    button_id = str(args[-1])
    given = next((arg for arg in args[:-1] if hasattr(arg, "Sheets")), None)
    if given is not None:
        return "\n".join(press(button_id, UnoBook(given)).lines)
    doc = XSCRIPTCONTEXT.getDocument()  # type: ignore[name-defined]  # noqa: F821 - set by LibreOffice
    # Steps show in the status bar, as the Excel add-in shows them in Excel's.
    status = doc.CurrentController.StatusIndicator
    status.start("SheetCRM", 0)
    options = JobOptions(progress=lambda step: status.setText(f"SheetCRM: {step}"))
    try:
        text = "\n".join(press(button_id, UnoBook(doc, store=False), options).lines) or tr(
            "完成。", "Done."
        )
    except SheetCRMError as exc:
        text = str(exc)
        _show(doc, tr("SheetCRM：未完成", "SheetCRM: not done"), text, _MESSAGE_BOX_ERROR)
    else:
        _show(doc, "SheetCRM", text, _MESSAGE_BOX_INFO)
    finally:
        status.end()
    return text


# LibreOffice's name: the macros it lists for this file.
g_exportedScripts = (on_button,)  # noqa: N816
