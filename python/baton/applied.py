"""The exactly-once record of one applied write in ``_baton_applied`` (protocol version 3;
packages/store/src/leader/applied-record.ts), written in the write's own transaction.

It is the largest cost Baton adds to a small write, so the common outcomes take no blob: a write
without result rows keeps ``rowsAffected`` and ``lastInsertRowid`` as two INTEGER columns, a nil
outcome (``notify``, ``script``, ``reset``, an interactive commit) keeps none, and only the rest
(result rows, batches, a script's recorded error) is stored msgpack-encoded. Records written by a
Node leader are read here and the other way round: both write these three forms exactly.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Optional

from . import msgpack, schema
from .msgpack import Int64, Num

#: An upper bound of a packed result without rows: below this frame limit it is packed to measure it.
PLAIN_RESULT_MAX_BYTES = 96


def _is_plain_result(value: Any) -> bool:
    """True for a write's result without rows: recorded as two integers."""
    return (
        isinstance(value, dict)
        and value.get("columns") == []
        and value.get("rows") == []
        and isinstance(value.get("rowsAffected"), int)
        and type(value.get("lastInsertRowid")) is Int64
    )


#: A record's columns (rows affected, last rowid, blob) and the outcome's size when it was measured.
RecordColumns = tuple[Optional[int], Optional[int], Optional[bytes], Optional[int]]


def record_columns(outcome: dict[str, Any], max_result_bytes: int) -> RecordColumns:
    """What the record of ``outcome`` stores (rows affected, last rowid, blob), and the outcome's
    size on the wire when it must be measured against ``max_result_bytes`` (None when it cannot
    exceed it)."""
    if "ok" in outcome:
        ok = outcome["ok"]
        if ok is None:
            return None, None, None, None
        if _is_plain_result(ok):
            size = len(msgpack.pack(outcome)) if max_result_bytes < PLAIN_RESULT_MAX_BYTES else None
            return int(ok["rowsAffected"]), int(ok["lastInsertRowid"]), None, size
    packed = msgpack.pack(outcome)
    return None, None, packed, len(packed)


def record_applied(
    writer: sqlite3.Connection, client_id: str, seq: int, at_ms: int, columns: RecordColumns
) -> None:
    """Records the outcome of request ``seq`` of ``client_id`` (SQLite's error: a request id used twice)."""
    rows_affected, last_rowid, blob, _ = columns
    writer.execute(schema.RECORD_APPLIED, (client_id, seq, at_ms, rows_affected, last_rowid, blob))


def _as_sent(value: Any) -> Any:
    """A decoded outcome ready to be sent again as it was recorded: an integer decoded from int64
    (a plain ``int``) is an INTEGER, so it goes out as int64 again; short formats stay ``Num``."""
    if type(value) is int:
        return Int64(value)
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_sent(item) for key, item in value.items()}
    return value


def applied_outcome(connection: sqlite3.Connection, client_id: str, seq: int) -> Optional[dict[str, Any]]:
    """The recorded outcome of request ``seq`` of ``client_id``, or None when none is recorded."""
    row = connection.execute(schema.FIND_APPLIED, (client_id, seq)).fetchone()
    if row is None:
        return None
    rows_affected, last_rowid, blob = row
    # Written by record_applied (or, as a blob, by a leader of protocol version 2): the outcome whole.
    if blob is not None:
        return _as_sent(msgpack.unpack(bytes(blob)))
    if rows_affected is None or last_rowid is None:
        return {"ok": None}
    return {
        "ok": {
            "columns": [],
            "columnTypes": [],
            "rows": [],
            "rowsAffected": Num(rows_affected),
            "lastInsertRowid": Int64(last_rowid),
        }
    }


def install_baton_schema(writer: sqlite3.Connection) -> None:
    """Creates Baton's tables where missing and rebuilds a version 2 ``_baton_applied`` in the
    current shape, keeping every record, in one IMMEDIATE transaction (before the first commit)."""
    writer.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements(schema.BATON_SCHEMA):
            writer.execute(statement)
        columns = [name for (name,) in writer.execute(schema.APPLIED_COLUMNS).fetchall()]
        if "rows_affected" not in columns:
            for statement in _statements(schema.UPGRADE_APPLIED_FROM_V2):
                writer.execute(statement)
        writer.execute("COMMIT")
    except BaseException:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    # Baton's own SQL holds no semicolon inside a statement.
    return [statement for statement in script.split(";") if statement.strip()]
