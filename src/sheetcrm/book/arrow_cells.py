"""Rows of cell XML built by pyarrow compute: C kernels, a column at a time, without the GIL.

Plain text, whole numbers, dates and blanks of a block of rows become ``<c>`` XML in pyarrow,
and the rows are joined there too; every other value, and any text a conservative vectorised
test cannot prove plain, takes the tail :func:`~sheetcrm.book.cell_xml.encode` gives it, so the
bytes are those of the Python path by construction. pyarrow comes with ``sheetcrm[fast]``; it
is imported on first use (0.3–0.5 s), so only long sheets take this path.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from ..a1 import column_letter
from ..values import excel_serial
from .cell_xml import MAX_TEXT, CellStyles, encode

__all__ = ["MIN_ROWS", "RowBlock", "available", "rows_xml"]

MIN_ROWS = 50_000  # a sheet shorter than this costs less in Python than importing pyarrow

# What str.strip() removes (str.isspace, a test checks), and what cell_xml's clean_text takes
# out (its _ILLEGAL_XML; a lone surrogate cannot reach pyarrow: its UTF-8 encoding fails).
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ILLEGAL = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))


# What a byte says of the text holding it (UTF-8 bytes below 0x80 are those characters):
# 1 a character clean_text takes out, 2 a line break (xml:space), 4 markup to escape, and
# what the next bytes tell: 8 "_" ("_x" may start Excel's escape), 16 EF (EF BF BE and EF BF
# BF are U+FFFE and U+FFFF, taken out).
_BYTE_FLAGS = np.zeros(256, dtype=np.uint8)
_BYTE_FLAGS[[ord(char) for char in _ILLEGAL if char < "\x80"]] = 1
_BYTE_FLAGS[ord("\n")] = 2
_BYTE_FLAGS[[ord("&"), ord("<"), ord(">")]] = 4
_BYTE_FLAGS[ord("_")] = 8
_BYTE_FLAGS[0xEF] = 16
_FLAG_TABLE = _BYTE_FLAGS.tobytes()  # for bytes.translate: 5x numpy's lookup on a long text
# The whitespace characters by the length of their UTF-8 (1, 2 or 3 bytes), as numbers.
_SPACES = [
    np.array([int.from_bytes(c.encode(), "big") for c in _WHITESPACE if len(c.encode()) == n])
    for n in (1, 2, 3)
]
# The first and the last bytes of the whitespace characters: a text that neither starts with
# one of the first nor ends with one of the last (most) has no outer space.
_SPACE_FIRST, _SPACE_LAST = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
_SPACE_FIRST[[char.encode()[0] for char in _WHITESPACE]] = True
_SPACE_LAST[[char.encode()[-1] for char in _WHITESPACE]] = True
_NONE = np.empty(0, dtype=np.int64)  # no position


@functools.cache
def _arrow() -> tuple[ModuleType, ModuleType] | None:
    """pyarrow and its compute module, or None without them."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # without sheetcrm[fast]: the Python path
        return None
    return pa, pc


def available() -> bool:
    """True when pyarrow can be imported (it is, on the first call)."""
    return _arrow() is not None


class RowBlock(NamedTuple):
    """Rows of a sheet written at once (the Python path takes the same)."""

    columns: Sequence[np.ndarray]  # object columns of plain cell values
    lengths: np.ndarray  # each row's: no cell at a column at or past it
    first: int  # the first row's number
    styles: Sequence[int | None]  # the columns' own
    own: Mapping[tuple[int, int], bytes]  # XML of single cells, by (row in the block, column)


def rows_xml(block: RowBlock, cell_styles: CellStyles, date1904: bool) -> memoryview:
    """The ``<row>`` elements of a block of rows."""
    columns, lengths, first, styles, own = block
    pa, pc = _modules()
    count = len(lengths)
    numbers = _as_binary(pa.array(np.arange(first, first + count)))
    by_column: dict[int, list[tuple[int, bytes]]] = {}
    for (r, c), xml in sorted(own.items()):
        by_column.setdefault(c, []).append((r, xml))
    # One join for the block: pyarrow's join costs most per row, little per piece, and
    # several times more where a piece is null. A column written in every row gives its
    # pieces as they are; any other, its cells joined first, "" where none is written.
    pieces: list[Any] = [b'<row r="', numbers, b'">']
    for c, values in enumerate(columns):
        head, middle, close = _cell_parts(values, styles[c], cell_styles, date1904)
        opening = f'<c r="{column_letter(c + 1)}'.encode()
        mine = by_column.get(c)
        short = lengths <= c
        if not mine and not middle.null_count and not short.any():  # a cell in every row
            pieces += [opening, numbers, head, middle, close]
            continue
        if short.any():
            middle = pc.if_else(pa.array(short), pa.scalar(None, pa.large_binary()), middle)
        cells = _joined(opening, numbers, head, middle, close)  # null where no cell
        if mine:
            mask = np.zeros(count, dtype=bool)
            mask[[r for r, _ in mine]] = True
            replacements = pa.array([xml for _, xml in mine], pa.large_binary())
            cells = pc.replace_with_mask(cells, pa.array(mask), replacements)
        if cells.null_count < count:
            pieces.append(pc.fill_null(cells, pa.scalar(b"", pa.large_binary())))
    pieces.append(b"</row>")
    return _data(_joined(*_merged(pieces)))


