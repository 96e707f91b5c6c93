"""One Python member of the chaos fleet (``npm run chaos -- --python <n>``), the counterpart of
scripts/chaos/member.ts: forked by the runner with python3 as its interpreter, it speaks Node's
IPC channel (JSON lines on ``NODE_CHANNEL_FD``), opens the store, keeps ``loops`` writer loops
running (single inserts and small batches), runs the bursts the runner asks for (large batches,
interactive transactions, pipelined inserts) and logs every operation to its write log before
sending it and after its answer, in the format of scripts/chaos/protocol.ts. It exits when the
runner disconnects."""

from __future__ import annotations

import json
import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from baton import Store, StoreError, open_store  # noqa: E402
from node_channel import NodeChannel  # noqa: E402

#: The chaos schema and insert, character for character those of scripts/chaos/protocol.ts.
CHAOS_MIGRATIONS = [
    (
        1,
        "CREATE TABLE IF NOT EXISTS chaos_rows (id TEXT NOT NULL, op TEXT NOT NULL, member TEXT NOT NULL, "
        "epoch INTEGER, payload BLOB)",
    ),
    (2, "CREATE INDEX IF NOT EXISTS chaos_rows_by_id ON chaos_rows (id)"),
]
INSERT_SQL = (
    "INSERT INTO chaos_rows (id, op, member, epoch, payload) VALUES (?, ?, ?, "
    "(SELECT value FROM _baton_meta WHERE key = 'epoch'), ?)"
)
#: Inserts in flight at once in a pipelined burst (each one a thread waiting for its answer).
PIPELINE_THREADS = 64


