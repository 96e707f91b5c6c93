/**
 * The epoch history: every leader's first commit takes the next epoch and records itself. An
 * epoch already in the history is refused, never overwritten, so the history cannot hide two
 * leaders of one epoch.
 */
import Database from 'better-sqlite3';
import type { LeaderEngine } from '../src/leader/engine';
import { EngineFixture } from './engine-fixture';

let fixture: EngineFixture;

function open(name: string, pid: number): LeaderEngine {
  return fixture.open(name, pid);
}

function history(): { epoch: number; pid: number; name: string }[] {
  return fixture.read(
    (db) =>
      db.prepare('SELECT epoch, pid, name FROM _baton_epochs ORDER BY epoch').all() as {
        epoch: number;
        pid: number;
        name: string;
      }[],
  );
}

beforeEach(() => {
  fixture = new EngineFixture('epochs');
});

afterEach(() => fixture.cleanUp());

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
  const db = new Database(fixture.file);
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
