/**
 * The IPC between the coordinator (main.ts) and the worker processes it forks (worker.ts).
 * Channels use `serialization: 'advanced'`, so latency arrays travel as typed arrays.
 */

/**
 * Which database access a load worker uses: a Baton member (`baton-local`: one with
 * `reads: 'local'`), better-sqlite3 on the shared file, a raw socket client, or a client of the
 * bench's minimal forwarding design (minimal/; `minimal-local`: one that reads the file itself).
 */
export type SystemKind = 'baton' | 'baton-local' | 'direct' | 'socket' | 'minimal' | 'minimal-local';

/** SQLite durability setting under test. */
export type SyncMode = 'full' | 'normal';

/** What a worker process is, given as JSON in argv[2]. */
export type WorkerConfig =
  | {
      kind: 'load';
      /** `baton`: a Baton member (`baton-local`: reading locally); `direct`: better-sqlite3 on the shared WAL file; `socket`: raw echo client; `minimal`: a client of the minimal leader. */
      system: SystemKind;
      /** Database file (baton, direct) or the server's socket path (socket, minimal). */
      path: string;
      /** `minimal-local` only: the database file its reads open read-only. */
      database?: string;
      sync: SyncMode;
      /** Index of this member in its fleet: part of its name and of the rows it writes. */
      index: number;
      /** Rows seeded before the run: point reads pick ids in [1, seedRows]. */
      seedRows: number;
      /** Baton only: may this member host the leader (default true, like every gateway)? */
      candidate?: boolean;
    }
  | { kind: 'echo-server'; socketPath: string; replyBytes: number }
  /** The minimal design's leader process on `path`, listening on `socketPath`. */
  | { kind: 'minimal-leader'; path: string; socketPath: string; sync: SyncMode }
  /** A fresh process timing openStore, one write and close as a follower, then exiting. */
  | { kind: 'first-write'; path: string; sync: SyncMode; index: number }
  | { kind: 'idle' };

/** Parameters of one measured run. */
export interface RunSpec {
  /** Requests in flight at once in this process (closed loop: each lane issues its next request when the previous one ends). */
  inflight: number;
  /** Share of requests that are point reads (0..1); the rest insert one 200-byte row. */
  readFraction: number;
  /** Not measured: lets caches, prepared statements and the group-commit rhythm settle. */
  warmupMs: number;
  /** The measured window. */
  durationMs: number;
  /** Ask the leader for its counters at both ends of the window (Baton only; one member does it). */
  sampleStatus: boolean;
}

/** Commands from the coordinator. */
export type ToWorker =
  | { t: 'run'; spec: RunSpec }
  /** Failover load: one write in flight, until `stop`. */
  | { t: 'loop' }
  /** Report the first write acknowledged by a leader of an epoch above `epoch`. */
  | { t: 'arm'; epoch: number }
  | { t: 'stop' }
  /** Failover load: the acknowledgement times since the last `acks`, answered with `acks`. */
  | { t: 'acks' }
  /** A fixed workload (memory scenario), answered with `done`. */
  | { t: 'workload'; writes: number; reads: number }
  | { t: 'memory' }
  /** The leader's counters now (Baton), answered with `status`. */
  | { t: 'status' }
  /** Close gracefully and exit (used when profiling, so profiles get written). */
  | { t: 'exit' };

/** Leader counters at one instant (Baton only). */
export interface LeaderCounters {
  commits: number;
  groupedWrites: number;
  reads: number;
  writes: number;
  loadAvgGroupSize: number;
  leaderPid: number;
}

/** Leader counters sampled around a window (Baton only). */
export interface StatusSample {
  /** Group commits in the window. */
  commits: number;
  /** Writes those commits held. */
  groupedWrites: number;
  /** The leader's own one-minute figure, for comparison. */
  loadAvgGroupSize: number;
  leaderPid: number;
}

/** What one worker measured in one run. */
export interface RunReport {
  /** Requests completed inside the measured window. */
  completed: number;
  /** Writes acknowledged over the whole run, warmup and tail included (checked against the database afterwards). */
  ackedWrites: number;
  /** Latency of every request that ended after the window opened, those that ended after it closed included (ms). */
  latencies: Float64Array;
  /** The window as actually observed by this process (ms). */
  windowMs: number;
  /** When it opened, on the shared monotonic clock (clock.ts); V8 CPU profiles use the same clock. */
  windowStartMs: number;
  /** CPU time of this process (all its threads) over the window, in microseconds. */
  cpuUs: number;
  /** SQLITE_BUSY errors that escaped busy_timeout over the whole run (direct only; each was retried). */
  busyEscaped: number;
  /** Failed requests by error code (they are not retried and not counted as completed). */
  errors: Record<string, number>;
  status: StatusSample | null;
  /** The warm-up curve: completed requests and CPU time (µs) per 500 ms slice from the run's start. */
  curve: CurveSlice[];
}

/** One slice of a warm-up curve. */
export interface CurveSlice {
  completed: number;
  cpuUs: number;
}

/** The width of a warm-up curve's slice. */
export const CURVE_SLICE_MS = 500;

/** Messages to the coordinator. */
export type FromWorker =
  | { t: 'ready'; pid: number; role: string; epoch: number }
  /** `atMs` on the shared monotonic clock (clock.ts). */
  | { t: 'role'; role: string; epoch: number; atMs: number }
  | { t: 'report'; report: RunReport }
  | { t: 'armed'; epoch: number }
  /** `atMs` on the shared monotonic clock (clock.ts). */
  | { t: 'recovered'; epoch: number; atMs: number; failoverMs: number | null }
  | { t: 'stopped'; ackedWrites: number; errors: Record<string, number> }
  | { t: 'done'; ackedWrites: number }
  /** Acknowledgement times (shared monotonic clock) of the failover load since the last `acks`. */
  | { t: 'acks'; atMs: Float64Array }
  /** A fresh process's loading of the store's module, openStore, first acknowledged write and close, in ms. */
  | { t: 'first-write'; loadMs: number; openMs: number; writeMs: number; closeMs: number }
  | { t: 'memory'; rss: number; heapUsed: number }
  | { t: 'status'; counters: LeaderCounters | null }
  | { t: 'failed'; message: string };
