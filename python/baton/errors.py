"""Baton's one error class, with the TypeScript store's stable codes (packages/store/src/errors.ts)."""

from __future__ import annotations

import re
from typing import Any, Optional

#: Baton's own codes; a SQLite failure's code is the primary result code's name (``SQLITE_...``).
ERROR_CODES = frozenset(
    {
        "INVALID_ARGUMENT",
        "CLIENT_CLOSED",
        "NO_LEADER",
        "TIMEOUT",
        "PROTOCOL_ERROR",
        "SCHEMA_CONFLICT",
        "TRANSACTION_ABORTED",
        "TRANSACTION_CLOSED",
        "STATEMENT_REFUSED",
        "STATEMENT_TIMEOUT",
        "RESULT_TOO_LARGE",
        "FENCED",
        "LEADER_FAILED",
        "PERMISSION_DENIED",
        "URL_INVALID",
        "URL_SCHEME_NOT_SUPPORTED",
        "URL_PARAM_NOT_SUPPORTED",
        "SYNC_NOT_SUPPORTED",
        "PERMISSIONS_TOO_OPEN",
        "DATABASE_REPLACED",
    }
)

_SQLITE_CODE = re.compile(r"^SQLITE_[A-Z_0-9]+$")

#: SQLite's primary result codes by number, to name the primary code of an extended one.
PRIMARY_CODES = {
    0: "OK", 1: "ERROR", 2: "INTERNAL", 3: "PERM", 4: "ABORT", 5: "BUSY", 6: "LOCKED", 7: "NOMEM",
    8: "READONLY", 9: "INTERRUPT", 10: "IOERR", 11: "CORRUPT", 12: "NOTFOUND", 13: "FULL",
    14: "CANTOPEN", 15: "PROTOCOL", 16: "EMPTY", 17: "SCHEMA", 18: "TOOBIG", 19: "CONSTRAINT",
    20: "MISMATCH", 21: "MISUSE", 22: "NOLFS", 23: "AUTH", 24: "FORMAT", 25: "RANGE", 26: "NOTADB",
    27: "NOTICE", 28: "WARNING", 100: "ROW", 101: "DONE",
}  # fmt: skip


#: Extended result codes newer than the table of Python 3.11's sqlite3 module (which names them "unknown").
NEWER_EXTENDED_CODES = {
    773: "SQLITE_BUSY_TIMEOUT",
    1544: "SQLITE_READONLY_DIRECTORY",
    1550: "SQLITE_CANTOPEN_SYMLINK",
    2835: "SQLITE_CONSTRAINT_PINNED",
    3091: "SQLITE_CONSTRAINT_DATATYPE",
    8202: "SQLITE_IOERR_DATA",
    8458: "SQLITE_IOERR_CORRUPTFS",
}


def is_error_code(value: Any) -> bool:
    """True for a documented code: one of Baton's own or a SQLite result code name."""
    return isinstance(value, str) and (value in ERROR_CODES or bool(_SQLITE_CODE.match(value)))


class StoreError(Exception):
    """Every failure a caller sees, local or forwarded from the leader, with a stable ``code``.

    SQLite failures carry ``code`` (the primary result code's name), ``extended_code`` and
    ``raw_code``, as the TypeScript store and @libsql/client report them; the failure of one
    statement of a batch carries its ``statement_index``. ``transaction_rolled_back`` is True when
    the failing statement made SQLite roll back the interactive transaction it ran in (``OR
    ROLLBACK``, a trigger's ``RAISE(ROLLBACK)``): the error is the statement's own, as libsql reports
    it, and the transaction is over (later statements get ``TRANSACTION_CLOSED``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        extended_code: Optional[str] = None,
        raw_code: Optional[int] = None,
        statement_index: Optional[int] = None,
        transaction_rolled_back: bool = False,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.extended_code = extended_code
        self.raw_code = raw_code
        self.statement_index = statement_index
        self.transaction_rolled_back = transaction_rolled_back

    def to_wire(self) -> dict[str, Any]:
        """The error as a protocol frame carries it."""
        wire: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.extended_code is not None:
            wire["extendedCode"] = self.extended_code
        if self.raw_code is not None:
            wire["rawCode"] = self.raw_code
        if self.statement_index is not None:
            wire["statementIndex"] = self.statement_index
        if self.transaction_rolled_back:
            wire["transactionRolledBack"] = True
        return wire

    @classmethod
    def from_wire(cls, wire: Any) -> "StoreError":
        """Rebuilds an error from a frame; an unknown code becomes ``PROTOCOL_ERROR``, as in TypeScript."""
        if not isinstance(wire, dict):
            return cls("PROTOCOL_ERROR", f"malformed error {wire!r}")
        code = wire.get("code")
        extended = wire.get("extendedCode")
        raw = wire.get("rawCode")
        index = wire.get("statementIndex")
        return cls(
            code if is_error_code(code) else "PROTOCOL_ERROR",
            str(wire.get("message", "")),
            extended_code=extended if isinstance(extended, str) else None,
            raw_code=int(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None,
            statement_index=int(index) if isinstance(index, int) and not isinstance(index, bool) else None,
            transaction_rolled_back=wire.get("transactionRolledBack") is True,
        )
