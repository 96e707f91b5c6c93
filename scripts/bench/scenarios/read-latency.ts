/**
 * Scenario 4: a forwarded point read (a follower asking the leader-hosting member) against
 * the floor of any forwarding design, a raw Unix socket round trip of the same sizes, and
 * against reading the file directly; and a follower with `reads: 'local'` reading on its own
 * connection beside the leader. One request in flight; the serving process (leader member,
 * echo server) generates no load, but its CPU time counts.
 */
import * as path from 'node:path';
import { createDatabase } from '../database';
import type { RunSpec, SyncMode } from '../messages';
import { WorkerSet, type WorkerProcess } from '../processes';
import { REPLY_BYTES } from '../targets/socket-target';
import { loadAfterRun, loadBeforeRun } from '../machine-load';
import type { Workspace } from '../workspace';
import { SEED_ROWS } from '../workload';
import { combineReports, type SystemRun } from './measurement';
import type { Timing } from './throughput';

/** The systems this scenario compares. */
export type ReadSystem = 'baton' | 'baton-local' | 'direct' | 'socket';

/** The leader's durability setting does not matter to reads; this is the default's. */
export const READ_SYNC: SyncMode = 'full';

/** Measures point reads once on `system`. */
export async function measureReadLatency(
  system: ReadSystem,
  round: number,
  timing: Timing,
  workspace: Workspace,
): Promise<SystemRun> {
  const load = await loadBeforeRun();
  const dir = workspace.runDir(`read-latency-${system}-r${round}`);
  const database = path.join(dir, 'bench.db');
  const workers = new WorkerSet();
  try {
    let server: WorkerProcess | null = null;
    let client: WorkerProcess;
    if (system === 'socket') {
      const socketPath = path.join(dir, 'echo.sock');
      server = await workers.start({ kind: 'echo-server', socketPath, replyBytes: REPLY_BYTES }, 'echo server');
      client = await workers.start(
        { kind: 'load', system: 'socket', path: socketPath, sync: READ_SYNC, index: 1, seedRows: SEED_ROWS },
        'socket client',
      );
    } else {
      createDatabase(database, SEED_ROWS);
      if (system === 'baton' || system === 'baton-local') {
        workspace.trackBatonSocket(database);
        // Started one after the other, so the first hosts the leader and the second forwards
        // (or, reading locally, reads on its own connection).
        server = await workers.start(
          { kind: 'load', system: 'baton', path: database, sync: READ_SYNC, index: 0, seedRows: SEED_ROWS },
          'baton leader member',
        );
        client = await workers.start(
          { kind: 'load', system, path: database, sync: READ_SYNC, index: 1, seedRows: SEED_ROWS },
          'baton follower',
        );
        if (server.role !== 'leader' || client.role !== 'follower')
          throw new Error(`expected a leader and a follower, got ${server.role} and ${client.role}`);
      } else {
        client = await workers.start(
          { kind: 'load', system, path: database, sync: READ_SYNC, index: 1, seedRows: SEED_ROWS },
          'direct reader',
        );
      }
    }
    const spec: RunSpec = {
      inflight: 1,
      readFraction: 1,
      warmupMs: timing.warmupMs,
      durationMs: timing.durationMs,
      sampleStatus: false,
    };
    server?.send({ t: 'run', spec: { ...spec, inflight: 0 } });
    client.send({ t: 'run', spec });
    const timeout = timing.warmupMs + timing.durationMs + 60_000;
    const reports = await Promise.all(
      [client, ...(server === null ? [] : [server])].map(async (p) => (await p.next('report', timeout)).report),
    );
    const run = combineReports(system, round, reports);
    await workers.killAll();
    run.load = loadAfterRun(load);
    return run;
  } finally {
    await workers.killAll();
    workspace.removeRun(dir);
  }
}
