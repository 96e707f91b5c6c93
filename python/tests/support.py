"""What the Python tests share: the repository's paths, Node, waiting for a condition, a write loop."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, TypeVar

from baton import StoreError

T = TypeVar("T")

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(PYTHON_DIR)
NODE = os.environ.get("BATON_NODE", "node")


def wait_for(condition: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Polls ``condition`` until it returns something truthy, or fails naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


class WriteLoop:
    """A thread that inserts rows ``w-0``, ``w-1``, ... through ``store`` until stopped, keeping the
    ids it was acknowledged and the codes of the requests that failed."""

    def __init__(self, store: Any) -> None:
        self.acked: list[str] = []
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._store = store
        self._thread = threading.Thread(target=self._run, name="write-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            try:
                self._store.execute("INSERT INTO rows (id, member) VALUES (?, 'py')", [f"w-{i}"])
                self.acked.append(f"w-{i}")
            except StoreError as error:
                self.failed.append(error.code)
            i += 1

    def wait_for_more(self, count: int, what: str) -> None:
        """Waits until ``count`` more writes than now have been acknowledged."""
        start = len(self.acked)
        wait_for(lambda: len(self.acked) >= start + count, what)

    def stop(self) -> None:
        """Stops writing and waits for the write in flight to end."""
        self._stop.set()
        self._thread.join()
