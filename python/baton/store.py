"""The store a Python program holds: a member of the fleet, follower or leader.

Every request goes to the leader over its socket, whichever process leads. A candidate that
wins the election hosts the leader itself (``leader.Leader``, threads of this process) and
connects to it like any member. When the connection ends, unanswered requests are kept and
re-sent, with their ids and ``retry``, to the next leader, which answers writes the dead one
had committed from its exactly-once record.
"""

from __future__ import annotations

import os
import queue
import random
import secrets
import sys
import threading
import time
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import election
from .connection import FATAL_REFUSALS, Connection, connect, socket_path_of
from .constants import (
    APPLIED_RETENTION_MS,
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_TRANSACTION_TIMEOUT_MS,
    MAX_BATCH_STATEMENTS,
    MAX_TRANSACTION_MS,
)
from .errors import StoreError
from .paths import StorePaths, read_leader_record, store_paths
from .results import Args, ResultSet, result_from_wire, wire_statement
from .sql import transaction_control

Statement = Union[str, tuple, Mapping[str, Any]]
Listener = Callable[..., None]

_EVENTS = ("notify", "role", "failover", "error")


class _Pending:
    __slots__ = ("id", "op", "deadline", "done", "ok", "err", "sent", "tx_id")

    def __init__(self, request_id: int, op: dict[str, Any], deadline: float) -> None:
        self.id = request_id
        self.op = op
        self.deadline = deadline
        self.done = threading.Event()
        self.ok: Any = None
        self.err: Optional[StoreError] = None
        self.sent = False
        self.tx_id = op.get("txId")


