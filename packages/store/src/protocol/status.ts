/** The shape of `store.status()`: the leader's view of the fleet. */

/** SQLite's durability levels (`PRAGMA synchronous`); `full` unless the store was opened with `synchronous: 'normal'`. */
export type SynchronousLevel = 'off' | 'normal' | 'full' | 'extra';

/** The leader. */
export interface LeaderStatus {
  pid: number;
  name: string;
  epoch: number;
  /** When this leader started (ms since the Unix epoch). */
  since: number;
  socketPath: string;
  version: string;
  schemaVersion: number;
  /** The member named to take over next (it keeps a standby engine); 0 when no candidate is connected. */
  heirPid: number;
  /** The leader's language: `node` here; a Python leader (python/baton) says `python`. */
  language: string;
  /** What this leader leaves out of what the Node leader does (empty for the Node leader). */
  omits: string[];
}

/** One connected member. */
export interface MemberStatus {
  pid: number;
  name: string;
  candidate: boolean;
  /** When it connected to this leader (ms since the Unix epoch). */
  connectedAt: number;
  /** Requests it sent to this leader. */
  requests: number;
  /** Requests received and not yet answered. */
  inFlight: number;
  transactionOpen: boolean;
  /** Where it serves its standalone reads: `local` members read the database file themselves (read-only). */
  reads: 'leader' | 'local';
  /** Its language and Baton version, as its hello said them (null when it said nothing). */
  language: string | null;
  version: string | null;
}

/** One leader change, from the database's epoch history. */
export interface EpochRecord {
  epoch: number;
  pid: number;
  name: string;
  startedAt: number;
  previousPid: number | null;
  /** Milliseconds from the start of the election to this leader's first commit. */
  takeoverMs: number | null;
}

/** What `store.status()` returns. */
export interface StoreStatus {
  leader: LeaderStatus;
  members: MemberStatus[];
  counters: {
    commits: number;
    groupedWrites: number;
    reads: number;
    writes: number;
    failedWrites: number;
    queueDepth: number;
  };
  /** Load over the last minute, measured by the leader from a request's arrival to its reply. */
  load: { writesPerSec: number; readsPerSec: number; p50Ms: number; p99Ms: number; avgGroupSize: number };
  /** The database file: its size, its WAL's, and the `synchronous` level its writer runs with, read from SQLite. */
  database: { path: string; databaseBytes: number; walBytes: number; synchronous: SynchronousLevel };
  /** The most recent leaders, newest first. */
  failovers: EpochRecord[];
}
