"""What Python's sqlite3 module does not tell: whether a statement only reads
(``sqlite3_stmt_readonly``) and its columns' declared types (``sqlite3_column_decltype``).

The leader prepares each statement (never steps it) on a read-only connection of its own to
the same database, opened through ctypes on the SQLite library Python's sqlite3 module uses.
Answers are cached per SQL text until the schema changes. Without a loadable SQLite library
``describe`` answers None, and the leader falls back to the reader's authorizer and empty types.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Optional

_SQLITE_OPEN_READONLY = 0x1
_SQLITE_OPEN_URI = 0x40


def _load() -> Optional[ctypes.CDLL]:
    name = ctypes.util.find_library("sqlite3") or "libsqlite3.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.sqlite3_open_v2.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_char_p]
    lib.sqlite3_prepare_v2.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_char_p),
    ]
    lib.sqlite3_column_count.argtypes = [ctypes.c_void_p]
    lib.sqlite3_column_decltype.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.sqlite3_column_decltype.restype = ctypes.c_char_p
    lib.sqlite3_stmt_readonly.argtypes = [ctypes.c_void_p]
    lib.sqlite3_finalize.argtypes = [ctypes.c_void_p]
    lib.sqlite3_close_v2.argtypes = [ctypes.c_void_p]
    lib.sqlite3_busy_timeout.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


_lib = _load()


class StatementInfo:
    """A prepare-only connection: ``describe(sql)`` gives ``(readonly, declared_types)`` or None."""

    def __init__(self, database: str) -> None:
        self._db: Optional[ctypes.c_void_p] = None
        self._cache: dict[str, Optional[tuple[bool, list[str]]]] = {}
        if _lib is None:
            return
        db = ctypes.c_void_p()
        uri = f"file:{database}?mode=ro".encode()
        if _lib.sqlite3_open_v2(uri, ctypes.byref(db), _SQLITE_OPEN_READONLY | _SQLITE_OPEN_URI, None) != 0:
            _lib.sqlite3_close_v2(db)
            return
        _lib.sqlite3_busy_timeout(db, 5000)
        self._db = db

    @property
    def available(self) -> bool:
        """Whether SQLite could be asked (else ``describe`` always answers None)."""
        return self._db is not None

    def describe(self, sql: str) -> Optional[tuple[bool, list[str]]]:
        """Whether ``sql`` only reads, and its columns' declared types (``""`` for an expression)."""
        if self._db is None or _lib is None:
            return None
        if sql in self._cache:
            return self._cache[sql]
        stmt = ctypes.c_void_p()
        encoded = sql.encode("utf-8")
        info: Optional[tuple[bool, list[str]]] = None
        if _lib.sqlite3_prepare_v2(self._db, encoded, len(encoded), ctypes.byref(stmt), None) == 0 and stmt.value:
            count = _lib.sqlite3_column_count(stmt)
            types = []
            for i in range(count):
                declared = _lib.sqlite3_column_decltype(stmt, i)
                types.append(declared.decode("utf-8") if declared else "")
            info = (bool(_lib.sqlite3_stmt_readonly(stmt)), types)
        _lib.sqlite3_finalize(stmt)
        if info is not None:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[sql] = info
        return info

    def schema_changed(self) -> None:
        """Forgets every answer: a table or column may have changed."""
        self._cache.clear()

    def close(self) -> None:
        db, self._db = self._db, None
        if db is not None and _lib is not None:
            _lib.sqlite3_close_v2(db)
