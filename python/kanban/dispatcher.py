"""Claims and runs work, as packages/kanban/src/gateway/dispatcher.ts does: on a ready notice, on
a periodic sweep (expired claims released, todo tasks promoted), and whenever a worker frees up,
while fewer than ``max_workers`` runs are in progress. Each run heartbeats its claim and ends in
complete or fail; a lost claim is reported and its result discarded."""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Callable

from baton import StoreError

from .board import READY_CHANNEL, Board, Claim, ClaimLost
from .config import GatewayConfig

Report = Callable[[dict[str, Any]], None]


class Dispatcher:
    def __init__(self, board: Board, config: GatewayConfig, report: Report) -> None:
        self.board = board
        self.config = config
        self.report = report
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}
        self._wake = threading.Condition(self._lock)
        self._trigger: str | None = None
        self._announced: set[str] = set()
        self._stopped = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.board.store.on("notify", self._on_notify)
        self._spawn(self._pump_loop)
        self._spawn(self._sweep_loop)
        self.pump("start")

    def _spawn(self, target: Callable[..., None], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _on_notify(self, channel: str, payload: Any) -> None:
        if channel != READY_CHANNEL:
            return
        if isinstance(payload, dict) and payload.get("reason") == "created":
            with self._lock:
                self._announced.update(i for i in payload.get("taskIds") or [] if isinstance(i, str))
        self.pump("notify")

    def pump(self, trigger: str) -> None:
        with self._lock:
            if self._trigger is None:
                self._trigger = trigger
            self._wake.notify_all()  # the sweep thread waits on the same condition

    def _pump_loop(self) -> None:
        while True:
            with self._lock:
                while self._trigger is None and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    return
                trigger, self._trigger = self._trigger, None
            self._claim_while_free(trigger)

    def _claim_while_free(self, trigger: str) -> None:
        while not self._stopped and len(self._running) < self.config.max_workers:
            try:
                claim = self.board.claim(self.config.claim_ttl_ms)
            except StoreError as error:
                self.report({"ev": "error", "code": error.code, "message": error.message})
                return
            if claim is None:
                return
            with self._lock:
                direct = claim.task_id in self._announced
                self._announced.discard(claim.task_id)
                abort = threading.Event()
                self._running[claim.run_id] = abort
            self.report(
                {
                    "ev": "claimed",
                    "taskId": claim.task_id,
                    "runId": claim.run_id,
                    "latencyMs": int(time.time() * 1000) - claim.created_at,
                    "trigger": trigger,
                    "direct": direct,
                }
            )
            self._spawn(self._run_work, claim, abort)

    def _sweep_loop(self) -> None:
        while not self._stopped:
            with self._lock:
                self._wake.wait_for(lambda: self._stopped, self.config.sweep_ms / 1000)
            if self._stopped:
                return
            try:
                released = self.board.release_stale()
                if released:
                    self.report({"ev": "released", "taskIds": released})
                self.board.promote()
            except StoreError as error:
                self.report({"ev": "error", "code": error.code, "message": error.message})
            self.pump("sweep")

    def _run_work(self, claim: Claim, abort: threading.Event) -> None:
        try:
            self._work(claim, abort)
        finally:
            with self._lock:
                self._running.pop(claim.run_id, None)
                self._wake.notify_all()
            self.pump("capacity")

    def _work(self, claim: Claim, abort: threading.Event) -> None:
        config = self.config
        ms = config.work_min_ms + random.randint(0, config.work_max_ms - config.work_min_ms)
        fails = random.random() < config.fail_rate
        deadline = time.monotonic() + ms / 1000
        # The simulated agent run, heartbeating its claim meanwhile.
        while not abort.wait(min(config.heartbeat_ms / 1000, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                break
            try:
                self.board.heartbeat(claim.run_id, config.claim_ttl_ms)
            except ClaimLost:
                abort.set()
            except StoreError as error:
                self.report({"ev": "error", "code": error.code, "message": error.message})
        ids = {"taskId": claim.task_id, "runId": claim.run_id}
        if abort.is_set():
            if not self._stopped:
                self.report({"ev": "lost", **ids})
            return
        try:
            if fails:
                status = self.board.fail(claim.run_id, f"simulated failure after {ms} ms")
                self.report({"ev": "failed", **ids, "blocked": status == "blocked"})
            else:
                self.board.complete(claim.run_id, f"{claim.task_id} done in {ms} ms")
                self.report({"ev": "completed", **ids})
        except ClaimLost:
            self.report({"ev": "lost", **ids})
        except StoreError as error:
            self.report({"ev": "error", "code": error.code, "message": error.message})

    def stop(self) -> None:
        """Stops claiming and waits for the work in progress to be recorded."""
        with self._lock:
            self._stopped = True
            self._wake.notify_all()
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join()
