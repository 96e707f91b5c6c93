/**
 * The board audit that judges the fleet tests and the demo, fed boards that break what it
 * checks: a lost task, a double claim, a missing or repeated event. Each board is a real one
 * (written through the store), closed, then altered in the file by a direct SQLite connection,
 * as a bug in the fleet would have left it. The audit must name every broken task.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, storePaths } from '@baton/store';
import { auditBoard, Board, KANBAN_MIGRATIONS } from '../src';
import { removeTempDirs, tempDir } from './helpers';

afterEach(() => removeTempDirs());

/** The tasks of the board written by `boardWith`. */
interface Written {
  file: string;
  /** Claimed, worked and completed. */
  done: string[];
  /** Claimed, still running. */
  running: string;
  /** Created, never claimed. */
  ready: string;
}

/** Writes a board through the store: two tasks done, one running, one ready; then closes it. */
async function boardWith(): Promise<Written> {
  const file = path.join(tempDir(), 'kanban.db');
  const store = await openStore({ path: file, name: 'auditor', migrations: KANBAN_MIGRATIONS });
  try {
    const board = new Board(store, 'architect');
    const done: string[] = [];
    for (const title of ['first', 'second']) {
      const { task } = await board.create({ title });
      const claim = await board.claim({ taskId: task.id });
      await board.complete(claim!.run.id, 'ok');
      done.push(task.id);
    }
    const running = (await board.create({ title: 'running' })).task.id;
    await board.claim({ taskId: running });
    const ready = (await board.create({ title: 'ready' })).task.id;
    return { file: storePaths(file).database, done, running, ready };
  } finally {
    await store.close();
  }
}

/** Alters the closed board's file with `change`, then audits it against `acknowledged`. */
function alterAndAudit(
  file: string,
  acknowledged: string[],
  change: (db: Database.Database) => void,
): ReturnType<typeof auditBoard> {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('foreign_keys = OFF'); // a lost task leaves its events behind, as a bug would
    change(db);
    return auditBoard(db, acknowledged);
  } finally {
    db.close();
  }
}

/** Repeats the event of `kind` of task `taskId` (same run, same data), as a later row. */
function repeatEvent(db: Database.Database, taskId: string, kind: string): void {
  const copied = db
    .prepare(
      `INSERT INTO task_events (task_id, kind, actor, run_id, data, at) SELECT task_id, kind, actor, run_id, data, at FROM task_events WHERE task_id = ? AND kind = ? ORDER BY id LIMIT 1`,
    )
    .run(taskId, kind);
  expect(copied.changes).toBe(1);
}

/** Deletes the event of `kind` of task `taskId` (the log is append-only: its guard goes first, as if a bug had bypassed it). */
function deleteEvent(db: Database.Database, taskId: string, kind: string): void {
  db.exec('DROP TRIGGER IF EXISTS task_events_no_delete');
  expect(db.prepare(`DELETE FROM task_events WHERE task_id = ? AND kind = ?`).run(taskId, kind).changes).toBe(1);
}

const CLEAN = { integrity: 'ok', missing: [], createdNotOnce: [], completedMismatch: [], claimedTwice: [] };

test('the untouched board passes: every acknowledged task present, each created once, claimed once, completed once if done', async () => {
  const { file, done, running, ready } = await boardWith();
  const audit = alterAndAudit(file, [...done, running, ready], () => undefined);
  expect(audit).toMatchObject({ ...CLEAN, tasks: 4, byStatus: { done: 2, running: 1, ready: 1 } });
});

test('a lost task: acknowledged but no longer in the file is reported missing', async () => {
  const { file, done, running, ready } = await boardWith();
  const audit = alterAndAudit(file, [...done, running, ready], (db) => {
    expect(db.prepare('DELETE FROM tasks WHERE id = ?').run(ready).changes).toBe(1);
  });
  expect(audit.missing).toEqual([ready]);
  expect(audit.tasks).toBe(3);
});

test('an acknowledged id that was never written is reported missing', async () => {
  const { file, done, running, ready } = await boardWith();
  const audit = alterAndAudit(file, [...done, running, ready, 't_0000dead'], () => undefined);
  expect(audit.missing).toEqual(['t_0000dead']);
});

test('a double claim: a second claim while the first is still open is reported', async () => {
  const { file, running } = await boardWith();
  const audit = alterAndAudit(file, [], (db) => repeatEvent(db, running, 'claimed'));
  expect(audit.claimedTwice).toEqual([running]);
  expect(audit.missing).toEqual([]);
});

test('a double claim: a task completed by two runs is reported, whatever its events say', async () => {
  const { file, done } = await boardWith();
  const audit = alterAndAudit(file, [], (db) => {
    const copied = db
      .prepare(
        `INSERT INTO task_runs (id, task_id, profile, worker_pid, status, started_at, ended_at, outcome)
                SELECT id || '-again', task_id, profile, worker_pid, status, started_at, ended_at, outcome FROM task_runs WHERE task_id = ?`,
      )
      .run(done[1]);
    expect(copied.changes).toBe(1);
  });
  expect(audit.claimedTwice).toEqual([done[1]]);
});

test('a claim after the task was completed, with no new claim in between, is not a double claim', async () => {
  const { file, done } = await boardWith();
  // claimed, completed, claimed: the second claim follows an end, as a redone task's would.
  const audit = alterAndAudit(file, [], (db) => repeatEvent(db, done[0]!, 'claimed'));
  expect(audit.claimedTwice).toEqual([]);
});

test('a missing "created" event, and one written twice, are reported', async () => {
  const { file, done, ready } = await boardWith();
  const audit = alterAndAudit(file, [], (db) => {
    deleteEvent(db, ready, 'created');
    repeatEvent(db, done[0]!, 'created');
  });
  expect(audit.createdNotOnce.sort()).toEqual([done[0]!, ready].sort());
});

test('a done task without its "completed" event, and a completed event on a task not done, are reported', async () => {
  const { file, done, running } = await boardWith();
  const audit = alterAndAudit(file, [], (db) => {
    deleteEvent(db, done[0]!, 'completed');
    db.prepare(`INSERT INTO task_events (task_id, kind, actor, at) VALUES (?, 'completed', 'nobody', 0)`).run(running);
  });
  expect(audit.completedMismatch.sort()).toEqual([done[0]!, running].sort());
});
