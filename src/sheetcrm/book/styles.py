"""The few cell styles sheetcrm needs, appended to a workbook's ``xl/styles.xml``.

Existing entries are never renumbered or changed: cells elsewhere point at
them by index. An identical entry already there is reused.
"""

from __future__ import annotations

from lxml import etree

from .namespaces import MAIN_NS, office_rel
from .package import Package, parse_xml, serialize

__all__ = ["Styles", "argb"]

_STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_STYLES_REL = office_rel("styles")
# Child order of CT_Stylesheet: a new collection goes before the first later one present.
_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
}
_MINIMAL = (
    f'<styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode()


def _q(tag: str) -> str:
    return f"{{{MAIN_NS}}}{tag}"


def argb(rgb: str) -> str:
    """An ARGB colour from "RRGGBB" or "AARRGGBB" (with or without #)."""
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else "FF" + rgb


class Styles:
    """The workbook stylesheet, with helpers that return style indexes for new cells."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.part = next(
            (
                part
                for _, rel_type, part in package.rels(package.workbook_part).items()
                if rel_type == _STYLES_REL and package.exists(part)
            ),
            None,
        )
        self._dirty = self.part is None
        if self.part is None:
            self.root = etree.fromstring(_MINIMAL)
        else:
            self.root = parse_xml(package.read(self.part), self.part)
        self._xf_cache: dict[tuple[int, bool, str | None, str | None, bool], int] = {}

    def _collection(self, name: str) -> etree._Element:
        """The collection element (fonts, fills, …), created in schema order if absent."""
        found = self.root.find(_q(name))
        if found is not None:
            return found
        element = etree.Element(_q(name), count="0")
        later = _ORDER[_ORDER.index(name) + 1 :]
        for index, child in enumerate(self.root):
            if etree.QName(child).localname in later:
                self.root.insert(index, element)
                return element
        self.root.append(element)
        return element

    def _add(self, collection: str, xml: str) -> int:
        """Index of an entry equal to xml in a collection, appending it when new."""
        parent = self._collection(collection)
        new = etree.fromstring(xml)
        wanted = etree.tostring(new, method="c14n", exclusive=True)
        for index, child in enumerate(parent):
            if etree.tostring(child, method="c14n", exclusive=True) == wanted:
                return index
        parent.append(new)
        parent.set("count", str(len(parent)))
        self._dirty = True
        return len(parent) - 1

    def num_fmt(self, code: str | None) -> int:
        """The numFmtId of a number format code (built-in, existing, or added)."""
        if code is None:
            return 0
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        formats = self._collection("numFmts")
        for entry in formats:
            if entry.get("formatCode") == code:
                return int(entry.get("numFmtId", "0"))
        number = max([163, *(int(entry.get("numFmtId", "0")) for entry in formats)]) + 1
        etree.SubElement(formats, _q("numFmt"), numFmtId=str(number), formatCode=code)
        formats.set("count", str(len(formats)))
        self._dirty = True
        return number

    def _font(self, base_font: int, bold: bool, color: str | None) -> int:
        fonts = self._collection("fonts")
        if not bold and color is None:
            return base_font
        font = etree.fromstring(etree.tostring(fonts[base_font])) if len(fonts) else None
        if font is None:
            font = etree.Element(_q("font"))
        for child in list(font):
            name = etree.QName(child).localname
            if (bold and name == "b") or (color and name == "color"):
                font.remove(child)
        if color:
            font.insert(0, etree.Element(_q("color"), rgb=argb(color)))
        if bold:
            font.insert(0, etree.Element(_q("b")))
        return self._add("fonts", etree.tostring(font).decode())

    def cell_xf(
        self,
        *,
        base: int = 0,
        bold: bool = False,
        fill: str | None = None,
        number_format: str | None = None,
        wrap: bool = False,
    ) -> int:
        """A cellXfs index: style ``base`` with bold, a solid fill, a number format and/or
        wrapped text."""
        key = (base, bold, fill, number_format, wrap)
        if key in self._xf_cache:
            return self._xf_cache[key]
        xfs = self._collection("cellXfs")
        if not len(xfs):
            self._add(
                "cellXfs",
                f'<xf xmlns="{MAIN_NS}" numFmtId="0" fontId="0" fillId="0" borderId="0"/>',
            )
        xf = etree.fromstring(etree.tostring(xfs[base if base < len(xfs) else 0]))
        if bold:
            xf.set("fontId", str(self._font(int(xf.get("fontId", "0")), True, None)))
            xf.set("applyFont", "1")
        if fill:
            colour = argb(fill)
            xf.set(
                "fillId",
                str(
                    self._add(
                        "fills",
                        f'<fill xmlns="{MAIN_NS}"><patternFill patternType="solid">'
                        f'<fgColor rgb="{colour}"/><bgColor indexed="64"/></patternFill></fill>',
                    )
                ),
            )
            xf.set("applyFill", "1")
        if number_format is not None:
            xf.set("numFmtId", str(self.num_fmt(number_format)))
            xf.set("applyNumberFormat", "1")
        if wrap:
            alignment = xf.find(_q("alignment"))
            if alignment is None:
                alignment = etree.SubElement(xf, _q("alignment"))
            alignment.set("wrapText", "1")
            xf.set("applyAlignment", "1")
        index = self._add("cellXfs", etree.tostring(xf).decode())
        self._xf_cache[key] = index
        return index

    def dxf(self, fill: str, font: str | None = None) -> int:
        """A dxfs index (differential format for conditional formatting) with a fill and font colour."""
        font_xml = f'<font><color rgb="{argb(font)}"/></font>' if font else ""
        return self._add(
            "dxfs",
            f'<dxf xmlns="{MAIN_NS}">{font_xml}<fill><patternFill>'
            f'<bgColor rgb="{argb(fill)}"/></patternFill></fill></dxf>',
        )

    def save(self) -> None:
        """Store the stylesheet in the package when anything was added."""
        if not self._dirty:
            return
        if self.part is None:
            self.part = "xl/styles.xml"
            rels = self.package.rels(self.package.workbook_part)
            rels.add(_STYLES_REL, self.part)
            rels.save()
            self.package.set_content_type(self.part, _STYLES_TYPE)
        self.package.write(self.part, serialize(self.root))
        self._dirty = False
