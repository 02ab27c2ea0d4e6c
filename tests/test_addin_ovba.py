"""MS-OVBA: compression round trips and agrees with oletools; streams of a project are well formed."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from sheetcrm.addin.ovba import (
    Module,
    compress,
    decompress,
    project_streams,
    read_records,
    reference_records,
)
from sheetcrm.errors import UsageError

TEXT = (
    'Attribute VB_Name = "M"\r\nSub A()\r\n    MsgBox "hello" & x\r\nEnd Sub\r\n' * 300
).encode()


def _chunks(container: bytes) -> list[tuple[bool, int]]:
    """(compressed?, chunk size) of each chunk of a container."""
    out, pos = [], 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        size = (header & 0x0FFF) + 3
        out.append((bool(header & 0x8000), size))
        pos += size
    return out


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000))
def test_arbitrary_bytes_round_trip(data: bytes) -> None:
    out = decompress(compress(data))
    assert out[: len(data)] == data
    # Only a raw (incompressible) last chunk is padded, and only with zeros, as MS-OVBA says.
    assert set(out[len(data) :]) <= {0}
    if _chunks(compress(data))[-1:] != [(False, 4098)]:
        assert out == data


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([b"Sub ", b"End Sub\r\n", b"x = 1", b"  ", b"\xe4"]), max_size=2000)
)
def test_repetitive_bytes_round_trip_exactly_and_oletools_agrees(parts: list[bytes]) -> None:
    data = b"".join(parts)
    packed = compress(data)
    assert decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data


def test_text_over_many_chunks_compresses_and_round_trips() -> None:
    packed = compress(TEXT)
    assert len(TEXT) > 3 * 4096
    assert len(packed) < len(TEXT) // 5
    assert all(flag for flag, _ in _chunks(packed))
    assert decompress(packed) == TEXT
    assert bytes(decompress_stream(bytearray(packed))) == TEXT


def test_incompressible_chunk_is_stored_raw() -> None:
    data = random.Random(1).randbytes(4096)  # literals plus flag bytes exceed 4096
    packed = compress(data)
    assert _chunks(packed) == [(False, 4098)]
    assert decompress(packed) == data


def test_decompress_refuses_a_non_container() -> None:
    with pytest.raises(UsageError, match="0x01"):
        decompress(b"\x02abc")


MODULES = [
    Module("ThisWorkbook", "document", 'Attribute VB_Name = "ThisWorkbook"\n'),
    Module("Dictionary", "class", 'Attribute VB_Name = "Dictionary"\n'),
    Module("Main", "standard", 'Attribute VB_Name = "Main"\nSub A()\nEnd Sub\n'),
]
REFERENCES = [
    (0x0016, b"stdole"),
    (0x003E, "stdole".encode("utf-16-le")),
    (0x000D, b"\x04\0\0\0abcd"),
]


def test_dir_stream_lists_modules_with_types_and_carries_references() -> None:
    streams = project_streams("{00000000-0000-0000-0000-000000000001}", "Proj", MODULES, REFERENCES)
    dir_data = decompress(streams["VBA/dir"])
    records = list(read_records(dir_data))
    ids = [rid for rid, _ in records]
    assert ids[0] == 0x0001 and ids[-1] == 0x0010
    assert dict(records)[0x0003] == struct.pack("<H", 1252)
    assert reference_records(dir_data) == REFERENCES
    names = [payload.decode() for rid, payload in records if rid == 0x0019]
    types = [rid for rid, _ in records if rid in (0x0021, 0x0022)]
    assert names == ["ThisWorkbook", "Dictionary", "Main"]
    assert types == [0x0022, 0x0022, 0x0021]
    assert all(payload == b"\0\0\0\0" for rid, payload in records if rid == 0x0031)
    assert streams["VBA/_VBA_PROJECT"][2:4] == b"\xff\xff"
    assert (
        decompress(streams["VBA/Main"]) == b'Attribute VB_Name = "Main"\r\nSub A()\r\nEnd Sub\r\n'
    )


def _decrypt(project_id: str, text: str) -> bytes:
    data = bytes.fromhex(text)
    seed, key = data[0], data[2] ^ data[0]
    assert data[1] ^ seed == 2 and key == sum(project_id.encode()) & 0xFF
    plain, enc1, enc2, out = key, data[2], data[1], []
    for byte in data[3:]:
        dec = byte ^ ((enc2 + plain) & 0xFF)
        out.append(dec)
        enc2, enc1, plain = enc1, byte, dec
    ignored = (seed & 6) // 2
    length = int.from_bytes(bytes(out[ignored : ignored + 4]), "little")
    return bytes(out[ignored + 4 : ignored + 4 + length])


def test_project_stream_says_unprotected_visible_and_names_every_module() -> None:
    project_id = "{6B1D5F0E-3C2A-4E7B-9A41-5E43A2C0F1D7}"
    text = project_streams(project_id, "Proj", MODULES, [])["PROJECT"].decode("cp1252")
    lines = text.split("\r\n")
    assert "Document=ThisWorkbook/&H00000000" in lines
    assert "Class=Dictionary" in lines and "Module=Main" in lines
    fields = dict(line.split("=", 1) for line in lines if line[:4] in ("CMG=", "DPB=", 'GC="'))
    assert _decrypt(project_id, fields["CMG"].strip('"')) == b"\0\0\0\0"
    assert _decrypt(project_id, fields["DPB"].strip('"')) == b"\0"
    assert _decrypt(project_id, fields["GC"].strip('"')) == b"\xff"


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (Module("Bad.Name", "standard", ""), "Bad.Name"),
        (Module("Main", "standard", "' 客户\n"), "1252"),
    ],
)
def test_project_refuses_bad_names_and_text_outside_the_code_page(
    module: Module, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        project_streams("{00000000-0000-0000-0000-000000000001}", "Proj", [module], [])
