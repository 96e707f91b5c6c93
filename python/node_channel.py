"""Node's IPC channel as a Python process forked by Node sees it (``child_process.fork`` with
python3 as ``execPath`` and ``serialization: 'json'``): one JSON message per line, both ways, on
the descriptor Node names in ``NODE_CHANNEL_FD``. Shared by the processes the Node tools fork: the
kanban gateway, the chaos member and the languages bench's member."""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Optional


class NodeChannel:
    """The channel to the Node parent. ``send`` may be called from any thread."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        #: False once the parent is gone: later messages are dropped.
        self.open = True

    @classmethod
    def from_environment(cls) -> Optional["NodeChannel"]:
        """The channel of this process, or None when Node did not fork it with one."""
        fd = os.environ.get("NODE_CHANNEL_FD")
        return cls(int(fd)) if fd else None

    def send(self, message: dict[str, Any]) -> None:
        """Sends one message whole; once the parent has gone away, does nothing."""
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if not self.open:
                return
            try:
                while data:
                    data = data[os.write(self._fd, data) :]
            except OSError:
                self.open = False

    def listen(self, handler: Callable[[dict[str, Any]], None], on_close: Callable[[], None]) -> None:
        """Calls ``handler`` with each message from the parent, in order, until the parent closes
        the channel (it exited, or disconnected), then ``on_close``. Blocks until then."""
        buffer = b""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.open = False
                on_close()
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.strip():
                    handler(json.loads(line))
