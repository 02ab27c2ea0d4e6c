"""Work done by a second Python process, so that a second core can take it.

A full customer sheet keeps a core busy for many seconds of pure Python,
which holds the GIL, so threads cannot share that work; another process can.
The worker is a fresh interpreter (``python -m sheetcrm._background``), not a
fork: a forked child shares the parent's memory only until either side
writes to it, and CPython's reference counts write nearly everywhere, so a
fork would hold a big table twice. The work goes to the worker pickled (a
module-level function and compact arguments, such as numpy arrays) and its
result comes back pickled.

If the worker cannot start, the work is done in this process when its result
is asked for. A SheetCRMError the work raised (the data's fault) comes back as
itself; when the worker dies (killed, out of memory) or raises anything else,
the work is redone here (by a function of its own, when given one: ``redo=f``), or,
when the caller can go on without it (``redo=False``), it learns why
(:class:`WorkerError`): a worker's failure never fails the job by itself. Unless
redone with the same arguments, the arguments are let go once a worker has them.

A worker ends with the process that started it: it watches its stdin pipe,
which the parent keeps open until it has the answer (closed when the parent
dies, however it dies), and on Linux asks the kernel to kill it then as well.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from .errors import SheetCRMError

__all__ = ["Pending", "WorkerError", "start"]

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class WorkerError(Exception):
    """Work that failed for want of memory or by its worker's fault, not the data's (why: str)."""


class Pending(Generic[T]):
    """A result a worker process is computing (or this process will, when asked)."""

    def __init__(
        self, work: Callable[..., T], args: tuple[Any, ...], redo: bool | Callable[[], T]
    ) -> None:
        self._work, self._args, self._redo = work, args, redo
        self._process: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None

    def _launch(self) -> None:
        if not _interpreter():
            return
        job = pickle.dumps((self._work, self._args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(os.getpid())],
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
        if self._redo is not True:  # never needed here again: big arguments are not held twice
            self._args = ()

    @property
    def elsewhere(self) -> bool:
        """True when a worker process took the work."""
        return self._process is not None

    def result(self) -> T:
        """The result (waited for, else computed now). A SheetCRMError the work raised comes back
        as itself; any other failure has the work redone here, or, unless redo, raises WorkerError."""
        if self._process is None:
            try:
                return self._work(*self._args)
            except MemoryError as error:
                if self._redo is not False:
                    raise
                raise WorkerError(_why(error)) from error
        process, self._process = self._process, None
        assert process.stdout is not None and self._feeder is not None
        try:
            with process.stdout:  # unpickled as it streams in: a big answer is never held twice
                ok, value = pickle.load(process.stdout)
        except (EOFError, pickle.UnpicklingError):
            ok = None  # no answer, or half of one
        self._end(process)
        if ok and process.returncode == 0:
            result: T = value
            return result
        if ok is False and isinstance(value, SheetCRMError):
            raise value  # the data's fault: the same error as here
        if self._redo is True:
            return self._work(*self._args)
        if self._redo is not False:
            return self._redo()
        raise WorkerError(_why(value) if ok is False else f"exit code {process.returncode}")

    def _end(self, process: subprocess.Popen[bytes]) -> None:
        """Let a worker go: reaped, then its stdin closed."""
        assert self._feeder is not None
        self._feeder.join()  # its write fails at once if the worker is gone
        process.wait()  # first: a worker that answered exits by itself, and with code 0
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def close(self) -> None:
        """Stop a worker whose result is no longer wanted."""
        if self._process is not None:
            process, self._process = self._process, None
            process.kill()
            if process.stdout is not None:
                process.stdout.close()
            self._end(process)

    def __del__(self) -> None:
        self.close()  # something failed first: nobody will ask for the result


def _interpreter() -> bool:
    """True when sys.executable is a Python interpreter (in Python embedded in LibreOffice or
    Excel it may be the application itself, which must not be started again)."""
    return Path(sys.executable).name.lower().startswith("python")


def _feed(pipe: IO[bytes], job: bytes) -> None:
    # OSError: the worker died; result() then redoes the work here. The pipe stays open:
    # its end tells the worker that nobody waits for its answer any more.
    with contextlib.suppress(OSError):
        pipe.write(job)
        pipe.flush()


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def start(
    work: Callable[..., T],
    *args: Any,
    elsewhere: bool = True,
    redo: bool | Callable[[], T] = True,
) -> Pending[T]:
    """Begin work(*args) in a worker process (work: a module-level function), or, when not
    elsewhere, keep it to do here when its result is asked for; a failed worker's work is
    redone here (by ``redo`` itself when it is a function), or, when redo is False, its result
    raises WorkerError."""
    pending = Pending(work, args, redo)
    if elsewhere:
        pending._launch()
    return pending


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # whatever pickling raises, the answer is no
        return False
    return True


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when its parent dies (Linux), else poll for it."""
    with contextlib.suppress(OSError, AttributeError, TypeError):  # not Linux
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            if os.getppid() != parent:  # died before the request was made
                os._exit(1)
            return
    if os.name == "posix":  # an orphan is adopted: its parent's id changes
        threading.Thread(target=_poll_parent, args=(parent,), daemon=True).start()


def _poll_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


def _watch_stdin(fd: int) -> None:
    """Exit once the parent closes the pipe or dies: nobody will read the answer."""
    # os.read, not the buffered sys.stdin: a thread blocked holding its lock would stop the
    # interpreter from shutting down once the answer is written.
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass
    os._exit(1)


def _serve(parent: int) -> None:
    """The worker: read (work, args) on stdin, write (ok, result or exception) on stdout."""
    _die_with(parent)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing the work prints may mix with the answer
    with contextlib.suppress(AttributeError, OSError):  # no nice() on Windows
        os.nice(19)  # the parent's own line of work keeps its core
    work, args = pickle.load(sys.stdin.buffer)
    threading.Thread(target=_watch_stdin, args=(sys.stdin.fileno(),), daemon=True).start()
    try:
        answer: tuple[bool, Any] = (True, work(*args))
    except BaseException as error:  # every failure goes back to the parent
        answer = (False, error if _picklable(error) else RuntimeError(repr(error)))
    # Pickled straight into the pipe, frame by frame: a big result is never copied whole.
    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
