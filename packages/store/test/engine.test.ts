/**
 * The leader engine on its own (no sockets): group commit isolation, exactly-once answers
 * from the applied-requests table, and fencing of a superseded engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { LeaderEngine, WriteJob } from '../src/leader/engine';
import { EngineFixture } from './engine-fixture';

let fixture: EngineFixture;
let dir: string;
let file: string;

function open(name: string): LeaderEngine {
  return fixture.open(name);
}

function insert(seq: number, id: string, retry = false): WriteJob {
  return {
    clientId: 'client-a',
    seq,
    retry,
    work: { k: 'execute', stmt: { sql: 'INSERT INTO t (id) VALUES (?)', args: [id] } },
  };
}

function ids(): string[] {
  return fixture.read((db) => (db.prepare('SELECT id FROM t ORDER BY id').all() as { id: string }[]).map((r) => r.id));
}

beforeEach(() => {
  fixture = new EngineFixture('engine');
  ({ dir, file } = fixture);
});

afterEach(() => fixture.cleanUp());

test('each leader takes the next epoch as its first commit', () => {
  const first = open('first');
  expect(first.epoch).toBe(1);
  first.close();
  expect(open('second').epoch).toBe(2);
});

test('in a group commit a failing write fails alone', () => {
  const engine = open('leader');
  engine.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  const outcomes = engine.runGroup([insert(1, 'a'), insert(2, 'a'), insert(3, 'b')]);
  expect(outcomes).toEqual([
    { ok: expect.objectContaining({ rowsAffected: 1 }) },
    {
      err: expect.objectContaining({
        code: 'SQLITE_CONSTRAINT',
        extendedCode: 'SQLITE_CONSTRAINT_PRIMARYKEY',
        rawCode: 1555,
      }),
    },
    { ok: expect.objectContaining({ rowsAffected: 1 }) },
  ]);
  expect(ids()).toEqual(['a', 'b']);
});

test('a write re-sent after a failover is answered from the applied-requests table, not applied again', () => {
  const first = open('first');
  first.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  const [original] = first.runGroup([insert(1, 'once')]);
  first.close();
  const second = open('second');
  const [retried] = second.runGroup([insert(1, 'once', true)]);
  expect(retried).toEqual(original);
  expect(ids()).toEqual(['once']);
});

test('a re-sent write the old leader never committed is applied by the new one', () => {
  const engine = open('leader');
  engine.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  const [outcome] = engine.runGroup([insert(5, 'late', true)]);
  expect(outcome).toMatchObject({ ok: { rowsAffected: 1 } });
  expect(ids()).toEqual(['late']);
});

test('a superseded engine is fenced: its group commit throws and commits nothing', () => {
  const stale = open('stale');
  stale.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  // A second engine on the same file, as when a lease (lockfile mode) is taken over.
  const current = open('current');
  expect(current.epoch).toBe(stale.epoch + 1);
  expect(() => stale.runGroup([insert(1, 'from-stale')])).toThrow(expect.objectContaining({ code: 'FENCED' }));
  expect(() => stale.migrate([{ version: 2, sql: 'CREATE TABLE u (x)' }])).toThrow(
    expect.objectContaining({ code: 'FENCED' }),
  );
  current.runGroup([insert(1, 'from-current')]);
  expect(ids()).toEqual(['from-current']);
});

test('an engine whose file was replaced is fenced and moves the lost -wal and -shm aside on close', () => {
  const engine = open('leader');
  engine.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  engine.runGroup([insert(1, 'old')]);
  const fresh = path.join(dir, 'fresh.db');
  new Database(fresh).close();
  fs.renameSync(fresh, file);
  expect(() => engine.runGroup([insert(2, 'after-replace')])).toThrow(
    expect.objectContaining({ code: 'FENCED', message: expect.stringMatching(/replaced/) }),
  );
  const moved = engine.close();
  expect(moved.map((p) => path.basename(p))).toEqual([
    expect.stringMatching(/^engine\.db-wal\.lost-/),
    expect.stringMatching(/^engine\.db-shm\.lost-/),
  ]);
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
});

test('migrations apply once per version and a conflicting one is refused', () => {
  const engine = open('leader');
  const v1 = { version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' };
  expect(engine.migrate([v1])).toBe(1);
  expect(engine.migrate([v1, { version: 2, sql: 'CREATE TABLE u (x)' }])).toBe(2);
  expect(() => engine.migrate([{ version: 2, sql: 'CREATE TABLE other (y)' }])).toThrow(
    expect.objectContaining({ code: 'SCHEMA_CONFLICT' }),
  );
});

test('a job whose statement rolls back the whole group fails alone; the others are committed', () => {
  const engine = open('leader');
  engine.migrate([
    {
      version: 1,
      sql: "CREATE TABLE t (id TEXT PRIMARY KEY); CREATE TRIGGER no_poison BEFORE INSERT ON t WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'poison refused'); END;",
    },
  ]);
  const outcomes = engine.runGroup([insert(1, 'a'), insert(2, 'poison'), insert(3, 'b')]);
  expect(outcomes).toEqual([
    { ok: expect.objectContaining({ rowsAffected: 1 }) },
    { err: expect.objectContaining({ message: expect.stringMatching(/poison refused/) }) },
    { ok: expect.objectContaining({ rowsAffected: 1 }) },
  ]);
  expect(ids()).toEqual(['a', 'b']);
});

test('a write whose result is too large for a frame is refused before it is committed', () => {
  const engine = open('leader');
  engine.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  const big = 'x'.repeat(2 * 1024 * 1024);
  const [outcome] = engine.runGroup([
    {
      clientId: 'c',
      seq: 1,
      retry: false,
      work: { k: 'execute', stmt: { sql: 'INSERT INTO t (id) VALUES (?) RETURNING id', args: [big] } },
    },
  ]);
  expect(outcome).toMatchObject({ err: { code: 'RESULT_TOO_LARGE' } });
  expect(ids()).toEqual([]);
});

test("reset keeps Baton's own tables and drops application tables whose names merely look alike", () => {
  const engine = open('leader');
  engine.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY); CREATE TABLE xbaton_keep (x)' }]);
  engine.runGroup([insert(1, 'gone')]);
  const [outcome] = engine.runGroup([{ clientId: 'c', seq: 9, retry: false, work: { k: 'reset' } }]);
  expect(outcome).toEqual({ ok: null });
  expect(ids()).toEqual([]);
  fixture.read((db) => {
    const names = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '_baton_applied',
        '_baton_epochs',
        '_baton_meta',
        '_baton_migrations',
        't',
        'xbaton_keep',
      ]),
    );
    expect(db.prepare('SELECT count(*) AS n FROM xbaton_keep').get()).toEqual({ n: 0 });
  });
});

test('a script that fails part-way keeps what ran before, in its group, and a re-send gets its recorded error without running it again', () => {
  const first = open('first');
  first.migrate([{ version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' }]);
  const script = (seq: number, retry = false): WriteJob => ({
    clientId: 'client-a',
    seq,
    retry,
    work: {
      k: 'script',
      sql: "INSERT INTO t VALUES ('kept'); BEGIN; INSERT INTO t VALUES ('undone'); INSERT INTO t VALUES ('kept'); COMMIT;",
    },
  });
  const [outcome, other] = first.runGroup([script(1), insert(2, 'neighbour')]);
  expect(outcome).toEqual({ err: expect.objectContaining({ code: 'SQLITE_CONSTRAINT' }) });
  expect(other).toEqual({ ok: expect.objectContaining({ rowsAffected: 1 }) });
  expect(ids()).toEqual(['kept', 'neighbour']);
  first.close();
  const second = open('second');
  second.runGroup([insert(3, 'removed-meanwhile')]);
  const [retried] = second.runGroup([script(1, true)]);
  expect(retried).toEqual(outcome);
  expect(ids()).toEqual(['kept', 'neighbour', 'removed-meanwhile']);
});

test('a migration runs as a group of its own with foreign keys off, and foreign keys are on again after it', () => {
  const engine = open('leader');
  engine.migrate([
    { version: 1, sql: 'CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p(id))' },
  ]);
  const [migrated] = engine.runGroup([
    {
      clientId: 'client-a',
      seq: 1,
      retry: false,
      work: { k: 'migrate', stmts: [{ sql: 'INSERT INTO c VALUES (1)' }] },
    },
  ]);
  expect(migrated).toEqual({ ok: [expect.objectContaining({ rowsAffected: 1 })] });
  const [after] = engine.runGroup([
    { clientId: 'client-a', seq: 2, retry: false, work: { k: 'execute', stmt: { sql: 'INSERT INTO c VALUES (2)' } } },
  ]);
  expect(after).toEqual({ err: expect.objectContaining({ extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' }) });
});
