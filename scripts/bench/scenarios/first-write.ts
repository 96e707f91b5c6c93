/**
 * A fresh process's first write: with a fleet of two members running (the leader and its heir),
 * fresh processes start one after the other, each timing `openStore` (joining as a follower),
 * one acknowledged insert and `close` (first-write.ts). What a short-lived program, a CLI that
 * writes one row, waits for.
 */
import * as path from 'node:path';
import { createDatabase } from '../database';
import type { SyncMode } from '../messages';
import { killAll, WorkerProcess } from '../processes';
import { loadAfterRun, loadBeforeRun, type RunLoad } from '../machine-load';
import type { Workspace } from '../workspace';
import { SEED_ROWS } from '../workload';

/** What the scenario measured, per fresh process. */
export interface FirstWriteRun {
  sync: SyncMode;
  /** Loading the store's module (before openStore, not in the total), ms. */
  loadMs: number[];
  /** openStore to the store being open, ms. */
  openMs: number[];
  /** The first insert, ms. */
  writeMs: number[];
  /** close(), ms. */
  closeMs: number[];
  /** openStore to close() resolved, ms. */
  totalMs: number[];
  /** The machine's load before and after the scenario. */
  load: RunLoad | null;
}

const SYNC: SyncMode = 'full';
/** Bounded: a fresh process that has not written after this long has failed. */
const FIRST_WRITE_TIMEOUT_MS = 30_000;

/** Runs `count` fresh processes against a running fleet, calling `progress` after each. */
export async function measureFirstWrite(
  count: number,
  workspace: Workspace,
  progress: (done: number, totalMs: number) => void,
): Promise<FirstWriteRun> {
  const load = await loadBeforeRun();
  const dir = workspace.runDir('first-write');
  const database = path.join(dir, 'bench.db');
  createDatabase(database, SEED_ROWS);
  workspace.trackBatonSocket(database);
  const everyone: WorkerProcess[] = [];
  const run: FirstWriteRun = {
    sync: SYNC,
    loadMs: [],
    openMs: [],
    writeMs: [],
    closeMs: [],
    totalMs: [],
    load: null,
  };
  try {
    // One after the other: the first hosts the leader, the second is named its heir, so a fresh
    // process is neither (as in a running fleet) and boots no engine thread.
    for (const index of [0, 1]) {
      const member = WorkerProcess.spawn(
        { kind: 'load', system: 'baton', path: database, sync: SYNC, index, seedRows: SEED_ROWS },
        `first-write fleet member ${index}`,
      );
      everyone.push(member);
      await member.ready();
    }
    for (let i = 1; i <= count; i++) {
      const fresh = WorkerProcess.spawn(
        { kind: 'first-write', path: database, sync: SYNC, index: 100 + i },
        `first-write process ${i}`,
      );
      everyone.push(fresh);
      const timed = await fresh.next('first-write', FIRST_WRITE_TIMEOUT_MS);
      fresh.kill();
      await fresh.whenExited();
      const total = timed.openMs + timed.writeMs + timed.closeMs;
      run.loadMs.push(timed.loadMs);
      run.openMs.push(timed.openMs);
      run.writeMs.push(timed.writeMs);
      run.closeMs.push(timed.closeMs);
      run.totalMs.push(total);
      progress(i, total);
    }
    run.load = loadAfterRun(load);
    return run;
  } finally {
    await killAll(everyone);
    workspace.removeRun(dir);
  }
}