def _modules() -> tuple[Any, Any]:
    """pyarrow and pyarrow.compute; an error where they are missing (callers ask first)."""
    modules = _arrow()
    if modules is None:
        raise RuntimeError("pyarrow is not installed")  # callers test available() first
    return modules


def _cell_parts(
    values: np.ndarray, style: int | None, cell_styles: CellStyles, date1904: bool
) -> tuple[bytes, Any, bytes]:
    """A column's cells from the quote ending ``r`` on, as (head, each value's middle, close):
    null where no cell is written."""
    pa, _ = _modules()
    style_attr = f' s="{style}"' if style else ""
    texts = None if style else _texts(values)
    if texts is not None:  # text, and blanks that are no cell
        told = _Text(texts)
        if told.all_plain():
            text_head = f'"{style_attr} t="inlineStr"><is><t>'.encode()
            return text_head, _as_binary(told.values), b"</t></is></c>"
        valid = np.asarray(texts.is_valid(), dtype=bool)
        found: dict[type, np.ndarray] = {
            str: np.flatnonzero(valid),
            type(None): np.flatnonzero(~valid),
        }
        told_kinds = {kind: at for kind, at in found.items() if len(at)}  # as _by_type gives
        return b"", _tails(_Column(values, told_kinds, style, cell_styles, date1904), told), b""
    kinds = _by_type(values)
    alone = set(kinds) - {type(None)}
    text = None
    if not style and alone == {str}:  # texts with a lone surrogate (Python cleans it out)
        text = _Text.of(values)
    elif not style and alone == {int}:
        numbers = _whole(values)
        if numbers is not None:
            return f'"{style_attr}><v>'.encode(), _as_binary(numbers), b"</v></c>"
    elif not style and not alone:
        return b"", pa.nulls(len(values), pa.large_binary()), b""
    return b"", _tails(_Column(values, kinds, style, cell_styles, date1904), text), b""


def _texts(values: np.ndarray) -> Any:
    """A column of texts (any str) and None as a pyarrow large string array, told in one pass;
    None for any other column, or one holding a lone surrogate."""
    pa, _ = _modules()
    if len(values) and type(values[0]) not in (str, type(None)):  # most columns tell at once
        return None
    try:
        found = pa.array(values)
    except MemoryError:  # pyarrow's too: not a kind of value
        raise
    except (pa.ArrowException, ValueError, TypeError, OverflowError):  # another kind of value
        return None
    if pa.types.is_null(found.type):  # blanks alone: _by_type's way
        return None
    return found.cast(pa.large_string()) if pa.types.is_string(found.type) else None


