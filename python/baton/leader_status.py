"""The status reply a leader sends (``baton status`` reads it): the same shape as the Node
leader's (packages/store/src/leader/status-report.ts), plus the leader's language and what it
leaves out, and each member's language and version from its hello."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from . import schema
from .constants import LANGUAGE, STATUS_FAILOVERS, VERSION

if TYPE_CHECKING:
    from .leader import Leader
    from .leader_session import Session

#: What this leader leaves out, as ``baton status`` shows it (and ``columnTypes`` without ctypes).
OMITTED = ["standby engine for the heir", "runaway-statement watch", "group fill on a slow flush"]


def status_report(leader: "Leader", sessions: "list[Session]") -> dict[str, Any]:
    """The leader's view of the fleet: the ``StoreStatus`` map (docs/api.md), with each member's
    language and version and what this leader leaves out."""
    members = []
    for s in sessions:
        if s.hello is None:
            continue
        members.append(
            {
                "pid": s.hello["pid"],
                "name": s.hello["name"],
                "candidate": s.hello["candidate"],
                "connectedAt": s.connected_at,
                "requests": s.requests,
                "inFlight": s.in_flight,
                "transactionOpen": s.tx is not None,
                "reads": s.hello["reads"],
                "language": s.hello.get("lang"),
                "version": s.hello.get("version"),
            }
        )
    window = min(60.0, max(1.0, time.monotonic() - (leader.load_samples[0][0] if leader.load_samples else time.monotonic())))
    times = sorted(ms for _, _, ms in leader.load_samples)
    writes = sum(1 for _, kind, _ in leader.load_samples if kind == "write")
    groups = [n for _, n in leader.group_sizes]

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(len(times) * p))], 3) if times else 0

    sync_level = {0: "off", 1: "normal", 2: "full", 3: "extra"}[int(leader.writer.execute("PRAGMA synchronous").fetchone()[0])]
    history = leader.reader.execute(schema.EPOCH_HISTORY, (STATUS_FAILOVERS,)).fetchall()
    return {
        "leader": {
            "pid": os.getpid(),
            "name": leader.name,
            "epoch": leader.epoch,
            "since": leader.started_ms,
            "socketPath": leader.socket_path,
            "version": VERSION,
            "schemaVersion": int(leader.reader.execute(schema.SCHEMA_VERSION).fetchone()[0]),
            "heirPid": leader.heir_pid,
            "language": LANGUAGE,
            "omits": OMITTED if leader.info.available else [*OMITTED, "columnTypes"],
        },
        "members": members,
        "counters": {**leader.stats, "queueDepth": leader.queue_depth},
        "load": {
            "writesPerSec": round(writes / window, 3),
            "readsPerSec": round((len(leader.load_samples) - writes) / window, 3),
            "p50Ms": pct(0.5),
            "p99Ms": pct(0.99),
            "avgGroupSize": round(sum(groups) / len(groups), 3) if groups else 0,
        },
        "database": {
            "path": leader.paths.database,
            "databaseBytes": _size(leader.paths.database),
            "walBytes": _size(leader.paths.database + "-wal"),
            "synchronous": sync_level,
        },
        "failovers": [
            {"epoch": e, "pid": p, "name": n, "startedAt": s, "previousPid": pp, "takeoverMs": t}
            for e, p, n, s, pp, t in history
        ],
    }


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0

