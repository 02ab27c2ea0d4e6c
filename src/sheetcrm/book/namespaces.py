"""The XML namespaces of an .xlsx package, each defined once under a name that says which.

Two are easily confused: ``PACKAGE_REL_NS`` is the namespace of the ``_rels/*.rels``
parts themselves (``<Relationships>``), ``OFFICE_REL_NS`` that of ``r:id`` attributes
inside the parts and the stem of relationship types (``…/relationships/worksheet``).
"""

from __future__ import annotations

__all__ = ["CT_NS", "MAIN_NS", "OFFICE_REL_NS", "PACKAGE_REL_NS", "office_rel"]

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def office_rel(kind: str) -> str:
    """The relationship type of a kind of part: ``worksheet`` → ``…/relationships/worksheet``."""
    return f"{OFFICE_REL_NS}/{kind}"