class Staged(Exception):
    """A transaction's failure with the stage it failed in (``body``: its commit was never sent)."""

    def __init__(self, error: BaseException, stage: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.stage = stage


class WriteLog:
    """One write per line, so every line survives a SIGKILL."""

    def __init__(self, file: str, prefix: str) -> None:
        self.fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.prefix = prefix
        self.seq = 0
        self.lock = threading.Lock()

    def send(self, kind: str, rows: int) -> str:
        with self.lock:
            self.seq += 1
            op = f"{self.prefix}.{self.seq}"
            os.write(self.fd, f"S {op} {kind} {rows}\n".encode())
        return op

    def ack(self, op: str) -> None:
        """Logs the acknowledgement with the monotonic time (CLOCK_MONOTONIC, as Node's
        ``process.hrtime``), taken now: the readers' checks compare it with their reads' start."""
        os.write(self.fd, f"A {op} {time.monotonic_ns()}\n".encode())

    def fail(self, op: str, error: BaseException, stage: str) -> str:
        code = getattr(error, "code", None) or "UNKNOWN"
        sqlite = getattr(error, "extended_code", None)
        os.write(self.fd, f"F {op} {f'{code}/{sqlite}' if sqlite else code} {stage}\n".encode())
        return code


class Member:
    def __init__(self, config: dict[str, Any], channel: NodeChannel) -> None:
        self.config = config
        self.channel = channel
        self.random = random.Random(config["seed"])
        self.random_lock = threading.Lock()
        self.name = f"m{config['slot']}.{config['incarnation']}"
        self.log = WriteLog(config["logFile"], f"{config['slot']}.{config['incarnation']}")
        self.running = True
        self.work: set[threading.Thread] = set()
        self.work_lock = threading.Lock()
        self.transaction_turn = threading.Lock()  # one interactive transaction at a time
        self.store: Store

    def int(self, low: int, high: int) -> int:
        with self.random_lock:
            return self.random.randint(low, high)

    def chance(self, p: float) -> bool:
        with self.random_lock:
            return self.random.random() < p

    def row(self, op: str, i: int, size: int) -> tuple[str, list[Any]]:
        return INSERT_SQL, [f"{op}.{i}", op, self.name, bytes([self.int(0, 255)]) * size]

    def logged(self, kind: str, rows: int, work: Callable[[str], None]) -> None:
        op = self.log.send(kind, rows)
        try:
            work(op)
            self.log.ack(op)
        except Staged as staged:
            self.report_failure(op, staged.error, staged.stage)
        except StoreError as error:
            self.report_failure(op, error, "-")

    def report_failure(self, op: str, error: BaseException, stage: str) -> None:
        code = self.log.fail(op, error, stage)
        if re.search(r"malformed|disk I/O", str(error), re.IGNORECASE):
            self.channel.send({"ev": "error", "code": code, "message": f"{op}: {error}"})

    def insert_one(self) -> None:
        self.logged("one", 1, lambda op: self.store.execute(*self.row(op, 0, self.int(16, 256))))

    def small_batch(self) -> None:
        rows = self.int(2, 6)
        self.logged("batch", rows, lambda op: self.store.batch([self.row(op, i, self.int(16, 256)) for i in range(rows)]))

    def large_batch(self) -> None:
        rows, size = self.int(50, 400), self.int(512, 4096)
        self.logged("batch", rows, lambda op: self.store.batch([self.row(op, i, size) for i in range(rows)]))

    def interactive(self) -> None:
        with self.transaction_turn:
            rows = self.int(2, 20)
            roll_back = self.chance(0.1)

            def work(op: str) -> None:
                try:
                    tx = self.store.transaction("write")
                except StoreError as error:
                    raise Staged(error, "body") from error
                try:
                    for i in range(rows):
                        tx.execute(*self.row(op, i, self.int(16, 512)))
                        if self.chance(0.2):
                            tx.execute("SELECT count(*) AS n FROM chaos_rows WHERE op = ?", [op])
                except StoreError as error:
                    try:
                        tx.rollback()
                    except StoreError:
                        pass
                    raise Staged(error, "body") from error
                if roll_back:
                    try:
                        tx.rollback()
                    except StoreError:
                        pass
                    raise Staged(StoreError("ROLLED_BACK", "rolled back on purpose"), "body")
                try:
                    tx.commit()
                except StoreError as error:
                    raise Staged(error, "commit") from error

            self.logged("tx", rows, work)

    def pipeline(self) -> None:
        count = self.int(100, 400)
        with ThreadPoolExecutor(max_workers=PIPELINE_THREADS) as pool:
            for _ in range(count):
                pool.submit(self.insert_one)

    def track(self, target: Callable[[], None]) -> None:
        def run() -> None:
            try:
                target()
            finally:
                with self.work_lock:
                    self.work.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True)
        with self.work_lock:
            self.work.add(thread)
        thread.start()

    def writer_loop(self) -> None:
        while self.running:
            if self.chance(0.85):
                self.insert_one()
            else:
                self.small_batch()

    def handle(self, command: dict[str, Any]) -> None:
        if command.get("cmd") == "burst":
            if not self.running:
                return
            kind = command.get("kind")
            if kind == "batch":
                self.track(lambda: [self.large_batch() for _ in range(self.int(1, 3))])
            elif kind == "tx":
                self.track(lambda: [self.interactive() for _ in range(self.int(1, 3))])
            else:
                self.track(self.pipeline)
        elif command.get("cmd") == "close":
            self.running = False
            threading.Thread(target=self.close, daemon=True).start()

    def close(self) -> None:
        while True:
            with self.work_lock:
                pending = list(self.work)
            if not pending:
                break
            for thread in pending:
                thread.join()
        self.store.close()
        self.channel.send({"ev": "closed"})
        os._exit(0)

    def run(self) -> None:
        try:
            self.store = open_store(
                self.config["path"],
                name=self.name,
                candidate=self.config["candidate"],
                migrations=CHAOS_MIGRATIONS,
                request_timeout=self.config["requestTimeoutMs"] / 1000,
            )
        except StoreError as error:
            self.channel.send({"ev": "fatal", "code": error.code, "message": error.message})
            os._exit(1)
        store = self.store
        store.on("role", lambda role: self.channel.send({"ev": "role", "role": role, "epoch": store.epoch}))
        store.on("failover", lambda event: self.channel.send({"ev": "failover", **event}))
        store.on("error", lambda error: self.channel.send({"ev": "error", "code": error.code, "message": error.message}))
        self.channel.send({"ev": "opened", "pid": os.getpid(), "role": store.role, "epoch": store.epoch})
        for _ in range(self.config["loops"]):
            self.track(self.writer_loop)
        self.channel.listen(self.handle, lambda: os._exit(0))  # the runner went away: leave no member behind


def main() -> None:
    config = json.loads(sys.argv[1])
    if config.get("mode") != "member" or config.get("lock", "flock") != "flock":
        raise SystemExit("the Python chaos member runs in member mode with the flock election only")
    Member(config, NodeChannel(int(os.environ["NODE_CHANNEL_FD"]))).run()


if __name__ == "__main__":
    main()
