"""Tuning: the size thresholds of the jobs, file readers and writers, in one frozen record.

Every field has today's measured default; a test or a benchmark passes its own
``Tuning(...)`` (e.g. ``FileBook(path, tuning=Tuning(piece=4096))``) instead of
patching module globals. A new knob is one more field with its default here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Tuning"]

_MB = 2**20


@dataclass(frozen=True)
class Tuning:
    """Sizes that decide how big sheets are read, written and run (bytes unless said otherwise)."""

    piece: int = 16 * _MB
    """Sheet XML inflated at once when a part is streamed; pieces are re-cut after a row."""

    parts_from: int = 64 * _MB
    """A sheet with more XML than this is read in parts, parsed two at a time."""

    parts: int = 8
    """How many parts such a sheet is cut into: the first piece, then the rest in 7."""

    scratch: str = "/dev/shm"
    """Where the part workbooks of a sheet read in parts are written when that folder exists
    and has room for them (a memory file system: no disk writes, ≈ 2 s less system CPU on a
    full re-run's sheet), else the system's temporary folder."""

    cached_cells: int = 2**20
    """A sheet's value grid is kept for later reads up to this many cells."""

    background_part: int = 64 * _MB
    """Result columns of a customer sheet with this much XML are spliced in a worker process."""

    big_part: int = 8 * _MB
    """A part bigger than this is deflated fast (level 1) instead of at the default level."""

    deflate_batch: int = 2 * _MB
    """Bytes deflated at once, in worker threads, when a big part is streamed in."""

    spill_part: int = 8 * _MB
    """A written part whose compressed bytes pass this waits for the save in a temporary file
    beside the output, not in memory (the bytes are read back once, through the page cache)."""

    row_block: int = 16384
    """Rows whose cell XML is built and joined at once (own sheets and spliced result rows)."""

    sheet_rows: int = 1_048_576
    """Rows a worksheet holds (Excel's limit): an own sheet longer than this is cut to it."""

    background_rows: int = 100_000
    """Customers from which a run hands its slowest parts (writing the result columns, matching
    near-identical names) to worker processes: a second core. Starting one costs ~1 s."""
