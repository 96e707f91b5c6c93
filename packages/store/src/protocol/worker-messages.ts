/** Messages between a member's main thread and the leader worker it hosts. */
import type { WireError } from '../errors';
import type { WarmReport } from '../leader/warm-up';

/** What the worker is created with (it then waits, modules loaded, for `start`). */
export interface WorkerInput {
  databasePath: string;
  socketPath: string;
  recordPath: string;
  synchronous: 'full' | 'normal';
  name: string;
  pid: number;
  version: string;
  maxFrameBytes: number;
  runawayPath: string;
  /** The election lock file, named by the link next to the socket. */
  lockPath: string;
  /** The symlink next to the socket that names `lockPath` (see stale-sockets.ts). */
  socketLink: string;
  /** The mode of every file the leader creates. */
  fileMode: number;
  /** The shared busy mark (see protocol/busy-marker.ts). */
  marker: SharedArrayBuffer;
}

/** Why a leader stopped, reported once. */
export interface StopReport {
  reason: string;
  /** True when the leader stepped down by request (handover or close), false when it was fenced or failed. */
  graceful: boolean;
}

/** Main thread to worker: become the leader (the lock is held), or stop being it. */
export type ToWorker = { t: 'start'; electionStartedAt: number } | ({ t: 'stop' } & StopReport);

/** Worker to main thread. `warmed`: the warm-up (see leader/warm-up.ts) is over, before or at `start`. */
export type FromWorker =
  /** `setAside`: where the -wal and -shm of a file that the path no longer names were moved before opening. */
  | { t: 'ready'; epoch: number; setAside: string[] }
  | { t: 'failed'; err: WireError }
  | ({ t: 'stopped' } & StopReport)
  | ({ t: 'warmed' } & WarmReport);
