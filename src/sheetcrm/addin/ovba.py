"""A VBA project writer after MS-OVBA: compression, the ``dir`` stream, module and project streams.

Only what Excel needs to load a project from source is written: the
``_VBA_PROJECT`` stream says version 0xFFFF and carries no performance cache,
so Excel compiles every module from the text we store (MS-OVBA 2.3.4.1).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import UsageError
from ..i18n import tr

__all__ = [
    "CODEPAGE",
    "Module",
    "ModuleKind",
    "compress",
    "decompress",
    "project_streams",
    "read_records",
    "reference_records",
]

# Windows-1252: every module we write is checked to be encodable in it; Chinese text in
# our VBA is spelt as code points and decoded at run time, so the project is the same on
# every Windows locale.
CODEPAGE = 1252
_ENCODING = "cp1252"

_CHUNK = 4096
_DEPTH = 256  # match candidates tried per position: bounds the time on repetitive input
_TERMINATOR = 0x0010
_VERSION_RECORD = 0x0009  # its size field is fixed at 4, yet 6 bytes follow (MS-OVBA 2.3.4.2.1.11)
_VBA_PROJECT = b"\xcc\x61\xff\xff\x00\x00\x00"  # Reserved1, Version 0xFFFF, Reserved2, Reserved3


ModuleKind = Literal["standard", "class", "document"]


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind and source text (lines separated by ``\\n``)."""

    name: str
    kind: ModuleKind
    source: str


# --- compression (MS-OVBA 2.4.1) -------------------------------------------------------------


