"""Row scanning: finding rows and cells in sheet XML as bytes, without building a tree.

Byte-level regular expressions and ``bytes.find`` walk the ``<row>`` and
``<c>`` elements of a worksheet part; column letters found in ``r="…"`` are
converted through :mod:`sheetcrm.a1`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import numpy as np
from lxml import etree

from ..a1 import cell_ref, column_from_bytes, column_numbers

__all__ = [
    "Cell",
    "RowTag",
    "SharedStrings",
    "cell_text",
    "columns_left_of",
    "has_formula",
    "header_cells",
    "last_column",
    "row_cells",
    "row_tags",
    "split_at",
]

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR_R = re.compile(rb'\br\s*=\s*["\']([A-Za-z]*)(\d+)["\']')
_ATTR_T = re.compile(rb'\bt\s*=\s*["\'](\w+)["\']')
_ATTR_S = re.compile(rb'\bs\s*=\s*["\'](\d+)["\']')
_CONTENT = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_SHARED_ITEM = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", re.S)
_REF_LETTERS = re.compile(rb"[A-Z]{1,3}(?=\d)")
_TAG_NAME_END = frozenset(b" >/\t\r\n")  # what may follow a tag's name
_MANY_BYTES = 65536  # XML from which has_formula looks for "<f" with numpy


def _xml_text(raw: bytes) -> str:
    """Unescape the text content of an XML element given as bytes."""
    return etree.fromstring(b"<x>" + raw + b"</x>").text or ""


@dataclass
class Cell:
    """A cell of an existing row: its column and its XML as found."""

    column: int
    xml: bytes
    attrs: bytes
    body: bytes | None

    @property
    def empty(self) -> bool:
        return not self.body or not _CONTENT.search(self.body)

    @property
    def formula(self) -> bool:
        return bool(self.body) and _FORMULA.search(self.body or b"") is not None

    @property
    def style(self) -> int | None:
        """The cell's style index (its ``s``), None without one."""
        match = _ATTR_S.search(self.attrs)
        return int(match.group(1)) if match else None


def row_cells(body: bytes, row: int) -> list[Cell]:
    """The cells of a row body, with positions computed for cells lacking ``r``."""
    found: list[Cell] = []
    column = 0
    for match in _CELL.finditer(body):
        attrs = match.group(1)
        ref = _ATTR_R.search(attrs)
        column = column_from_bytes(ref.group(1)) if ref and ref.group(1) else column + 1
        xml = match.group(0)
        if not ref:  # give it an explicit position: cells inserted before it would shift it
            xml = re.sub(
                rb"^<((?:\w+:)?c)\b",
                rb'<\1 r="' + cell_ref(row, column).encode() + b'"',
                xml,
            )
        found.append(Cell(column, xml, attrs, match.group(2)))
    return found


class SharedStrings:
    """The shared string table, inflated and split into items only as far as asked: header
    cells need the first few of a full sheet's millions (inflating them all: 0.4 s, splitting
    them: 4 s)."""

    def __init__(self, pieces: Callable[[], Generator[bytes, None, None]] | None) -> None:
        self._pieces = pieces  # the table's bytes from its start, in pieces; None: no table
        self.items: list[bytes] = []
        self._whole = pieces is None  # every item is split

    def text(self, index: int) -> str:
        """The text of the index-th item ("" past the table's end)."""
        if index < 0:
            return ""
        if index >= len(self.items) and not self._whole:
            self._split(index + 1)
        if index >= len(self.items):
            return ""
        item = _PHONETIC.sub(b"", self.items[index])
        return "".join(_xml_text(piece) for piece in _TEXT.findall(item))

    def _split(self, count: int) -> None:
        """Split the first ``count`` items (all of them, in a table of fewer), read again from
        the table's start: asked for further, a header's cells come in one go."""
        assert self._pieces is not None
        items: list[bytes] = []
        with contextlib.closing(self._pieces()) as pieces:  # the rest never inflated
            rest = b""  # an item cut between two pieces
            for piece in pieces:
                rest += piece
                end = 0
                for item in _SHARED_ITEM.finditer(rest):
                    items.append(item.group(1) or b"")
                    end = item.end()
                    if len(items) == count:
                        self.items = items
                        return
                rest = rest[end:]
        self.items, self._whole = items, True


def cell_text(cell: Cell, shared: SharedStrings) -> str:
    """The text a header cell shows (numbers as written), stripped."""
    body = cell.body or b""
    kind = _ATTR_T.search(cell.attrs)
    kind_name = kind.group(1) if kind else b"n"
    if kind_name == b"inlineStr":
        return "".join(
            _xml_text(piece) for piece in _TEXT.findall(_PHONETIC.sub(b"", body))
        ).strip()
    value = _VALUE.search(body)
    if not value:
        return ""
    if kind_name == b"s":
        return shared.text(int(value.group(1))).strip()
    return _xml_text(value.group(1)).strip()


