"""A compound file (MS-CFB version 3) writer: the container a vbaProject.bin is stored in."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import UsageError
from ..i18n import tr

__all__ = ["write_cfb"]

_SECTOR = 512
_MINI = 64
_CUTOFF = 4096  # streams shorter than this live in the mini stream
_FREE, _END, _FATSECT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_PER_SECTOR = _SECTOR // 4
_HEADER_DIFAT = 109


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = _NONE
    right: int = _NONE
    child: int = _NONE
    red: bool = False
    start: int = _END


def _order(name: str) -> tuple[int, str]:
    """CFB sibling order: shorter names first, then by upper-cased text (MS-CFB 2.6.4)."""
    return len(name.encode("utf-16-le")), name.upper()


def _tree(entries: list[_Entry], depth: int, last: int) -> int:
    """Link sorted siblings into a balanced tree; nodes on a partial last level are red."""
    if not entries:
        return _NONE
    mid = len(entries) // 2
    node = entries[mid]
    node.red = depth == last
    node.left = _tree(entries[:mid], depth + 1, last)
    node.right = _tree(entries[mid + 1 :], depth + 1, last)
    return node.sid


def _link(storage: _Entry) -> None:
    siblings = sorted(storage.children.values(), key=lambda e: _order(e.name))
    n = len(siblings)
    height = n.bit_length() - 1  # depth of the deepest level of a median-split tree
    full = n == (1 << (height + 1)) - 1
    storage.child = _tree(siblings, 0, -1 if full else height)
    for entry in siblings:
        _link(entry)


def _sectors(data: bytes | bytearray, size: int) -> int:
    return -(-len(data) // size)


def _chain(fat: list[int], start: int, count: int) -> int:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else _END
    return start if count else _END


def _entry_bytes(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le")
    size = len(entry.data) if entry.kind in (2, 5) else 0
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name) + 2,
        entry.kind,
        0 if entry.red else 1,
        entry.left,
        entry.right,
        entry.child,
        b"",
        0,
        0,
        0,
        entry.start,
        size,
    )


def write_cfb(streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding each stream at its ``/``-separated path."""
    root = _Entry("Root Entry", 5)
    for path, data in sorted(streams.items()):
        *folders, name = path.split("/")
        node = root
        for folder in folders:
            node = node.children.setdefault(folder, _Entry(folder, 1))
        for part in (*folders, name):
            if len(part) > 31 or any(c in part for c in "/\\:!"):
                raise UsageError(
                    tr(
                        f"复合文件中的名称无效：{part!r}",
                        f"not a valid compound-file name: {part!r}",
                    )
                )
        node.children[name] = _Entry(name, 2, bytes(data))

    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.sid = len(entries)
        entries.append(entry)
        for child in sorted(entry.children.values(), key=lambda e: _order(e.name)):
            number(child)

    number(root)
    _link(root)

    # Small streams go to the mini stream, one 64-byte mini sector chain each.
    mini = bytearray()
    minifat: list[int] = []
    big = [e for e in entries if e.kind == 2 and len(e.data) >= _CUTOFF]
    for entry in entries:
        if entry.kind == 2 and 0 < len(entry.data) < _CUTOFF:
            count = _sectors(entry.data, _MINI)
            entry.start = len(minifat)
            minifat += [len(minifat) + i + 1 for i in range(count - 1)] + [_END]
            mini += entry.data.ljust(count * _MINI, b"\0")
    root.data = bytes(mini)

    directory = b"".join(_entry_bytes(e) for e in entries)  # sizes only; rebuilt below
    counts = {
        "dir": _sectors(directory, _SECTOR),
        "minifat": _sectors(struct.pack(f"<{len(minifat)}I", *minifat), _SECTOR),
        "mini": _sectors(mini, _SECTOR),
        "big": sum(_sectors(e.data, _SECTOR) for e in big),
    }
    data_sectors = sum(counts.values())
    fat_sectors = 1
    while fat_sectors * _PER_SECTOR < data_sectors + fat_sectors:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        raise UsageError(
            tr("VBA 工程过大（超过约 7 MB）", "the VBA project is too large (over about 7 MB)")
        )

    fat = [_FREE] * (fat_sectors * _PER_SECTOR)
    for i in range(fat_sectors):
        fat[i] = _FATSECT
    at = fat_sectors
    dir_start = _chain(fat, at, counts["dir"])
    at += counts["dir"]
    minifat_start = _chain(fat, at, counts["minifat"])
    at += counts["minifat"]
    root.start = _chain(fat, at, counts["mini"])
    at += counts["mini"]
    body = bytearray()
    for entry in big:
        count = _sectors(entry.data, _SECTOR)
        entry.start = _chain(fat, at, count)
        at += count
        body += entry.data.ljust(count * _SECTOR, b"\0")

    def padded(data: bytes, fill: bytes = b"\0") -> bytes:
        return data + fill * ((-len(data) // len(fill)) % (_SECTOR // len(fill)))

    directory = b"".join(_entry_bytes(e) for e in entries)
    # Unused directory slots are empty entries with no siblings (MS-CFB 2.6.3).
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NONE, _NONE, _NONE, b"", 0, 0, 0, 0, 0)
    directory += empty * ((-len(directory) // 128) % 4)

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"",
        0x003E,
        0x0003,
        0xFFFE,
        9,
        6,
        b"",
        0,
        fat_sectors,
        dir_start,
        0,
        _CUTOFF,
        minifat_start,
        counts["minifat"],
        _END,
        0,
    )
    difat = list(range(fat_sectors)) + [_FREE] * (_HEADER_DIFAT - fat_sectors)
    header += struct.pack(f"<{_HEADER_DIFAT}I", *difat)
    return b"".join(
        (
            header,
            struct.pack(f"<{len(fat)}I", *fat),
            directory,
            padded(struct.pack(f"<{len(minifat)}I", *minifat), b"\xff\xff\xff\xff"),
            padded(bytes(mini)),
            bytes(body),
        )
    )
