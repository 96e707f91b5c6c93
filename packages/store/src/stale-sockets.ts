/**
 * Sockets of dead leaders in the per-user runtime directory. A socket's name is a hash of its
 * database's path, which cannot be turned back into the path, so each leader leaves a symlink
 * next to its socket naming its election lock file (`<hash>.lock`, see `linkSocketToLock`). A
 * socket is removed only when that lock proves nobody leads its database: this process takes
 * the lock itself (no leader can start while it holds it, so nothing can bind a new socket
 * under it), or the lock file and its whole directory are gone and no process has the deleted
 * lock file open. Never on a guess: a socket without a link, or whose lock cannot be examined,
 * is left alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flockSync } from 'fs-ext';
import { pidsHoldingOpen } from './open-files';
import { lockFileDatabase, runtimeDirectory, socketDigest } from './paths';

/**
 * Removes the sockets (and their links) of leaders that are provably dead from the runtime
 * directory (default: this user's). Best effort: what cannot be examined is skipped.
 * @returns the socket paths removed
 */
export function removeStaleSockets(directory: string = runtimeDirectory()): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(directory);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = /^([0-9a-f]{24})\.lock$/.exec(entry);
    if (match === null) continue;
    const socket = path.join(directory, `${match[1]}.sock`);
    try {
      if (removeIfDead(path.join(directory, entry), socket, match[1]!)) removed.push(socket);
    } catch {
      // Tidying is never worth failing for (a new leader runs this): skip what cannot be removed.
    }
  }
  return removed;
}

/**
 * Removes `socket` and `link` when the lock `link` names proves its leader dead.
 * @returns true when a socket was removed (a link may be left without its socket)
 */
function removeIfDead(link: string, socket: string, digest: string): boolean {
  let lock: string;
  try {
    lock = fs.readlinkSync(link);
  } catch {
    return false;
  }
  // The link must belong to this socket: the lock names a database whose hash is the socket's.
  const database = lockFileDatabase(lock);
  if (database === null || socketDigest(database) !== digest) return false;
  // A `lock: 'lockfile'` leader holds a lease directory, not a flock: it cannot be proven dead here.
  if (fs.existsSync(`${lock}.lock`)) return false;
  let fd: number;
  try {
    fd = fs.openSync(lock, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !deadWithoutLockFile(lock)) return false;
    return removeBoth(socket, link);
  }
  try {
    flockSync(fd, 'exnb');
  } catch {
    fs.closeSync(fd);
    return false; // held: a live leader (or a candidate taking over right now)
  }
  try {
    return removeBoth(socket, link);
  } finally {
    fs.closeSync(fd); // releases the lock only after the socket is gone
  }
}

/**
 * True when the lock file is gone with its directory (no member can start for that database:
 * it needs the directory) and no process still has the deleted lock file open (a leader holds
 * its lock file open for as long as it leads; /proc shows a deleted one as such).
 */
function deadWithoutLockFile(lock: string): boolean {
  return !fs.existsSync(path.dirname(lock)) && pidsHoldingOpen([lock]).length === 0;
}

/** Removes the socket (if it is one) and its link; true when there was a socket. */
function removeBoth(socket: string, link: string): boolean {
  let removed = false;
  try {
    if (fs.lstatSync(socket).isSocket()) {
      fs.unlinkSync(socket);
      removed = true;
    }
  } catch {
    // already gone
  }
  fs.rmSync(link, { force: true });
  return removed;
}
