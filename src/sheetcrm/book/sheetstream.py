"""Big worksheet parts as streams: inflated piece by piece, cut only between rows.

A full sheet's XML is most of a gigabyte. The reader and the writer never hold
it whole: they inflate the zip member in pieces (in a worker thread, as
inflating lets go of the GIL) and re-cut the pieces after a row's closing tag,
so that each one can be worked on by itself.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from ..errors import WorkbookError
from ..i18n import tr

try:  # ISA-L (de)compresses big sheets ~2-4x faster than zlib, same format
    from isal import isal_zlib as codec
except ImportError:  # without sheetcrm[fast] (or an isal wheel for this Python): zlib, slower
    codec = zlib  # type: ignore[misc,unused-ignore]  # same API

__all__ = [
    "SHEET_DATA",
    "codec",
    "file_raw",
    "inflate",
    "member",
    "raw_offset",
    "read_ahead",
    "row_pieces",
    "sheet_start",
]

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip local file header, fixed part
SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")


def raw_offset(head: bytes) -> int:
    """Where a member's compressed bytes start, given the bytes from its local header on."""
    header = _LOCAL_HEADER.unpack_from(head)
    # Fields 9 and 10 of the "<4s5H3L2H" layout are the name and extra lengths (H: int).
    name_length: int = header[9]
    extra_length: int = header[10]
    return _LOCAL_HEADER.size + name_length + extra_length


def member(path: Path, info: zipfile.ZipInfo, piece: int) -> Generator[bytes, None, None]:
    """A zip member of a file on disk in pieces of about ``piece`` bytes, inflated ahead in a
    worker thread (the file is never read whole)."""
    with path.open("rb") as handle:
        yield from read_ahead(member_pieces(handle, info, piece, path.name))


def member_pieces(
    handle: IO[bytes], info: zipfile.ZipInfo, piece: int, book: str
) -> Iterator[bytes]:
    """A member of an open zip file in pieces of about ``piece`` bytes, inflated, its CRC
    checked at the end; a stored member is read as it is."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        with zipfile.ZipFile(handle) as package, package.open(info) as part:
            while chunk := part.read(piece):
                yield chunk
        return
    yield from inflate(file_raw(handle, info, piece // 8), info, book)  # XML inflates about 8x


def file_raw(handle: IO[bytes], info: zipfile.ZipInfo, piece: int) -> Iterator[bytes]:
    """A member's compressed bytes read from an open zip file, ``piece`` bytes at a time."""
    handle.seek(info.header_offset)
    handle.seek(info.header_offset + raw_offset(handle.read(_LOCAL_HEADER.size)))
    left = info.compress_size
    while left > 0:
        chunk = handle.read(min(max(piece, 1), left))
        if not chunk:
            break
        left -= len(chunk)
        yield chunk


def inflate(raw: Iterable[bytes | memoryview], info: zipfile.ZipInfo, book: str) -> Iterator[bytes]:
    """A deflated member's bytes, inflated piece by piece, its CRC checked at the end."""
    inflater = codec.decompressobj(-15)
    crc = 0
    for chunk in raw:
        piece = inflater.decompress(chunk)
        crc = codec.crc32(piece, crc)
        yield piece
    piece = inflater.flush()
    crc = codec.crc32(piece, crc)
    yield piece
    if crc != info.CRC:
        raise WorkbookError(
            tr(
                f"{book} 已损坏（{info.filename} 校验失败）。请用 Excel 打开修复并另存",
                f"{book} is damaged ({info.filename} fails its checksum); open it in Excel "
                "to repair it and save it again",
            )
        )


def read_ahead(pieces: Iterator[bytes]) -> Generator[bytes, None, None]:
    """The same pieces, each next one made in a worker thread while this one is used."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, pieces, None)
        while (piece := pending.result()) is not None:
            pending = pool.submit(next, pieces, None)
            yield piece


def sheet_start(chunks: Iterator[bytes], sheet: str) -> tuple[bytes, re.Match[bytes]]:
    """The start of a worksheet part, read up to its ``<sheetData>`` tag, and that tag."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        match = SHEET_DATA.search(buffer)
        if match:
            return buffer, match
    match = SHEET_DATA.search(buffer)
    if match is None:
        raise WorkbookError(
            tr(
                f"工作表“{sheet}”已损坏（没有 sheetData）",
                f"sheet '{sheet}' is damaged (no sheetData)",
            )
        )
    return buffer, match


def row_pieces(first: bytes, chunks: Iterator[bytes], closing: bytes) -> Iterator[bytes]:
    """The part re-cut into pieces that end just after a row's closing tag (the last: the rest).

    No row is ever cut in two, so each piece can be worked on by itself and a
    full sheet costs a piece or two of memory, not its whole size.
    """
    rest = first
    for chunk in chunks:
        cut = chunk.rfind(closing)
        if cut < 0:  # no row ends in it (nor, maybe, across its start: found with the next)
            rest += chunk
            continue
        cut += len(closing)
        # One copy of the piece (the rest before it, then the chunk up to the cut), not two.
        yield b"".join((rest, memoryview(chunk)[:cut]))
        rest = chunk[cut:]
    if rest:
        yield rest
