/**
 * Why nobody answered. When a member cannot reach the leader, the store only says NO_LEADER or
 * TIMEOUT; the operator needs to know whether there is no leader at all (every candidate is
 * gone) or a leader that holds the election lock but does not answer (a paused or wedged
 * process, which keeps the lock and so blocks any takeover). The kernel knows who holds the
 * flock (/proc/locks) and whether that process is stopped (/proc/<pid>/stat); the leader record
 * says who led last.
 */
import { readLeaderRecord, type LeaderRecord, type StorePaths } from '@baton/store';
import { flockHolder, isAlive, processState, type ProcessState } from './proc';

/** What the files and the kernel say about the leader, without asking the leader. */
export interface LeaderProbe {
  /** The last leader record, or null when there is none. */
  record: LeaderRecord | null;
  /** The state of the record's pid (`gone` when there is no record). */
  recordProcess: ProcessState;
  /** The pid holding the election lock: null when nobody does, undefined when it cannot be told. */
  lockHolder: number | null | undefined;
  /** The state of the lock holder (`gone` when there is none or it is unknown). */
  lockHolderProcess: ProcessState;
}

/** A live process that holds leadership, as far as the kernel and the record tell. */
export interface SuspectedLeader {
  pid: number;
  process: ProcessState;
}

/** Reads the leader record, the election lock's holder and their process states. */
export function probeLeader(paths: StorePaths): LeaderProbe {
  const record = readLeaderRecord(paths.record);
  const lockHolder = flockHolder(paths.lock);
  return {
    record,
    recordProcess: record === null ? 'gone' : processState(record.pid),
    lockHolder,
    lockHolderProcess: typeof lockHolder === 'number' ? processState(lockHolder) : 'gone',
  };
}

/**
 * The live process that leads, without asking it: the holder of the election lock (nobody
 * else can take over while it holds it, whether or not it answers). When the lock cannot be
 * inspected (no /proc/locks, or the `lockfile` election), the record's pid stands in for the
 * holder. Null when nobody leads.
 */
export function suspectedLeader(probe: LeaderProbe): SuspectedLeader | null {
  if (typeof probe.lockHolder === 'number' && isAlive(probe.lockHolderProcess)) {
    return { pid: probe.lockHolder, process: probe.lockHolderProcess };
  }
  if (probe.lockHolder === undefined && probe.record !== null && isAlive(probe.recordProcess)) {
    return { pid: probe.record.pid, process: probe.recordProcess };
  }
  return null;
}

/**
 * A sentence for an operator about a leader that did not answer within `timeoutMs` (null: it
 * was not asked, because its process is stopped and cannot answer): who it is and what to do,
 * or, when nobody leads, who led last and whether that process lives.
 */
export function explainSilence(probe: LeaderProbe, timeoutMs: number | null): string {
  const suspect = suspectedLeader(probe);
  if (suspect !== null) {
    const who = probe.record?.pid === suspect.pid ? `pid ${suspect.pid} "${probe.record.name}"` : `pid ${suspect.pid}`;
    const why =
      suspect.process === 'stopped'
        ? `its process is stopped (SIGSTOP or a debugger); resume it with \`kill -CONT ${suspect.pid}\` or end it so that another member takes over`
        : 'its process is running but does not answer; it keeps the election lock, so no other member can take over until it answers or exits';
    return `the leader (${who}) ${timeoutMs === null ? 'cannot answer' : `did not answer within ${timeoutMs} ms`}: ${why}`;
  }
  if (probe.record === null)
    return 'no leader is running, and there is no leader record (has any member opened this store?)';
  const last = `the last leader was pid ${probe.record.pid} "${probe.record.name}" (epoch ${probe.record.epoch})`;
  return `no leader is running; ${last}, ${isAlive(probe.recordProcess) ? 'whose process is alive but no longer leads' : 'whose process has exited'}`;
}

/**
 * Waits up to `graceMs` for someone to hold the election lock at `lockPath`, checking
 * /proc/locks every 25 ms: a leader that died a moment ago is replaced within milliseconds,
 * so a free lock that stays free for the grace period means nobody is left to take over.
 * @returns true once the lock is held (or cannot be inspected), false if it stayed free
 */
export async function lockTakenWithin(lockPath: string, graceMs: number): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    if (flockHolder(lockPath) !== null) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
