"""Election by flock(2) on ``<db>-baton.lock``: the same lock, taken the same way, as
packages/store/src/election/flock-election.ts, so Python and Node members elect one leader."""

from __future__ import annotations

import fcntl
import os
from typing import Optional

from .paths import open_or_create

_MAX_INODE_RETRIES = 5


class LeaderLock:
    """A held election lock: released by closing its only descriptor."""

    def __init__(self, path: str, fd: int) -> None:
        self._path = path
        self._fd: Optional[int] = fd

    def release(self) -> None:
        """Releases the lock (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def is_intact(self) -> bool:
        """True while held and the path still names the locked file."""
        return self._fd is not None and _names_same_file(self._path, self._fd)


def try_acquire(lock_path: str, file_mode: int) -> Optional[LeaderLock]:
    """Takes the lock without waiting; None when another process holds it."""
    for _ in range(_MAX_INODE_RETRIES):
        fd = open_or_create(lock_path, os.O_RDWR, file_mode)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError:
            os.close(fd)
            raise
        # The lock counts only if the path still names the file we locked.
        if _names_same_file(lock_path, fd):
            return LeaderLock(lock_path, fd)
        os.close(fd)
    return None


def _names_same_file(path: str, fd: int) -> bool:
    try:
        held = os.fstat(fd)
        named = os.stat(path)
    except OSError:
        return False
    return held.st_ino == named.st_ino and held.st_dev == named.st_dev