class _Text:
    """Texts as a pyarrow string array, each told plain (as it is), clean (escapes or
    xml:space needed at most) or neither (Python's to write), from their bytes."""

    def __init__(self, values: Any) -> None:
        _, pc = _modules()
        self.values = values
        count = len(values)
        valid = np.asarray(pc.is_valid(values), dtype=bool)
        offsets = np.frombuffer(values.buffers()[1], np.int64)[values.offset :][: count + 1]
        start, stop = offsets[:-1], offsets[1:]
        data = np.frombuffer(values.buffers()[2] or b"", np.uint8)
        flags = np.zeros(count, dtype=np.uint8)
        used = data[offsets[0] : offsets[-1]].tobytes().translate(_FLAG_TABLE)
        found = np.flatnonzero(np.frombuffer(used, np.uint8)) + offsets[0]
        flags_found = _BYTE_FLAGS[data[found]]
        after = [data[np.minimum(found + n, len(data) - 1)] for n in (1, 2)]
        escape = (flags_found == 8) & (after[0] == ord("x"))
        noncharacter = (flags_found == 16) & (after[0] == 0xBF) & (after[1] >= 0xBE)
        flags_found = np.where(escape, 8, np.where(noncharacter, 1, flags_found & 7))
        np.bitwise_or.at(flags, np.searchsorted(stop, found, side="right"), flags_found)
        size = stop - start
        dirty = ~valid | (flags & 1 > 0) | (size == 0)
        # Excel's _xHHHH_, and texts that may be too long: matched and counted where they may.
        doubtful = np.flatnonzero(~dirty & ((flags & 8 > 0) | (size > MAX_TEXT)))
        if len(doubtful):
            some = values.take(doubtful)
            dirty[doubtful] = _true(
                pc.or_(
                    pc.match_substring_regex(some, "_x[0-9A-Fa-f]{4}_"),
                    pc.greater(pc.utf8_length(some), MAX_TEXT),
                )
            )
        self.clean = ~dirty
        self.preserve = (flags & 2 > 0) | _outer_space(data, start, stop)
        self.escape = self.clean & (flags & 4 > 0)
        self.plain = self.clean & ~self.preserve & ~self.escape

    @classmethod
    def of(cls, values: np.ndarray) -> _Text | None:
        """Texts (and None); None where one holds a lone surrogate (Python cleans it out)."""
        pa, _ = _modules()
        try:
            return cls(pa.array(values, pa.large_string()))
        except UnicodeEncodeError:
            return None

    def all_plain(self) -> bool:
        """True when every text (nulls aside) is plain."""
        return bool((self.plain == np.asarray(self.values.is_valid())).all())

    def tails(self, style_attr: str) -> list[tuple[np.ndarray, Any]]:
        """(positions, the tail of each) of the clean texts: as they are, or escaped."""
        pa, pc = _modules()
        head = f'"{style_attr} t="inlineStr"><is><t'.encode()
        binary = pa.large_binary()
        found = []
        for group, escape in ((self.clean & ~self.escape, False), (self.escape, True)):
            positions = np.flatnonzero(group)
            if not len(positions):
                continue
            texts = self.values if len(positions) == len(group) else self.values.take(positions)
            if escape:
                for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):  # saxutils'
                    texts = pc.replace_substring(texts, char, entity)
            preserve = pa.array(self.preserve[positions])
            opening = pc.if_else(
                preserve, pa.scalar(b' xml:space="preserve">', binary), pa.scalar(b">", binary)
            )
            found.append((positions, _joined(head, opening, _as_binary(texts), b"</t></is></c>")))
        return found


def _true(tests: Any) -> np.ndarray:
    """A pyarrow boolean array as numpy's, null as False."""
    _, pc = _modules()
    return np.asarray(pc.fill_null(tests, False), dtype=bool)


