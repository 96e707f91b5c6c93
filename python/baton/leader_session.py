"""One member connection as the leader sees it: a thread reading its frames into the engine's
inbox, a thread writing its replies (so a member that reads slowly stalls nobody; beyond
``MAX_OUTGOING_BYTES`` buffered it is dropped), and what the engine keeps about it."""

from __future__ import annotations

import queue
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

from .constants import MAX_OUTGOING_BYTES
from .errors import StoreError
from .framing import FrameDecoder, decode_payload, encode_frame

if TYPE_CHECKING:
    from .leader import _Tx


class SessionOwner:
    """What a session needs from its leader: the frame limit and the inbox its frames go to."""

    max_frame_bytes: int
    inbox: "queue.Queue[tuple[str, Any, Any]]"


class Session:
    """One member connection."""

    def __init__(self, number: int, sock: socket.socket, leader: "SessionOwner") -> None:
        self.number = number
        self.sock = sock
        self.hello: Optional[dict[str, Any]] = None
        self.welcomed = False
        self.connected_at = int(time.time() * 1000)
        self.requests = 0
        self.in_flight = 0
        self.low = 0
        self.forgotten_below = 0
        self.tx: Optional["_Tx"] = None
        self.ended: dict[int, Optional[str]] = {}
        self.closed = False
        self._out: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self._out_bytes = 0
        self._leader = leader
        threading.Thread(target=self._read, name="baton-leader-read", daemon=True).start()
        threading.Thread(target=self._write, name="baton-leader-write", daemon=True).start()

    @property
    def client_id(self) -> str:
        assert self.hello is not None
        return self.hello["clientId"]

    def _read(self) -> None:
        decoder = FrameDecoder(self._leader.max_frame_bytes)
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    break
                try:
                    payloads = decoder.push(chunk)
                except StoreError as error:
                    self._leader.inbox.put(("refuse", self, error))
                    return
                for payload in payloads:
                    try:
                        frame = decode_payload(payload)
                    except StoreError as error:
                        self._leader.inbox.put(("refuse", self, error))
                        return
                    self._leader.inbox.put(("frame", self, frame))
        except OSError:
            pass
        self._leader.inbox.put(("closed", self, None))

    def _write(self) -> None:
        while True:
            data = self._out.get()
            if data is None:
                break
            try:
                self.sock.sendall(data)
            except OSError:
                break
            self._out_bytes -= len(data)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def send(self, frame: dict[str, Any]) -> None:
        self.send_encoded(encode_frame(frame))

    def send_encoded(self, data: bytes) -> None:
        if self.closed:
            return
        self._out_bytes += len(data)
        if self._out_bytes > MAX_OUTGOING_BYTES:
            self.end()  # a member that does not read is dropped
            return
        self._out.put(data)

    def end(self, frame: Optional[dict[str, Any]] = None) -> None:
        """Sends ``frame`` (if any), then closes."""
        if self.closed:
            return
        if frame is not None:
            self.send(frame)
        self.closed = True
        self._out.put(None)
