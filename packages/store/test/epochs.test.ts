/**
 * The epoch history: every leader's first commit takes the next epoch and records itself. An
 * epoch already in the history is refused, never overwritten, so the history cannot hide two
 * leaders of one epoch.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LeaderEngine } from '../src/leader/engine';

let dir: string;
let file: string;
const engines: LeaderEngine[] = [];

function open(name: string, pid: number): LeaderEngine {
  const engine = LeaderEngine.open({
    databasePath: file,
    synchronous: 'normal',
    pid,
    name,
    electionStartedAt: Date.now(),
    maxResultBytes: 1024 * 1024,
  });
  engines.push(engine);
  return engine;
}

function history(): { epoch: number; pid: number; name: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT epoch, pid, name FROM _baton_epochs ORDER BY epoch').all() as {
      epoch: number;
      pid: number;
      name: string;
    }[];
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-epochs-'));
  file = path.join(dir, 'epochs.db');
});

afterEach(() => {
  for (const engine of engines.splice(0)) engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('each leader records the next epoch, naming its predecessor', () => {
  open('first', 101).close();
  open('second', 102).close();
  expect(history()).toEqual([
    { epoch: 1, pid: 101, name: 'first' },
    { epoch: 2, pid: 102, name: 'second' },
  ]);
});

test('a leader whose next epoch is already in the history is refused and the recorded leader is kept', () => {
  open('first', 101).close();
  // Another leader already recorded epoch 2 while the counter still says 1 (two leaders counting
  // from the same value): the next leader would take epoch 2 again.
  const db = new Database(file);
  db.prepare(
    `INSERT INTO _baton_epochs (epoch, pid, name, started_at, previous_pid, takeover_ms) VALUES (2, 202, 'other', ?, 101, 0)`,
  ).run(Date.now());
  db.close();
  expect(() => open('second', 102)).toThrow(/UNIQUE constraint failed: _baton_epochs\.epoch|PRIMARY KEY/);
  expect(history()).toEqual([
    { epoch: 1, pid: 101, name: 'first' },
    { epoch: 2, pid: 202, name: 'other' },
  ]);
});
