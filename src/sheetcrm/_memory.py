"""Memory a job has let go of given back to the system (Linux's glibc), between stages.

glibc keeps what a process frees for reuse, much of it inside its heap, where it stays
counted as the process's own: after a full sheet's reading and planning, 0.2–0.4 GB of
temporaries the job no longer holds. ``malloc_trim`` at the turn of each stage hands the
free pages back (milliseconds); trimming at every free instead (``MALLOC_TRIM_THRESHOLD_``,
as Dask sets for its workers) cost a full re-run 8 s of page faults. Elsewhere (Windows,
macOS, other C libraries) this does nothing: their allocators give memory back themselves
or offer no such call.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys
from collections.abc import Callable

__all__ = ["give_back"]


@functools.cache
def _trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where this process has no glibc."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):  # musl and others: no such call
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    return None


def give_back() -> None:
    """Return the free memory at the heap's every level to the system, where glibc can."""
    trim = _trim()
    if trim is not None:
        trim(0)
