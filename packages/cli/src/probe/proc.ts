/**
 * What Linux's /proc says about processes: whether one is running or stopped, which processes
 * hold a file open, and who holds a flock. Every reader tolerates processes that exit while it
 * looks (their /proc entries vanish under it). On a system without /proc these report
 * "unknown" rather than guessing.
 */
import * as fs from 'node:fs';
import { pidsHoldingOpen, pidsWritingTo } from '@baton/store';

/** What became of a process: `stopped` is SIGSTOP/a debugger, `zombie` has exited but is not reaped. */
export type ProcessState = 'running' | 'stopped' | 'zombie' | 'gone';

/** A process that holds a file open. */
export interface FileHolder {
  pid: number;
  /** Its command line, arguments joined by spaces ('' when unreadable). */
  command: string;
  /** `writer`: it holds the database file open for writing (the leader); `reader`: read-only (a member with `reads: 'local'`). */
  access: 'writer' | 'reader';
}

/** The state of `pid` from the third field of /proc/<pid>/stat. */
export function processState(pid: number): ProcessState {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
  return parseProcessState(stat);
}

/**
 * Parses the state letter of a /proc/<pid>/stat line. The command name in parentheses may
 * itself contain spaces and parentheses, so the state is found after the last `)`.
 */
export function parseProcessState(stat: string): ProcessState {
  const letter = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (letter === 'T' || letter === 't') return 'stopped';
  if (letter === 'Z' || letter === 'X' || letter === 'x') return 'zombie';
  return letter === '' ? 'gone' : 'running';
}

/** True for a process that exists and has not exited (running or stopped). */
export function isAlive(state: ProcessState): boolean {
  return state === 'running' || state === 'stopped';
}

/** The command line of `pid`, or '' when it cannot be read. */
export function processCommand(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/**
 * The processes that have any of `files` open (the store's /proc scan), with their command
 * lines, and whether each holds the first of them (the database) open for writing.
 */
export function processesHoldingOpen(files: readonly string[]): FileHolder[] {
  const writers = new Set(files.length > 0 ? pidsWritingTo(files[0]!) : []);
  return pidsHoldingOpen(files).map((pid) => ({
    pid,
    command: processCommand(pid),
    access: writers.has(pid) ? 'writer' : 'reader',
  }));
}

/** One lock of /proc/locks. */
export interface LockEntry {
  kind: string;
  pid: number;
  major: number;
  minor: number;
  inode: bigint;
}

/** Parses /proc/locks, skipping the `->` lines of blocked waiters (they do not hold the lock). */
export function parseProcLocks(text: string): LockEntry[] {
  const entries: LockEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^\d+:\s+(\w+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (match === null) continue;
    entries.push({
      kind: match[1]!,
      pid: Number(match[2]),
      major: parseInt(match[3]!, 16),
      minor: parseInt(match[4]!, 16),
      inode: BigInt(match[5]!),
    });
  }
  return entries;
}

/**
 * The pid holding a flock on `file`: a number, `null` when nobody holds one (the file missing
 * included), or `undefined` when it cannot be told (no /proc/locks, or the holder is not visible).
 */
export function flockHolder(file: string): number | null | undefined {
  let stat: fs.BigIntStats | undefined;
  let text: string;
  try {
    stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    text = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // Every election creates the lock file first and nothing removes it: without one, no member
  // ever stood for this database, so nobody holds the lock (rather than "cannot be told", which
  // made `step-down` wait out its whole timeout on a database nobody had opened).
  if (stat === undefined) return null;
  const { major, minor } = splitDevice(stat.dev);
  const lock = parseProcLocks(text).find(
    (e) => e.kind === 'FLOCK' && e.inode === stat.ino && e.major === major && e.minor === minor,
  );
  if (lock === undefined) return null;
  // A holder in another pid namespace shows as -1: held, by someone we cannot name.
  return lock.pid > 0 ? lock.pid : undefined;
}

/** Splits a glibc `dev_t` into the major and minor numbers /proc/locks prints. */
export function splitDevice(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}
