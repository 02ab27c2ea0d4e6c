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

Workers run one per spare core at a time (one on a 2-core machine); more work
waits its turn, first come first served. More workers at once would not end
the work sooner, as they share the spare cores, but would hold their memory
at the same time. A worker's answer is read by a thread of this process as
soon as it comes, so that the worker ends and the next one starts; asking
for a result that still waits its turn starts its worker at once.

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
import weakref
from collections import deque
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
        self,
        work: Callable[..., T],
        args: tuple[Any, ...],
        redo: bool | Callable[[], T],
        nice: bool = True,
    ) -> None:
        self._work, self._args, self._redo, self._nice = work, args, redo, nice
        self._process: subprocess.Popen[bytes] | None = None
        self._collector: threading.Thread | None = None
        self._answer: list[tuple[bool, Any]] = []  # the worker's, once it came

    def _launch(self) -> bool:
        """Start a worker on the work; False when none could start (the work stays here)."""
        if not _interpreter():
            return False
        job = pickle.dumps((self._work, self._args, self._nice), protocol=pickle.HIGHEST_PROTOCOL)
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
            return False
        self._process = process
        # Fed by a thread: the worker reads its job only once it has started up.
        feeder = threading.Thread(target=_feed, args=(process.stdin, job), daemon=True)
        feeder.start()
        # Not a method of self: a Pending nobody holds any more must be collectable, so that
        # dropping it kills its worker.
        self._collector = threading.Thread(
            target=_collect, args=(process, feeder, self._answer), daemon=True
        )
        self._collector.start()
        if self._redo is not True:  # never needed here again: big arguments are not held twice
            self._args = ()
        return True

    def started(self) -> bool:
        """Start the worker now if the work waits its turn; True when a worker process has it."""
        _turns.now(self)
        return self._process is not None

    @property
    def finished(self) -> bool:
        """True once a worker that had the work ended (its answer, if any, has come)."""
        return self._collector is not None and not self._collector.is_alive()

    @property
    def elsewhere(self) -> bool:
        """True when a worker process took the work, or will when its turn comes."""
        return self._process is not None or _turns.waits(self)

    def result(self) -> T:
        """The result (waited for, else computed now). A SheetCRMError the work raised comes back
        as itself; any other failure has the work redone here, or, unless redo, raises WorkerError."""
        _turns.now(self)
        if self._process is None:
            try:
                return self._work(*self._args)
            except MemoryError as error:
                if self._redo is not False:
                    raise
                raise WorkerError(_why(error)) from error
        process, self._process = self._process, None
        assert self._collector is not None
        self._collector.join()
        ok: bool | None = None
        value: Any = None
        if self._answer:
            ok, value = self._answer.pop()
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

    def close(self) -> None:
        """Stop a worker whose result is no longer wanted (or drop work waiting its turn)."""
        _turns.drop(self)
        self._stop()

    def _stop(self) -> None:
        """Kill the worker, if one runs."""
        if self._process is not None:
            process, self._process = self._process, None
            process.kill()
            # Reaped, but its thread not waited for: that may wait for the turns' lock, which
            # whoever let go of this Pending may hold.
            process.wait()

    def __del__(self) -> None:
        # Something failed first: nobody will ask for the result. Not close(): the collector may
        # run in any thread, even in one being started while the starter thread holds the
        # turns' lock (it waits for that thread), so taking the lock here could wait forever
        # (a test run hung so). The queue holds work weakly and lets it go by itself.
        self._stop()


def _collect(
    process: subprocess.Popen[bytes], feeder: threading.Thread, answer: list[tuple[bool, Any]]
) -> None:
    """Read a worker's answer as it comes, reap the worker, then give its turn on."""
    assert process.stdin is not None and process.stdout is not None
    # Unpickled as it streams in: a big answer is never held twice. No answer, or half of
    # one: nothing, and result() tells why.
    with contextlib.suppress(EOFError, pickle.UnpicklingError, OSError, ValueError), process.stdout:
        answer.append(pickle.load(process.stdout))
    feeder.join()  # its write fails at once if the worker is gone
    process.wait()  # first: a worker that answered exits by itself, and with code 0
    with contextlib.suppress(OSError):
        process.stdin.close()
    _turns.done()


