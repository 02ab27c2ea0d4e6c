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
    root = _storages(streams)
    entries = _numbered(root)
    _link(root)
    mini, minifat = _mini_stream(entries)
    root.data = bytes(mini)
    big = [e for e in entries if e.kind == 2 and len(e.data) >= _CUTOFF]
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    directory_sectors = _sectors(b"".join(_entry_bytes(e) for e in entries), _SECTOR)
    counts = (
        directory_sectors,
        _sectors(minifat_bytes, _SECTOR),
        _sectors(mini, _SECTOR),
        sum(_sectors(e.data, _SECTOR) for e in big),
    )
    fat_sectors = _fat_sectors(sum(counts))
    fat = [_FATSECT] * fat_sectors + [_FREE] * (fat_sectors * (_PER_SECTOR - 1))
    at = fat_sectors
    starts = []
    for count in counts[:3]:  # the directory, the mini FAT, the mini stream: one chain each
        starts.append(_chain(fat, at, count))
        at += count
    dir_start, minifat_start, root.start = starts
    body = bytearray()
    for entry in big:
        count = _sectors(entry.data, _SECTOR)
        entry.start = _chain(fat, at, count)
        at += count
        body += entry.data.ljust(count * _SECTOR, b"\0")
    return b"".join(
        (
            _header(fat_sectors, dir_start, minifat_start, counts[1]),
            struct.pack(f"<{len(fat)}I", *fat),
            _directory(entries),
            _padded(minifat_bytes, b"\xff\xff\xff\xff"),
            _padded(bytes(mini)),
            bytes(body),
        )
    )


def _storages(streams: Mapping[str, bytes]) -> _Entry:
    """The root storage with a storage per folder and a stream per path."""
    root = _Entry("Root Entry", 5)
    for path, data in sorted(streams.items()):
        *folders, name = path.split("/")
        for part in (*folders, name):
            if len(part) > 31 or any(c in part for c in "/\\:!"):
                raise UsageError(
                    tr(
                        f"复合文件中的名称无效：{part!r}",
                        f"not a valid compound-file name: {part!r}",
                    )
                )
        node = root
        for folder in folders:
            node = node.children.setdefault(folder, _Entry(folder, 1))
        node.children[name] = _Entry(name, 2, bytes(data))
    return root


def _numbered(root: _Entry) -> list[_Entry]:
    """Every entry, each numbered (its sid) in directory order: a storage before its children."""
    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.sid = len(entries)
        entries.append(entry)
        for child in sorted(entry.children.values(), key=lambda e: _order(e.name)):
            number(child)

    number(root)
    return entries


def _mini_stream(entries: list[_Entry]) -> tuple[bytearray, list[int]]:
    """Small streams in the mini stream, one 64-byte mini sector chain each, and its FAT."""
    mini = bytearray()
    minifat: list[int] = []
    for entry in entries:
        if entry.kind == 2 and 0 < len(entry.data) < _CUTOFF:
            count = _sectors(entry.data, _MINI)
            entry.start = len(minifat)
            minifat += [len(minifat) + i + 1 for i in range(count - 1)] + [_END]
            mini += entry.data.ljust(count * _MINI, b"\0")
    return mini, minifat


def _fat_sectors(data_sectors: int) -> int:
    """How many FAT sectors map the data and themselves (the header's DIFAT holds 109)."""
    fat_sectors = 1
    while fat_sectors * _PER_SECTOR < data_sectors + fat_sectors:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        raise UsageError(
            tr("VBA 工程过大（超过约 7 MB）", "the VBA project is too large (over about 7 MB)")
        )
    return fat_sectors


def _padded(data: bytes, fill: bytes = b"\0") -> bytes:
    """Data filled up to a whole sector."""
    return data + fill * ((-len(data) // len(fill)) % (_SECTOR // len(fill)))


def _directory(entries: list[_Entry]) -> bytes:
    """The directory entries, filled up to a whole sector with empty ones."""
    directory = b"".join(_entry_bytes(e) for e in entries)
    # Unused directory slots are empty entries with no siblings (MS-CFB 2.6.3).
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NONE, _NONE, _NONE, b"", 0, 0, 0, 0, 0)
    return directory + empty * ((-len(directory) // 128) % 4)


def _header(fat_sectors: int, dir_start: int, minifat_start: int, minifat_sectors: int) -> bytes:
    """The 512-byte header, its DIFAT naming the FAT sectors (the file's first ones)."""
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
        minifat_sectors,
        _END,
        0,
    )
    difat = list(range(fat_sectors)) + [_FREE] * (_HEADER_DIFAT - fat_sectors)
    return header + struct.pack(f"<{_HEADER_DIFAT}I", *difat)
