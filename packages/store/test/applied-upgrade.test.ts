/**
 * The compact exactly-once record and the upgrade from the shape protocol version 2 wrote. The
 * old database is made as a version 2 leader made it: its DDL (recorded below as it shipped),
 * its epoch, an application row and that write's record, the outcome packed whole. A leader of
 * the current version takes the file over and must answer the re-sent request from that record
 * without applying it again, then record new writes in the compact form.
 */
import Database from 'better-sqlite3';
import { packValue } from '../src/protocol/framing';
import { EngineFixture, insertJob, RECORD_TEST_TABLE } from './engine-fixture';

/** Baton's tables as a leader of protocol version 2 created them. */
const VERSION_2_SCHEMA = `
CREATE TABLE IF NOT EXISTS _baton_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _baton_applied (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, result BLOB,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
DROP INDEX IF EXISTS _baton_applied_at;
CREATE TABLE IF NOT EXISTS _baton_migrations (version INTEGER PRIMARY KEY, sql TEXT NOT NULL, applied_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _baton_epochs (
  epoch INTEGER PRIMARY KEY, pid INTEGER NOT NULL, name TEXT NOT NULL, started_at INTEGER NOT NULL,
  previous_pid INTEGER, takeover_ms INTEGER);
`;

let fixture: EngineFixture;

beforeEach(() => {
  fixture = new EngineFixture('applied-upgrade');
});

afterEach(() => fixture.cleanUp());

function rows(): string[] {
  return fixture.read((db) => db.prepare('SELECT id FROM t ORDER BY rowid').pluck().all() as string[]);
}

interface RecordRow {
  seq: number;
  rows_affected: number | null;
  last_rowid: number | null;
  result: Buffer | null;
}

function records(): RecordRow[] {
  return fixture.read(
    (db) =>
      db.prepare('SELECT seq, rows_affected, last_rowid, result FROM _baton_applied ORDER BY seq').all() as RecordRow[],
  );
}

/** Writes the file a version 2 leader (epoch 1) left after applying request 7 of client-a. */
function writeVersion2Database(): { outcome: unknown } {
  const db = new Database(fixture.file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(VERSION_2_SCHEMA);
    db.prepare(`INSERT INTO _baton_meta (key, value) VALUES ('epoch', 1)`).run();
    db.prepare(`INSERT INTO _baton_epochs (epoch, pid, name, started_at) VALUES (1, 1, 'old', 0)`).run();
    db.exec(RECORD_TEST_TABLE.sql);
    db.prepare('INSERT INTO _baton_migrations (version, sql, applied_at) VALUES (?, ?, 0)').run(
      RECORD_TEST_TABLE.version,
      RECORD_TEST_TABLE.sql,
    );
    const applied = db.prepare(`INSERT INTO t (id) VALUES ('w7')`).run();
    const outcome = {
      ok: {
        columns: [],
        columnTypes: [],
        rows: [],
        rowsAffected: applied.changes,
        lastInsertRowid: BigInt(applied.lastInsertRowid),
      },
    };
    db.prepare('INSERT INTO _baton_applied (client_id, seq, at, result) VALUES (?, ?, ?, ?)').run(
      'client-a',
      7,
      Date.now(),
      packValue(outcome),
    );
    return { outcome };
  } finally {
    db.close();
  }
}

test('a leader of this version takes over a version 2 file: a request recorded in the old shape is answered once, new ones are recorded compact', () => {
  const { outcome } = writeVersion2Database();
  const engine = fixture.openWithTestTable('new');
  expect(engine.epoch).toBe(2);
  const [again, next] = engine.runGroup([insertJob(7, { retry: true }), insertJob(8)]);
  expect(again).toEqual(outcome);
  expect(next).toEqual({ ok: { columns: [], columnTypes: [], rows: [], rowsAffected: 1, lastInsertRowid: 2n } });
  expect(rows()).toEqual(['w7', 'w8']);
  expect(records()).toEqual([
    { seq: 7, rows_affected: null, last_rowid: null, result: expect.any(Buffer) },
    { seq: 8, rows_affected: 1, last_rowid: 2, result: null },
  ]);
  const columns = fixture.read((db) =>
    db.prepare(`SELECT name FROM pragma_table_info('_baton_applied')`).pluck().all(),
  );
  expect(columns).toEqual(['client_id', 'seq', 'at', 'rows_affected', 'last_rowid', 'result']);
});

test('each form of the record answers its re-send as the first answer was, after a takeover', () => {
  const first = fixture.openWithTestTable('first');
  const [plain, withRows] = first.runGroup([insertJob(1), insertJob(2, { returning: true })]);
  const [nil] = first.runGroup([{ clientId: 'client-a', seq: 3, retry: false, work: { k: 'notify' } }]);
  first.beginWrite();
  first.txExecute({ sql: `INSERT INTO t (id) VALUES ('tx')` });
  first.commitWrite('client-a', 4);
  first.close();
  expect(records().map((r) => [r.seq, r.rows_affected !== null, r.result !== null])).toEqual([
    [1, true, false],
    [2, false, true],
    [3, false, false],
    [4, false, false],
  ]);
  const second = fixture.openWithTestTable('second');
  const answers = second.runGroup([
    insertJob(1, { retry: true }),
    insertJob(2, { retry: true, returning: true }),
    { ...insertJob(3, { retry: true }), work: { k: 'notify' } },
  ]);
  expect(answers).toEqual([plain, withRows, nil]);
  expect(nil).toEqual({ ok: null });
  expect(withRows).toEqual({ ok: expect.objectContaining({ rows: [['w2']] }) });
  expect(second.wasApplied('client-a', 4)).toBe(true);
  expect(rows()).toEqual(['w1', 'w2', 'tx']);
});
