/**
 * Scenario 6: resident memory of a follower member and of the leader-hosting member, against
 * the same worker program doing the same work without Baton, i.e. opening the database itself
 * with better-sqlite3 (that is what the program would do without Baton, so the difference is
 * what Baton costs). A bare process of the same program (no store, no SQLite loaded) is
 * measured too, as the floor of the runtime. Followers come in three kinds: the heir (the
 * candidate the leader named to take over next, which keeps a standby engine thread booted),
 * any other candidate (the typical follower: "follower" below), one opened with
 * `candidate: false`, and a candidate follower with `reads: 'local'` (its own read-only
 * connection, its statement cache and SQLite's page cache, after serving its reads itself).
 *
 * Each database process runs the same fixed workload (writes, then point reads, one in
 * flight), idles briefly so buffers can be released, and then reports `process.memoryUsage()`.
 */
import * as path from 'node:path';
import { createDatabase } from '../database';
import { WorkerSet, type WorkerProcess } from '../processes';
import type { Workspace } from '../workspace';
import { SEED_ROWS } from '../workload';

/** One round's RSS figures, in MB (2^20 bytes). */
export interface MemoryRound {
  round: number;
  /** A candidate follower that is not the heir: what most members of a fleet are. */
  followerRssMb: number;
  /** The heir: a candidate follower keeping a standby engine thread. */
  heirRssMb: number;
  /** A follower opened with `candidate: false` (it never hosts the leader, so it keeps no standby engine). */
  nonCandidateRssMb: number;
  /** A candidate follower with `reads: 'local'`. */
  localFollowerRssMb: number;
  leaderRssMb: number;
  /** The same program using better-sqlite3 directly. */
  directRssMb: number;
  /** The same program with neither Baton nor SQLite loaded. */
  bareRssMb: number;
}

/** Writes and reads each database process performs before it is measured. */
export const MEMORY_WORKLOAD = { writes: 500, reads: 2_000 };
/** Durability does not change what a process holds in memory; NORMAL keeps the workload short. */
const SYNC = 'normal';
const SETTLE_MS = 500;
const MB = 1024 * 1024;

/** Measures one round. */
export async function measureMemory(round: number, workspace: Workspace): Promise<MemoryRound> {
  const dir = workspace.runDir(`memory-r${round}`);
  const batonDb = path.join(dir, 'baton.db');
  const directDb = path.join(dir, 'direct.db');
  createDatabase(batonDb, SEED_ROWS);
  createDatabase(directDb, SEED_ROWS);
  workspace.trackBatonSocket(batonDb);
  const workers = new WorkerSet();
  try {
    const others = Promise.all([
      workers.start(
        { kind: 'load', system: 'direct', path: directDb, sync: SYNC, index: 2, seedRows: SEED_ROWS },
        'direct program',
      ),
      workers.start({ kind: 'idle' }, 'bare program'),
    ]);
    others.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled" meanwhile
    // One after the other, so the first hosts the leader and the second forwards.
    const leader = await workers.start(
      { kind: 'load', system: 'baton', path: batonDb, sync: SYNC, index: 0, seedRows: SEED_ROWS },
      'baton leader member',
    );
    // The first candidate to join is named heir; the second is an ordinary follower.
    const heir = await workers.start(
      { kind: 'load', system: 'baton', path: batonDb, sync: SYNC, index: 4, seedRows: SEED_ROWS },
      'baton heir',
    );
    const follower = await workers.start(
      { kind: 'load', system: 'baton', path: batonDb, sync: SYNC, index: 1, seedRows: SEED_ROWS },
      'baton follower',
    );
    const passenger = await workers.start(
      { kind: 'load', system: 'baton', path: batonDb, sync: SYNC, index: 3, seedRows: SEED_ROWS, candidate: false },
      'baton non-candidate follower',
    );
    const localReader = await workers.start(
      { kind: 'load', system: 'baton-local', path: batonDb, sync: SYNC, index: 5, seedRows: SEED_ROWS },
      'baton follower reading locally',
    );
    if (
      leader.role !== 'leader' ||
      heir.role !== 'follower' ||
      follower.role !== 'follower' ||
      passenger.role !== 'follower' ||
      localReader.role !== 'follower'
    ) {
      throw new Error(
        `expected a leader and four followers, got ${leader.role}, ${heir.role}, ${follower.role}, ${passenger.role} and ${localReader.role}`,
      );
    }
    const [direct, bare] = await others;
    const working = [leader, heir, follower, passenger, localReader, direct];
    for (const worker of working) worker.send({ t: 'workload', ...MEMORY_WORKLOAD });
    await Promise.all(working.map((worker) => worker.next('done', 120_000)));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const rss = async (worker: WorkerProcess): Promise<number> => {
      worker.send({ t: 'memory' });
      return (await worker.next('memory', 10_000)).rss / MB;
    };
    const [leaderRssMb, heirRssMb, followerRssMb, nonCandidateRssMb, localFollowerRssMb, directRssMb, bareRssMb] =
      await Promise.all([leader, heir, follower, passenger, localReader, direct, bare].map(rss));
    return {
      round,
      leaderRssMb: leaderRssMb!,
      heirRssMb: heirRssMb!,
      followerRssMb: followerRssMb!,
      nonCandidateRssMb: nonCandidateRssMb!,
      localFollowerRssMb: localFollowerRssMb!,
      directRssMb: directRssMb!,
      bareRssMb: bareRssMb!,
    };
  } finally {
    await workers.killAll();
    workspace.removeRun(dir);
  }
}
