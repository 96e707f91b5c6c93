"""The leader, hosted by a Python member that won the election: the only opener of the database.

One engine thread owns both SQLite connections (a writer and a read-only reader) and does
everything that touches them, in arrival order: reads at once on the reader, writes in group
commits (each request in its own savepoint, recorded in ``_baton_applied`` for exactly-once, the
fence checked before every COMMIT), interactive transactions with their timeout, migrations
from hellos, notifications after commit, status. Each member connection has a thread reading
its frames into the engine's inbox and one writing its replies, so a slow reader stalls nobody.

Left out, compared with the Node leader (docs in python/README.md): no standby engine for the
heir, no runaway-statement watch (a runaway list left by a Node leader is honoured), no group
fill on a slow flush; and empty ``columnTypes`` where SQLite's library cannot be loaded through
ctypes (statement_info.py).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import socket
import sqlite3
import threading
import time
from typing import Any, Callable, Optional

from . import schema
from .applied import applied_outcome, install_baton_schema, record_applied, record_columns
from .constants import (
    APPLIED_FORGET_STEP,
    APPLIED_RETENTION_MS,
    IDLE_CHECKPOINT_S,
    LANGUAGE,
    LEADER_CHECK_INTERVAL_S,
    MAX_GROUP_WRITES,
    MAX_TRANSACTION_MS,
    PROTOCOL_VERSION,
    RESPONSE_ENVELOPE_BYTES,
    VERSION,
)
from .database_file import recorded_file_at, same_recorded_file, set_aside_companions
from .election import LeaderLock
from .errors import StoreError
from .framing import encode_frame
from .paths import (
    StorePaths,
    ensure_private_directory,
    link_socket_to_lock,
    open_or_create,
    read_leader_record,
    unlink_socket_link,
    write_file_atomic,
)
from .statement_info import StatementInfo
from .leader_session import Session
from .leader_status import status_report
from .validate import check_hello, check_mode, check_statements, plain_int, shown
from .sql import (
    RowidTracker,
    check_allowed,
    check_statement,
    fail_as_libsql_batch,
    run_statement,
    run_statements,
    split_script,
    to_store_error,
    transaction_control,
)





#: The savepoint a script's own BEGIN ... COMMIT is played on.
SCRIPT_SAVEPOINT = "_baton_script"


def _sqlite_error(message: str) -> StoreError:
    return StoreError("SQLITE_ERROR", message, extended_code="SQLITE_ERROR", raw_code=1)


def _gone(session: Session, tx_id: int) -> StoreError:
    """The error for a request of transaction ``tx_id``, which this leader does not hold
    (transactions.ts ``gone``): after one of its statements rolled it back (its error said so)
    libsql's TRANSACTION_CLOSED, else TRANSACTION_ABORTED with the reason."""
    if tx_id in session.ended and session.ended[tx_id] is None:
        return StoreError("TRANSACTION_CLOSED", "The transaction is closed")
    why = session.ended.get(tx_id) or "it is not open on this leader (it was rolled back, or its leader changed)"
    return StoreError("TRANSACTION_ABORTED", f"transaction {tx_id}: {why}")


class Fenced(Exception):
    """This leader may commit nothing more: the epoch moved on or the file was replaced."""


