"""Which file the database path names, and the -wal and -shm of a file that is gone
(packages/store/src/paths.ts ``recordedFileAt``, leader/database-files.ts ``quarantineCompanions``).

A leader names the file it opened in its record (device, inode, birth time: a file system reuses a
deleted file's inode number at once, so the inode alone cannot tell two files apart). The next
leader compares it with the path before opening anything: when the path names another file or
none, the -wal and -shm there belong to the old file and SQLite would replay them into the new one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from typing import Any, Optional

#: statx(2): follow symlinks as stat does, ask for the birth time (glibc 2.28 and later).
_AT_FDCWD = -100
_STATX_BTIME = 0x800
#: Offsets in ``struct statx``: ``stx_mask`` at 0, ``stx_btime`` (tv_sec int64, tv_nsec uint32) at 80.
_STATX_SIZE = 256
_BTIME_OFFSET = 80


def _load_statx() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function = libc.statx
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
    function.restype = ctypes.c_int
    return function


_statx = _load_statx()


def _born_ns(path: str) -> str:
    """The birth time in nanoseconds as a decimal string; "0" where the system does not report one."""
    if _statx is None:
        return "0"
    buffer = ctypes.create_string_buffer(_STATX_SIZE)
    if _statx(_AT_FDCWD, os.fsencode(path), 0, _STATX_BTIME, buffer) != 0:
        return "0"
    mask = int.from_bytes(buffer.raw[0:4], "little")
    if not mask & _STATX_BTIME:
        return "0"
    seconds = int.from_bytes(buffer.raw[_BTIME_OFFSET : _BTIME_OFFSET + 8], "little", signed=True)
    nanoseconds = int.from_bytes(buffer.raw[_BTIME_OFFSET + 8 : _BTIME_OFFSET + 12], "little")
    return str(seconds * 1_000_000_000 + nanoseconds)


def recorded_file_at(path: str) -> Optional[dict[str, Any]]:
    """The file ``path`` names now, as a leader record's ``file`` (``dev``, ``ino``, ``bornNs``), or None."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return {"dev": info.st_dev, "ino": info.st_ino, "bornNs": _born_ns(path)}


def is_recorded_file(value: Any) -> bool:
    """True for a record's ``file``: two non-negative integers and a decimal birth time."""
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(k), int) and not isinstance(value.get(k), bool) for k in ("dev", "ino"))
        and isinstance(value.get("bornNs"), str)
        and value["bornNs"].isdigit()
        and value["bornNs"].isascii()
    )


def same_recorded_file(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when ``a`` and ``b`` are the same file (birth times compared where both are known)."""
    return (
        a["dev"] == b["dev"]
        and a["ino"] == b["ino"]
        and (a["bornNs"] == "0" or b["bornNs"] == "0" or a["bornNs"] == b["bornNs"])
    )


def set_aside_companions(database: str, epoch: int) -> list[str]:
    """Moves the -wal and -shm of a lost file to ``<db>-wal.lost-epoch<E>-<ms>`` (kept, never
    deleted, for whoever wants its last writes back); returns where they went."""
    moved = []
    stamp = f"lost-epoch{epoch}-{int(time.time() * 1000)}"
    for suffix in ("-wal", "-shm"):
        companion = database + suffix
        aside = f"{companion}.{stamp}"
        try:
            os.rename(companion, aside)
        except FileNotFoundError:
            continue
        moved.append(aside)
    return moved
