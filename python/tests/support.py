"""What the Python tests share: the repository's paths, Node, and waiting for a condition."""

from __future__ import annotations

import os
import time
from typing import Callable, TypeVar

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
