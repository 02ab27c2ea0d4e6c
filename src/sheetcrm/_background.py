"""Work done by a second Python process, so that a second core can take it.

A full customer sheet keeps a core busy for many seconds of pure Python,
which holds the GIL, so threads cannot share that work; another process can.
The worker is a fresh interpreter (``python -m sheetcrm._background``), not a
fork: a forked child shares the parent's memory only until either side
writes to it, and CPython's reference counts write nearly everywhere, so a
fork would hold a big table twice. The work goes to the worker pickled (a
module-level function and compact arguments, such as numpy arrays) and its
result comes back pickled.

If the worker cannot start, or dies, the work is done in this process when
its result is asked for, so the result is the same in every case; an
exception the work raised comes back as itself.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

__all__ = ["Pending", "start"]

T = TypeVar("T")


class Pending(Generic[T]):
    """A result a worker process is computing (or this process will, when asked)."""

    def __init__(self, work: Callable[..., T], args: tuple[Any, ...]) -> None:
        self._work, self._args = work, args
        self._process: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None

    def _launch(self) -> None:
        if not _interpreter():
            return
        job = pickle.dumps((self._work, self._args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # what goes wrong comes back pickled, or is redone here
                # The worker imports from where this process does (a checkout, a test folder).
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))},
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console flashing up
            )
        except OSError:
            return
        # Fed by a thread: the worker reads its job only once it has started up.
        self._feeder = threading.Thread(target=_feed, args=(process.stdin, job), daemon=True)
        self._feeder.start()
        self._process = process

    @property
    def elsewhere(self) -> bool:
        """True when a worker process took the work."""
        return self._process is not None

    def result(self) -> T:
        """The result (waited for, else computed now), or the exception the work raised."""
        if self._process is None:
            return self._work(*self._args)
        process, self._process = self._process, None
        assert process.stdout is not None and self._feeder is not None
        try:
            with process.stdout:  # unpickled as it streams in: a big answer is never held twice
                ok, value = pickle.load(process.stdout)
        except (EOFError, pickle.UnpicklingError):
            ok = None  # no answer, or half of one
        self._feeder.join()
        if process.wait() != 0 or ok is None:  # the worker died (killed, out of memory)
            return self._work(*self._args)
        if not ok:
            raise value
        result: T = value
        return result

    def close(self) -> None:
        """Stop a worker whose result is no longer wanted."""
        if self._process is not None:
            process, self._process = self._process, None
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
            if self._feeder is not None:
                self._feeder.join()  # its write fails at once: the pipe has no reader

    def __del__(self) -> None:
        self.close()  # something failed first: nobody will ask for the result


def _interpreter() -> bool:
    """True when sys.executable is a Python interpreter (in Python embedded in LibreOffice or
    Excel it may be the application itself, which must not be started again)."""
    return Path(sys.executable).name.lower().startswith("python")


def _feed(pipe: IO[bytes], job: bytes) -> None:
    # OSError: the worker died; result() then redoes the work here.
    with contextlib.suppress(OSError), pipe:
        pipe.write(job)


def start(work: Callable[..., T], *args: Any, elsewhere: bool = True) -> Pending[T]:
    """Begin work(*args) in a worker process (work: a module-level function), or, when not
    elsewhere, keep it to do here when its result is asked for."""
    pending = Pending(work, args)
    if elsewhere:
        pending._launch()
    return pending


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # whatever pickling raises, the answer is no
        return False
    return True


def _serve() -> None:
    """The worker: read (work, args) on stdin, write (ok, result or exception) on stdout."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing the work prints may mix with the answer
    with contextlib.suppress(AttributeError, OSError):  # no nice() on Windows
        os.nice(19)  # the parent's own line of work keeps its core
    work, args = pickle.load(sys.stdin.buffer)
    try:
        answer: tuple[bool, Any] = (True, work(*args))
    except BaseException as error:  # every failure goes back to the parent
        answer = (False, error if _picklable(error) else RuntimeError(repr(error)))
    # Pickled straight into the pipe, frame by frame: a big result is never copied whole.
    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    _serve()
