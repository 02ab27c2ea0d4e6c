"""Text made safe to leave sheetcrm: printed, in CSV cells Excel opens, in file names.

Customer data and staff templates are pasted text: they may hold control characters (ESC, BEL,
bidi overrides) that drive a terminal or hide text, cells that Excel runs as formulas, and names
Windows cannot hold. Every export and the preview pass their text through these functions.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["FILE_NAME_BYTES", "FILE_NAME_CHARS", "csv_cell", "file_name", "printable", "write_rows"]

# C0 controls but tab and line feed, DEL, C1 controls, and the bidi embeddings, overrides and
# isolates (U+202A–202E, U+2066–2069) that reorder what a reader sees.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n]+")
# OWASP's CSV-injection triggers: a cell starting with one of them may run as a formula. Line
# breaks and spaces before them are looked through: some importers trim cells.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number (an E.164 mobile, a negative amount) is data, not a formula: it is kept
# as typed, or an SMS platform would receive '+447911123456.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# Characters Windows forbids in a name, and whitespace (a name in a shell needs no quoting).
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')
_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$", re.IGNORECASE)
FILE_NAME_CHARS = 40  # a name's stem at most: readable in a file list
FILE_NAME_BYTES = 120  # … and in UTF-8 bytes, well within 255 with prefix, number and suffix


def printable(text: str, *, one_line: bool = False) -> str:
    """Text without control characters (tab and line feed kept, unless it must be one line)."""
    cleaned = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _LINE_BREAKS.sub(" ", cleaned) if one_line else cleaned


def csv_cell(value: object) -> object:
    """A value for a CSV cell: text without control characters, never starting a formula."""
    if not isinstance(value, str):
        return value
    # Only looked at stripped, never written so: '\t=1+1' stripped would be a live '=1+1'.
    text = printable(value)
    start = text.lstrip(" \n")
    if start.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(start):
        return "'" + text
    return text


def write_rows(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """A CSV that Excel opens safely: UTF-8 with a BOM (Chinese shows), every cell neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(h) for h in headers])
        writer.writerows([csv_cell(value) for value in row] for row in rows)
    return path


def file_name(stem: str, suffix: str, taken: set[str], *, fallback: str = "_") -> str:
    """A file name any system holds, made from a person's name; ``taken`` gains it (any case).

    Forbidden characters and whitespace become '_', the stem is capped in characters and
    UTF-8 bytes, trailing dots and spaces go, reserved device names (CON, NUL, COM1…) get a
    '_' and a name already taken is numbered: 王芳.ics, 王芳_2.ics.
    """
    text = printable(unicodedata.normalize("NFC", stem), one_line=True).strip().rstrip(". ")
    text = _capped(_FORBIDDEN.sub("_", text)).rstrip(".") or fallback
    if _RESERVED.match(text):
        text = f"_{text}"
    name, number = f"{text}{suffix}", 1
    while name.casefold() in taken:
        number += 1
        name = f"{text}_{number}{suffix}"
    taken.add(name.casefold())
    return name


def _capped(text: str) -> str:
    """At most FILE_NAME_CHARS characters and FILE_NAME_BYTES UTF-8 bytes, whole characters."""
    text = text[:FILE_NAME_CHARS]
    while len(text.encode("utf-8")) > FILE_NAME_BYTES:
        text = text[:-1]
    return text