class _NotRead(Exception):
    """A statement the reader cannot run: it goes to the writer."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Tx:
    def __init__(self, tx_id: int, session: Session, mode: str, conn: sqlite3.Connection, timeout_ms: int) -> None:
        self.id = tx_id
        self.session = session
        self.mode = mode
        self.conn = conn
        self.timeout_ms = timeout_ms
        self.deadline = time.monotonic() + timeout_ms / 1000


class _Write:
    __slots__ = ("session", "id", "retry", "work", "notify", "received")

    def __init__(self, session: Session, request_id: int, retry: bool, work: dict[str, Any], notify: Any) -> None:
        self.session = session
        self.id = request_id
        self.retry = retry
        self.work = work
        self.notify = notify
        self.received = time.monotonic()


class Leader:
    """A leader engine and server in this process. ``start`` opens and listens; ``stop`` ends it."""

    def __init__(
        self,
        paths: StorePaths,
        *,
        name: str,
        synchronous: str,
        file_mode: int,
        max_frame_bytes: int,
        election_started_at: float,
        lock: LeaderLock,
    ) -> None:
        self.paths = paths
        self.name = name
        self.synchronous = synchronous
        self.file_mode = file_mode
        self.max_frame_bytes = max_frame_bytes
        self.socket_path = paths.socket
        self.inbox: "queue.Queue[tuple[str, Any, Any]]" = queue.Queue()
        self.running = False
        self.epoch = 0
        self._election_started_at = election_started_at
        self._lock = lock
        self._sessions: list[Session] = []
        self._next_session = 1
        self._queue: collections.deque[tuple[str, Any]] = collections.deque()
        self._writer_tx: Optional[_Tx] = None
        self._next_tx = 1
        self._stopping: Optional[tuple[bool, str]] = None
        self.heir_pid = 0
        self.stats = {"commits": 0, "groupedWrites": 0, "reads": 0, "writes": 0, "failedWrites": 0}
        self.load_samples: collections.deque[tuple[float, str, float]] = collections.deque()
        self.group_sizes: collections.deque[tuple[float, int]] = collections.deque()
        self._last_forget_old = 0.0
        self._last_commit = 0.0
        self._checkpointed = True
        self._runaways: dict[tuple[str, int], int] = {}
        self.started_ms = _now_ms()
        self._listener: Optional[socket.socket] = None
        #: The inodes of the sockets this leader renamed into place (see ``_unlink_own_socket``).
        self._bound_sockets: set[int] = set()
        self._thread: Optional[threading.Thread] = None
        self._stopped = threading.Event()
        #: Where the -wal and -shm of a file replaced or deleted while no leader watched it went.
        self.set_aside: list[str] = []

    # -- start and stop -----------------------------------------------------------------------

    def start(self) -> None:
        """Opens the database, takes the next epoch, listens, writes the leader record."""
        try:
            ensure_private_directory(os.path.dirname(self.socket_path))
            self.set_aside = self._adopt_file_at_path()
            self.writer = sqlite3.connect(self.paths.database, isolation_level=None, check_same_thread=False)
            for pragma in (
                "journal_mode = WAL",
                f"synchronous = {self.synchronous.upper()}",
                "foreign_keys = ON",
                "busy_timeout = 5000",
                "wal_autocheckpoint = 1000",
            ):
                self.writer.execute(f"PRAGMA {pragma}")
            info = os.stat(self.paths.database)
            self._inode = (info.st_dev, info.st_ino)
            install_baton_schema(self.writer)
            self.epoch = self._take_next_epoch()
            self.rowids = RowidTracker()
            self.rowids.connection_rowid = self._writer_rowid()
            self.reader = self._read_connection()
            self.info = StatementInfo(self.paths.database)
            self._schema_version = self._read_schema_version()
            self._load_runaways()
            self._listen()
            self.running = True
            self._thread = threading.Thread(target=self._run, name="baton-leader", daemon=True)
            self._thread.start()
            record = {
                "pid": os.getpid(),
                "name": self.name,
                "epoch": self.epoch,
                "socketPath": self.socket_path,
                "startedAt": self.started_ms,
                "version": VERSION,
                "language": LANGUAGE,
            }
            opened = self._opened_file()
            if opened is not None:
                record["file"] = opened
            if os.environ.get("BATON_FAULT") == "crash-before-record":
                os.kill(os.getpid(), signal.SIGKILL)  # test-only, as the Node leader's fault point
            write_file_atomic(self.paths.record, json.dumps(record, separators=(",", ":")), self.file_mode)
        except StoreError:
            self._close_files()
            raise
        except (OSError, sqlite3.Error) as error:
            self.stop(graceful=False, reason=f"the leader failed to start: {error}")
            self._close_files()
            raise StoreError("LEADER_FAILED", f"the leader failed to start: {error}") from error

    def _adopt_file_at_path(self) -> list[str]:
        """Holding the lock, before anything opens the path: the -wal and -shm beside it belong to
        the file the last leader opened (its record names it). When the path now names another
        file, or none, that file was replaced or deleted while no leader watched it, and SQLite
        would replay its WAL into this one: they are moved aside, the file is created if there is
        none, and the record is made to name it before it is opened, so that the next leader does
        not take its live WAL for the old file's should this one die before its own record
        (worker-main.ts ``adoptFileAtPath``). Returns where the companions went."""
        record = read_leader_record(self.paths.record)
        before = recorded_file_at(self.paths.database)
        recorded = None if record is None else record.get("file")
        if recorded is None or (before is not None and same_recorded_file(before, recorded)):
            os.close(open_or_create(self.paths.database, os.O_RDWR, self.file_mode))
            return []
        set_aside = set_aside_companions(self.paths.database, int(record["epoch"]))
        os.close(open_or_create(self.paths.database, os.O_RDWR, self.file_mode))
        now = recorded_file_at(self.paths.database)
        if now is not None:
            adopted = json.dumps({**record, "file": now}, separators=(",", ":"))
            write_file_atomic(self.paths.record, adopted, self.file_mode)
        return set_aside

    def _opened_file(self) -> Optional[dict[str, Any]]:
        """The file the writer opened, for the record; None if the path already names another."""
        now = recorded_file_at(self.paths.database)
        return now if now is not None and (now["dev"], now["ino"]) == self._inode else None

    def _writer_rowid(self) -> int:
        return int(self.writer.execute("SELECT last_insert_rowid()").fetchone()[0])

    def _read_schema_version(self) -> int:
        return int(self.writer.execute("PRAGMA schema_version").fetchone()[0])

    def _committed(self) -> None:
        """After every commit: statement answers are forgotten when the schema changed."""
        self._last_commit = time.monotonic()
        self._checkpointed = False
        version = self._read_schema_version()
        if version != self._schema_version:
            self._schema_version = version
            self.info.schema_changed()

    def _read_connection(self) -> sqlite3.Connection:
        reader = sqlite3.connect(
            f"file:{self.paths.database}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        reader.execute("PRAGMA busy_timeout = 5000")
        reader.execute("PRAGMA foreign_keys = ON")
        return reader

    def _take_next_epoch(self) -> int:
        w = self.writer
        w.execute("BEGIN IMMEDIATE")
        try:
            row = w.execute(schema.READ_EPOCH).fetchone()
            epoch = (0 if row is None else int(row[0])) + 1
            w.execute(schema.WRITE_EPOCH, (epoch,))
            previous = w.execute(schema.LAST_LEADER).fetchone()
            now = _now_ms()
            takeover = max(0, now - int(self._election_started_at * 1000))
            w.execute(
                schema.ADD_EPOCH, (epoch, os.getpid(), self.name, now, None if previous is None else previous[0], takeover)
            )
            w.execute("COMMIT")
        except BaseException:
            w.execute("ROLLBACK")
            raise
        return epoch

    def _load_runaways(self) -> None:
        try:
            with open(self.paths.runaways, encoding="utf-8") as file:
                entries = json.load(file)
        except (OSError, ValueError):
            return
        horizon = _now_ms() - APPLIED_RETENTION_MS
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("at"), (int, float)) and entry["at"] >= horizon:
                self._runaways[(str(entry.get("clientId")), int(entry.get("seq", -1)))] = int(entry.get("ms", 0))

    def _listen(self) -> None:
        # The link first, as the Node leader does: no socket of ours is ever without the link that
        # lets a sweeper prove it dead once we are.
        link_socket_to_lock(self.paths.socket_link, self.paths.lock)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        temporary = f"{self.socket_path}.{os.getpid()}.{_now_ms()}.tmp"
        listener.bind(temporary)
        os.chmod(temporary, 0o600)
        listener.listen(128)
        os.rename(temporary, self.socket_path)
        self._bound_sockets.add(os.lstat(self.socket_path).st_ino)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="baton-leader-accept", daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            self.inbox.put(("accept", sock, None))

    def stop(self, *, graceful: bool, reason: str) -> None:
        """Graceful: finish the queue and the open transaction, then bye. Otherwise at once."""
        self.inbox.put(("stop", graceful, reason))
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            self._stopped.wait(30)

    # -- the engine thread --------------------------------------------------------------------

    def _run(self) -> None:
        next_check = time.monotonic() + LEADER_CHECK_INTERVAL_S
        try:
            while True:
                timeout = max(0.0, next_check - time.monotonic())
                if self._writer_tx is not None:
                    timeout = min(timeout, max(0.0, self._writer_tx.deadline - time.monotonic()))
                if not self._checkpointed:
                    timeout = min(timeout, max(0.0, self._last_commit + IDLE_CHECKPOINT_S - time.monotonic()))
                try:
                    item = self.inbox.get(timeout=timeout)
                    self._handle(item)
                    while True:
                        self._handle(self.inbox.get_nowait())
                except queue.Empty:
                    pass
                self._expire_transactions()
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + LEADER_CHECK_INTERVAL_S
                    self._check_files()
                self._pump()
                if self._stopping is not None and self._finished():
                    return self._finish()
                if not self._checkpointed and self._writer_tx is None and time.monotonic() - self._last_commit >= IDLE_CHECKPOINT_S:
                    self.writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self._checkpointed = True
        except Fenced as fenced:
            self._stopping = (False, str(fenced))
            self._queue.clear()
            self._finish()
        except BaseException as error:  # an engine failure must still end the leader cleanly
            self._stopping = (False, f"the leader failed: {error!r}")
            self._queue.clear()
            self._finish()

    def _finished(self) -> bool:
        graceful, _ = self._stopping or (False, "")
        return not graceful or (not self._queue and self._writer_tx is None)

    def _handle(self, item: tuple[str, Any, Any]) -> None:
        kind, subject, detail = item
        if kind == "accept":
            if self._stopping is not None:
                subject.close()
                return
            self._sessions.append(Session(self._next_session, subject, self))
            self._next_session += 1
        elif kind == "frame":
            if not subject.closed and (self._stopping is None or self._stopping[0]):
                self._on_frame(subject, detail)
        elif kind == "refuse":
            subject.end({"t": "refuse", "err": detail.to_wire()})
        elif kind == "closed":
            self._disconnect(subject)
        elif kind == "stop":
            if self._stopping is None:
                self._stopping = (subject, detail)
                self._close_listener()
                if not subject:
                    self._queue.clear()

    def _disconnect(self, session: Session) -> None:
        session.end()
        if session in self._sessions:
            self._sessions.remove(session)
        tx = session.tx
        if tx is not None:
            self._end_tx(tx, rollback=True)
        self._name_heir()

    # -- frames -------------------------------------------------------------------------------

    def _on_frame(self, session: Session, frame: Any) -> None:
        try:
            if session.hello is None:
                if self._stopping is not None:
                    session.end({"t": "bye", "reason": "this leader is stepping down"})
                    return
                hello = check_hello(frame)
                session.hello = hello
                if self._has_migrations(hello["migrations"]):
                    self._welcome(session)
                else:
                    self._queue.append(("hello", session))
                return
            if not isinstance(frame, dict) or frame.get("t") != "req":
                raise StoreError("PROTOCOL_ERROR", "expected a request frame")
            request_id = plain_int(frame.get("id"), "request id")
        except StoreError as error:
            session.end({"t": "refuse", "err": error.to_wire()})
            return
        op = frame.get("op")
        retry = frame.get("retry") is True
        if self._stopping is not None and not (
            session.tx is not None and isinstance(op, dict) and op.get("txId") == session.tx.id
        ):
            return
        session.requests += 1
        session.in_flight += 1
        low = frame.get("low")
        if isinstance(low, int) and not isinstance(low, bool) and 0 <= low <= request_id and low > session.low:
            session.low = low
        try:
            self._dispatch(session, request_id, retry, op)
        except Fenced:
            raise
        except StoreError as error:
            self._reply(session, request_id, {"err": error.to_wire()})

    def _dispatch(self, session: Session, request_id: int, retry: bool, op: Any) -> None:
        if not isinstance(op, dict):
            raise StoreError("PROTOCOL_ERROR", "a request needs an operation object \"op\"")
        if retry and (session.client_id, request_id) in self._runaways:
            ms = self._runaways[(session.client_id, request_id)]
            raise StoreError(
                "STATEMENT_TIMEOUT",
                f"this request ran for more than {ms} ms and its leader was stopped; it was not run again",
            )
        k = op.get("k")
        tx_id = op.get("txId")
        if k in ("execute", "batch", "script") and tx_id is not None:
            tx_id = plain_int(tx_id, "txId")
        if k == "execute":
            stmt = check_statement(op.get("stmt"))
            if tx_id is not None:
                return self._in_tx(session, request_id, tx_id, lambda tx: self._tx_execute(tx, stmt))
            return self._read_or_queue(session, request_id, retry, {"k": "execute", "stmt": stmt}, [stmt], False)
        if k == "batch":
            stmts = check_statements(op.get("stmts"))
            mode = check_mode(op.get("mode"))
            if tx_id is not None:
                return self._in_tx(session, request_id, tx_id, lambda tx: self._tx_batch(tx, stmts))
            if mode == "read":
                return self._answer(session, request_id, lambda: self._read_batch(stmts))
            work = {"k": "batch", "stmts": stmts}
            if mode == "deferred":
                return self._read_or_queue(session, request_id, retry, work, stmts, True)
            return self._queue_write(session, request_id, retry, work)
        if k == "script":
            if not isinstance(op.get("sql"), str):
                raise StoreError("PROTOCOL_ERROR", "script needs the SQL text \"sql\"")
            if tx_id is not None:
                return self._in_tx(session, request_id, tx_id, lambda tx: self._tx_script(tx, op["sql"]))
            return self._queue_write(session, request_id, retry, {"k": "script", "sql": op["sql"]})
        if k == "migrate":
            return self._queue_write(session, request_id, retry, {"k": "migrate", "stmts": check_statements(op.get("stmts"))})
        if k == "begin":
            timeout_ms = plain_int(op.get("timeoutMs"), "timeoutMs")
            mode = check_mode(op.get("mode"))
            if session.tx is not None:
                raise StoreError("INVALID_ARGUMENT", "this member already has an open transaction")
            if mode == "read":
                return self._answer(session, request_id, lambda: {"txId": self._open_read_tx(session, timeout_ms)})
            self._queue.append(("begin", (session, request_id, timeout_ms)))
            return None
        if k in ("commit", "rollback"):
            return self._end_request(session, request_id, plain_int(op.get("txId"), "txId"), retry, k)
        if k == "notify":
            channel = op.get("channel")
            if not isinstance(channel, str) or not channel:
                raise StoreError("PROTOCOL_ERROR", "notify needs a non-empty string \"channel\"")
            return self._queue_write(session, request_id, retry, {"k": "notify"}, (channel, op.get("payload")))
        if k == "reset":
            return self._queue_write(session, request_id, retry, {"k": "reset"})
        if k == "status":
            return self._answer(session, request_id, self._status)
        if k == "ping":
            return self._reply(session, request_id, {"ok": "pong"})
        if k == "backup":
            dest = op.get("dest")
            if not isinstance(dest, str) or not dest:
                raise StoreError("PROTOCOL_ERROR", "backup needs a destination path \"dest\"")
            return self._answer(session, request_id, lambda: self._backup(dest))
        if k == "stepdown":
            self._reply(session, request_id, {"ok": {"pid": os.getpid(), "epoch": self.epoch}})
            hello = session.hello or {}
            self._handle(("stop", True, f"step-down requested by {hello.get('name')} (pid {hello.get('pid')})"))
            return None
        raise StoreError("PROTOCOL_ERROR", f"unknown operation {shown(k)}")

    def _reply(self, session: Session, request_id: int, outcome: dict[str, Any]) -> None:
        session.in_flight -= 1
        data = encode_frame({"t": "res", "id": request_id, **outcome})
        if len(data) - 4 > self.max_frame_bytes and "ok" in outcome:
            error = StoreError(
                "RESULT_TOO_LARGE",
                f"the result is {len(data) - 4} bytes, more than the frame limit of {self.max_frame_bytes}; "
                "select fewer rows or smaller values",
            )
            data = encode_frame({"t": "res", "id": request_id, "err": error.to_wire()})
        session.send_encoded(data)

    def _answer(self, session: Session, request_id: int, work: Callable[[], Any]) -> None:
        started = time.monotonic()
        try:
            outcome: dict[str, Any] = {"ok": work()}
        except Fenced:
            raise
        except BaseException as error:
            outcome = {"err": to_store_error(error).to_wire()}
        self._reply(session, request_id, outcome)
        self._meter("read", started)

    # -- reads --------------------------------------------------------------------------------

    def _read_or_queue(
        self, session: Session, request_id: int, retry: bool, work: dict[str, Any], stmts: list, batch: bool
    ) -> None:
        started = time.monotonic()
        try:
            for stmt in stmts:
                check_allowed(stmt["sql"], "batch" if batch else "statement")
                # BEGIN and ROLLBACK fail a batch as libsql's fail it: the writer's path answers them.
                if batch and transaction_control(stmt["sql"]) in ("begin", "rollback"):
                    raise _NotRead()
                info = self.info.describe(stmt["sql"])
                # A statement the reader's connection cannot prepare, or one that writes, goes to the writer.
                if info is not None and not info[0]:
                    raise _NotRead()
            result = self._read_batch(stmts) if batch else self._read_one(stmts[0])
        except _NotRead:
            return self._queue_write(session, request_id, retry, work)
        except StoreError as error:
            self._reply(session, request_id, {"err": error.to_wire()})
            return None
        self._reply(session, request_id, {"ok": result})
        self._meter("read", started)
        return None

    def _read_one(self, stmt: dict[str, Any]) -> dict[str, Any]:
        try:
            return run_statement(self.reader, stmt, "statement", read=True, describe=self.info.describe)
        except StoreError as error:
            if error.code in ("STATEMENT_REFUSED", "INVALID_ARGUMENT"):
                raise
            raise _NotRead() from error
        except sqlite3.Error as error:
            # Not authorised (a write), read-only, or not preparable here: the writer runs it.
            raise _NotRead() from error

    def _read_batch(self, stmts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.reader.execute("BEGIN")
        try:
            results = []
            for index, stmt in enumerate(stmts):
                fail_as_libsql_batch(stmts, index)
                try:
                    results.append(run_statement(self.reader, stmt, "batch", read=True, describe=self.info.describe))
                except sqlite3.Error as error:
                    coded = to_store_error(error)
                    coded.statement_index = index
                    raise coded from error
                except StoreError as error:
                    error.statement_index = index
                    raise
            return results
        finally:
            self.reader.execute("ROLLBACK")

    # -- group commit -------------------------------------------------------------------------

    def _queue_write(self, session: Session, request_id: int, retry: bool, work: dict, notify: Any = None) -> None:
        self._queue.append(("write", _Write(session, request_id, retry, work, notify)))

    def _pump(self) -> None:
        while self._writer_tx is None and self._queue:
            kind, item = self._queue[0]
            if kind == "hello":
                self._queue.popleft()
                if not item.closed:
                    self._apply_hello(item)
                continue
            if kind == "begin":
                self._queue.popleft()
                session, request_id, timeout_ms = item
                if not session.closed:
                    self._open_write_tx(session, request_id, timeout_ms)
                continue
            group: list[_Write] = []
            while self._queue and self._queue[0][0] == "write" and len(group) < MAX_GROUP_WRITES:
                write = self._queue[0][1]
                if write.work["k"] == "migrate" and group:
                    break
                self._queue.popleft()
                group.append(write)
                if write.work["k"] == "migrate":
                    break
            self._commit_group(group)

    def _check_fence(self) -> None:
        row = self.writer.execute(schema.READ_EPOCH).fetchone()
        stored = None if row is None else int(row[0])
        if stored != self.epoch:
            raise Fenced(f"epoch {self.epoch} was superseded by {stored}")
        try:
            info = os.stat(self.paths.database)
        except OSError:
            self._replaced = True
            raise Fenced("the database file was replaced") from None
        if (info.st_dev, info.st_ino) != self._inode:
            self._replaced = True
            raise Fenced("the database file was replaced")

    def _commit_group(self, group: list[_Write]) -> None:
        w = self.writer
        migrate = len(group) == 1 and group[0].work["k"] == "migrate"
        answered: dict[int, dict[str, Any]] = {}
        while True:
            todo = [write for write in group if id(write) not in answered]
            if not todo:
                break
            if migrate:
                w.execute("PRAGMA foreign_keys = OFF")
            w.execute("BEGIN IMMEDIATE")
            try:
                self._check_fence()
            except Fenced:
                w.execute("ROLLBACK")
                raise
            outcomes: list[tuple[_Write, dict[str, Any]]] = []
            failed_alone: Optional[tuple[_Write, dict[str, Any]]] = None
            for write in todo:
                outcome, undoable = self._run_job(write)
                if not w.in_transaction or not undoable:
                    failed_alone = (write, outcome)
                    break
                outcomes.append((write, outcome))
            if failed_alone is not None:
                if w.in_transaction:
                    w.execute("ROLLBACK")
                if migrate:
                    w.execute("PRAGMA foreign_keys = ON")
                answered[id(failed_alone[0])] = failed_alone[1]
                self._send_outcome(failed_alone[0], failed_alone[1])
                self.stats["failedWrites"] += 1
                continue
            self._forget(todo)
            try:
                w.execute("COMMIT")
            except sqlite3.Error as error:
                if w.in_transaction:
                    w.execute("ROLLBACK")
                err = {"err": to_store_error(error).to_wire()}
                for write in todo:
                    answered[id(write)] = err
                    self._send_outcome(write, err)
                break
            finally:
                if migrate:
                    w.execute("PRAGMA foreign_keys = ON")
            self.stats["commits"] += 1
            self.stats["groupedWrites"] += len(todo)
            self.group_sizes.append((time.monotonic(), len(todo)))
            self._committed()
            for write, outcome in outcomes:
                answered[id(write)] = outcome
                self.stats["writes" if "ok" in outcome else "failedWrites"] += 1
                self._send_outcome(write, outcome)
            for write, outcome in outcomes:
                if write.notify is not None and "ok" in outcome:
                    channel, payload = write.notify
                    for session in self._sessions:
                        if session.welcomed:
                            session.send({"t": "notify", "channel": channel, "payload": payload})
            break

    def _send_outcome(self, write: _Write, outcome: dict[str, Any]) -> None:
        if not write.session.closed:
            self._reply(write.session, write.id, outcome)
        self._meter("write", write.received)

    def _run_job(self, write: _Write) -> tuple[dict[str, Any], bool]:
        w = self.writer
        client_id = write.session.client_id
        if write.retry:
            applied = applied_outcome(w, client_id, write.id)
            if applied is not None:
                return applied, True
        work = write.work
        self.rowids.act_for(client_id)
        savepoint = work["k"] != "execute"
        if savepoint:
            w.execute(f"SAVEPOINT {schema.JOB_SAVEPOINT}")
        try:
            outcome: dict[str, Any] = {"ok": self._apply(work)}
        except BaseException as error:
            err = to_store_error(error).to_wire()
            if work["k"] != "script" or not w.in_transaction:
                if savepoint and w.in_transaction:
                    self._undo_job()
                return {"err": err}, True
            outcome = {"err": err}
        limit = self.max_frame_bytes - RESPONSE_ENVELOPE_BYTES
        columns = record_columns(outcome, limit)
        size = columns[3]
        if size is not None and size > limit:
            error = StoreError(
                "RESULT_TOO_LARGE",
                f"the result is {size} bytes, more than the frame limit of {limit}; the write was not applied",
            )
            return {"err": error.to_wire()}, False
        try:
            record_applied(w, client_id, write.id, _now_ms(), columns)
        except sqlite3.Error as error:
            if savepoint:
                self._undo_job()
            return {"err": to_store_error(error).to_wire()}, savepoint
        if savepoint:
            w.execute(f"RELEASE {schema.JOB_SAVEPOINT}")
        return outcome, True

    def _undo_job(self) -> None:
        self.writer.execute(f"ROLLBACK TO {schema.JOB_SAVEPOINT}")
        self.writer.execute(f"RELEASE {schema.JOB_SAVEPOINT}")

    def _apply(self, work: dict[str, Any]) -> Any:
        k = work["k"]
        if k == "execute":
            return run_statement(self.writer, work["stmt"], "statement", describe=self.info.describe, rowids=self.rowids)
        if k in ("batch", "migrate"):
            return run_statements(
                self.writer, work["stmts"], "batch", describe=self.info.describe, rowids=self.rowids
            )
        if k == "script":
            self._run_script(self.writer, work["sql"])
            return None
        if k == "reset":
            self._reset_schema()
            return None
        return None  # notify: recorded, broadcast after the commit

    def _run_script(self, conn: sqlite3.Connection, sql: str) -> None:
        """A script as libsql runs it on a connection of its own (statement-runner.ts runScript): its
        BEGIN ... COMMIT/ROLLBACK are played on a savepoint, what it leaves open is undone."""
        open_ = False

        def undo() -> None:
            conn.execute(f"ROLLBACK TO {SCRIPT_SAVEPOINT}")
            conn.execute(f"RELEASE {SCRIPT_SAVEPOINT}")

        try:
            for statement in split_script(sql):
                control = transaction_control(statement)
                if control == "begin":
                    if open_:
                        raise _sqlite_error("cannot start a transaction within a transaction")
                    conn.execute(f"SAVEPOINT {SCRIPT_SAVEPOINT}")
                    open_ = True
                elif control == "commit":
                    if not open_:
                        raise _sqlite_error("cannot commit - no transaction is active")
                    conn.execute(f"RELEASE {SCRIPT_SAVEPOINT}")
                    open_ = False
                elif control == "rollback":
                    if not open_:
                        raise _sqlite_error("cannot rollback - no transaction is active")
                    undo()
                    open_ = False
                else:
                    check_allowed(statement, "script")
                    self._exec_noting_rowid(conn, statement)
        except BaseException:
            if open_ and conn.in_transaction:
                undo()
            raise
        if open_:
            undo()

    def _run_transaction_script(self, conn: sqlite3.Connection, sql: str) -> None:
        for statement in split_script(sql):
            check_allowed(statement, "transaction")
            self._exec_noting_rowid(conn, statement)

    def _exec_noting_rowid(self, conn: sqlite3.Connection, statement: str) -> None:
        try:
            conn.execute(statement).fetchall()
        finally:
            changes, rowid = conn.execute("SELECT changes(), last_insert_rowid()").fetchone()
            self.rowids.note(statement, changes, rowid)

    def _reset_schema(self) -> None:
        w = self.writer
        w.execute("PRAGMA defer_foreign_keys = ON")
        for kind, name in w.execute(schema.APPLICATION_OBJECTS).fetchall():
            quoted = name.replace('"', '""')
            w.execute(f'DROP {"VIEW" if kind == "view" else "TABLE"} IF EXISTS "{quoted}"')
        for (sql,) in w.execute(schema.RECORDED_MIGRATIONS).fetchall():
            for statement in split_script(sql):
                w.execute(statement)

    def _forget(self, writes: list[_Write]) -> None:
        w = self.writer
        for session in {id(write.session): write.session for write in writes}.values():
            if session.hello is not None and session.low - session.forgotten_below >= APPLIED_FORGET_STEP:
                w.execute(schema.FORGET_BELOW, (session.client_id, session.low))
                session.forgotten_below = session.low
        if time.monotonic() - self._last_forget_old >= 60:
            self._last_forget_old = time.monotonic()
            w.execute(schema.FORGET_OLDER, (_now_ms() - APPLIED_RETENTION_MS,))

    # -- hellos and migrations ----------------------------------------------------------------

    def _has_migrations(self, migrations: list[dict[str, Any]]) -> bool:
        complete = True
        for migration in migrations:
            row = self.reader.execute(schema.FIND_MIGRATION, (migration["version"],)).fetchone()
            if row is None:
                complete = False
            elif str(row[0]).strip() != migration["sql"].strip():
                raise StoreError(
                    "SCHEMA_CONFLICT", f"migration {migration['version']} is already applied with different SQL"
                )
        return complete

    def _apply_hello(self, session: Session) -> None:
        assert session.hello is not None
        w = self.writer
        w.execute("BEGIN IMMEDIATE")
        try:
            self._check_fence()
            for migration in sorted(session.hello["migrations"], key=lambda m: m["version"]):
                row = w.execute(schema.FIND_MIGRATION, (migration["version"],)).fetchone()
                if row is not None:
                    if str(row[0]).strip() != migration["sql"].strip():
                        raise StoreError(
                            "SCHEMA_CONFLICT",
                            f"migration {migration['version']} is already applied with different SQL",
                        )
                    continue
                for statement in split_script(migration["sql"]):
                    w.execute(statement)
                w.execute(schema.RECORD_MIGRATION, (migration["version"], migration["sql"], _now_ms()))
            self.rowids.connection_rowid = self._writer_rowid()
            w.execute("COMMIT")
            self._committed()
        except Fenced:
            w.execute("ROLLBACK")
            raise
        except BaseException as error:
            if w.in_transaction:
                w.execute("ROLLBACK")
            coded = error if isinstance(error, StoreError) else StoreError(
                "SCHEMA_CONFLICT", f"a migration failed: {error}"
            )
            session.end({"t": "refuse", "err": coded.to_wire()})
            return
        self._welcome(session)

    def _welcome(self, session: Session) -> None:
        version = int(self.reader.execute(schema.SCHEMA_VERSION).fetchone()[0])
        session.welcomed = True
        session.send(
            {
                "t": "welcome",
                "v": PROTOCOL_VERSION,
                "epoch": self.epoch,
                "schemaVersion": version,
                "leaderPid": os.getpid(),
                "leaderName": self.name,
                "file": {"dev": self._inode[0], "ino": self._inode[1]},
            }
        )
        session.send({"t": "heir", "pid": self.heir_pid})
        self._name_heir()

    def _name_heir(self) -> None:
        heir = 0
        for session in self._sessions:  # in connection order: the longest connected first
            hello = session.hello
            if session.welcomed and not session.closed and hello and hello["candidate"] and hello["pid"] != os.getpid():
                heir = hello["pid"]
                break
        if heir != self.heir_pid:
            self.heir_pid = heir
            for session in self._sessions:
                if session.welcomed:
                    session.send({"t": "heir", "pid": heir})

    # -- interactive transactions -------------------------------------------------------------

    def _open_write_tx(self, session: Session, request_id: int, timeout_ms: int) -> None:
        try:
            self.writer.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            self._reply(session, request_id, {"err": to_store_error(error).to_wire()})
            return
        tx = _Tx(self._next_tx, session, "write", self.writer, min(timeout_ms, MAX_TRANSACTION_MS))
        self._next_tx += 1
        session.tx = tx
        self._writer_tx = tx
        self._reply(session, request_id, {"ok": {"txId": tx.id}})

    def _open_read_tx(self, session: Session, timeout_ms: int) -> int:
        conn = self._read_connection()
        conn.execute("BEGIN")
        tx = _Tx(self._next_tx, session, "read", conn, min(timeout_ms, MAX_TRANSACTION_MS))
        self._next_tx += 1
        session.tx = tx
        return tx.id

    def _in_tx(self, session: Session, request_id: int, tx_id: int, work: Callable[[_Tx], Any]) -> None:
        tx = session.tx
        if tx is None or tx.id != tx_id:
            raise _gone(session, tx_id)
        try:
            outcome: dict[str, Any] = {"ok": work(tx)}
        except BaseException as error:
            coded = to_store_error(error)
            if tx.mode == "write" and not tx.conn.in_transaction:
                # The statement rolled the whole transaction back (OR ROLLBACK, RAISE(ROLLBACK)):
                # it is over, and later statements must not autocommit one by one. The statement
                # gets its own error, as in libsql, marked so that the member closes it.
                self._end_tx(tx, rollback=False, closed_by_statement=True)
                coded.transaction_rolled_back = True
            outcome = {"err": coded.to_wire()}
        self._reply(session, request_id, outcome)

    def _tx_execute(self, tx: _Tx, stmt: dict[str, Any]) -> Any:
        if tx.mode == "read":
            return run_statement(tx.conn, stmt, "transaction", read=True, describe=self.info.describe)
        self.rowids.act_for(tx.session.client_id)
        return run_statement(tx.conn, stmt, "transaction", describe=self.info.describe, rowids=self.rowids)

    def _tx_batch(self, tx: _Tx, stmts: list[dict[str, Any]]) -> Any:
        # In order; the first failure stops it and the statements before it stay in the transaction.
        if tx.mode == "read":
            return run_statements(tx.conn, stmts, "transaction", read=True, describe=self.info.describe)
        self.rowids.act_for(tx.session.client_id)
        return run_statements(tx.conn, stmts, "transaction", describe=self.info.describe, rowids=self.rowids)

    def _tx_script(self, tx: _Tx, sql: str) -> None:
        self.rowids.act_for(tx.session.client_id)
        self._run_transaction_script(tx.conn, sql)
        return None

    def _end_request(self, session: Session, request_id: int, tx_id: int, retry: bool, kind: str) -> None:
        tx = session.tx
        if tx is None or tx.id != tx_id:
            if kind == "rollback":
                return self._reply(session, request_id, {"ok": None})
            if retry and applied_outcome(self.writer, session.client_id, request_id) is not None:
                return self._reply(session, request_id, {"ok": None})
            raise _gone(session, tx_id)
        if kind == "rollback" or tx.mode == "read":
            self._end_tx(tx, rollback=True)
            return self._reply(session, request_id, {"ok": None})
        w = self.writer
        try:
            self._check_fence()
        except Fenced:
            w.execute("ROLLBACK")
            raise
        try:
            record_applied(w, session.client_id, request_id, _now_ms(), record_columns({"ok": None}, 0))
            w.execute("COMMIT")
        except sqlite3.Error as error:
            self._end_tx(tx, rollback=True)
            raise to_store_error(error) from error
        self.stats["commits"] += 1
        self._committed()
        self._end_tx(tx, rollback=False)
        self._reply(session, request_id, {"ok": None})
        return None

    def _end_tx(
        self, tx: _Tx, *, rollback: bool, reason: Optional[str] = None, closed_by_statement: bool = False
    ) -> None:
        """Ends ``tx``. Later requests for it get ``reason`` (TRANSACTION_ABORTED), or, when one of
        its statements rolled it back, TRANSACTION_CLOSED."""
        if rollback and tx.conn.in_transaction:
            tx.conn.execute("ROLLBACK")
        if tx.mode == "read":
            tx.conn.close()
        if tx.session.tx is tx:
            tx.session.tx = None
        if closed_by_statement:
            tx.session.ended[tx.id] = None
        elif reason is not None:
            tx.session.ended[tx.id] = reason
        if self._writer_tx is tx:
            self._writer_tx = None

    def _expire_transactions(self) -> None:
        now = time.monotonic()
        for session in list(self._sessions):
            tx = session.tx
            if tx is not None and now >= tx.deadline:
                self._end_tx(
                    tx, rollback=True, reason=f"rolled back after its timeout of {tx.timeout_ms} ms"
                )

    # -- files, status, stopping --------------------------------------------------------------

    def _check_files(self) -> None:
        if not self._lock.is_intact():
            raise Fenced("the election lock file was deleted or replaced")
        try:
            info = os.stat(self.paths.database)
            replaced = (info.st_dev, info.st_ino) != self._inode
        except OSError:
            replaced = True
        if replaced:
            self._replaced = True
            raise Fenced("the database file was replaced")
        if self._stopping is None and not os.path.exists(self.socket_path) and self._listener is not None:
            self._close_listener()
            self._listen()

    def _backup(self, dest: str) -> dict[str, Any]:
        if os.path.exists(dest):
            raise StoreError("INVALID_ARGUMENT", f"{dest} already exists")
        self.reader.execute("VACUUM INTO ?", (dest,))
        return {"dest": os.path.abspath(dest), "bytes": os.stat(dest).st_size}

    def _meter(self, kind: str, started: float) -> None:
        now = time.monotonic()
        self.load_samples.append((now, kind, (now - started) * 1000))
        while self.load_samples and self.load_samples[0][0] < now - 60:
            self.load_samples.popleft()
        while self.group_sizes and self.group_sizes[0][0] < now - 60:
            self.group_sizes.popleft()

    @property
    def queue_depth(self) -> int:
        """Requests and hellos waiting for the writer."""
        return len(self._queue)

    def _status(self) -> dict[str, Any]:
        return status_report(self, self._sessions)

    def _finish(self) -> None:
        _, reason = self._stopping or (False, "this leader is stepping down")
        for tx in [s.tx for s in self._sessions if s.tx is not None]:
            self._end_tx(tx, rollback=True)
        for session in list(self._sessions):
            session.end({"t": "bye", "reason": reason})
        self._close_listener()
        self._unlink_own_socket()
        self._close_files()
        if getattr(self, "_replaced", False):
            try:
                set_aside_companions(self.paths.database, self.epoch)
            except OSError:
                pass  # stopping: the next leader sets them aside, its record naming this file
        else:
            unlink_socket_link(self.paths.socket_link, self.paths.lock)
        self.running = False
        self._stopped.set()

    def _unlink_own_socket(self) -> None:
        """Removes the socket file on the way out, unless it is no longer ours (a successor's)."""
        try:
            if os.lstat(self.socket_path).st_ino in self._bound_sockets:
                os.unlink(self.socket_path)
        except OSError:
            pass  # already gone

    def _close_listener(self) -> None:
        """Stops listening at once. A plain close would not: the accepting thread's blocked
        accept() keeps the socket listening, and members would connect and wait for a welcome."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        try:
            listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        listener.close()

    def _close_files(self) -> None:
        info = getattr(self, "info", None)
        if info is not None:
            info.close()
        for conn in (getattr(self, "reader", None), getattr(self, "writer", None)):
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass

