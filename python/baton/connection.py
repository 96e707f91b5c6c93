"""One session with a leader: the socket, the hello and welcome, and a thread reading frames."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Callable, Optional

from .constants import DEFAULT_MAX_FRAME_BYTES, LANGUAGE, PROTOCOL_VERSION, VERSION, WELCOME_TIMEOUT_S
from .errors import StoreError
from .framing import FrameDecoder, decode_payload, encode_frame

#: Hello refusals after which connecting again cannot help: the store closes.
FATAL_REFUSALS = frozenset({"PROTOCOL_ERROR", "SCHEMA_CONFLICT", "PERMISSION_DENIED"})


class Connection:
    """A connected, welcomed session. Frames after the welcome go to ``on_frame``; the end to ``on_lost``."""

    def __init__(self, sock: socket.socket, welcome: dict[str, Any], decoder: FrameDecoder, early: list[Any]) -> None:
        self.sock = sock
        self.welcome = welcome
        self._decoder = decoder
        self._early = early
        self._send_lock = threading.Lock()
        self._closed = threading.Event()

    def start(self, on_frame: Callable[[Any], None], on_lost: Callable[["Connection"], None]) -> None:
        """Starts the reading thread; frames that arrived with the welcome are delivered first."""

        def run() -> None:
            try:
                for frame in self._early:
                    on_frame(frame)
                while not self._closed.is_set():
                    chunk = self.sock.recv(1 << 16)
                    if not chunk:
                        break
                    for payload in self._decoder.push(chunk):
                        frame = decode_payload(payload)
                        on_frame(frame)
                        if isinstance(frame, dict) and frame.get("t") in ("bye", "refuse"):
                            return
            except (OSError, StoreError):
                pass
            finally:
                self.close()
                on_lost(self)

        threading.Thread(target=run, name="baton-connection", daemon=True).start()

    def send(self, frame: dict[str, Any]) -> bool:
        """Writes one frame; False when the connection is gone (the caller keeps the request)."""
        data = encode_frame(frame)
        with self._send_lock:
            if self._closed.is_set():
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                return False

    def close(self) -> None:
        """Closes the socket (idempotent); the reading thread then ends."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


def connect(
    socket_path: str,
    *,
    client_id: str,
    name: str,
    candidate: bool,
    migrations: list[dict[str, Any]],
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
) -> Connection:
    """Connects, says hello and waits (bounded) for the welcome.

    Raises ``OSError`` when nothing listens (``ENOENT``, ``ECONNREFUSED``), ``StoreError`` when
    the leader refuses (its code says whether trying again can help), ``TimeoutError`` when no
    welcome came in time, ``ConnectionError`` when the leader said bye or closed.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(WELCOME_TIMEOUT_S)
        sock.connect(socket_path)
        hello = {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "clientId": client_id,
            "pid": os.getpid(),
            "name": name,
            "candidate": candidate,
            "migrations": migrations,
            # Not read by the leader's checks (unknown fields are ignored); a Python leader shows them in status.
            "lang": LANGUAGE,
            "version": VERSION,
        }
        sock.sendall(encode_frame(hello))
        decoder = FrameDecoder(max_frame_bytes)
        frames: list[Any] = []
        while True:
            try:
                chunk = sock.recv(1 << 16)
            except socket.timeout as error:
                raise TimeoutError("no welcome within the welcome timeout") from error
            if not chunk:
                raise ConnectionError("the leader closed the connection before its welcome")
            frames += [decode_payload(p) for p in decoder.push(chunk)]
            while frames:
                frame = frames.pop(0)
                kind = frame.get("t") if isinstance(frame, dict) else None
                if kind == "welcome":
                    sock.settimeout(None)
                    return Connection(sock, frame, decoder, frames)
                if kind == "refuse":
                    raise StoreError.from_wire(frame.get("err"))
                if kind == "bye":
                    raise ConnectionError(f"the leader said bye: {frame.get('reason')}")
    except BaseException:
        sock.close()
        raise


def socket_path_of(record: Optional[dict[str, Any]], derived: str) -> str:
    """The socket to try: the leader record's, else the one derived from the database path."""
    if record is not None:
        return str(record["socketPath"])
    return derived