class Store:
    """A member of a Baton fleet. Open one with ``open_store``."""

    def __init__(
        self,
        path: str,
        *,
        name: Optional[str],
        candidate: bool,
        migrations: Iterable[tuple[int, str]],
        request_timeout: float,
        file_mode: int,
        synchronous: str,
        transaction_timeout: float,
        max_frame_bytes: int,
    ) -> None:
        self.paths: StorePaths = store_paths(path)
        self.name = name if name is not None else _default_name()
        self.candidate = candidate
        # 128 random bits, 22 characters: the key of every exactly-once record of this member.
        self.client_id = secrets.token_urlsafe(16)
        self.request_timeout = request_timeout
        self.file_mode = file_mode
        self.synchronous = synchronous
        self.transaction_timeout = transaction_timeout
        self.max_frame_bytes = max_frame_bytes
        self.migrations = [{"version": int(v), "sql": str(sql)} for v, sql in migrations]
        self.epoch = 0
        self.leader_pid = 0
        self._role = "electing"
        self._lock = threading.RLock()
        self._next_id = 1
        self._pending: dict[int, _Pending] = {}
        self._abandoned_begins: set[int] = set()
        self._conn: Optional[Connection] = None
        self._connected = threading.Condition(self._lock)
        self._lost = threading.Event()
        self._closing = threading.Event()
        self._fatal: Optional[StoreError] = None
        self._listeners: dict[str, list[Listener]] = {event: [] for event in _EVENTS}
        self._events: "queue.Queue[Optional[tuple[str, tuple[Any, ...]]]]" = queue.Queue()
        self._heir_pid = 0
        #: Warnings found while no 'error' listener was attached (leading from ``open_store`` on):
        #: said to the first one, so that a program attaching it after ``open_store`` hears them.
        self._held_warnings: list[StoreError] = []
        self._leader: Any = None  # leader.Leader while this member hosts the leader
        self._lock_held: Optional[election.LeaderLock] = None
        self._stand_after = 0.0
        self._lost_at = 0.0
        self._dispatcher = threading.Thread(target=self._dispatch_events, name="baton-events", daemon=True)
        self._dispatcher.start()
        self._supervisor = threading.Thread(target=self._supervise, name="baton-member", daemon=True)

    # -- public API -------------------------------------------------------------------------

    @property
    def role(self) -> str:
        """``'leader'``, ``'follower'``, ``'electing'`` or ``'closed'``."""
        return self._role

    def on(self, event: str, listener: Listener) -> None:
        """Calls ``listener`` on ``'notify'`` (channel, payload), ``'role'`` (role), ``'failover'``
        (dict with fromPid, toPid, epoch, and ms from losing the leader to the new one's welcome) or
        ``'error'`` (StoreError; a warning found before any 'error' listener was attached, such as
        ``DATABASE_REPLACED`` while ``open_store`` made this member lead, is said to the first one).
        Listeners run on one thread of their own, in order, so a listener may call the store."""
        if event not in self._listeners:
            raise StoreError("INVALID_ARGUMENT", f"unknown event {event!r}; expected one of {', '.join(_EVENTS)}")
        with self._lock:
            self._listeners[event].append(listener)
            if event == "error":
                held, self._held_warnings = self._held_warnings, []
                for warning in held:
                    self._events.put(("error", (warning,)))

    def execute(self, sql: str, args: Args = None) -> ResultSet:
        """Runs one statement; returns its result set."""
        return result_from_wire(self._request({"k": "execute", "stmt": wire_statement(sql, args)}))

    def batch(self, statements: Sequence[Statement], mode: str = "write") -> list[ResultSet]:
        """Runs statements atomically in one round trip: all or none."""
        results = self._request({"k": "batch", "stmts": _statements(statements), "mode": _mode(mode)})
        return [result_from_wire(r) for r in results]

    def execute_script(self, sql: str) -> None:
        """Runs a script of statements separated by semicolons (libsql's ``executeMultiple``)."""
        if not isinstance(sql, str):
            raise StoreError("INVALID_ARGUMENT", "sql must be a string")
        self._request({"k": "script", "sql": sql})

    def transaction(self, mode: str = "write", timeout: Optional[float] = None) -> "Transaction":
        """Opens an interactive transaction held by the leader. As a context manager it commits on
        a normal exit and rolls back on an exception."""
        timeout_ms = int((self.transaction_timeout if timeout is None else timeout) * 1000)
        if timeout_ms < 0:
            raise StoreError("INVALID_ARGUMENT", "a transaction timeout must not be negative")
        reply = self._request({"k": "begin", "mode": _mode(mode), "timeoutMs": min(timeout_ms, MAX_TRANSACTION_MS)})
        return Transaction(self, int(reply["txId"]))

    def notify(self, channel: str, payload: Any = None) -> None:
        """Publishes ``payload`` on ``channel`` to every member, after the commit it joins."""
        if not isinstance(channel, str) or not channel:
            raise StoreError("INVALID_ARGUMENT", "notify needs a non-empty channel name")
        self._request({"k": "notify", "channel": channel, "payload": payload})

    def status(self) -> dict[str, Any]:
        """The leader's view of the fleet (the ``StoreStatus`` map of docs/api.md)."""
        return self._request({"k": "status"})

    def reset(self) -> None:
        """The safe "init": drops the application's tables and replays the recorded migrations."""
        self._request({"k": "reset"})

    def step_down(self) -> dict[str, Any]:
        """Asks the current leader to hand over."""
        return self._request({"k": "stepdown"})

    def ping(self) -> str:
        """A round trip to the leader."""
        return self._request({"k": "ping"})

    def close(self) -> None:
        """Closes the store; a leader finishes its queue, says bye and releases the election."""
        with self._lock:
            if self._role == "closed":
                return
            self._closing.set()
            conn = self._conn
        leader = self._leader
        if leader is not None:
            leader.stop(graceful=True, reason="this leader is stepping down")
        if conn is not None:
            conn.close()
        self._lost.set()
        if self._supervisor.is_alive():
            self._supervisor.join(5)
        self._release_leadership()
        with self._lock:
            for pending in list(self._pending.values()):
                self._settle(pending, err=StoreError("CLIENT_CLOSED", "the store was closed"))
            self._set_role("closed")
            self._connected.notify_all()
        self._events.put(None)
        if threading.current_thread() is not self._dispatcher:
            self._dispatcher.join(5)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------

    def _request(self, op: dict[str, Any], timeout: Optional[float] = None) -> Any:
        deadline = time.monotonic() + (self.request_timeout if timeout is None else timeout)
        with self._lock:
            if self._role == "closed" or self._closing.is_set():
                raise StoreError("CLIENT_CLOSED", "the store is closed")
            pending = _Pending(self._next_id, op, deadline)
            self._next_id += 1
            self._pending[pending.id] = pending
            conn = self._conn
            if conn is not None:
                self._send(conn, pending)
        if not pending.done.wait(max(0.0, deadline - time.monotonic())):
            with self._lock:
                if not pending.done.is_set():
                    self._pending.pop(pending.id, None)
                    if op["k"] == "begin" and pending.sent:
                        self._abandoned_begins.add(pending.id)
                    leader = self._conn is not None
                    raise StoreError(
                        "TIMEOUT",
                        f"no answer within {self.request_timeout if timeout is None else timeout} s"
                        + ("" if leader else " (no leader could be reached)"),
                    )
        if pending.err is not None:
            raise pending.err
        return pending.ok

    def _send(self, conn: Connection, pending: _Pending, retry: bool = False) -> None:
        frame: dict[str, Any] = {"t": "req", "id": pending.id, "low": self._low(), "op": pending.op}
        if retry:
            frame["retry"] = True
        if conn.send(frame):
            pending.sent = True

    def _low(self) -> int:
        # The lowest request id still unsettled: nothing below it will be re-sent.
        return min(self._pending) if self._pending else self._next_id

    def _settle(self, pending: _Pending, ok: Any = None, err: Optional[StoreError] = None) -> None:
        self._pending.pop(pending.id, None)
        pending.ok = ok
        pending.err = err
        pending.done.set()

    def _on_frame(self, conn: Connection, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        kind = frame.get("t")
        if kind == "res":
            with self._lock:
                request_id = int(frame.get("id", -1))
                pending = self._pending.get(request_id)
                if pending is None:
                    if request_id in self._abandoned_begins:
                        self._abandoned_begins.discard(request_id)
                        ok = frame.get("ok")
                        if isinstance(ok, dict) and "txId" in ok:
                            self._fire_and_forget({"k": "rollback", "txId": int(ok["txId"])})
                    return
                if "err" in frame:
                    self._settle(pending, err=StoreError.from_wire(frame["err"]))
                else:
                    self._settle(pending, ok=frame.get("ok"))
        elif kind == "notify":
            self._events.put(("notify", (frame.get("channel"), frame.get("payload"))))
        elif kind == "heir":
            self._heir_pid = int(frame.get("pid") or 0)

    def _fire_and_forget(self, op: dict[str, Any]) -> None:
        pending = _Pending(self._next_id, op, time.monotonic() + self.request_timeout)
        self._next_id += 1
        conn = self._conn
        if conn is not None:
            conn.send({"t": "req", "id": pending.id, "op": op})

    def _on_lost(self, conn: Connection) -> None:
        with self._lock:
            if self._conn is conn:
                self._conn = None
                # Statements of an open transaction die with its leader; commit and rollback are kept
                # (a re-sent commit learns from the record whether it was applied).
                for pending in list(self._pending.values()):
                    if pending.tx_id is not None and pending.op["k"] not in ("commit", "rollback"):
                        self._settle(
                            pending,
                            err=StoreError("TRANSACTION_ABORTED", "the leader changed; the transaction was rolled back"),
                        )
                if not self._closing.is_set():
                    self._set_role("electing")
                self._lost_at = time.monotonic()
        self._lost.set()

    # -- leadership and connections ----------------------------------------------------------

    def _start(self) -> None:
        self._supervisor.start()
        with self._lock:
            deadline = time.monotonic() + self.request_timeout
            while self._conn is None and self._fatal is None and time.monotonic() < deadline:
                self._connected.wait(max(0.0, deadline - time.monotonic()))
            fatal = self._fatal
            connected = self._conn is not None
        if fatal is not None:
            self.close()
            raise fatal
        if not connected:
            self.close()
            raise StoreError("TIMEOUT", f"no leader could be reached within {self.request_timeout} s")

    def _supervise(self) -> None:
        backoff = BACKOFF_FIRST_S
        noticed = time.monotonic()
        while not self._closing.is_set():
            if self._leader is not None and not self._leader.running:
                self._release_leadership()
            if self.candidate and self._leader is None and self._may_stand(noticed):
                self._try_lead(noticed)
            try:
                conn = self._connect_once()
            except StoreError as error:
                if error.code in FATAL_REFUSALS:
                    with self._lock:
                        self._fatal = error
                        self._connected.notify_all()
                    self._events.put(("error", (error,)))
                    return
                conn = None
            except (OSError, TimeoutError, ConnectionError):
                conn = None
            if conn is None:
                time.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            backoff = BACKOFF_FIRST_S
            self._lost.wait()
            noticed = time.monotonic()

    def _may_stand(self, noticed: float) -> bool:
        if time.monotonic() < self._stand_after:
            return False  # this member just stepped down: another candidate takes over first
        # The heir (named by the last leader) takes over first; the others leave it 25 ms.
        heir = self._heir_pid
        if heir in (0, os.getpid()) or time.monotonic() - noticed >= 0.025:
            return True
        try:
            os.kill(heir, 0)
            return False
        except OSError:
            return True

    def _try_lead(self, noticed: float) -> None:
        from .leader import Leader  # the leader's modules load only in a member that wins

        lock = election.try_acquire(self.paths.lock, self.file_mode)
        if lock is None:
            return
        leader = Leader(
            self.paths,
            name=self.name,
            synchronous=self.synchronous,
            file_mode=self.file_mode,
            max_frame_bytes=self.max_frame_bytes,
            election_started_at=time.time() - (time.monotonic() - noticed),
            lock=lock,
        )
        try:
            leader.start()
        except StoreError as error:
            lock.release()
            self._events.put(("error", (error,)))
            if error.code == "PERMISSION_DENIED":
                with self._lock:
                    self._fatal = error
                    self._connected.notify_all()
            return
        self._leader = leader
        self._lock_held = lock
        if leader.set_aside:
            self._warn(
                StoreError(
                    "DATABASE_REPLACED",
                    "the database file was replaced or deleted while no leader watched it: the old file's WAL "
                    f"was moved aside ({', '.join(leader.set_aside)}) so that it is not replayed into the new file",
                )
            )

    def _warn(self, warning: StoreError) -> None:
        """Says ``warning`` on the 'error' channel now, or to the first 'error' listener attached."""
        with self._lock:
            if self._listeners["error"]:
                self._events.put(("error", (warning,)))
            else:
                self._held_warnings.append(warning)

    def _release_leadership(self) -> None:
        leader, self._leader = self._leader, None
        if leader is not None:
            leader.stop(graceful=False, reason="this leader is stepping down")
        lock, self._lock_held = self._lock_held, None
        if lock is not None:
            lock.release()
            self._stand_after = time.monotonic() + 0.25

    def _connect_once(self) -> Optional[Connection]:
        if self._leader is not None:
            path = self._leader.socket_path
        else:
            path = socket_path_of(read_leader_record(self.paths.record), self.paths.socket)
        conn = connect(
            path,
            client_id=self.client_id,
            name=self.name,
            candidate=self.candidate,
            migrations=self.migrations,
            max_frame_bytes=self.max_frame_bytes,
        )
        welcome = conn.welcome
        with self._lock:
            if self._closing.is_set():
                conn.close()
                return None
            previous_pid = self.leader_pid
            self.epoch = int(welcome.get("epoch", 0))
            self.leader_pid = int(welcome.get("leaderPid", 0))
            self._lost.clear()
            self._conn = conn
            conn.start(lambda frame: self._on_frame(conn, frame), self._on_lost)
            # Re-send what the last leader left unanswered, with the same ids.
            now = time.monotonic()
            for pending in sorted(self._pending.values(), key=lambda p: p.id):
                if pending.deadline < now:
                    continue
                self._send(conn, pending, retry=pending.sent)
            self._set_role("leader" if self.leader_pid == os.getpid() else "follower")
            if previous_pid and previous_pid != self.leader_pid:
                ms = round((time.monotonic() - self._lost_at) * 1000, 3)
                event = {"fromPid": previous_pid, "toPid": self.leader_pid, "epoch": self.epoch, "ms": ms}
                self._events.put(("failover", (event,)))
            self._connected.notify_all()
        return conn

    def _set_role(self, role: str) -> None:
        if role != self._role:
            self._role = role
            self._events.put(("role", (role,)))

    def _dispatch_events(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            event, args = item
            for listener in list(self._listeners[event]):
                try:
                    listener(*args)
                except Exception as error:  # a listener's failure must not stop the others
                    print(f"baton: a {event!r} listener failed: {error!r}", file=sys.stderr)


class Transaction:
    """An interactive transaction held by the leader (until its timeout). ``closed`` turns True on
    ``commit()``, ``rollback()``, a ``COMMIT``/``END``/``ROLLBACK`` statement, or a failure that
    ended it on the leader (an error with ``transaction_rolled_back``, ``TRANSACTION_ABORTED``);
    afterwards statements and ``commit()`` fail with ``TRANSACTION_CLOSED``, as in libsql and the
    TypeScript member (packages/store/src/member/transaction.ts)."""

    def __init__(self, store: Store, tx_id: int) -> None:
        self._store = store
        self.tx_id = tx_id
        self.closed = False

    def execute(self, sql: str, args: Args = None) -> ResultSet:
        """Runs one statement inside the transaction. ``COMMIT``, ``END`` and ``ROLLBACK`` end it as
        ``commit()`` and ``rollback()`` do (so the exactly-once record of a commit is kept)."""
        stmt = wire_statement(sql, args)
        self._check_open()
        control = transaction_control(stmt["sql"])
        if control in ("commit", "rollback"):
            self._end(control)
            return result_from_wire(_NO_RESULT)
        return result_from_wire(self._send({"k": "execute", "stmt": stmt, "txId": self.tx_id}))

    def batch(self, statements: Sequence[Statement]) -> list[ResultSet]:
        """Runs statements in order inside the transaction; the first failure stops it (its error
        names the statement) and the statements before it stay. A ``COMMIT``/``END`` or
        ``ROLLBACK`` statement ends the transaction there, as ``execute`` does: a statement after
        it fails the batch with ``TRANSACTION_CLOSED``."""
        stmts = _statements(statements)
        if self.closed:
            if not stmts:
                return []
            raise _closed_error(statement_index=0)
        ends = [i for i, stmt in enumerate(stmts) if transaction_control(stmt["sql"]) in ("commit", "rollback")]
        at = ends[0] if ends else -1
        before = stmts if at < 0 else stmts[:at]
        results = []
        if before:
            op = {"k": "batch", "stmts": before, "mode": "write", "txId": self.tx_id}
            results = [result_from_wire(r) for r in self._send(op)]
        if at < 0:
            return results
        try:
            self._end("commit" if transaction_control(stmts[at]["sql"]) == "commit" else "rollback")
        except StoreError as error:
            error.statement_index = at
            raise
        if at < len(stmts) - 1:
            raise _closed_error(statement_index=at + 1)
        return [*results, result_from_wire(_NO_RESULT)]

    def commit(self) -> None:
        """Commits (fenced and recorded for exactly-once by the leader)."""
        self._check_open()
        self._end("commit")

    def rollback(self) -> None:
        """Rolls back; harmless when the transaction already ended."""
        if self.closed:
            return
        self._end("rollback")

    def _end(self, how: str) -> None:
        self.closed = True
        self._store._request({"k": how, "txId": self.tx_id})

    def _send(self, op: dict[str, Any]) -> Any:
        try:
            return self._store._request(op)
        except StoreError as error:
            # The leader no longer holds it (this statement or an earlier one rolled it back, it
            # timed out, the leader changed): closed, so that a rollback() after this error does
            # nothing and the error itself reaches the program.
            if error.transaction_rolled_back or error.code in ("TRANSACTION_ABORTED", "TRANSACTION_CLOSED"):
                self.closed = True
            raise

    def _check_open(self) -> None:
        if self.closed:
            raise _closed_error()

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            if not self.closed:
                self.commit()
        else:
            try:
                self.rollback()
            except StoreError:
                pass  # the error that ended the block is the one to report


#: The result of a statement that ended the transaction, as libsql gives it.
_NO_RESULT = {"columns": [], "columnTypes": [], "rows": [], "rowsAffected": 0, "lastInsertRowid": None}


def _closed_error(statement_index: Optional[int] = None) -> StoreError:
    return StoreError("TRANSACTION_CLOSED", "The transaction is closed", statement_index=statement_index)


def _statements(statements: Sequence[Statement]) -> list[dict[str, Any]]:
    if isinstance(statements, (str, bytes)) or not isinstance(statements, Sequence):
        raise StoreError("INVALID_ARGUMENT", "a batch is a sequence of statements")
    if len(statements) > MAX_BATCH_STATEMENTS:
        raise StoreError("INVALID_ARGUMENT", f"a batch may hold at most {MAX_BATCH_STATEMENTS} statements")
    wire = []
    for statement in statements:
        if isinstance(statement, str):
            wire.append(wire_statement(statement))
        elif isinstance(statement, tuple) and len(statement) == 2:
            wire.append(wire_statement(statement[0], statement[1]))
        elif isinstance(statement, Mapping):
            wire.append(wire_statement(statement.get("sql"), statement.get("args")))
        else:
            raise StoreError("INVALID_ARGUMENT", "a statement is a string, (sql, args) or {'sql', 'args'}")
    return wire


def _mode(mode: Any) -> str:
    if mode not in ("write", "read", "deferred"):
        raise StoreError("INVALID_ARGUMENT", f"unknown transaction mode {mode!r}; expected write, read or deferred")
    return mode


def _default_name() -> str:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script[:-3] if script.endswith(".py") else (script or str(os.getpid()))


def open_store(
    path: str,
    *,
    name: Optional[str] = None,
    candidate: bool = True,
    migrations: Iterable[tuple[int, str]] = (),
    request_timeout: float = 30.0,
    file_mode: int = 0o600,
    synchronous: str = "full",
    transaction_timeout: float = DEFAULT_TRANSACTION_TIMEOUT_MS / 1000,
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
) -> Store:
    """Opens a member of the store at ``path``: it joins the election (a candidate) and returns
    once it is connected to a leader, its own or another process's."""
    if not isinstance(path, str) or not path:
        raise StoreError("INVALID_ARGUMENT", "path must be a non-empty string")
    if not 0 < request_timeout <= APPLIED_RETENTION_MS / 1000:
        raise StoreError("INVALID_ARGUMENT", f"request_timeout must be in (0, {APPLIED_RETENTION_MS // 1000}] seconds")
    if file_mode not in (0o600, 0o640, 0o660):
        raise StoreError("INVALID_ARGUMENT", "file_mode must be 0o600, 0o640 or 0o660")
    if synchronous not in ("full", "normal"):
        raise StoreError("INVALID_ARGUMENT", "synchronous must be 'full' or 'normal'")
    migration_list = list(migrations)
    for migration in migration_list:
        if not (isinstance(migration, tuple) and len(migration) == 2 and isinstance(migration[1], str)):
            raise StoreError("INVALID_ARGUMENT", "migrations are (version, sql) pairs")
        if isinstance(migration[0], bool) or not isinstance(migration[0], int) or migration[0] < 0:
            raise StoreError("INVALID_ARGUMENT", "a migration version is a non-negative integer")
    store = Store(
        path,
        name=name,
        candidate=candidate,
        migrations=migration_list,
        request_timeout=request_timeout,
        file_mode=file_mode,
        synchronous=synchronous,
        transaction_timeout=transaction_timeout,
        max_frame_bytes=max_frame_bytes,
    )
    store._start()
    return store
