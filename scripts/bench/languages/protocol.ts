/**
 * The IPC between the languages bench (main.ts) and its member processes: the Node member
 * (member.ts) and the Python one (python/bench/member.py) speak the same JSON messages over
 * Node's IPC channel (`serialization: 'json'`, which the Python side can read).
 */

/** What a member process is, as JSON in argv[2]. */
export interface MemberConfig {
  path: string;
  name: string;
  /** The leader is started first as a candidate and never writes; writers are not candidates. */
  candidate: boolean;
  synchronous: 'full' | 'normal';
}

/** Commands from the bench. */
export type ToMember =
  /** Closed loop, one insert in flight: `warmupMs` unmeasured, then `durationMs` measured. */
  { t: 'run'; warmupMs: number; durationMs: number } | { t: 'memory' } | { t: 'exit' };

/** Messages to the bench. */
export type FromMember =
  | { t: 'ready'; pid: number; role: string }
  /** `latencies` of the writes completed in the window (ms). */
  | { t: 'report'; completed: number; latencies: number[]; errors: Record<string, number> }
  /** Resident set size in bytes. */
  | { t: 'memory'; rss: number }
  | { t: 'failed'; message: string };