def _bit_count(position: int) -> int:
    """Bits of a copy token used for the offset at this position in the chunk (2.4.1.3.19.1)."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(data: bytes) -> bytes:
    """One CompressedChunk (header included) for at most 4096 bytes."""
    out = bytearray()
    pos, end = 0, len(data)
    chains: dict[bytes, list[int]] = {}
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            length, offset = 0, 0
            if pos >= 1 and pos + 3 <= end:
                bits = _bit_count(pos)
                limit = min((0xFFFF >> bits) + 3, end - pos)
                # Candidates newest first, so the nearest of equally long matches wins.
                for cand in reversed(chains.get(data[pos : pos + 3], [])[-_DEPTH:]):
                    n = 3
                    while n < limit and data[cand + n] == data[pos + n]:
                        n += 1
                    if n > length:
                        length, offset = n, pos - cand
                        if n == limit:
                            break
            step = length if length >= 3 else 1
            if length >= 3:
                bits = _bit_count(pos)
                token = ((offset - 1) << (16 - bits)) | (length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
            else:
                out.append(data[pos])
            for i in range(pos, pos + step):
                if i + 3 <= end:
                    chains.setdefault(data[i : i + 3], []).append(i)
            pos += step
        out[flag_at] = flags
    if len(out) > _CHUNK:
        # A raw chunk always holds 4096 bytes; the spec pads a short last one with zeros.
        return struct.pack("<H", 0x3FFF) + data.ljust(_CHUNK, b"\0")
    return struct.pack("<H", 0xB000 | (len(out) - 1)) + out


def compress(data: bytes) -> bytes:
    """The MS-OVBA CompressedContainer holding ``data``."""
    chunks = (data[i : i + _CHUNK] for i in range(0, len(data), _CHUNK))
    return b"\x01" + b"".join(_compress_chunk(chunk) for chunk in chunks)


def decompress(container: bytes) -> bytes:
    """The bytes an MS-OVBA CompressedContainer holds."""
    if not container or container[0] != 0x01:
        raise UsageError(
            tr(
                "不是 MS-OVBA 压缩数据：首字节应为 0x01",
                "not an MS-OVBA compressed container: the first byte must be 0x01",
            )
        )
    out = bytearray()
    pos = 1
    while pos + 2 <= len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        size = (header & 0x0FFF) + 3
        chunk_end = min(pos + size, len(container))
        pos += 2
        start = len(out)
        if not header & 0x8000:
            out += container[pos : pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if flags & (1 << bit):
                    (token,) = struct.unpack_from("<H", container, pos)
                    pos += 2
                    bits = _bit_count(len(out) - start)
                    offset = (token >> (16 - bits)) + 1
                    length = (token & (0xFFFF >> bits)) + 3
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(container[pos])
                    pos += 1
    return bytes(out)


# --- records of the dir stream (MS-OVBA 2.3.4.2) --------------------------------------------


def read_records(dir_data: bytes) -> Iterator[tuple[int, bytes]]:
    """Every (id, payload) record of a decompressed ``dir`` stream, in order."""
    pos = 0
    while pos + 6 <= len(dir_data):
        rid, size = struct.unpack_from("<HI", dir_data, pos)
        pos += 6
        if rid == _VERSION_RECORD:
            size = 6
        yield rid, dir_data[pos : pos + size]
        pos += size


def _record(rid: int, payload: bytes) -> bytes:
    size = 4 if rid == _VERSION_RECORD else len(payload)
    return struct.pack("<HI", rid, size) + payload


def reference_records(dir_data: bytes) -> list[tuple[int, bytes]]:
    """The REFERENCE records of a decompressed ``dir`` stream (to carry them into a new project)."""
    records = list(read_records(dir_data))
    ids = [rid for rid, _ in records]
    # References sit between PROJECTCONSTANTS' unicode part (0x3C) and PROJECTMODULES (0x0F).
    return records[ids.index(0x003C) + 1 : ids.index(0x000F)]


def _text(text: str) -> bytes:
    try:
        return text.encode(_ENCODING)
    except UnicodeEncodeError as exc:
        raise UsageError(
            tr(
                f"VBA 文本含代码页 {CODEPAGE} 之外的字符 {text[exc.start : exc.end]!r}（位置 {exc.start}）：请改用 ASCII",
                f"VBA text has a character outside code page {CODEPAGE}, {text[exc.start : exc.end]!r} at {exc.start}: use ASCII",
            )
        ) from exc


def _pair(rid: int, unicode_rid: int, text: str) -> bytes:
    """A record in the project code page followed by its UTF-16 twin."""
    return _record(rid, _text(text)) + _record(unicode_rid, text.encode("utf-16-le"))


def _dir_stream(
    project: str, modules: Sequence[Module], references: Sequence[tuple[int, bytes]]
) -> bytes:
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # SYSKIND: Win32, as Excel itself writes
    out += _record(0x0002, struct.pack("<I", 0x0409))  # LCID
    out += _record(0x0014, struct.pack("<I", 0x0409))  # LCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODEPAGE))
    out += _record(0x0004, _text(project))
    out += _pair(0x0005, 0x0040, "")  # DOCSTRING
    out += _pair(0x0006, 0x003D, "")  # HELPFILEPATH (both parts)
    out += _record(0x0007, struct.pack("<I", 0))  # HELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    out += _record(_VERSION_RECORD, struct.pack("<IH", 1, 0))
    out += _pair(0x000C, 0x003C, "")  # CONSTANTS
    for rid, payload in references:
        out += _record(rid, payload)
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        out += _record(0x0019, _text(module.name))
        out += _record(0x0047, module.name.encode("utf-16-le"))
        out += _pair(0x001A, 0x0032, module.name)  # STREAMNAME
        out += _pair(0x001C, 0x0048, "")  # DOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # OFFSET: source starts the stream
        out += _record(0x001E, struct.pack("<I", 0))  # HELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # COOKIE
        out += _record(0x0021 if module.kind == "standard" else 0x0022, b"")
        out += _record(0x002B, b"")
    out += struct.pack("<HI", _TERMINATOR, 0)
    return bytes(out)


# --- the PROJECT and PROJECTwm streams (MS-OVBA 2.3.1, 2.3.3) -------------------------------


def _encrypt(project_id: str, seed: int, data: bytes) -> str:
    """Data Encryption (MS-OVBA 2.4.3.2) as the hex text the PROJECT stream holds."""
    key = sum(project_id.encode("ascii")) & 0xFF
    out = [seed, seed ^ 2, seed ^ key]
    plain, enc1, enc2 = key, out[2], out[1]
    ignored = bytes((seed & 6) // 2)
    for byte in ignored + struct.pack("<I", len(data)) + data:
        enc = byte ^ ((enc2 + plain) & 0xFF)
        out.append(enc)
        enc2, enc1, plain = enc1, enc, byte
    return bytes(out).hex().upper()


_UNPROTECTED, _NO_PASSWORD, _VISIBLE = bytes(4), b"\0", b"\xff"


def _project_stream(project_id: str, project: str, modules: Sequence[Module]) -> bytes:
    lines = [f'ID="{project_id}"']
    for module in modules:
        key = {"standard": "Module", "class": "Class", "document": "Document"}[module.kind]
        suffix = "/&H00000000" if module.kind == "document" else ""
        lines.append(f"{key}={module.name}{suffix}")
    lines += [
        f'Name="{project}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # Unprotected, no password, visible (2.3.1.15-17); seeds fixed so builds are repeatable.
        f'CMG="{_encrypt(project_id, 0x11, _UNPROTECTED)}"',
        f'DPB="{_encrypt(project_id, 0x13, _NO_PASSWORD)}"',
        f'GC="{_encrypt(project_id, 0x15, _VISIBLE)}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
        "",
    ]
    return _text("\r\n".join(lines))


def _projectwm_stream(modules: Sequence[Module]) -> bytes:
    names = b"".join(_text(m.name) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules)
    return names + b"\0\0"


_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")


def project_streams(
    project_id: str,
    project: str,
    modules: Sequence[Module],
    references: Sequence[tuple[int, bytes]],
) -> dict[str, bytes]:
    """Every stream of a vbaProject.bin by its path (``VBA/dir``, ``PROJECT``, …)."""
    for name in (project, *(m.name for m in modules)):
        if not _NAME.match(name):
            raise UsageError(
                tr(
                    f"VBA 名称 {name!r} 无效：须以字母开头，仅含字母、数字、下划线，最多 31 个字符",
                    f"VBA name {name!r} is not valid: a letter, then letters, digits or _, at most 31",
                )
            )
    streams = {
        "PROJECT": _project_stream(project_id, project, modules),
        "PROJECTwm": _projectwm_stream(modules),
        "VBA/_VBA_PROJECT": _VBA_PROJECT,
        "VBA/dir": compress(_dir_stream(project, modules, references)),
    }
    for module in modules:
        text = module.source.replace("\r\n", "\n").replace("\n", "\r\n")
        streams[f"VBA/{module.name}"] = compress(_text(text))
    return streams
