"""Result sets as a Python member returns them: rows are tuples that can also be read by column."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from .errors import StoreError
from .msgpack import Int64, sql_value

SqlValue = Union[None, int, float, str, bytes]
Args = Union[Sequence[Any], Mapping[str, Any], None]


class Row(tuple):
    """One row: a tuple in column order, also indexable by column name (``row["title"]``)."""

    _columns: dict[str, int]

    def __new__(cls, values: Iterable[Any], columns: dict[str, int]) -> "Row":
        row = super().__new__(cls, values)
        row._columns = columns
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._columns[key])
            except KeyError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def as_dict(self) -> dict[str, Any]:
        """The row keyed by column name."""
        return {name: tuple.__getitem__(self, index) for name, index in self._columns.items()}


class ResultSet:
    """What a statement returned: ``rows``, ``columns``, ``column_types``, ``rows_affected``, ``last_insert_rowid``."""

    def __init__(
        self,
        columns: list[str],
        column_types: list[str],
        rows: list[Row],
        rows_affected: int,
        last_insert_rowid: Optional[int],
    ) -> None:
        self.columns = columns
        self.column_types = column_types
        self.rows = rows
        self.rows_affected = rows_affected
        self.last_insert_rowid = last_insert_rowid

    def __repr__(self) -> str:
        return (
            f"ResultSet(columns={self.columns!r}, rows={list(self.rows)!r}, "
            f"rows_affected={self.rows_affected}, last_insert_rowid={self.last_insert_rowid})"
        )


def result_from_wire(wire: Any) -> ResultSet:
    """Reads a result set frame; int64 values are INTEGERs (``int``), other numbers REALs (``float``)."""
    if not isinstance(wire, dict) or not isinstance(wire.get("columns"), list) or not isinstance(wire.get("rows"), list):
        raise StoreError("PROTOCOL_ERROR", f"malformed result set {wire!r}")
    columns = [str(c) for c in wire["columns"]]
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name, i)  # the first of two columns with one name wins, as in libsql
    rows = [Row((sql_value(v) for v in row), index) for row in wire["rows"]]
    rowid = wire.get("lastInsertRowid")
    return ResultSet(
        columns,
        [str(t) for t in wire.get("columnTypes") or [""] * len(columns)],
        rows,
        int(wire.get("rowsAffected") or 0),
        None if rowid is None else int(rowid),
    )


def wire_value(value: Any, where: str) -> Any:
    """A Python value as a SQL value on the wire: ``int`` an INTEGER, ``float`` a REAL."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return Int64(int(value))  # bound as 1/0, as sqlite3 and libsql bind booleans
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise StoreError("INVALID_ARGUMENT", f"{where} is out of SQLite's 64-bit integer range")
        return Int64(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise StoreError("INVALID_ARGUMENT", f"{where} is NaN, which SQLite cannot store")
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise StoreError(
        "INVALID_ARGUMENT", f"{where} is not a SQL value (None, int, float, str, bytes): {type(value).__name__}"
    )


def wire_statement(sql: Any, args: Args = None) -> dict[str, Any]:
    """A statement as the protocol carries it; ``INVALID_ARGUMENT`` for what cannot be bound."""
    if not isinstance(sql, str):
        raise StoreError("INVALID_ARGUMENT", "sql must be a string")
    if args is None:
        return {"sql": sql}
    if isinstance(args, Mapping):
        named = {}
        for key, value in args.items():
            if not isinstance(key, str):
                raise StoreError("INVALID_ARGUMENT", "named arguments need string keys")
            named[key] = wire_value(value, f'argument "{key}"')
        return {"sql": sql, "args": named}
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise StoreError("INVALID_ARGUMENT", "args must be a sequence or a mapping of named values")
    return {"sql": sql, "args": [wire_value(v, f"argument {i + 1}") for i, v in enumerate(args)]}
