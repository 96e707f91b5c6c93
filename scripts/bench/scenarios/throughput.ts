/**
 * Scenarios 1 to 3: writes with one request in flight, pipelined writes, and the 80/20 mix.
 * One call measures one system once: fresh database, fresh processes, a warmup and a window,
 * then every process is killed and the acknowledged writes are counted in the database.
 */
import * as path from 'node:path';
import { countWrittenRows, createDatabase } from '../database';
import type { SyncMode } from '../messages';
import { killAll, WorkerProcess } from '../processes';
import type { Workspace } from '../workspace';
import { SEED_ROWS } from '../workload';
import { combineReports, errorCount, type SystemRun } from './measurement';

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

/** The systems a case compares: the mix also runs Baton members that read locally. */
export function throughputSystems(c: ThroughputCase): ThroughputSystem[] {
  return c.scenario === 'mixed' ? ['baton', 'baton-local', 'direct'] : ['baton', 'direct'];
}

/** A system the throughput scenarios run. */
export type ThroughputSystem = 'baton' | 'baton-local' | 'direct';

/** Runs `c` once against `system` and returns what it measured. */
export async function measureThroughput(
  c: ThroughputCase,
  system: ThroughputSystem,
  round: number,
  timing: Timing,
  workspace: Workspace,
  env: NodeJS.ProcessEnv,
): Promise<SystemRun> {
  const dir = workspace.runDir(`${caseLabel(c)}-${system}-r${round}`);
  const database = path.join(dir, 'bench.db');
  createDatabase(database, SEED_ROWS);
  if (system !== 'direct') workspace.trackBatonSocket(database);
  // All members start at once, as a fleet of gateways does; for Baton the election decides
  // which one hosts the leader (and that member generates load like the others).
  const members = Array.from({ length: c.members }, (_, index) =>
    WorkerProcess.spawn(
      { kind: 'load', system, path: database, sync: c.sync, index, seedRows: SEED_ROWS },
      `${system} member ${index}`,
      env,
    ),
  );
  try {
    await Promise.all(members.map((member) => member.ready()));
    members.forEach((member, index) =>
      member.send({
        t: 'run',
        spec: {
          inflight: c.inflight,
          readFraction: c.readFraction,
          warmupMs: timing.warmupMs,
          durationMs: timing.durationMs,
          sampleStatus: index === 0,
        },
      }),
    );
    // Bounded: a direct request may retry SQLITE_BUSY for a long time, but not forever.
    const reportTimeout = timing.warmupMs + timing.durationMs + 120_000;
    const reports = await Promise.all(
      members.map(async (member) => (await member.next('report', reportTimeout)).report),
    );
    const run = combineReports(system, round, reports);
    await killAll(members);
    run.rowsFound = countWrittenRows(database);
    // With no failed request every write ended acknowledged, so the counts must match; a
    // failed Baton request may still have committed (TIMEOUT), so then only >= holds.
    run.verified = errorCount(run) === 0 ? run.rowsFound === run.ackedWrites : run.rowsFound >= run.ackedWrites;
    return run;
  } finally {
    await killAll(members);
    workspace.removeRun(dir);
  }
}
