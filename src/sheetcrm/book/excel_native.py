"""What xlwings has no call for, through Excel's own object model: tab colour, AutoFilter, panes.

``sheet.api`` is Excel's Worksheet: a COM object on Windows, an appscript reference on a Mac.
Each function speaks the dialect of the platform it is given and raises
:class:`NotImplementedError` on any other (xlwings' remote engines have no native object);
:class:`~sheetcrm.book.live_excel.ExcelBook` catches the failure and says in its warnings
what was left out, so a missing nicety never stops a run.
"""

from __future__ import annotations

from typing import Any

from ..a1 import parse_cell, parse_range

__all__ = ["autofilter", "freeze_window", "set_autofilter", "set_tab_color"]


def _unsupported(platform: str) -> NotImplementedError:
    return NotImplementedError(f"no native Excel object model on {platform}")


def _rgb(color: str) -> tuple[int, int, int]:
    """(red, green, blue) of "RRGGBB" or "AARRGGBB" (alpha ignored, as Excel does)."""
    code = color.lstrip("#")[-6:]
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def set_tab_color(sheet: Any, color: str, platform: str) -> None:
    """Colour a sheet's tab ("RRGGBB")."""
    red, green, blue = _rgb(color)
    if platform == "win32":
        sheet.api.Tab.Color = red | green << 8 | blue << 16  # COM colours are BGR
    elif platform == "darwin":
        sheet.api.tab.color.set([red, green, blue])
    else:
        raise _unsupported(platform)


def autofilter(sheet: Any, platform: str) -> tuple[tuple[int, int, int, int] | None, bool]:
    """The sheet's own AutoFilter range (as :func:`~sheetcrm.a1.parse_range`), and whether it
    hides rows now (criteria applied); (None, False) without one."""
    native = sheet.api
    if platform == "win32":
        if not native.AutoFilterMode:
            return None, False
        address, filtering = native.AutoFilter.Range.Address, native.FilterMode
    elif platform == "darwin":
        if not native.autofilter_mode.get():
            return None, False
        address = native.autofilter_object.range_object.get_address()
        filtering = native.filter_mode.get()
    else:
        raise _unsupported(platform)
    return parse_range(str(address).split("!")[-1]), bool(filtering)


def set_autofilter(sheet: Any, cells: Any, platform: str) -> None:
    """An AutoFilter without criteria on ``cells`` (an xlwings Range) in place of the sheet's
    own; ``cells`` None: the sheet's own removed."""
    native = sheet.api
    if platform == "win32":
        if native.AutoFilterMode:
            native.AutoFilterMode = False
        if cells is not None:
            cells.api.AutoFilter()  # without arguments: arrows on the range, nothing hidden
    elif platform == "darwin":
        if native.autofilter_mode.get():
            native.autofilter_mode.set(False)
        if cells is not None:
            cells.api.autofilter_range()
    else:
        raise _unsupported(platform)


def freeze_window(sheet: Any, cell: str, platform: str) -> None:
    """Freeze the panes above and left of ``cell`` through the window showing the sheet."""
    row, column = parse_cell(cell)
    # A window freezes the sheet it shows. The sheet's own activation: xlwings' would bring
    # Excel to the front first, which a button's macro needs not.
    if platform == "win32":
        sheet.api.Activate()
        window = sheet.book.app.api.ActiveWindow
        window.FreezePanes = False
        window.SplitRow, window.SplitColumn = row - 1, column - 1
        window.FreezePanes = True
    elif platform == "darwin":
        sheet.api.activate_object()
        window = sheet.book.app.api.active_window
        window.freeze_panes.set(False)
        window.split_row.set(row - 1)
        window.split_column.set(column - 1)
        window.freeze_panes.set(True)
    else:
        raise _unsupported(platform)
