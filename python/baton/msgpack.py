"""The msgpack subset Baton's protocol uses, with the protocol's one rule on numbers.

The protocol (docs/protocol.md, "Encoding") keeps SQLite's storage class on the wire: the 64-bit
integer formats (int64 ``0xd3``, uint64 ``0xcf``) mean INTEGER, every other number format means
REAL. So this codec keeps the format of every integer it decodes:

- int64/uint64 decode as ``int`` (an INTEGER);
- every other integer format decodes as ``Num``, an ``int`` subclass: usable as a plain int for
  protocol fields (ids, epochs), read as a REAL where it is a SQL value (``sql_value``).

Encoding mirrors msgpackr, the reference encoder, byte for byte: maps as map16 (``0xde``) or
map32, ``str`` in the shortest str format, ``bytes`` as bin, ``float`` and ``int`` as msgpackr
writes a JavaScript number (an integral value within int32/uint32 in the shortest int format,
any other as float64), and ``Int64`` (an ``int`` subclass) always as int64 (uint64 from 2^63),
which is how an INTEGER SQL value must travel. Extension types decode as ``Ext`` and are passed through untouched.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["Int64", "Num", "Ext", "pack", "unpack", "sql_value", "DecodeError"]


class Int64(int):
    """An integer that is an INTEGER SQL value: always encoded as int64 (uint64 from 2^63)."""


class Num(int):
    """An integer decoded from a short int format: a REAL when it stands for a SQL value."""


@dataclass(frozen=True)
class Ext:
    """A msgpack extension value this codec does not interpret (msgpackr's Date, undefined, ...)."""

    type: int
    data: bytes


class DecodeError(ValueError):
    """Bytes that are not exactly one msgpack value."""


def sql_value(value: Any) -> Any:
    """Reads a decoded value as a SQL value: a ``Num`` is a REAL, so it becomes a ``float``."""
    if type(value) is Num:
        return float(value)
    return value


_pack_d = struct.Struct(">d").pack
_pack_q = struct.Struct(">q").pack
_pack_Q = struct.Struct(">Q").pack


def pack(value: Any) -> bytes:
    """Encodes one value as msgpackr encodes the same JavaScript value."""
    out = bytearray()
    _pack_into(out, value)
    return bytes(out)


def _pack_into(out: bytearray, value: Any) -> None:  # noqa: C901 - one branch per msgpack type
    if value is None:
        out.append(0xC0)
    elif value is True:
        out.append(0xC3)
    elif value is False:
        out.append(0xC2)
    elif type(value) is Int64:
        if value >= 1 << 63:
            if value >= 1 << 64:
                raise OverflowError(f"{value} does not fit in 64 bits")
            out.append(0xCF)
            out += _pack_Q(value)
        else:
            if value < -(1 << 63):
                raise OverflowError(f"{value} does not fit in 64 bits")
            out.append(0xD3)
            out += _pack_q(value)
    elif isinstance(value, int):
        _pack_int(out, int(value))
    elif isinstance(value, float):
        # As msgpackr writes a JavaScript number: an integral value within int32/uint32 (-0
        # included) in an int format, any other as float64.
        if -0x80000000 <= value < 0x100000000 and value.is_integer():
            _pack_int(out, int(value))
        else:
            out.append(0xCB)
            out += _pack_d(value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        if len(data) < 32:
            out.append(0xA0 | len(data))
        else:
            _pack_length(out, len(data), 0xD9, 0xDA, 0xDB)
        out += data
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        _pack_length(out, len(data), 0xC4, 0xC5, 0xC6)
        out += data
    elif isinstance(value, dict):
        # Always map16 or map32, never a fixmap: msgpackr writes objects so.
        _pack_length(out, len(value), None, 0xDE, 0xDF)
        for key, item in value.items():
            _pack_into(out, key if isinstance(key, str) else str(key))
            _pack_into(out, item)
    elif isinstance(value, (list, tuple)):
        if len(value) < 16:
            out.append(0x90 | len(value))
        else:
            _pack_length(out, len(value), None, 0xDC, 0xDD)
        for item in value:
            _pack_into(out, item)
    elif isinstance(value, Ext):
        _pack_ext(out, value)
    else:
        raise TypeError(f"cannot encode a {type(value).__name__} in msgpack")


def _pack_length(out: bytearray, n: int, code8: int | None, code16: int, code32: int) -> None:
    """The header of a string, binary, array, map or ext of ``n`` items or bytes, in the smallest
    of its 8-bit (where the type has one), 16-bit and 32-bit forms."""
    if code8 is not None and n < 0x100:
        out += bytes((code8, n))
    elif n < 0x10000:
        out.append(code16)
        out += n.to_bytes(2, "big")
    else:
        out.append(code32)
        out += n.to_bytes(4, "big")


def _pack_int(out: bytearray, n: int) -> None:
    if 0 <= n < 0x80:
        out.append(n)
    elif -32 <= n < 0:
        out.append(n & 0xFF)
    elif n >= 0:
        if n < 0x100:
            out += bytes((0xCC, n))
        elif n < 0x10000:
            out.append(0xCD)
            out += n.to_bytes(2, "big")
        elif n < 0x100000000:
            out.append(0xCE)
            out += n.to_bytes(4, "big")
        elif n <= 1 << 53:
            # msgpackr writes a number beyond uint32 as float64: a JavaScript reader must get a
            # number (a protocol field: a time, a size), never the bigint an int64 would give.
            out.append(0xCB)
            out += _pack_d(float(n))
        else:
            if n >= 1 << 64:
                raise OverflowError(f"{n} does not fit in 64 bits")
            out.append(0xCF)
            out += _pack_Q(n)
    else:
        if n >= -0x80:
            out += bytes((0xD0, n & 0xFF))
        elif n >= -0x8000:
            out.append(0xD1)
            out += n.to_bytes(2, "big", signed=True)
        elif n >= -0x80000000:
            out.append(0xD2)
            out += n.to_bytes(4, "big", signed=True)
        elif n >= -(1 << 53):
            out.append(0xCB)
            out += _pack_d(float(n))
        else:
            if n < -(1 << 63):
                raise OverflowError(f"{n} does not fit in 64 bits")
            out.append(0xD3)
            out += _pack_q(n)


def _pack_ext(out: bytearray, ext: Ext) -> None:
    n = len(ext.data)
    fixed = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}.get(n)
    if fixed is not None:
        out.append(fixed)
    else:
        _pack_length(out, n, 0xC7, 0xC8, 0xC9)
    out += struct.pack(">b", ext.type)
    out += ext.data


def unpack(data: bytes) -> Any:
    """Decodes exactly one msgpack value; raises ``DecodeError`` otherwise."""
    view = memoryview(data)
    try:
        value, end = _unpack_at(view, 0)
    except (IndexError, struct.error, UnicodeDecodeError, RecursionError) as error:
        raise DecodeError(f"undecodable msgpack: {error}") from error
    if end != len(view):
        raise DecodeError(f"{len(view) - end} bytes left over after the value")
    return value


_FIXED = {
    0xCA: (4, struct.Struct(">f").unpack_from),
    0xCB: (8, struct.Struct(">d").unpack_from),
    0xCC: (1, struct.Struct(">B").unpack_from),
    0xCD: (2, struct.Struct(">H").unpack_from),
    0xCE: (4, struct.Struct(">I").unpack_from),
    0xD0: (1, struct.Struct(">b").unpack_from),
    0xD1: (2, struct.Struct(">h").unpack_from),
    0xD2: (4, struct.Struct(">i").unpack_from),
}
_unpack_q = struct.Struct(">q").unpack_from
_unpack_Q = struct.Struct(">Q").unpack_from


def _need(view: memoryview, end: int) -> None:
    if end > len(view):
        raise DecodeError("truncated msgpack value")


def _unpack_at(view: memoryview, pos: int) -> tuple[Any, int]:  # noqa: C901 - one branch per format
    _need(view, pos + 1)
    b = view[pos]
    pos += 1
    if b < 0x80:
        return Num(b), pos
    if b >= 0xE0:
        return Num(b - 0x100), pos
    if 0xA0 <= b <= 0xBF:
        return _str(view, pos, b & 0x1F)
    if 0x90 <= b <= 0x9F:
        return _array(view, pos, b & 0x0F)
    if 0x80 <= b <= 0x8F:
        return _map(view, pos, b & 0x0F)
    if b == 0xC0:
        return None, pos
    if b == 0xC2:
        return False, pos
    if b == 0xC3:
        return True, pos
    fixed = _FIXED.get(b)
    if fixed is not None:
        size, reader = fixed
        _need(view, pos + size)
        (value,) = reader(view, pos)
        return (value if b in (0xCA, 0xCB) else Num(value)), pos + size
    if b == 0xD3:
        _need(view, pos + 8)
        return _unpack_q(view, pos)[0], pos + 8
    if b == 0xCF:
        _need(view, pos + 8)
        return _unpack_Q(view, pos)[0], pos + 8
    if b in (0xD9, 0xDA, 0xDB):
        size = {0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
        n, pos = _length(view, pos, size)
        return _str(view, pos, n)
    if b in (0xC4, 0xC5, 0xC6):
        size = {0xC4: 1, 0xC5: 2, 0xC6: 4}[b]
        n, pos = _length(view, pos, size)
        _need(view, pos + n)
        return bytes(view[pos : pos + n]), pos + n
    if b in (0xDC, 0xDD):
        n, pos = _length(view, pos, 2 if b == 0xDC else 4)
        return _array(view, pos, n)
    if b in (0xDE, 0xDF):
        n, pos = _length(view, pos, 2 if b == 0xDE else 4)
        return _map(view, pos, n)
    if b in (0xD4, 0xD5, 0xD6, 0xD7, 0xD8):
        n = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}[b]
        return _ext(view, pos, n)
    if b in (0xC7, 0xC8, 0xC9):
        n, pos = _length(view, pos, {0xC7: 1, 0xC8: 2, 0xC9: 4}[b])
        return _ext(view, pos, n)
    raise DecodeError(f"unknown msgpack format byte 0x{b:02x}")


def _length(view: memoryview, pos: int, size: int) -> tuple[int, int]:
    _need(view, pos + size)
    return int.from_bytes(view[pos : pos + size], "big"), pos + size


def _str(view: memoryview, pos: int, n: int) -> tuple[str, int]:
    _need(view, pos + n)
    return str(view[pos : pos + n], "utf-8"), pos + n


def _array(view: memoryview, pos: int, n: int) -> tuple[list[Any], int]:
    items = []
    for _ in range(n):
        item, pos = _unpack_at(view, pos)
        items.append(item)
    return items, pos


def _map(view: memoryview, pos: int, n: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    for _ in range(n):
        key, pos = _unpack_at(view, pos)
        value, pos = _unpack_at(view, pos)
        # As the leader does: maps become objects, whose keys are strings.
        result[key if isinstance(key, str) else str(key)] = value
    return result, pos


def _ext(view: memoryview, pos: int, n: int) -> tuple[Ext, int]:
    _need(view, pos + 1 + n)
    kind = struct.unpack_from(">b", view, pos)[0]
    return Ext(kind, bytes(view[pos + 1 : pos + 1 + n])), pos + 1 + n
