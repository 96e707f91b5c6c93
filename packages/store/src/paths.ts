/**
 * Where Baton keeps its sidecar files. Everything is derived from the database path, so every
 * member computes the same names without asking anyone.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreError } from './errors';
import { createWithMode } from './file-modes';

/** The files that belong to one Baton store. */
export interface StorePaths {
  /** The database file, absolute, with every symlink resolved. */
  database: string;
  /** The election lock file. Never unlinked. */
  lock: string;
  /** The leader record (JSON), written atomically by each new leader. */
  record: string;
  /** The leader's Unix socket, in a directory only this user can enter. */
  socket: string;
  /** A symlink next to the socket naming the lock file, so that a dead leader's socket can be proven dead. */
  socketLink: string;
  /** Requests that ran away and were stopped (JSON), so the next leader does not run them again. */
  runaways: string;
}

/**
 * Derives the store's paths. The socket lives in a per-user runtime directory under a hash of
 * the database's real path: a Unix socket path must fit in ~107 bytes, which a path next to a
 * deeply nested database would not, and a private directory keeps other users out whatever the
 * database directory's permissions are.
 */
export function storePaths(databasePath: string): StorePaths {
  const absolute = path.resolve(databasePath);
  // Resolve a symlink to the file itself too: two members opening one file through two names
  // must meet at one lock, or each would elect its own leader on the same file.
  const database =
    existingRealPath(absolute) ?? path.join(realDirectory(path.dirname(absolute)), path.basename(absolute));
  const digest = socketDigest(database);
  return {
    database,
    lock: `${database}${LOCK_SUFFIX}`,
    record: `${database}-baton.json`,
    socket: path.join(runtimeDirectory(), `${digest}.sock`),
    socketLink: path.join(runtimeDirectory(), `${digest}.lock`),
    runaways: `${database}-baton.runaways.json`,
  };
}

const LOCK_SUFFIX = '-baton.lock';

/** The name of a database's socket (and socket link) in the runtime directory: a hash of its real path. */
export function socketDigest(database: string): string {
  return createHash('sha256').update(database).digest('hex').slice(0, 24);
}

/** The database a lock file belongs to, or null when `lock` is not named like one. */
export function lockFileDatabase(lock: string): string | null {
  return path.isAbsolute(lock) && lock.endsWith(LOCK_SUFFIX) ? lock.slice(0, -LOCK_SUFFIX.length) : null;
}

/**
 * The real path of `file` when it exists. A symlink whose target does not exist yet is
 * followed by hand, so that whoever creates the target through the link and whoever opens it
 * later by either name agree on one path.
 */
function existingRealPath(file: string): string | null {
  let current = file;
  for (let hops = 0; hops < 40; hops++) {
    try {
      return fs.realpathSync(current);
    } catch {
      let stat: fs.Stats;
      try {
        stat = fs.lstatSync(current);
      } catch {
        return current === file ? null : path.join(realDirectory(path.dirname(current)), path.basename(current));
      }
      if (!stat.isSymbolicLink()) return null;
      current = path.resolve(path.dirname(current), fs.readlinkSync(current));
    }
  }
  return null;
}

function realDirectory(directory: string): string {
  try {
    return fs.realpathSync(directory);
  } catch (error) {
    throw new StoreError('INVALID_ARGUMENT', `the database directory ${directory} does not exist`, { cause: error });
  }
}

/** The per-user directory for sockets: `$XDG_RUNTIME_DIR/baton` or `<tmpdir>/baton-<uid>`. */
export function runtimeDirectory(): string {
  const uid = process.getuid?.() ?? 0;
  const base = process.env.XDG_RUNTIME_DIR;
  return base ? path.join(base, 'baton') : path.join(os.tmpdir(), `baton-${uid}`);
}

/**
 * Creates `directory` with mode 0700 if needed and checks that it is a real directory (not a
 * symlink) owned by this user and closed to everyone else; otherwise refuses, because a socket
 * in it could be reached or replaced by another user.
 */
export function ensurePrivateDirectory(directory: string): void {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(directory);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw new StoreError(
      'PERMISSION_DENIED',
      `${directory} is not a directory owned by uid ${uid}; refusing to put the leader socket there`,
    );
  }
  if ((stat.mode & 0o077) !== 0) fs.chmodSync(directory, 0o700);
}

