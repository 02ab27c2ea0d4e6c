"""The compound-file writer: olefile reads back every stream; directory trees follow MS-CFB."""

from __future__ import annotations

import io

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.addin.cfb import write_cfb
from sheetcrm.errors import UsageError

NAMES = st.text(alphabet="abcXYZ_09", min_size=1, max_size=12)
RED, BLACK = 0, 1  # MS-CFB 2.6.1 colour flags
SIZES = st.sampled_from([0, 1, 63, 64, 65, 511, 4095, 4096, 4097, 9000])


def _read(data: bytes) -> tuple[olefile.OleFileIO, dict[str, bytes]]:
    ole = olefile.OleFileIO(io.BytesIO(data))
    return ole, {"/".join(p): ole.openstream("/".join(p)).read() for p in ole.listdir()}


def _key(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def _check_tree(ole: olefile.OleFileIO, sid: int) -> tuple[list[str], int]:
    """In-order names and black height of a sibling tree; asserts the red-black rules."""
    if sid == olefile.NOSTREAM:
        return [], 1
    entry = ole.direntries[sid]
    left, left_black = _check_tree(ole, entry.sid_left)
    right, right_black = _check_tree(ole, entry.sid_right)
    assert left_black == right_black, "every path has the same number of black nodes"
    if entry.color == RED:
        for child in (entry.sid_left, entry.sid_right):
            assert child == olefile.NOSTREAM or ole.direntries[child].color == BLACK
    return [*left, entry.name, *right], left_black + (entry.color == BLACK)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(NAMES, SIZES, max_size=20),
    st.dictionaries(NAMES, SIZES, max_size=6),
)
def test_every_stream_reads_back_exactly(top: dict[str, int], inner: dict[str, int]) -> None:
    streams = {name: bytes([len(name)]) * size for name, size in top.items() if name != "VBA"}
    streams |= {f"VBA/{name}": bytes([7]) * size for name, size in inner.items()}
    ole, got = _read(write_cfb(streams))
    assert got == {k: v for k, v in streams.items()}
    for entry in ole.direntries:
        if entry is not None and entry.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
            names, _ = _check_tree(ole, entry.sid_child)
            assert names == sorted(names, key=_key)
            if names:
                assert ole.direntries[entry.sid_child].color == BLACK


def test_large_project_needs_several_fat_sectors() -> None:
    streams = {f"S{i}": bytes([i]) * (20000 + i) for i in range(40)}
    ole, got = _read(write_cfb(streams))
    assert got == streams
    assert ole.num_fat_sectors > 1


def test_names_longer_than_31_characters_are_refused() -> None:
    with pytest.raises(UsageError, match="x" * 32):
        write_cfb({"x" * 32: b"data"})
