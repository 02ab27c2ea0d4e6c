"""The workbook's defined names (``<definedNames>`` in workbook.xml) that sheetcrm keeps in step
with what it writes: the hidden ``_xlnm._FilterDatabase`` Excel stores beside each sheet's
autofilter, in the form Excel writes it (``Sheet1!$A$1:$D$51``, ``localSheetId`` = the
sheet's position, ``hidden="1"``)."""

from __future__ import annotations

from lxml import etree

from ..a1 import parse_range, range_ref, sheet_ref
from .namespaces import MAIN_NS

__all__ = ["FILTER_DATABASE", "set_filter_database"]

FILTER_DATABASE = "_xlnm._FilterDatabase"
_DEFINED_NAMES = f"{{{MAIN_NS}}}definedNames"
_DEFINED_NAME = f"{{{MAIN_NS}}}definedName"
# workbook.xml's children that come before <definedNames> (CT_Workbook's sequence).
_BEFORE = frozenset(
    f"{{{MAIN_NS}}}{name}"
    for name in (
        "fileVersion",
        "fileSharing",
        "workbookPr",
        "workbookProtection",
        "bookViews",
        "sheets",
        "functionGroups",
        "externalReferences",
    )
)


def set_filter_database(
    workbook: etree._Element, sheet_index: int, sheet: str, ref: str | None
) -> bool:
    """Point the sheet's hidden filter range at ``ref`` (``A1:Q100``), added if missing; None:
    the sheet has no filter (any such name is removed). True if the workbook changed."""
    names = workbook.find(_DEFINED_NAMES)
    if ref is None:
        stale = [] if names is None else _filter_names(names, sheet_index)
        if names is None or not stale:
            return False
        for element in stale:
            names.remove(element)
        if not len(names):
            workbook.remove(names)
        return True
    text = sheet_ref(sheet, range_ref(*parse_range(ref), absolute=True))
    if names is None:
        names = etree.Element(_DEFINED_NAMES)
        before = [i for i, child in enumerate(workbook) if child.tag in _BEFORE]
        workbook.insert(before[-1] + 1 if before else 0, names)
    for element in _filter_names(names, sheet_index):
        changed = bool(element.text != text)
        element.text = text
        return changed
    element = etree.Element(_DEFINED_NAME, name=FILTER_DATABASE)
    element.set("localSheetId", str(sheet_index))
    element.set("hidden", "1")
    element.text = text
    # Excel lists names in order, "_xlnm." set aside: _FilterDatabase sorts among the F's.
    key = _order(FILTER_DATABASE)
    after = [i for i, other in enumerate(names) if _order(other.get("name", "")) <= key]
    names.insert(after[-1] + 1 if after else 0, element)
    return True


def _order(name: str) -> str:
    """A defined name's place in Excel's list."""
    return name.removeprefix("_xlnm.").casefold()


def _filter_names(names: etree._Element, sheet_index: int) -> list[etree._Element]:
    """The sheet's _FilterDatabase names (one, where Excel wrote the file)."""
    return [
        element
        for element in names.iter(_DEFINED_NAME)
        if element.get("name") == FILTER_DATABASE
        and element.get("localSheetId") == str(sheet_index)
    ]
