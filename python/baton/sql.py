"""Running members' SQL on the leader's connections: the statement guard (what the leader
refuses, as packages/store/src/leader/statement-guard.ts), binding, result sets in their wire
form, and SQLite's failures as coded errors."""

from __future__ import annotations

import math
import re
import sqlite3
from typing import Any, Callable, Optional

from .errors import NEWER_EXTENDED_CODES, PRIMARY_CODES, StoreError
from .msgpack import Ext, Int64, Num

_ENGINE_PRAGMAS = {"journal_mode", "locking_mode", "synchronous", "foreign_keys", "writable_schema", "query_only"}
_COMMENTS = re.compile(r"/\*[\s\S]*?\*/|--[^\n]*")


def strip_leading(sql: str) -> str:
    """Skips white space, comments and empty statements before a statement, as SQLite does."""
    rest = sql
    while True:
        text = rest.lstrip()
        if text.startswith(";"):
            rest = text[1:]
        elif text.startswith("--"):
            end = text.find("\n")
            rest = "" if end < 0 else text[end + 1 :]
        elif text.startswith("/*"):
            end = text.find("*/")
            rest = "" if end < 0 else text[end + 2 :]
        else:
            return text


def _control(text: str, keyword: Optional[str]) -> Optional[str]:
    if keyword == "BEGIN":
        return "begin"
    if keyword in ("COMMIT", "END"):
        return "commit"
    if keyword == "SAVEPOINT":
        return "savepoint"
    if keyword == "RELEASE":
        return "release"
    if keyword == "ROLLBACK":
        words = [w.upper() for w in re.split(r"[\s;]+", _COMMENTS.sub(" ", text))]
        following = words[2] if len(words) > 2 and words[1] == "TRANSACTION" else (words[1] if len(words) > 1 else "")
        return "rollback-to" if following == "TO" else "rollback"
    return None


def transaction_control(sql: str) -> Optional[str]:
    """``begin``, ``commit``, ``rollback``, ``savepoint``, ``release``, ``rollback-to``, or None."""
    text = strip_leading(sql)
    match = re.match(r"[A-Za-z]+", text)
    return _control(text, match.group(0).upper() if match else None)


def refusal_reason(sql: str, context: str = "statement") -> Optional[str]:
    """Why ``sql`` is refused in ``context`` (statement, batch, transaction, script), or None."""
    text = strip_leading(sql)
    match = re.match(r"[A-Za-z]+", text)
    if match is None:
        return None
    keyword = match.group(0).upper()
    control = _control(text, keyword)
    if control in ("savepoint", "release", "rollback-to"):
        if context == "statement":
            return (
                f"{keyword} is only allowed inside transaction(), batch() or executeMultiple(): "
                "the leader owns transaction boundaries"
            )
        if "_baton_" in text.lower():
            return "savepoint names starting with _baton_ belong to the leader"
        return None
    if control is not None:
        if context == "transaction":
            if control == "begin":
                return None
            return f"{keyword} inside a transaction is the commit or rollback operation: call commit() or rollback()"
        # In a batch, BEGIN and ROLLBACK fail it as they fail libsql's (run_statements answers for
        # them without running them); COMMIT would keep part of a batch, which libsql does and
        # Baton's one-transaction batches cannot.
        if context == "batch" and control in ("begin", "rollback"):
            return None
        return f"{keyword} is not allowed: use batch() or transaction(), the leader owns transaction boundaries"
    if keyword in ("ATTACH", "DETACH"):
        return f"{keyword} is not allowed: the leader opens exactly one database file"
    if keyword == "VACUUM":
        return "VACUUM is not allowed through the store: it cannot run inside the leader's transactions"
    if keyword == "PRAGMA":
        bare = re.sub(r"[\"'`\[\]]", "", _COMMENTS.sub(" ", text))
        found = re.match(r"^PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)\s*(=|\()", bare, re.IGNORECASE)
        name = found.group(1).lower() if found else None
        if name == "foreign_keys" and context != "statement":
            return None
        if name in _ENGINE_PRAGMAS:
            return f"setting PRAGMA {name} is not allowed: the leader owns it"
    return None


def check_allowed(sql: str, context: str) -> None:
    """``STATEMENT_REFUSED`` when ``sql`` may not run in ``context``."""
    reason = refusal_reason(sql, context)
    if reason is not None:
        raise StoreError("STATEMENT_REFUSED", reason)


