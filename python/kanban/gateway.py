"""``python3 python/kanban/gateway.py --home <profile home> [--board <path>]``: the gateway
of one profile in Python, beside the Node gateways (packages/kanban/src/bin/gateway.ts). It joins
the board's store (hosting the leader if it wins the election), creates tasks on command and,
with ``dispatch_in_gateway``, claims and runs them.

Forked by Node (``child_process.fork`` with ``execPath`` python3) it speaks Node's IPC channel:
JSON lines on the descriptor in ``NODE_CHANNEL_FD``, the commands and reports of
packages/kanban/src/gateway/ipc-protocol.ts. SIGTERM or SIGINT, a ``close`` command or the parent
going away close it gracefully (work in progress recorded, a leader hands over).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from baton import StoreError, open_store  # noqa: E402

from kanban.board import Board  # noqa: E402
from kanban.config import load_config  # noqa: E402
from kanban.dispatcher import Dispatcher  # noqa: E402
from kanban.schema import KANBAN_MIGRATIONS  # noqa: E402
from node_channel import NodeChannel  # noqa: E402


class Gateway:
    def __init__(self, home: str, board_path: Optional[str], report: Callable[[dict[str, Any]], None]) -> None:
        self.config = load_config(home)
        if board_path is not None:
            self.config.board = os.path.abspath(board_path)
        if self.config.board is None:
            raise SystemExit(f"kanban-gateway: {home}/config.yaml: kanban.board is not set (or pass --board)")
        self.report = report
        self.store = open_store(
            self.config.board, name=self.config.profile, candidate=self.config.candidate, migrations=KANBAN_MIGRATIONS
        )
        self.board = Board(self.store, self.config.profile)
        self.store.on("role", lambda role: report({"ev": "role", "role": role, "epoch": self.store.epoch}))
        self.store.on("failover", lambda event: report({"ev": "failover", **event}))
        self.store.on("error", lambda error: report({"ev": "error", "code": error.code, "message": error.message}))
        self.dispatcher = Dispatcher(self.board, self.config, report) if self.config.dispatch_in_gateway else None
        self._creating = 0
        self._closed = threading.Event()
        self._closing = threading.Lock()

    def start(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.start()

    def handle(self, command: dict[str, Any]) -> None:
        kind = command.get("cmd")
        if kind == "create":
            self._creating += 1
            run = self._creating
            threading.Thread(target=self._create_load, args=(command, run), daemon=True).start()
        elif kind == "stopCreating":
            self._creating += 1
        elif kind == "close":
            self._creating += 1
            threading.Thread(target=self.close, args=(True,), daemon=True).start()

    def _create_load(self, command: dict[str, Any], run: int) -> None:
        prefix, count, interval = command["prefix"], int(command["count"]), command["intervalMs"] / 1000
        created = 0
        started = time.monotonic()
        for i in range(count):
            if self._creating != run:
                break
            key = f"{self.config.profile}/{prefix}/{i}"
            before = time.monotonic()
            try:
                task_id, _ = self.board.create(f"{prefix} #{i}", f"created by {self.config.profile}", key)
                created += 1
                self.report({"ev": "created", "taskId": task_id, "key": key, "ms": int((time.monotonic() - before) * 1000)})
            except StoreError as error:
                self.report({"ev": "createFailed", "key": key, "code": error.code, "message": error.message})
            wait = started + (i + 1) * interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # the pace of the load the parent asked for, not a wait for an event
        self.report({"ev": "createDone", "prefix": prefix, "created": created})

    def close(self, report_closed: bool) -> None:
        """Stops the dispatcher (work in progress is recorded), then closes the store; exits 0."""
        with self._closing:
            if self._closed.is_set():
                return
            if self.dispatcher is not None:
                self.dispatcher.stop()
            self.store.close()
            self._closed.set()
        if report_closed:
            self.report({"ev": "closed"})
        os._exit(0)  # noqa: SLF001 - every thread is done; daemon threads must not delay the exit


def main() -> None:
    parser = argparse.ArgumentParser(prog="kanban-gateway", description="Runs the gateway of one profile.")
    parser.add_argument("--home", required=True, help="the profile home (its basename is the profile name)")
    parser.add_argument("--board", help="the board's database file (overrides kanban.board)")
    args = parser.parse_args()
    channel = NodeChannel.from_environment()
    report = channel.send if channel is not None else (lambda message: None)
    gateway = Gateway(args.home, args.board, report)
    gateway.start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: threading.Thread(target=gateway.close, args=(False,)).start())
    if channel is not None:
        threading.Thread(target=channel.listen, args=(gateway.handle, lambda: gateway.close(False)), daemon=True).start()
    config = gateway.config
    report(
        {
            "ev": "ready",
            "pid": os.getpid(),
            "profile": config.profile,
            "enabled": config.enabled,
            "dispatch": config.dispatch_in_gateway,
            "role": gateway.store.role,
            "epoch": gateway.store.epoch,
        }
    )
    sys.stderr.write(f"[{config.profile} {os.getpid()}] started in Python ({gateway.store.role})\n")
    threading.Event().wait()  # runs until closed (close() exits the process)


if __name__ == "__main__":
    main()