/**
 * Writes `contents` to `target` atomically: a temporary file in the same directory, created
 * with exactly `mode`, then a rename over the target. Rename replaces a symlink planted at
 * `target` instead of following it. `durable` fsyncs the contents before the rename.
 */
export function writeFileAtomic(target: string, contents: string, options: { durable: boolean; mode: number }): void {
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  const fd = createWithMode(temporary, fs.constants.O_WRONLY, options.mode);
  try {
    fs.writeSync(fd, contents);
    if (options.durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, target);
}

/**
 * Names the lock file `lock` in the symlink `link` next to a socket, atomically (a new link
 * under a temporary name, renamed over the old one). The socket's own name is a hash that
 * cannot be turned back into the database's path; the link is what lets a sweeper find the
 * lock that proves the socket's leader dead (see stale-sockets.ts).
 */
export function linkSocketToLock(link: string, lock: string): void {
  const temporary = `${link}.${process.pid}.${Date.now()}.tmp`;
  fs.symlinkSync(lock, temporary);
  try {
    fs.renameSync(temporary, link);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Removes the link a leader made with `linkSocketToLock`, if it still names `lock`: once its
 * socket is gone the link proves nothing, and left behind it would dangle when the database goes.
 */
export function unlinkSocketLink(link: string, lock: string): void {
  try {
    if (fs.readlinkSync(link) === lock) fs.unlinkSync(link);
  } catch {
    // already gone
  }
}

/**
 * Which file a leader opened, so the next one can tell whether the path still names it: device
 * and inode, and the birth time, since a file system reuses the inode number of a deleted file
 * at once (`bornNs` is "0" where the file system does not report birth times).
 */
export interface RecordedFile {
  dev: number;
  ino: number;
  /** Birth time in nanoseconds since the Unix epoch, as a decimal string. */
  bornNs: string;
}

/** The leader record written by each new leader next to the database. */
export interface LeaderRecord {
  pid: number;
  name: string;
  epoch: number;
  socketPath: string;
  /** When that leader started (ms since the Unix epoch). */
  startedAt: number;
  version: string;
  /** The database file that leader opened (absent in records of leaders that predate it). */
  file?: RecordedFile;
}

/** The file `file` names now as a `RecordedFile`, or null when nothing does. */
export function recordedFileAt(file: string): RecordedFile | null {
  const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  if (stat === undefined) return null;
  return { dev: Number(stat.dev), ino: Number(stat.ino), bornNs: stat.birthtimeNs.toString() };
}

/** True when `a` and `b` are the same file (birth times compared where both are known). */
export function sameRecordedFile(a: RecordedFile, b: RecordedFile): boolean {
  return a.dev === b.dev && a.ino === b.ino && (a.bornNs === '0' || b.bornNs === '0' || a.bornNs === b.bornNs);
}

function isRecordedFile(value: unknown): value is RecordedFile {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(f.dev) && Number.isSafeInteger(f.ino) && typeof f.bornNs === 'string' && /^\d+$/.test(f.bornNs)
  );
}

/**
 * Reads the leader record; null when it is missing, not a valid record, or not a regular file
 * owned by this user. A record written by anyone else (a database directory others may write
 * to) must not redirect members to a socket of theirs.
 */
export function readLeaderRecord(recordPath: string): LeaderRecord | null {
  let parsed: unknown;
  try {
    const stat = fs.lstatSync(recordPath);
    const uid = process.getuid?.();
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) return null;
    parsed = JSON.parse(fs.readFileSync(recordPath, 'utf8'));
  } catch {
    return null;
  }
  return isLeaderRecord(parsed) ? parsed : null;
}

function isLeaderRecord(value: unknown): value is LeaderRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(r.pid) &&
    typeof r.name === 'string' &&
    Number.isSafeInteger(r.epoch) &&
    typeof r.socketPath === 'string' &&
    path.isAbsolute(r.socketPath) &&
    typeof r.startedAt === 'number' &&
    typeof r.version === 'string' &&
    (r.file === undefined || isRecordedFile(r.file))
  );
}
