"""The leader's checks of what members send (packages/store/src/protocol/validate.ts): a frame
that is not what the protocol promises is a coded ``PROTOCOL_ERROR``, never a crash."""

from __future__ import annotations

import json
from typing import Any

from .constants import MAX_BATCH_STATEMENTS, PROTOCOL_VERSION
from .errors import StoreError
from .sql import check_statement


def plain_int(value: Any, what: str) -> int:
    """A non-negative safe integer (any msgpack int format), else ``PROTOCOL_ERROR``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**53 - 1:
        raise StoreError("PROTOCOL_ERROR", f"{what} must be a non-negative integer")
    return int(value)


def shown(value: Any) -> str:
    """A client's value as an error message shows it: JSON where JSON can say it (a string
    quoted), Python's repr otherwise (bytes, a map with non-string keys), cut to 80 characters."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def check_mode(value: Any) -> str:
    """A transaction mode: write, read or deferred."""
    if value in ("write", "read", "deferred"):
        return value
    raise StoreError("PROTOCOL_ERROR", f"unknown transaction mode {shown(value)}")


def check_statements(value: Any) -> list[dict[str, Any]]:
    """A batch's statements, at most ``MAX_BATCH_STATEMENTS``."""
    if not isinstance(value, list):
        raise StoreError("PROTOCOL_ERROR", "a batch needs an array \"stmts\"")
    if len(value) > MAX_BATCH_STATEMENTS:
        raise StoreError("PROTOCOL_ERROR", f"a batch may hold at most {MAX_BATCH_STATEMENTS} statements")
    return [check_statement(s) for s in value]


def check_hello(value: Any) -> dict[str, Any]:
    """A hello, its protocol version included; the fields the leader uses."""
    if not isinstance(value, dict) or value.get("t") != "hello":
        raise StoreError("PROTOCOL_ERROR", "the first frame must be a hello")
    if value.get("v") != PROTOCOL_VERSION or isinstance(value.get("v"), bool):
        raise StoreError(
            "PROTOCOL_ERROR", f"protocol version {shown(value.get('v'))} is not supported (leader speaks {PROTOCOL_VERSION})"
        )
    client_id = value.get("clientId")
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 128:
        raise StoreError("PROTOCOL_ERROR", "hello needs a clientId string")
    name = value.get("name")
    if not isinstance(name, str) or len(name) > 256:
        raise StoreError("PROTOCOL_ERROR", "hello needs a name string")
    pid = plain_int(value.get("pid"), "pid")
    migrations = value.get("migrations")
    if not isinstance(migrations, list):
        raise StoreError("PROTOCOL_ERROR", "hello needs a migrations array")
    checked = []
    for m in migrations:
        if not isinstance(m, dict) or not isinstance(m.get("sql"), str):
            raise StoreError("PROTOCOL_ERROR", "a migration must be { version, sql }")
        checked.append({"version": plain_int(m.get("version"), "migration version"), "sql": m["sql"]})
    return {
        "clientId": client_id,
        "pid": pid,
        "name": name,
        "candidate": value.get("candidate") is True,
        "migrations": checked,
        "reads": "local" if value.get("reads") == "local" else "leader",
        "lang": value.get("lang") if isinstance(value.get("lang"), str) else None,
        "version": value.get("version") if isinstance(value.get("version"), str) else None,
    }
