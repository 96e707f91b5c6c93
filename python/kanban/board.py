"""The board operations a gateway needs, in the same SQL as packages/kanban/src/board.ts: each
one atomic batch through the store, its guards in the SQL, its task_events entry in the same
transaction, ready tasks announced on the same channel."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Optional

from baton import Store, StoreError

#: The store channel on which boards announce tasks that became ready (board-store.ts).
READY_CHANNEL = "kanban.ready"
DEFAULT_TTL_MS = 30_000
DEFAULT_MAX_FAILURES = 3
PARENTS_DONE = (
    "NOT EXISTS (SELECT 1 FROM task_links l JOIN tasks p ON p.id = l.parent WHERE l.child = t.id AND p.status <> 'done')"
)
HAS_PARENT = "EXISTS (SELECT 1 FROM task_links l WHERE l.child = t.id)"


class ClaimLost(Exception):
    """The run no longer holds its task (released, blocked or finished)."""


@dataclass
class Claim:
    task_id: str
    run_id: str
    created_at: int


_PLACEHOLDER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def stmt(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The statement with the values of the ``:name`` placeholders it uses, as statement.ts binds them."""
    return sql, {name: params[name] for name in _PLACEHOLDER.findall(sql)}


def new_task_id() -> str:
    return "t_" + secrets.token_hex(4)


def new_run_id() -> str:
    return "r_" + secrets.token_hex(8)


def _now() -> int:
    return int(time.time() * 1000)


