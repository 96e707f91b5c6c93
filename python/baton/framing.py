"""Length-prefixed frames: a 4-byte big-endian payload length, then one msgpack map."""

from __future__ import annotations

import struct
from typing import Any

from . import msgpack
from .constants import DEFAULT_MAX_FRAME_BYTES
from .errors import StoreError

HEADER = struct.Struct(">I")


def encode_frame(message: Any) -> bytes:
    """Header and payload of one frame, ready for one write."""
    payload = msgpack.pack(message)
    return HEADER.pack(len(payload)) + payload


def decode_payload(payload: bytes) -> Any:
    """Decodes one payload; ``PROTOCOL_ERROR`` when it is not exactly one msgpack value."""
    try:
        return msgpack.unpack(payload)
    except msgpack.DecodeError as error:
        raise StoreError("PROTOCOL_ERROR", f"undecodable frame: {error}") from error


class FrameDecoder:
    """Splits a byte stream into payloads; refuses an oversized length before buffering it."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_frame_bytes

    def push(self, chunk: bytes) -> list[bytes]:
        """Adds a chunk; returns the payloads it completes. ``PROTOCOL_ERROR`` on an oversized length."""
        self._buffer += chunk
        payloads = []
        start = 0
        buffered = len(self._buffer)
        while buffered - start >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer, start)
            if length > self._max:
                raise StoreError("PROTOCOL_ERROR", f"frame of {length} bytes exceeds the limit of {self._max}")
            end = start + HEADER.size + length
            if end > buffered:
                break
            payloads.append(bytes(self._buffer[start + HEADER.size : end]))
            start = end
        if start:
            del self._buffer[:start]
        return payloads

    @property
    def pending_bytes(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)