def has_formula(xml: bytes) -> bool:
    """True when cell XML holds a formula (``<f>``, maybe with a namespace prefix)."""
    # Cheap tests first: the regular expression is the slow part on a million rows. No other
    # tag of cell XML has an "f" (a memchr finds none in most sheets); "<f" and ":f" are slow
    # to look for (a "<" every few bytes), so on much XML numpy looks at the byte before each f.
    if b"f" not in xml:
        return False
    if len(xml) < _MANY_BYTES:
        return (b"<f" in xml or b":f" in xml) and _FORMULA.search(xml) is not None
    data = np.frombuffer(xml, np.uint8)
    before = data[np.flatnonzero(data[1:] == ord("f"))]
    return bool(((before == ord("<")) | (before == ord(":"))).any()) and (
        _FORMULA.search(xml) is not None
    )


def split_at(body: bytes, first_target: int) -> tuple[int | None, set[int]]:
    """Where a row's cells of column first_target and beyond start, and their columns.

    Walks back from the end of the row. The position is None when that cannot
    be told cheaply (a cell without ``r``, prefixed tags): parse the whole row.
    """
    position = len(body)
    seen: set[int] = set()
    while True:
        start = body.rfind(b"<c", 0, position)
        while start >= 0 and body[start + 2 : start + 3] not in (b" ", b">", b"/"):
            start = body.rfind(b"<c", 0, start)  # <col…>, <color…>: not a cell
        if start < 0:
            return (0 if b"<" not in body[:position] else None), seen
        ref = _ATTR_R.search(body, start, body.find(b">", start))
        if not ref or not ref.group(1):
            return None, seen
        column = column_from_bytes(ref.group(1))
        if column < first_target:
            return position, seen
        seen.add(column)
        position = start


@dataclass(frozen=True)
class RowTag:
    """Where one ``<row>`` element is: its number, tag, attributes and closing tag."""

    number: int
    start: int  # the "<" of <row
    body: int  # just after the opening tag's ">"
    close: int | None  # the "<" of </row>; None for a self-closing row
    attrs: bytes
    has_ref: bool


def row_tags(
    data: bytes, prefix: str, begin: int = 0, stop: int | None = None, last: int = 0
) -> Iterator[RowTag]:
    """Each ``<row>`` starting within data[begin:stop], without copying its cells.

    A row without ``r`` follows the one before; ``last`` is the number of the row before begin.

    Rows are found with bytes.find, not a regular expression: on a million-row
    sheet a lazy ``.*?`` up to ``</row>`` costs several times more.
    """
    opening = f"<{prefix}row".encode()
    closing = f"</{prefix}row>".encode()
    skip = len(opening)
    stop = len(data) if stop is None else stop
    position = data.find(opening, begin, stop)
    while position >= 0:
        if data[position + skip] not in _TAG_NAME_END:  # <rowBreaks> and the like
            position = data.find(opening, position + 1, stop)
            continue
        tag_end = data.find(b">", position)
        self_closing = data[tag_end - 1] == 0x2F  # "/>"
        attrs = data[position + skip : tag_end - self_closing]
        if attrs.startswith(b' r="'):  # how Excel writes it: no search needed
            last, has_ref = int(attrs[4 : attrs.index(b'"', 4)]), True
        else:
            ref = _ATTR_R.search(attrs)
            last, has_ref = (int(ref.group(2)), True) if ref else (last + 1, False)
        close = None if self_closing else data.find(closing, tag_end)
        yield RowTag(last, position, tag_end + 1, close, attrs, has_ref)
        end = tag_end + 1 if close is None else close + len(closing)
        position = data.find(opening, end, stop)


def last_column(data: bytes, begin: int, end: int) -> int | None:
    """The column of the last cell in data[begin:end] (0: no cell), None if not told cheaply."""
    at = data.rfind(b"<c", begin, end)
    while at >= 0 and data[at + 2] not in _TAG_NAME_END:  # <col…>, <color…>: not a cell
        at = data.rfind(b"<c", begin, at)
    if at < 0:
        return 0 if data.find(b"<", begin, end) < 0 else None
    if not data.startswith(b' r="', at + 2):
        return None
    letters = _REF_LETTERS.match(data, at + 6)
    return column_from_bytes(letters.group()) if letters else None


def header_cells(
    piece: bytes, header_row: int, prefix: str, begin: int, last: int
) -> tuple[list[Cell] | None, int]:
    """The header row's cells if this piece holds them ([] if it is past them), else None;
    and the number of the piece's last row (``last``: the row before it)."""
    for tag in row_tags(piece, prefix, begin, last=last):
        if tag.number == header_row:
            return row_cells(piece[tag.body : tag.close] if tag.close else b"", tag.number), last
        if tag.number > header_row:
            return [], last
        last = tag.number
    close = piece.find(b"</%ssheetData>" % prefix.encode(), begin)
    return ([] if close >= 0 else None), last


def columns_left_of(grid: np.ndarray, first_target: int) -> bool:
    """True when each row of grid (bytes ' r="' and a cell reference's start) is left of a column."""
    if not (grid[:, :4] == np.frombuffer(b' r="', np.uint8)).all():
        return False
    column = column_numbers(grid[:, 4:7])
    return bool((column > 0).all() and (column < first_target).all())
