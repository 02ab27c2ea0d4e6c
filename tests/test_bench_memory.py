"""The run benchmark's memory figure counts every process of the run: workers too."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="Linux /proc only")


def _bench_run() -> ModuleType:
    path = Path(__file__).parents[1] / "benchmarks" / "bench_run.py"
    spec = importlib.util.spec_from_file_location("bench_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_child_started_by_a_thread_that_lives_on_is_counted() -> None:
    # sheetcrm's workers are started by a long-lived thread: /proc lists such a child under
    # that thread only, and a figure that looked at the main thread's children missed the
    # workers' gigabyte (sessions 12 and 13's peaks).
    children: list[subprocess.Popen[bytes]] = []
    started, stop = threading.Event(), threading.Event()

    def starter() -> None:
        children.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]))
        started.set()
        stop.wait()

    thread = threading.Thread(target=starter, daemon=True)
    thread.start()
    started.wait()
    try:
        time.sleep(0.2)  # exec'd: its own pages, not this process's
        found = _bench_run()._tree_rss(os.getpid())
        assert children[0].pid in found
        assert found[children[0].pid] > 0
    finally:
        children[0].kill()
        children[0].wait()
        stop.set()
        thread.join()