class _Turns:
    """Workers running at once, at most one per spare core; the rest wait their turn.

    Every worker is started by one thread that lives as long as this process: on Linux a
    worker is killed when the thread that started it ends (PR_SET_PDEATHSIG), so a worker
    whose turn comes when another one ends cannot be started by that one's short-lived thread.
    """

    def __init__(self) -> None:
        self.limit = max(1, _cores() - 1)
        self._running = 0
        # Weak: work nobody holds any more is dropped (and its worker never started).
        self._waiting: deque[weakref.ref[Pending[Any]]] = deque()
        self._asked: set[int] = set()  # id() of waiting work asked for: it starts at once
        self._changed = threading.Condition(threading.RLock())
        self._starter: threading.Thread | None = None

    def submit(self, pending: Pending[Any]) -> None:
        """Start a worker on the pending work now if a core is spare, else when one is."""
        with self._changed:
            if self._starter is None:
                self._starter = threading.Thread(target=self._start_in_turn, daemon=True)
                self._starter.start()
            self._waiting.append(weakref.ref(pending))
            self._changed.notify_all()
            self._changed.wait_for(lambda: not self.waits(pending) or self._running >= self.limit)

    def now(self, pending: Pending[Any]) -> None:
        """Start the worker of pending work that waits its turn at once: it is asked for."""
        with self._changed:
            if self.waits(pending):
                self._asked.add(id(pending))
                self._changed.notify_all()
                self._changed.wait_for(lambda: not self.waits(pending))

    def drop(self, pending: Pending[Any]) -> None:
        """Take pending work out of the queue, if it waits there."""
        with self._changed:
            self._asked.discard(id(pending))
            for waiting in self._waiting:
                if waiting() is pending:
                    self._waiting.remove(waiting)
                    self._changed.notify_all()
                    return

    def waits(self, pending: Pending[Any]) -> bool:
        """True when the pending work waits for its turn."""
        with self._changed:
            return any(waiting() is pending for waiting in self._waiting)

    def done(self) -> None:
        """A worker ended: the next work waiting, if any, takes its turn."""
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    def _start_in_turn(self) -> None:
        with self._changed:
            while True:
                self._changed.wait_for(self._next_ready)
                pending = self._next_ready()
                assert pending is not None
                self._running += 1
                try:
                    launched = pending._launch()
                except Exception:  # e.g. arguments that cannot be pickled: this thread goes on
                    launched = False
                if not launched:  # no worker: the work is done here when asked for
                    self._running -= 1
                # Out of the queue only now: whoever waits for it sees it started.
                self.drop(pending)
                del pending

    def _next_ready(self) -> Pending[Any] | None:
        """The work to start now: work asked for first, else the oldest when a core is spare."""
        live = [pending for waiting in self._waiting if (pending := waiting()) is not None]
        if len(live) < len(self._waiting):  # let go of by everyone: never started
            self._waiting = deque(weakref.ref(pending) for pending in live)
        asked = [pending for pending in live if id(pending) in self._asked]
        if asked:
            return asked[0]
        return live[0] if live and self._running < self.limit else None


def _cores() -> int:
    """The cores this process may use (its affinity where Python can tell)."""
    count = getattr(os, "process_cpu_count", os.cpu_count)()  # process_cpu_count: 3.13+
    return int(count or 1)


_turns = _Turns()


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
    nice: bool = True,
) -> Pending[T]:
    """Begin work(*args) in a worker process (work: a module-level function) now or when a core
    is spare, or, when not elsewhere, keep it to do here when asked for; a failed worker's work is
    redone here (by ``redo`` itself when it is a function), or, when redo is False, its result
    raises WorkerError. A ``nice`` worker yields its core to this process's threads; work this
    process waits for as it goes is not nice."""
    pending = Pending(work, args, redo, nice)
    if elsewhere:
        _turns.submit(pending)
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
    work, args, nice = pickle.load(sys.stdin.buffer)
    if nice:
        with contextlib.suppress(AttributeError, OSError):  # no nice() on Windows
            os.nice(19)  # the parent's own line of work keeps its core
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
