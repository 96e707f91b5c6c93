import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { LocalReader, networkFileSystem } from '../src/member/local-reader';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-local-reader-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A WAL database with one row, held open by a writer as a leader would hold it. */
function leaderDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('one')");
  return db;
}

function fileOf(file: string): { dev: number; ino: number } {
  const stat = fs.statSync(file);
  return { dev: stat.dev, ino: stat.ino };
}

test('network file systems are named by their statfs type; local ones are not', () => {
  expect(networkFileSystem(0x6969)).toBe('NFS');
  expect(networkFileSystem(0xff534d42)).toBe('CIFS');
  expect(networkFileSystem(0xef53)).toBeUndefined(); // ext4
  expect(networkFileSystem(0x01021994)).toBeUndefined(); // tmpfs
});

test('reads only once a leader named its file, only read-only statements, and only while the path names that file', () => {
  const file = path.join(dir, 'db.sqlite');
  const writer = leaderDatabase(file);
  const reader = new LocalReader(file);
  const select = { sql: 'SELECT x FROM t' };
  try {
    expect(reader.read(select)).toBeNull(); // no leader yet
    reader.leaderOpened(fileOf(file));
    expect(reader.read(select)?.rows).toEqual([['one']]);
    expect(reader.read({ sql: "INSERT INTO t VALUES ('two')" })).toBeNull();
    expect(reader.read({ sql: 'ATTACH DATABASE ? AS other', args: ['/tmp/other.db'] })).toBeNull(); // the guard's
    expect(reader.read({ sql: 'SELEC nonsense' })).toBeNull(); // the leader reports the error
    // A read of a table that does not exist yet goes to the leader, and is read here once it does.
    expect(reader.read({ sql: 'SELECT y FROM later' })).toBeNull();
    writer.exec('CREATE TABLE later (y)');
    expect(reader.read({ sql: 'SELECT y FROM later' })?.rows).toEqual([]);
    expect(reader.readsServed).toBe(2);

    // Replaced under the reader: the path names another file than the leader's, so it forwards.
    const replacement = path.join(dir, 'new.sqlite');
    leaderDatabase(replacement).close();
    fs.renameSync(replacement, file);
    expect(reader.read(select)).toBeNull();
    // The next leader names the new file: read there, on a connection opened anew.
    reader.leaderOpened(fileOf(file));
    expect(reader.read(select)?.rows).toEqual([['one']]);
    expect(reader.readsServed).toBe(3);
  } finally {
    reader.close();
    writer.close();
  }
});

/** How many descriptors this process holds on `file`. */
function descriptorsOn(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(path.join('/proc/self/fd', fd)) === file;
    } catch {
      return false; // the directory's own descriptor, gone once listed
    }
  }).length;
}

test('releaseBeforeStepDown closes the connection, so SQLite closes the descriptors a closed writer of this process left open', () => {
  const file = path.join(dir, 'db.sqlite');
  const writer = leaderDatabase(file);
  const reader = new LocalReader(file);
  try {
    reader.leaderOpened(fileOf(file));
    expect(reader.read({ sql: 'SELECT x FROM t' })?.rows).toEqual([['one']]);
    // An engine of this process steps down: while the reader holds its lock, SQLite keeps the
    // writer's descriptor open.
    writer.close();
    expect(descriptorsOn(file)).toBe(2);
    reader.releaseBeforeStepDown();
    expect(descriptorsOn(file)).toBe(0);
    // Reads go on, on a connection opened anew.
    expect(reader.read({ sql: 'SELECT x FROM t' })?.rows).toEqual([['one']]);
    expect(descriptorsOn(file)).toBe(1);
  } finally {
    reader.close();
  }
});

test('a SQLite failure of a local read is the StoreError the leader would answer', () => {
  const file = path.join(dir, 'db.sqlite');
  const writer = leaderDatabase(file);
  const reader = new LocalReader(file);
  try {
    reader.leaderOpened(fileOf(file));
    expect(() => reader.read({ sql: 'SELECT x FROM t WHERE x = ?', args: [] })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('Too few parameter values'),
      }),
    );
    expect(() => reader.read({ sql: 'SELECT abs(-9223372036854775808)' })).toThrow(
      expect.objectContaining({ code: 'SQLITE_ERROR', message: 'SQLITE_ERROR: integer overflow' }),
    );
  } finally {
    reader.close();
    writer.close();
  }
});
