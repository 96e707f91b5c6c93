"""A Python member of the languages bench (scripts/bench/languages/protocol.ts): forked by the
bench with python3 as its interpreter, it speaks Node's IPC channel (JSON lines on
``NODE_CHANNEL_FD``); the leader, or a writer with one insert in flight."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from baton import StoreError, open_store  # noqa: E402
from node_channel import NodeChannel  # noqa: E402

#: The same text as scripts/bench/languages/schema.ts.
MIGRATIONS = [(1, "CREATE TABLE IF NOT EXISTS bench_rows (id TEXT PRIMARY KEY, member TEXT NOT NULL, payload BLOB)")]
INSERT_SQL = "INSERT INTO bench_rows (id, member, payload) VALUES (?, ?, randomblob(200))"


def rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    config = json.loads(sys.argv[1])
    channel = NodeChannel(int(os.environ["NODE_CHANNEL_FD"]))
    send = channel.send

    store = open_store(
        config["path"],
        name=config["name"],
        candidate=config["candidate"],
        synchronous=config["synchronous"],
        migrations=MIGRATIONS,
    )
    seq = 0

    def run(warmup_ms: float, duration_ms: float) -> None:
        nonlocal seq
        start = time.perf_counter() + warmup_ms / 1000
        end = start + duration_ms / 1000
        latencies: list[float] = []
        errors: dict[str, int] = {}
        now = time.perf_counter()
        while now < end:
            seq += 1
            try:
                store.execute(INSERT_SQL, [f"{config['name']}-{seq}", config["name"]])
                done = time.perf_counter()
                if now >= start and done <= end:
                    latencies.append((done - now) * 1000)
            except StoreError as error:
                errors[error.code] = errors.get(error.code, 0) + 1
            now = time.perf_counter()
        send({"t": "report", "completed": len(latencies), "latencies": latencies, "errors": errors})

    def handle(message: dict[str, Any]) -> None:
        if message["t"] == "run":
            threading.Thread(target=run, args=(message["warmupMs"], message["durationMs"])).start()
        elif message["t"] == "memory":
            send({"t": "memory", "rss": rss()})
        elif message["t"] == "exit":
            store.close()
            os._exit(0)

    send({"t": "ready", "pid": os.getpid(), "role": store.role})
    channel.listen(handle, lambda: os._exit(0))  # the bench went away

if __name__ == "__main__":
    main()
