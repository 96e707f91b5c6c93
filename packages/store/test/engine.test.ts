/**
 * The leader engine on its own (no sockets): group commit isolation, exactly-once answers
 * from the applied-requests table, and fencing of a superseded engine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LeaderEngine, type WriteJob } from '../src/leader/engine';

let dir: string;
let file: string;
const engines: LeaderEngine[] = [];

function open(name: string): LeaderEngine {
  const engine = LeaderEngine.open({ databasePath: file, synchronous: 'normal', pid: process.pid, name, electionStartedAt: Date.now() });
  engines.push(engine);
  return engine;
}

function insert(seq: number, id: string, retry = false): WriteJob {
  return { clientId: 'client-a', seq, retry, work: { k: 'execute', stmt: { sql: 'INSERT INTO t (id) VALUES (?)', args: [id] } } };
}

function ids(): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM t ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-engine-'));
  file = path.join(dir, 'engine.db');
});

afterEach(() => {
  for (const engine of engines.splice(0)) engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

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
    { err: expect.objectContaining({ code: 'SQLITE_ERROR', sqliteCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' }) },
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
  expect(() => stale.migrate([{ version: 2, sql: 'CREATE TABLE u (x)' }])).toThrow(expect.objectContaining({ code: 'FENCED' }));
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
  expect(() => engine.runGroup([insert(2, 'after-replace')])).toThrow(expect.objectContaining({ code: 'FENCED', message: expect.stringMatching(/replaced/) }));
  const moved = engine.close();
  expect(moved.map((p) => path.basename(p))).toEqual([expect.stringMatching(/^engine\.db-wal\.lost-/), expect.stringMatching(/^engine\.db-shm\.lost-/)]);
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
});

test('migrations apply once per version and a conflicting one is refused', () => {
  const engine = open('leader');
  const v1 = { version: 1, sql: 'CREATE TABLE t (id TEXT PRIMARY KEY)' };
  expect(engine.migrate([v1])).toBe(1);
  expect(engine.migrate([v1, { version: 2, sql: 'CREATE TABLE u (x)' }])).toBe(2);
  expect(() => engine.migrate([{ version: 2, sql: 'CREATE TABLE other (y)' }])).toThrow(expect.objectContaining({ code: 'SCHEMA_CONFLICT' }));
});
