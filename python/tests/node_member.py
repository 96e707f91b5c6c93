"""Fleet members in processes of their own, driven from a Python test over stdin/stdout: a Node
member (test/dist/fixtures/node-store.js) or a Python one (tests/py_member.py), one protocol."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from typing import Any, Callable, Optional

from .support import NODE, REPO, wait_for

SCRIPT = os.path.join(REPO, "test", "dist", "fixtures", "node-store.js")
PY_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_member.py")
ROWS_MIGRATION = (
    "CREATE TABLE IF NOT EXISTS rows (id TEXT NOT NULL, member TEXT NOT NULL, epoch INTEGER); "
    "CREATE INDEX IF NOT EXISTS rows_id ON rows (id)"
)

_live: set["NodeMember"] = set()


def untag(value: Any) -> Any:
    """A value as the fixture tags it: ``{"$int": "5"}`` an INTEGER, ``{"$hex": ...}`` a BLOB."""
    if isinstance(value, dict) and "$int" in value:
        return int(value["$int"])
    if isinstance(value, dict) and "$hex" in value:
        return bytes.fromhex(value["$hex"])
    if isinstance(value, list):
        return [untag(v) for v in value]
    if isinstance(value, dict):
        return {k: untag(v) for k, v in value.items()}
    return value


def tag(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, bytes)):
        return value
    return {"$int": str(value)} if isinstance(value, int) else {"$hex": value.hex()}


class NodeMember:
    """One member process with an open store; every event it printed is kept in ``events``."""

    language = "node"

    def __init__(
        self,
        db: str,
        *,
        name: str,
        candidate: bool = True,
        migrations: Optional[list] = None,
        env: Optional[dict[str, str]] = None,
        **more: Any,
    ) -> None:
        options = {
            "path": db,
            "name": name,
            "candidate": candidate,
            "migrations": migrations if migrations is not None else [{"version": 1, "sql": ROWS_MIGRATION}],
            **more,
        }
        self.name = name
        self.events: list[dict[str, Any]] = []
        self.acked: set[str] = set()
        self._ref = 0
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            self.command(json.dumps(options)),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        _live.add(self)
        threading.Thread(target=self._read, daemon=True).start()

    def command(self, options: str) -> list[str]:
        return [NODE, SCRIPT, options]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = untag(json.loads(line))
            with self._cond:
                self.events.append(event)
                if event.get("ev") == "acked":
                    self.acked.add(event["id"])
                self._cond.notify_all()
        self.proc.stdout.close()

    def wait_event(self, test: Callable[[dict[str, Any]], bool], what: str, timeout: float = 30.0) -> dict[str, Any]:
        def seen() -> Optional[dict[str, Any]]:
            with self._cond:
                return next((e for e in self.events if test(e)), None)

        return wait_for(seen, f"{self.name}: {what} (last events {self.events[-3:]})", timeout)

    def opened(self) -> dict[str, Any]:
        return self.wait_event(lambda e: e.get("ev") in ("opened", "error"), "opened")

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def call(self, command: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Sends a command with a fresh ``ref`` and waits for its result event."""
        self._ref += 1
        ref = self._ref
        self.send({**command, "ref": ref})
        return self.wait_event(lambda e: e.get("ev") == "result" and e.get("ref") == ref, f"result {ref}", timeout)

    def execute(self, sql: str, args: Optional[list] = None) -> dict[str, Any]:
        result = self.call({"cmd": "exec", "sql": sql, "args": [tag(a) for a in args or []]})
        if "code" in result:
            raise AssertionError(f"{self.name}: {sql} failed: {result['code']} {result.get('message')}")
        return result["ok"]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close_stdin()
        _live.discard(self)

    def _close_stdin(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            pass  # the process is gone and its pipe with it

    def close(self) -> None:
        """Closes the store and waits for the process to end."""
        if self.proc.poll() is None:
            self.send({"cmd": "close"})
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_stdin()
        _live.discard(self)


class PyMember(NodeMember):
    """The same, with a Python member (tests/py_member.py) in the process."""

    language = "python"

    def command(self, options: str) -> list[str]:
        return [sys.executable, PY_SCRIPT, options]


def kill_all() -> None:
    """SIGKILLs every Node member still running (tests call it in tearDown)."""
    for member in list(_live):
        member.kill()


class SharedDatabaseTest(unittest.TestCase):
    """A test case with a fresh directory and database path (``self.db``), the stores it opens in
    this process (``self.stores``, closed after each test), and every member process killed."""

    prefix = "baton-py-"

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix=self.prefix)
        self.db = os.path.join(self.dir, "shared.db")
        self.stores: list[Any] = []

    def tearDown(self) -> None:
        for store in self.stores:
            store.close()
        kill_all()
        shutil.rmtree(self.dir, ignore_errors=True)