def _bind_value(value: Any, where: str) -> Any:
    # int64/uint64 arrive as int (INTEGER), other numbers as Num or float (REAL).
    if value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, bool) or isinstance(value, Ext):
        raise StoreError("PROTOCOL_ERROR", f"{where} is not a SQL value (null, number, bigint, string, Uint8Array)")
    if type(value) is Num:
        return float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise StoreError("PROTOCOL_ERROR", f"{where} is not a SQL value (null, number, bigint, string, Uint8Array)")
        return value
    raise StoreError("PROTOCOL_ERROR", f"{where} is not a SQL value (null, number, bigint, string, Uint8Array)")


def check_statement(value: Any) -> dict[str, Any]:
    """A statement of a request, checked (``PROTOCOL_ERROR``) and with its arguments ready to bind."""
    if not isinstance(value, dict) or not isinstance(value.get("sql"), str):
        raise StoreError("PROTOCOL_ERROR", "a statement must be { sql: string, args? }")
    args = value.get("args")
    if args is None:
        bound: Any = ()
    elif isinstance(args, list):
        bound = [_bind_value(v, f"argument {i + 1}") for i, v in enumerate(args)]
    elif isinstance(args, dict):
        bound = {k: _bind_value(v, f'argument "{k}"') for k, v in args.items()}
    else:
        raise StoreError("PROTOCOL_ERROR", "args must be an array or an object of named values")
    return {"sql": value["sql"], "args": bound}


def wire_out(value: Any) -> Any:
    """A value read from SQLite as the leader sends it: an INTEGER always as int64."""
    if isinstance(value, int):
        return Int64(value)
    return value


def to_store_error(error: BaseException) -> StoreError:
    """Anything raised while running SQL, as the coded error the member receives."""
    if isinstance(error, StoreError):
        return error
    if isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) is not None:
        raw = int(error.sqlite_errorcode)
        primary = "SQLITE_" + PRIMARY_CODES.get(raw & 0xFF, "ERROR")
        name = getattr(error, "sqlite_errorname", None)
        if not name or name == "unknown":
            name = NEWER_EXTENDED_CODES.get(raw, primary)
        return StoreError(primary, str(error), extended_code=name, raw_code=raw)
    if isinstance(error, (sqlite3.ProgrammingError, sqlite3.Warning, OverflowError, ValueError, TypeError)):
        return StoreError("INVALID_ARGUMENT", str(error))
    return StoreError("SQLITE_ERROR", str(error), extended_code="SQLITE_ERROR", raw_code=1)


Describe = Callable[[str], Optional[tuple[bool, list[str]]]]


def _inserts(sql: str) -> bool:
    text = strip_leading(sql)
    match = re.match(r"[A-Za-z]+", text)
    keyword = match.group(0).upper() if match else ""
    if keyword in ("INSERT", "REPLACE"):
        return True
    return keyword == "WITH" and re.search(r"\b(INSERT|REPLACE)\b", text, re.IGNORECASE) is not None


class RowidTracker:
    """Whose statements the shared writer runs, and the last rowid each member's own inserts set:
    ``lastInsertRowid`` as a connection of the member's own would report it (sqlite-connection.ts)."""

    MAX_OWNERS = 1024

    def __init__(self) -> None:
        self.connection_rowid = 0
        self._owners: dict[str, list[int]] = {}
        self._owner = [0]

    def act_for(self, client_id: str) -> None:
        """The writer's next statements are those of member ``client_id``."""
        owner = self._owners.get(client_id)
        if owner is None:
            owner = [0]
            self._owners[client_id] = owner
            if len(self._owners) > self.MAX_OWNERS:
                del self._owners[next(iter(self._owners))]
        self._owner = owner

    def note(self, sql: str, changes: int, rowid: int) -> int:
        """The owner's last insert rowid after ``sql`` changed ``changes`` rows, leaving ``rowid``."""
        if rowid != self.connection_rowid or (changes > 0 and _inserts(sql)):
            self.connection_rowid = rowid
            self._owner[0] = rowid
        return self._owner[0]