def _outer_space(data: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """True for each text (bytes start:stop of data) that begins or ends in whitespace."""
    found = np.zeros(len(start), dtype=bool)
    if not len(data):
        return found
    last = len(data) - 1
    # Only texts whose first or last byte may belong to whitespace are decoded there.
    maybe = np.flatnonzero(
        (stop > start)
        & (_SPACE_FIRST[data[np.minimum(start, last)]] | _SPACE_LAST[data[np.maximum(stop - 1, 0)]])
    )
    found[maybe] = _outer_space_at(data, start[maybe], stop[maybe])
    return found


def _outer_space_at(data: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """:func:`_outer_space` of texts that may have it, their first and last characters read."""
    size = stop - start
    found = np.zeros(len(start), dtype=bool)
    last = len(data) - 1
    for width, spaces in enumerate(_SPACES, start=1):  # UTF-8 is 1, 2 or 3 bytes here
        long_enough = size >= width
        for at in (start, stop - width):  # the first character, the last
            code = np.zeros(len(start), dtype=np.int64)
            for byte in range(width):
                code = code << 8 | data[np.clip(at + byte, 0, last)]
            found |= long_enough & np.isin(code, spaces)
    return found


def _whole(values: np.ndarray) -> Any:
    """Whole numbers (and None) as a pyarrow int64 array; None where one is beyond 64 bits."""
    pa, _ = _modules()
    try:
        return pa.array(values, pa.int64())
    except OverflowError:
        return None


class _Column(NamedTuple):
    """A column's values, the positions of each type's, and how its cells are written."""

    values: np.ndarray
    kinds: dict[type, np.ndarray]
    style: int | None
    cell_styles: CellStyles
    date1904: bool


def _tails(column: _Column, text: _Text | None) -> Any:
    """Each value's tail (XML from the quote ending ``r`` on) as binary; null for no cell.

    ``text`` is the column's text already looked at, if it is all text and blanks.
    """
    pa, _ = _modules()
    values, kinds, style, cell_styles, date1904 = column
    count = len(values)
    where = np.full(count, -1, dtype=np.int64)  # each value's tail in the pieces joined
    pieces = []
    done = 0
    for positions, tails in _arrow_tails(column, text):
        where[positions] = done + np.arange(len(positions))
        pieces.append(tails)
        done += len(tails)
    blanks = kinds.get(type(None), _NONE)
    if len(blanks):  # one tail: a styled empty cell, or none
        where[blanks] = done
        pieces.append(pa.array([f'" s="{style}"/>'.encode() if style else None], pa.large_binary()))
        done += 1
    rest = np.flatnonzero(where < 0)
    if len(rest):  # what pyarrow does not write: cell_xml's own encoding
        encoded = encode(values[rest], style, cell_styles, date1904)
        where[rest] = encoded.codes.astype(np.int64) + done
        pieces.append(pa.array([tail or None for tail in encoded.tails], pa.large_binary()))
    if not pieces:
        return pa.array([], pa.large_binary())
    only = pieces[0] if len(pieces) == 1 and len(pieces[0]) == count else None
    if only is not None and np.array_equal(where, np.arange(count)):  # each its own, in order
        return only
    return pa.concat_arrays(pieces).take(pa.array(where))


def _by_type(values: np.ndarray) -> dict[type, np.ndarray]:
    """The positions of the values of each exact type (bool is no int here, nor np.str_ a str)."""
    kinds = set(map(type, values))
    if len(kinds) < 2:  # the usual column: one type throughout
        return {kind: np.arange(len(values)) for kind in kinds}
    types = np.fromiter(map(type, values), object, len(values))
    index = {kind: at for at, kind in enumerate(kinds)}  # not ==: numpy takes a type for dtype
    codes = np.fromiter(map(index.__getitem__, types), np.int64, len(values))
    return {kind: np.flatnonzero(codes == at) for kind, at in index.items()}


def _arrow_tails(column: _Column, text: _Text | None) -> list[tuple[np.ndarray, Any]]:
    """(positions, the tail of each) of the values pyarrow writes: clean text, whole numbers
    and dates."""
    pa, pc = _modules()
    values, kinds, style, cell_styles, date1904 = column
    style_attr = f' s="{style}"' if style else ""
    found = []
    texts = kinds.get(str, _NONE)
    if text is not None:  # the column's own: blanks too
        texts = np.arange(len(values))
    elif len(texts):
        text = _Text.of(values[texts])
    if text is not None:  # else a lone surrogate somewhere: all of them in Python
        found += [(texts[positions], tails) for positions, tails in text.tails(style_attr)]
    whole = kinds.get(int, _NONE)
    numbers = _whole(values[whole]) if len(whole) else None
    if len(whole) and numbers is None:  # a number beyond 64 bits (rare): those are for Python
        whole = whole[[-(2**63) <= number < 2**63 for number in values[whole]]]
        numbers = _whole(values[whole])
    if len(whole):
        number_head = f'"{style_attr}><v>'.encode()
        found.append((whole, _joined(number_head, _as_binary(numbers), b"</v></c>")))
    dates = kinds.get(dt.date, _NONE)
    if len(dates):
        epoch = int(excel_serial(dt.date(1970, 1, 1), date1904))  # serial of day 0 of date32
        serials = pc.add(pa.array(values[dates], pa.date32()).cast(pa.int32()), epoch)
        # Excel's phantom 1900-02-29 shifts the 1900 system's first 60 days: Python does those.
        usual = np.asarray(pc.greater_equal(serials, 61 if not date1904 else -(2**31)))
        date_style = style if style is not None else cell_styles.date
        date_head = f'" s="{date_style}"><v>'.encode()
        serial_text = _as_binary(serials.filter(pa.array(usual)))
        found.append((dates[usual], _joined(date_head, serial_text, b"</v></c>")))
    return found


def _as_binary(values: Any) -> Any:
    """Text, or numbers as their decimal text, as large binary."""
    pa, pc = _modules()
    if values.type != pa.large_string():
        values = pc.cast(values, pa.large_string())
    return values.view(pa.large_binary())


def _joined(*parts: Any) -> Any:
    """The parts (bytes, or binary arrays of equal length) joined element by element; null
    where a part is."""
    pa, pc = _modules()
    binary = pa.large_binary()
    pieces = [pa.scalar(part, binary) if isinstance(part, bytes) else part for part in parts]
    return pc.binary_join_element_wise(*pieces, pa.scalar(b"", binary))


def _merged(pieces: list[Any]) -> list[Any]:
    """The pieces with neighbouring constant ones (bytes) made one."""
    merged: list[Any] = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += piece
        elif not isinstance(piece, bytes) or piece:
            merged.append(piece)
    return merged


def _data(rows: Any) -> memoryview:
    """The concatenation of a binary array's values without nulls: its data buffer, no copy."""
    if not len(rows):
        return memoryview(b"")
    _, offsets, data = rows.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
