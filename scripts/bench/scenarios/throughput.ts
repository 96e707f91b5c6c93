/**
 * Scenarios 1 to 3: writes with one request in flight, pipelined writes, and the 80/20 mix.
 * One call measures one system once: fresh database, fresh processes, a warmup and a window,
 * then every process is killed and the acknowledged writes are counted in the database. The
 * machine is watched for half a second first (machine-load.ts): a busy start marks the run noisy.
 */
import * as path from 'node:path';
import { countWrittenRows, createDatabase } from '../database';
import type { SyncMode } from '../messages';
import { killAll, WorkerProcess } from '../processes';
import type { Workspace } from '../workspace';
import { SEED_ROWS } from '../workload';
import { loadAfterRun, loadBeforeRun } from '../machine-load';
import { combineReports, errorCount, type SystemRun } from './measurement';

/** The systems a throughput case runs against, in the order of each round. */
export const THROUGHPUT_SYSTEMS = ['baton', 'minimal', 'direct'] as const;
/**
 * One of `THROUGHPUT_SYSTEMS`, or one of the mixed scenario's systems that read locally: Baton
 * members with `reads: 'local'`, and the minimal design's members reading the file themselves.
 */
export type ThroughputSystem = (typeof THROUGHPUT_SYSTEMS)[number] | 'baton-local' | 'minimal-local';

/** The throughput scenarios: writers at FULL and NORMAL, pipelined writers, a read-mostly mix. */
export type ThroughputScenario = 'writes' | 'pipelined' | 'mixed';

/** One configuration, run against both systems. */
export interface ThroughputCase {
  scenario: ThroughputScenario;
  sync: SyncMode;
  members: number;
  inflight: number;
  /** Share of point reads (0 for the write scenarios, 0.8 for the mix). */
  readFraction: number;
  /** Extra milliseconds every fsync/fdatasync takes in this case's processes (see slow-flush.ts). */
  flushMs: number;
}

/** Warmup and window of each run. */
export interface Timing {
  warmupMs: number;
  durationMs: number;
}

/** A short name for progress lines and directories: `writes-full-7x1`, `writes-full-7x1-flush1ms`. */
export function caseLabel(c: ThroughputCase): string {
  return `${c.scenario}-${c.sync}-${c.members}x${c.inflight}${c.flushMs > 0 ? `-flush${c.flushMs}ms` : ''}`;
}

/** The systems a case compares: the mix also runs Baton and the minimal design reading locally. */
function throughputSystems(c: ThroughputCase): ThroughputSystem[] {
  return c.scenario === 'mixed' ? [...THROUGHPUT_SYSTEMS, 'baton-local', 'minimal-local'] : [...THROUGHPUT_SYSTEMS];
}

/**
 * The order the systems of `c` run in round `round` (from 1): rotated by one place each round,
 * so that over as many rounds as systems each one runs once in every place. Always in the same
 * order, Baton ran right after the previous case's direct run and its heaviest writes to disk:
 * whatever a run leaves behind on the machine fell on the same system every round.
 */
export function throughputOrder(c: ThroughputCase, round: number): ThroughputSystem[] {
  const systems = throughputSystems(c);
  const shift = (round - 1) % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

/** Runs `c` once against `system` and returns what it measured. */
export async function measureThroughput(
  c: ThroughputCase,
  system: ThroughputSystem,
  round: number,
  timing: Timing,
  workspace: Workspace,
  env: NodeJS.ProcessEnv,
): Promise<SystemRun> {
  const load = await loadBeforeRun();
  const dir = workspace.runDir(`${caseLabel(c)}-${system}-r${round}`);
  const database = path.join(dir, 'bench.db');
  createDatabase(database, SEED_ROWS);
  if (system === 'baton' || system === 'baton-local') workspace.trackBatonSocket(database);
  const socketPath = path.join(dir, 'minimal.sock');
  // The minimal design's leader is a process of its own, started first; it generates no load,
  // but its CPU time counts.
  const minimal = system === 'minimal' || system === 'minimal-local';
  const leader = minimal
    ? WorkerProcess.spawn({ kind: 'minimal-leader', path: database, socketPath, sync: c.sync }, 'minimal leader', env)
    : null;
  const members: WorkerProcess[] = [];
  try {
    await leader?.ready();
    // All members start at once, as a fleet of gateways does; for Baton the election decides
    // which one hosts the leader (and that member generates load like the others).
    for (let index = 0; index < c.members; index++)
      members.push(
        WorkerProcess.spawn(
          {
            kind: 'load',
            system,
            path: minimal ? socketPath : database,
            ...(system === 'minimal-local' ? { database } : {}),
            sync: c.sync,
            index,
            seedRows: SEED_ROWS,
          },
          `${system} member ${index}`,
          env,
        ),
      );
    await Promise.all(members.map((member) => member.ready()));
    const all = leader === null ? members : [leader, ...members];
    all.forEach((member) =>
      member.send({
        t: 'run',
        spec: {
          inflight: c.inflight,
          readFraction: c.readFraction,
          warmupMs: timing.warmupMs,
          durationMs: timing.durationMs,
          sampleStatus: member === members[0],
        },
      }),
    );
    // Bounded: a direct request may retry SQLITE_BUSY for a long time, but not forever.
    const reportTimeout = timing.warmupMs + timing.durationMs + 120_000;
    const reports = await Promise.all(all.map(async (member) => (await member.next('report', reportTimeout)).report));
    const run = combineReports(system, round, reports);
    await killAll(all);
    run.load = loadAfterRun(load);
    run.rowsFound = countWrittenRows(database);
    // With no failed request every write ended acknowledged, so the counts must match; a
    // failed Baton request may still have committed (TIMEOUT), so then only >= holds.
    run.verified = errorCount(run) === 0 ? run.rowsFound === run.ackedWrites : run.rowsFound >= run.ackedWrites;
    return run;
  } finally {
    await killAll(leader === null ? members : [leader, ...members]);
    workspace.removeRun(dir);
  }
}
