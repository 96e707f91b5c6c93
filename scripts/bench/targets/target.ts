/**
 * What the load loop drives: one write (insert a 200-byte row) and one point read, whatever
 * sits behind them (a Baton member, a direct better-sqlite3 connection, a raw socket).
 */
import type { LeaderCounters, StatusSample } from '../messages';

export type { LeaderCounters };

/** A system under test, as seen from one worker process. */
export interface Target {
  /**
   * Inserts one row; resolves once it is committed (with whatever the system answers). A target
   * returns the system's own promise where it has one, not an `async` wrapper around it: each
   * wrapper is one more promise and turn per request, and must cost every system the same.
   */
  write(): Promise<unknown>;
  /** Reads the row with this id. */
  read(id: number): Promise<unknown>;
  /** SQLITE_BUSY errors that escaped the busy timeout so far (each was retried). */
  readonly busyEscaped: number;
  /** The role to report (`leader`/`follower` for Baton, the system name otherwise). */
  readonly role: string;
  /** The leader epoch this member last reached (Baton), 0 otherwise. */
  readonly epoch: number;
  /** The leader's counters (Baton only). */
  counters?(): Promise<LeaderCounters>;
  /** Called on every role change (Baton only). */
  onRole?(listener: (role: string, epoch: number) => void): void;
  /** Called when this member reached a new leader; `ms` from noticing the loss to the welcome (Baton only). */
  onFailover?(listener: (ms: number) => void): void;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** Window deltas of two counter readings. */
export function counterDelta(before: LeaderCounters, after: LeaderCounters): StatusSample {
  return {
    commits: after.commits - before.commits,
    groupedWrites: after.groupedWrites - before.groupedWrites,
    loadAvgGroupSize: after.loadAvgGroupSize,
    leaderPid: after.leaderPid,
  };
}

/** The error code of a thrown value (`code` of StoreError and SqliteError), or its class name. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.name : 'UNKNOWN';
}
