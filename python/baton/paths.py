"""Where Baton keeps its sidecar files, derived from the database path exactly as
packages/store/src/paths.ts derives them, so Python and Node members meet at one lock and socket."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass
from typing import Any, Optional

from .database_file import is_recorded_file
from .errors import StoreError

LOCK_SUFFIX = "-baton.lock"


@dataclass(frozen=True)
class StorePaths:
    """The files of one store."""

    database: str
    lock: str
    record: str
    socket: str
    socket_link: str
    runaways: str


def store_paths(database_path: str) -> StorePaths:
    """Derives the store's paths (docs/protocol.md, "Transport")."""
    absolute = os.path.abspath(database_path)
    database = _existing_real_path(absolute)
    if database is None:
        database = os.path.join(_real_directory(os.path.dirname(absolute)), os.path.basename(absolute))
    digest = socket_digest(database)
    runtime = runtime_directory()
    return StorePaths(
        database=database,
        lock=database + LOCK_SUFFIX,
        record=database + "-baton.json",
        socket=os.path.join(runtime, digest + ".sock"),
        socket_link=os.path.join(runtime, digest + ".lock"),
        runaways=database + "-baton.runaways.json",
    )


def socket_digest(database: str) -> str:
    """The first 24 hex digits of the SHA-256 of the database's real path."""
    return hashlib.sha256(database.encode("utf-8")).hexdigest()[:24]


def _existing_real_path(file: str) -> Optional[str]:
    # A symlink whose target does not exist yet is followed by hand, as paths.ts does.
    current = file
    for _ in range(40):
        if os.path.exists(current):
            return os.path.realpath(current)
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if current == file:
                return None
            return os.path.join(_real_directory(os.path.dirname(current)), os.path.basename(current))
        if not stat.S_ISLNK(info.st_mode):
            return None
        current = os.path.join(os.path.dirname(current), os.readlink(current))
        current = os.path.abspath(current)
    return None


def _real_directory(directory: str) -> str:
    if not os.path.isdir(directory):
        raise StoreError("INVALID_ARGUMENT", f"the database directory {directory} does not exist")
    return os.path.realpath(directory)


def _node_tmpdir() -> str:
    # Node's os.tmpdir(): $TMPDIR, else $TMP, else $TEMP, else /tmp, without a trailing slash.
    for name in ("TMPDIR", "TMP", "TEMP"):
        value = os.environ.get(name)
        if value:
            return value[:-1] if len(value) > 1 and value.endswith("/") else value
    return "/tmp"


def runtime_directory() -> str:
    """``$XDG_RUNTIME_DIR/baton`` or ``<tmpdir>/baton-<uid>``."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return os.path.join(base, "baton")
    return os.path.join(_node_tmpdir(), f"baton-{os.getuid()}")


def ensure_private_directory(directory: str) -> None:
    """Creates ``directory`` (0700) if needed; ``PERMISSION_DENIED`` unless it is a directory of this user."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise StoreError(
            "PERMISSION_DENIED",
            f"{directory} is not a directory owned by uid {os.getuid()}; refusing to put the leader socket there",
        )
    if info.st_mode & 0o077:
        os.chmod(directory, 0o700)


def open_or_create(file: str, flags: int, mode: int) -> int:
    """Opens ``file``, creating it first with exactly ``mode`` (whatever the umask); never follows a symlink."""
    for attempt in range(3):
        try:
            fd = os.open(file, flags | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
            os.fchmod(fd, mode)
            return fd
        except FileExistsError:
            pass
        try:
            return os.open(file, flags | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            if attempt >= 2:
                raise
    raise FileNotFoundError(file)


def write_file_atomic(target: str, contents: str, mode: int) -> None:
    """A temporary file created with exactly ``mode``, then renamed over ``target``."""
    temporary = f"{target}.{os.getpid()}.{int(time.time() * 1000)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # whatever the umask
        os.write(fd, contents.encode("utf-8"))
    finally:
        os.close(fd)
    os.rename(temporary, target)


def link_socket_to_lock(link: str, lock: str) -> None:
    """Names the lock file in a symlink next to the socket (a stale socket's sweeper reads it)."""
    temporary = f"{link}.{os.getpid()}.{int(time.time() * 1000)}.tmp"
    os.symlink(lock, temporary)
    try:
        os.rename(temporary, link)
    except OSError:
        os.unlink(temporary)
        raise


def unlink_socket_link(link: str, lock: str) -> None:
    """Removes the socket link if it still names ``lock``."""
    try:
        if os.readlink(link) == lock:
            os.unlink(link)
    except OSError:
        pass


def read_leader_record(record: str) -> Optional[dict[str, Any]]:
    """The leader record, or None when missing, invalid, or not a regular file of this user."""
    try:
        info = os.lstat(record)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return None
        with open(record, encoding="utf-8") as file:
            parsed = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(parsed, dict):
        return None
    ok = (
        _is_int(parsed.get("pid"))
        and isinstance(parsed.get("name"), str)
        and _is_int(parsed.get("epoch"))
        and isinstance(parsed.get("socketPath"), str)
        and os.path.isabs(parsed["socketPath"])
        and isinstance(parsed.get("startedAt"), (int, float))
        and isinstance(parsed.get("version"), str)
        and ("file" not in parsed or is_recorded_file(parsed["file"]))
    )
    return parsed if ok else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


__all__ = [
    "StorePaths",
    "store_paths",
    "socket_digest",
    "runtime_directory",
    "ensure_private_directory",
    "open_or_create",
    "write_file_atomic",
    "link_socket_to_lock",
    "unlink_socket_link",
    "read_leader_record",
]