class Board:
    """The board of one member (``actor``: its profile name)."""

    def __init__(self, store: Store, actor: str) -> None:
        self.store = store
        self.actor = actor

    def create(self, title: str, body: str = "", idempotency_key: Optional[str] = None) -> tuple[str, bool]:
        """Creates a ready task; with a key already used, the first task. Returns (task id, created)."""
        for attempt in range(1, 6):
            p = {
                "id": new_task_id(),
                "title": title,
                "body": body,
                "assignee": None,
                "priority": 0,
                "key": idempotency_key,
                "now": _now(),
                "actor": self.actor,
                "status": "ready",
                "data": json.dumps({"title": title, "priority": 0, "assignee": None, "parents": []}, separators=(",", ":")),
            }
            statements = [
                (
                    "INSERT INTO tasks (id, title, body, assignee, status, priority, created_by, created_at, idempotency_key)\n"
                    "              VALUES (:id, :title, :body, :assignee, :status, :priority, :actor, :now, :key) "
                    "ON CONFLICT (idempotency_key) DO NOTHING",
                    p,
                ),
                (
                    "INSERT INTO task_events (task_id, kind, actor, data, at) "
                    "SELECT id, 'created', :actor, :data, :now FROM tasks WHERE id = :id",
                    p,
                ),
                (
                    "SELECT * FROM tasks WHERE id = :id OR (:key IS NOT NULL AND idempotency_key = :key)",
                    p,
                ),
            ]
            try:
                results = self._batch(statements, "write")
            except StoreError as error:
                if error.extended_code == "SQLITE_CONSTRAINT_PRIMARYKEY" and attempt < 5:
                    continue  # a 32-bit id collided: try another
                raise
            row = results[-1].rows[0]
            created = row["id"] == p["id"]
            if created and row["status"] == "ready":
                self.announce([row["id"]], "created")
            return row["id"], created
        raise StoreError("INVALID_ARGUMENT", "create: no free task id after 5 attempts")

    def claim(self, ttl_ms: int = DEFAULT_TTL_MS) -> Optional[Claim]:
        """Claims the best ready, unclaimed task (compare-and-swap in the SQL); None when there is none."""
        now = _now()
        p = {"run": new_run_id(), "actor": self.actor, "now": now, "expires": now + ttl_ms, "pid": os.getpid()}
        pick = (
            "SELECT id FROM tasks WHERE status = 'ready' AND claim_lock IS NULL AND (assignee IS NULL OR assignee = :actor) "
            "ORDER BY priority DESC, created_at, id LIMIT 1"
        )
        results = self._batch(
            [
                (
                    "UPDATE tasks SET status = 'running', claim_lock = :run, claim_expires = :expires, started_at = :now, "
                    "worker_pid = :pid, last_heartbeat_at = :now, current_run_id = :run "
                    f"WHERE id = ({pick}) AND status = 'ready' AND claim_lock IS NULL RETURNING *",
                    p,
                ),
                (
                    "INSERT INTO task_runs (id, task_id, profile, worker_pid, status, started_at) "
                    "SELECT :run, id, :actor, :pid, 'running', :now FROM tasks WHERE claim_lock = :run",
                    p,
                ),
                (
                    "INSERT INTO task_events (task_id, kind, actor, run_id, data, at) "
                    "SELECT id, 'claimed', :actor, :run, json_object('workerPid', :pid, 'expires', :expires), :now "
                    "FROM tasks WHERE claim_lock = :run",
                    p,
                ),
                ("SELECT * FROM task_runs WHERE id = :run", p),
            ],
            "write",
        )
        if not results[0].rows or not results[3].rows:
            return None
        task = results[0].rows[0]
        return Claim(task["id"], p["run"], int(task["created_at"]))

    def heartbeat(self, run: str, ttl_ms: int = DEFAULT_TTL_MS) -> None:
        """Extends a claim; ``ClaimLost`` when it is no longer this run's."""
        now = _now()
        p = {"run": run, "now": now, "expires": now + ttl_ms, "actor": self.actor}
        updated, _ = self._batch(
            [
                (
                    "UPDATE tasks SET last_heartbeat_at = :now, claim_expires = :expires WHERE claim_lock = :run RETURNING id",
                    p,
                ),
                (
                    "INSERT INTO task_events (task_id, kind, actor, run_id, data, at) "
                    "SELECT id, 'heartbeat', :actor, :run, json_object('expires', :expires), :now FROM tasks WHERE claim_lock = :run",
                    p,
                ),
            ],
            "write",
        )
        if not updated.rows:
            raise ClaimLost(f"run {run} no longer holds its task (released, blocked or finished)")

    def complete(self, run: str, result: Optional[str]) -> None:
        """Done; children whose parents are all done promoted and announced. ``ClaimLost`` if released."""
        p = {"run": run, "result": result, "now": _now(), "actor": self.actor}
        finished = "(SELECT task_id FROM task_runs WHERE id = :run AND status = 'completed' AND ended_at = :now)"
        results = self._batch(
            [
                (
                    "UPDATE tasks SET status = 'done', completed_at = :now, result = :result, claim_lock = NULL, "
                    "claim_expires = NULL, worker_pid = NULL, consecutive_failures = 0 WHERE claim_lock = :run RETURNING *",
                    p,
                ),
                (
                    "UPDATE task_runs SET status = 'completed', ended_at = :now, outcome = :result "
                    "WHERE id = :run AND status = 'running' AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_runs.task_id "
                    "AND t.current_run_id = :run AND t.status = 'done')",
                    p,
                ),
                # changes(): the run update just before, so only the complete that ended the run
                # records it (a repeated complete within the same millisecond would match ended_at too).
                (
                    "INSERT INTO task_events (task_id, kind, actor, run_id, data, at) "
                    "SELECT task_id, 'completed', :actor, :run, json_object('result', :result), :now FROM task_runs "
                    "WHERE id = :run AND status = 'completed' AND changes() > 0",
                    p,
                ),
                *self._promote_statements(f"t.id IN (SELECT child FROM task_links WHERE parent = {finished})", p),
            ],
            "write",
        )
        if not results[0].rows:
            raise ClaimLost(f"run {run} no longer holds its task; the result was not recorded")
        promoted = [r["id"] for r in results[-1].rows]
        if promoted:
            self.announce(promoted, "promoted")

    def fail(self, run: str, error: str, max_failures: int = DEFAULT_MAX_FAILURES) -> str:
        """Back to ready, or blocked after ``max_failures``; returns the task's status. ``ClaimLost`` if released."""
        p = {"run": run, "error": error, "now": _now(), "actor": self.actor, "max": max_failures}
        results = self._batch(
            [
                (
                    "INSERT INTO task_events (task_id, kind, actor, run_id, data, at) "
                    "SELECT id, 'failed', :actor, :run, json_object('error', :error, 'failures', consecutive_failures + 1), :now "
                    "FROM tasks WHERE claim_lock = :run",
                    p,
                ),
                (
                    "UPDATE task_runs SET status = 'failed', ended_at = :now, error = :error WHERE id = :run AND status = 'running' "
                    "AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_runs.task_id AND t.claim_lock = :run)",
                    p,
                ),
                (
                    "UPDATE tasks SET status = CASE WHEN consecutive_failures + 1 >= :max THEN 'blocked' ELSE 'ready' END, "
                    "consecutive_failures = consecutive_failures + 1, claim_lock = NULL, claim_expires = NULL, worker_pid = NULL, "
                    "current_run_id = NULL WHERE claim_lock = :run RETURNING *",
                    p,
                ),
                # changes(): the task update just before, so only the fail that released the claim records it.
                (
                    "INSERT INTO task_events (task_id, kind, actor, run_id, data, at) "
                    "SELECT t.id, 'blocked', :actor, :run, json_object('reason', 'too many consecutive failures'), :now FROM tasks t "
                    "WHERE t.id = (SELECT task_id FROM task_runs WHERE id = :run) AND t.status = 'blocked' AND changes() > 0",
                    p,
                ),
            ],
            "write",
        )
        if not results[2].rows:
            raise ClaimLost(f"run {run} no longer holds its task; the failure was not recorded")
        row = results[2].rows[0]
        if row["status"] == "ready":
            self.announce([row["id"]], "failed")
        return row["status"]

    def release_stale(self) -> list[str]:
        """Releases every claim whose TTL expired (its worker died or stalled); their ids."""
        p = {"now": _now(), "actor": self.actor}
        results = self._batch(
            [
                (
                    "INSERT INTO task_events (task_id, kind, actor, run_id, data, at) "
                    "SELECT id, 'released', :actor, current_run_id, json_object('reason', 'claim expired', 'workerPid', worker_pid, "
                    "'expired', claim_expires), :now FROM tasks WHERE status = 'running' AND claim_expires < :now",
                    p,
                ),
                (
                    "UPDATE task_runs SET status = 'released', ended_at = :now, error = 'claim expired' WHERE status = 'running' "
                    "AND id IN (SELECT current_run_id FROM tasks WHERE status = 'running' AND claim_expires < :now)",
                    p,
                ),
                (
                    "UPDATE tasks SET status = 'ready', claim_lock = NULL, claim_expires = NULL, worker_pid = NULL, "
                    "current_run_id = NULL WHERE status = 'running' AND claim_expires < :now RETURNING id",
                    p,
                ),
            ],
            "write",
        )
        released = [r["id"] for r in results[2].rows]
        if released:
            self.announce(released, "released")
        return released

    def promote(self) -> list[str]:
        """Promotes the todo tasks whose parents are all done."""
        p = {"now": _now(), "actor": self.actor}
        results = self._batch(self._promote_statements(HAS_PARENT, p), "write")
        promoted = [r["id"] for r in results[1].rows]
        if promoted:
            self.announce(promoted, "promoted")
        return promoted

    def _promote_statements(self, which: str, p: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        match = f"t.status = 'todo' AND ({which}) AND {PARENTS_DONE}"
        return [
            (
                "INSERT INTO task_events (task_id, kind, actor, at) "
                f"SELECT t.id, 'promoted', :actor, :now FROM tasks t WHERE {match}",
                p,
            ),
            (f"UPDATE tasks AS t SET status = 'ready' WHERE {match} RETURNING id", p),
        ]

    def _batch(self, statements: list[tuple[str, dict[str, Any]]], mode: str) -> list:
        return self.store.batch([stmt(sql, p) for sql, p in statements], mode)

    def announce(self, task_ids: list[str], reason: str) -> None:
        """Tells every member's dispatcher; best effort (a sweep finds the tasks anyway)."""
        try:
            self.store.notify(READY_CHANNEL, {"taskIds": task_ids, "reason": reason})
        except StoreError:
            pass