def run_statement(
    conn: sqlite3.Connection,
    stmt: dict[str, Any],
    context: str,
    *,
    read: bool = False,
    describe: Optional[Describe] = None,
    rowids: Optional[RowidTracker] = None,
) -> dict[str, Any]:
    """Runs one checked statement; its wire result set. A statement that returns columns and only
    reads (SQLite's ``sqlite3_stmt_readonly``, or any statement on a read connection) reports no
    rows affected and no rowid, as better-sqlite3 and libsql do."""
    sql = stmt["sql"]
    check_allowed(sql, context)
    if strip_leading(sql) == "":
        raise StoreError("INVALID_ARGUMENT", "The supplied SQL string contains no statements")
    info = describe(sql) if describe is not None else None
    before = conn.total_changes
    cursor = conn.execute(sql, stmt["args"])
    try:
        rows = [[wire_out(v) for v in row] for row in cursor.fetchall()]
        columns = [d[0] for d in cursor.description] if cursor.description else []
        returns_rows = cursor.description is not None
        rowcount = cursor.rowcount
        connection_rowid = cursor.lastrowid or 0
    finally:
        cursor.close()
    types = info[1] if info is not None and len(info[1]) == len(columns) else [""] * len(columns)
    if read or (returns_rows and (info is None or info[0]) and conn.total_changes == before):
        return {"columns": columns, "columnTypes": types, "rows": rows, "rowsAffected": 0, "lastInsertRowid": None}
    if returns_rows or rowcount < 0:
        # RETURNING, DDL, PRAGMA: what the statement changed, as better-sqlite3 counts it.
        changes, connection_rowid = conn.execute("SELECT changes(), last_insert_rowid()").fetchone()
        affected = changes if conn.total_changes != before else 0
    else:
        affected = rowcount
    rowid = rowids.note(sql, affected, connection_rowid) if rowids is not None else connection_rowid
    return {
        "columns": columns,
        "columnTypes": types,
        "rows": rows,
        "rowsAffected": affected,
        "lastInsertRowid": Int64(rowid),
    }


def _sqlite_error(message: str) -> StoreError:
    return StoreError("SQLITE_ERROR", message, extended_code="SQLITE_ERROR", raw_code=1)


def fail_as_libsql_batch(stmts: list[dict[str, Any]], index: int) -> None:
    """Raises what libsql's batch gives for statement ``index`` when it is ``BEGIN`` or ``ROLLBACK``
    (statement-runner.ts ``failAsLibsqlBatch``); neither runs, as the batch runs inside the
    leader's transaction. libsql runs a batch in a transaction of its own: a ``BEGIN`` there fails
    with SQLite's error; a ``ROLLBACK`` ends it, so the next statement fails with
    ``TRANSACTION_CLOSED`` (or, when it was the last, the batch's own ``COMMIT`` fails), and
    nothing of the batch is kept. Raising rolls the batch back here too."""
    control = transaction_control(stmts[index]["sql"])
    if control == "begin":
        error = _sqlite_error("cannot start a transaction within a transaction")
        error.statement_index = index
        raise error
    if control != "rollback":
        return
    if index == len(stmts) - 1:
        raise _sqlite_error("cannot commit - no transaction is active")
    raise StoreError("TRANSACTION_CLOSED", "The transaction has been rolled back", statement_index=index + 1)


def run_statements(
    conn: sqlite3.Connection,
    stmts: list[dict[str, Any]],
    context: str,
    *,
    read: bool = False,
    describe: Optional[Describe] = None,
    rowids: Optional[RowidTracker] = None,
) -> list:
    """Runs statements in order; a failure carries its ``statement_index``. In a batch, ``BEGIN``
    and ``ROLLBACK`` fail it as they fail libsql's."""
    results = []
    for index, stmt in enumerate(stmts):
        if context == "batch":
            fail_as_libsql_batch(stmts, index)
        try:
            results.append(run_statement(conn, stmt, context, read=read, describe=describe, rowids=rowids))
        except BaseException as error:
            coded = to_store_error(error)
            coded.statement_index = index
            raise coded from error
    return results


def split_script(script: str) -> list[str]:
    """A script's statements, split where SQLite's ``sqlite3_complete`` says one ends."""
    statements = []
    current = ""
    for piece in script.split(";"):
        current = piece if current == "" else current + ";" + piece
        if sqlite3.complete_statement(current + ";"):
            if strip_leading(current) != "":
                statements.append(current)
            current = ""
    if strip_leading(current) != "":
        statements.append(current)
    return statements
