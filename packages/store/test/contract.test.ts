/**
 * The contract suite: the same statements through a member that hosts the leader and through
 * one that forwards to it must give the same results, the same errors and the same value types.
 * Both members live in this process (flock makes the second one a follower).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LibsqlBatchError, LibsqlError, openStore, StoreBatchError, StoreError, type Store } from '../src';

const MIGRATIONS = [
  {
    version: 1,
    sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB, big INTEGER, ratio REAL)',
  },
  { version: 2, sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, item INTEGER REFERENCES items(id), body TEXT)' },
];

let dir: string;
let leader: Store;
let follower: Store;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-contract-'));
  const file = path.join(dir, 'contract.db');
  leader = await openStore({ path: file, name: 'hosting', migrations: MIGRATIONS });
  follower = await openStore({ path: file, name: 'forwarding', migrations: MIGRATIONS });
});

afterAll(async () => {
  await follower?.close();
  await leader?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the first member hosts the leader and the second forwards to it', () => {
  expect(leader.role).toBe('leader');
  expect(follower.role).toBe('follower');
  expect(follower.epoch).toBe(leader.epoch);
});

describe.each([
  ['a member hosting the leader', () => leader],
  ['a forwarding member', () => follower],
])('through %s', (label, member) => {
  const tag = label.startsWith('a member') ? 'h' : 'f';
  const name = (n: string): string => `${tag}-${n}`;

  test('an insert reports rowsAffected and a bigint lastInsertRowid', async () => {
    const result = await member().execute({ sql: 'INSERT INTO items (name) VALUES (?)', args: [name('insert')] });
    expect(result.rowsAffected).toBe(1);
    expect(typeof result.lastInsertRowid).toBe('bigint');
    expect(result.columns).toEqual([]);
    expect(result.rows).toEqual([]);
  });

  test('values round-trip exactly: null, integers, bigints beyond 2^53, doubles, text, blobs', async () => {
    const big = 2n ** 62n + 7n;
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await member().execute('INSERT INTO items (name, data, big, ratio) VALUES (?, ?, ?, ?)', [
      name('values'),
      bytes,
      big,
      0.1 + 0.2,
    ]);
    const { rows, columns } = await member().execute(
      'SELECT name, data, CAST(big AS TEXT) AS big, ratio, NULL AS absent, 42 AS small FROM items WHERE name = ?',
      [name('values')],
    );
    expect(columns).toEqual(['name', 'data', 'big', 'ratio', 'absent', 'small']);
    const row = rows[0]!;
    expect(row.name).toBe(name('values'));
    expect(row.data).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(row.data as ArrayBuffer).equals(bytes)).toBe(true);
    expect(row.big).toBe(String(big));
    expect(row.ratio).toBe(0.1 + 0.2);
    expect(row.absent).toBeNull();
    expect(row.small).toBe(42);
  });

  test('a number binds as REAL and a bigint as INTEGER, as @libsql/client binds them', async () => {
    const { rows } = await member().execute('SELECT typeof(?) AS a, typeof(?) AS b, typeof(?) AS c', [7, 7n, 7.5]);
    expect(rows[0]).toEqual({ a: 'real', b: 'integer', c: 'real' });
  });

  test('named arguments accept :name, @name, $name and bare keys', async () => {
    const { rows } = await member().execute('SELECT :a AS a, @b AS b, $c AS c', { ':a': 1, '@b': 'two', c: null });
    expect(rows[0]).toEqual({ a: 1, b: 'two', c: null });
  });

  test('booleans and Dates are converted like @libsql/client does', async () => {
    const when = new Date('2026-01-02T03:04:05Z');
    const { rows } = await member().execute('SELECT ? AS yes, ? AS no, ? AS at', [true, false, when]);
    expect(rows[0]).toEqual({ yes: 1, no: 0, at: when.valueOf() });
  });

  test("a constraint violation rejects with libsql's code, extendedCode and rawCode", async () => {
    await member().execute('INSERT INTO items (name) VALUES (?)', [name('dup')]);
    const error = await member()
      .execute('INSERT INTO items (name) VALUES (?)', [name('dup')])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(LibsqlError);
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE', rawCode: 2067 });
    expect((error as StoreError).message).toBe('SQLITE_CONSTRAINT: UNIQUE constraint failed: items.name');
  });

  test('a syntax error rejects with SQLITE_ERROR', async () => {
    await expect(member().execute('SELEKT 1')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  test('a foreign key violation is refused (foreign keys are on)', async () => {
    await expect(
      member().execute('INSERT INTO notes (item, body) VALUES (?, ?)', [999_999n, 'orphan']),
    ).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY',
    });
  });

  test("an unbindable argument is refused locally: libsql's TypeError for undefined, INVALID_ARGUMENT for an object", async () => {
    await expect(member().execute('SELECT ?', [undefined as never])).rejects.toThrow(
      new TypeError('undefined cannot be passed as argument to the database'),
    );
    await expect(member().execute('SELECT ?', [{ nested: true } as never])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  test('an invalid Date binds NULL, as in @libsql/client', async () => {
    const { rows } = await member().execute('SELECT typeof(?) AS t', [new Date('not a date')]);
    expect(rows[0]!.t).toBe('null');
  });

  test('a statement that rolls back the whole transaction fails with its own error and ends it, as in libsql: nothing after it autocommits', async () => {
    const tx = await member().transaction('write');
    await tx.execute('INSERT INTO items (name) VALUES (?)', [name('before-raise')]);
    await tx.execute(
      `CREATE TRIGGER "poison-${tag}" BEFORE INSERT ON items WHEN NEW.name = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'refused by a trigger'); END`,
    );
    await expect(tx.execute("INSERT INTO items (name) VALUES ('poison')")).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_TRIGGER',
      message: 'SQLITE_CONSTRAINT: refused by a trigger',
      transactionRolledBack: true,
    });
    expect(tx.closed).toBe(true);
    await expect(tx.execute('INSERT INTO items (name) VALUES (?)', [name('after-raise')])).rejects.toMatchObject({
      code: 'TRANSACTION_CLOSED',
    });
    const { rows } = await member().execute('SELECT count(*) AS n FROM items WHERE name IN (?, ?)', [
      name('before-raise'),
      name('after-raise'),
    ]);
    expect(rows[0]!.n).toBe(0);
    // As an ORM does on error: the rollback does nothing, so the statement's error is what the program sees.
    await expect(tx.rollback()).resolves.toBeUndefined();
  });

  test('a wrong number of arguments is INVALID_ARGUMENT', async () => {
    await expect(member().execute('SELECT ?, ?', [1])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  test.each([
    'BEGIN',
    'COMMIT',
    "ATTACH DATABASE 'x.db' AS x",
    'VACUUM',
    'PRAGMA journal_mode = DELETE',
    'pragma synchronous=OFF',
    '/* hidden */ savepoint s',
  ])('the engine refuses %p with STATEMENT_REFUSED', async (sql) => {
    await expect(member().execute(sql)).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
  });

  test('a request above the frame limit is refused locally with INVALID_ARGUMENT', async () => {
    const huge = 'x'.repeat(17 * 1024 * 1024);
    await expect(member().execute('SELECT length(?) AS n', [huge])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const { rows } = await member().execute('SELECT 1 AS still');
    expect(rows).toEqual([{ still: 1 }]);
  });

  test('a result above the frame limit is answered with RESULT_TOO_LARGE, and the member stays connected', async () => {
    await expect(member().execute('SELECT zeroblob(17 * 1024 * 1024) AS big')).rejects.toMatchObject({
      code: 'RESULT_TOO_LARGE',
    });
    const { rows } = await member().execute('SELECT 1 AS still');
    expect(rows).toEqual([{ still: 1 }]);
  });

  test('reading an engine pragma is allowed', async () => {
    const { rows } = await member().execute('PRAGMA journal_mode');
    expect(rows[0]).toEqual({ journal_mode: 'wal' });
  });

  test('a batch is atomic: one failing statement leaves no trace of the others, and the error names it', async () => {
    const error = await member()
      .batch([
        { sql: 'INSERT INTO items (name) VALUES (?)', args: [name('batch-a')] },
        { sql: 'INSERT INTO items (name) VALUES (?)', args: [name('batch-a')] },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreBatchError);
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      statementIndex: 1,
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    const { rows } = await member().execute('SELECT count(*) AS n FROM items WHERE name = ?', [name('batch-a')]);
    expect(rows[0]!.n).toBe(0);
  });

  test('a batch returns one result per statement, RETURNING rows included', async () => {
    const results = await member().batch([
      { sql: 'INSERT INTO items (name) VALUES (?) RETURNING name', args: [name('batch-b')] },
      { sql: 'SELECT count(*) AS n FROM items WHERE name = ?', args: [name('batch-b')] },
    ]);
    expect(results).toHaveLength(2);
    expect(results[0]!.rows).toEqual([{ name: name('batch-b') }]);
    expect(results[0]!.rowsAffected).toBe(1);
    expect(results[1]!.rows).toEqual([{ n: 1 }]);
  });

  test('a read batch is a snapshot and never writes', async () => {
    const [a, b] = await member().batch(['SELECT 1 AS one', 'SELECT 2 AS two'], 'read');
    expect(a!.rows).toEqual([{ one: 1 }]);
    expect(b!.rows).toEqual([{ two: 2 }]);
    await expect(
      member().batch([{ sql: 'INSERT INTO items (name) VALUES (?)', args: [name('ro')] }], 'read'),
    ).rejects.toMatchObject({ code: 'SQLITE_READONLY', statementIndex: 0 });
  });

  test('an interactive transaction commits all its statements', async () => {
    const tx = await member().transaction('write');
    await tx.execute('INSERT INTO items (name) VALUES (?)', [name('tx-1')]);
    await tx.batch([{ sql: 'INSERT INTO items (name) VALUES (?)', args: [name('tx-2')] }]);
    const inside = await tx.execute('SELECT count(*) AS n FROM items WHERE name IN (?, ?)', [
      name('tx-1'),
      name('tx-2'),
    ]);
    expect(inside.rows[0]!.n).toBe(2);
    await tx.commit();
    expect(tx.closed).toBe(true);
    const after = await member().execute('SELECT count(*) AS n FROM items WHERE name IN (?, ?)', [
      name('tx-1'),
      name('tx-2'),
    ]);
    expect(after.rows[0]!.n).toBe(2);
  });

  test('an open transaction is invisible to other reads, which do not wait for it', async () => {
    const tx = await member().transaction('write');
    await tx.execute('INSERT INTO items (name) VALUES (?)', [name('hidden')]);
    const outside = await leader.execute('SELECT count(*) AS n FROM items WHERE name = ?', [name('hidden')]);
    expect(outside.rows[0]!.n).toBe(0);
    await tx.rollback();
    const after = await follower.execute('SELECT count(*) AS n FROM items WHERE name = ?', [name('hidden')]);
    expect(after.rows[0]!.n).toBe(0);
  });

  test('writes from other members queue behind an open transaction and then proceed', async () => {
    const tx = await member().transaction('write');
    const other = member() === leader ? follower : leader;
    let queuedDone = false;
    const queued = other
      .execute('INSERT INTO items (name) VALUES (?)', [name('queued')])
      .then(() => (queuedDone = true));
    await tx.execute('INSERT INTO items (name) VALUES (?)', [name('holder')]);
    expect(queuedDone).toBe(false);
    await tx.commit();
    await queued;
    const { rows } = await member().execute('SELECT count(*) AS n FROM items WHERE name IN (?, ?)', [
      name('queued'),
      name('holder'),
    ]);
    expect(rows[0]!.n).toBe(2);
  });

  test('a finished transaction refuses further use with TRANSACTION_CLOSED', async () => {
    const tx = await member().transaction('write');
    await tx.rollback();
    await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
  });

  test('a read transaction sees one snapshot even while others commit', async () => {
    const tx = await member().transaction('read');
    const before = await tx.execute('SELECT count(*) AS n FROM items');
    await leader.execute('INSERT INTO items (name) VALUES (?)', [name('during-snapshot')]);
    const during = await tx.execute('SELECT count(*) AS n FROM items');
    expect(during.rows[0]!.n).toBe(before.rows[0]!.n);
    await tx.commit();
  });

  test('notify reaches every member after the commit', async () => {
    const channel = name('channel');
    const seenBy = (store: Store) =>
      new Promise<unknown>((resolve) => {
        const listener = (event: { channel: string; payload: unknown }) => {
          if (event.channel !== channel) return;
          store.off('notify', listener);
          resolve(event.payload);
        };
        store.on('notify', listener);
      });
    const both = Promise.all([seenBy(leader), seenBy(follower)]);
    await member().notify(channel, { task: 't_1', n: 2 });
    expect(await both).toEqual([
      { task: 't_1', n: 2 },
      { task: 't_1', n: 2 },
    ]);
  });

  test('status reports the leader, both members and the schema version', async () => {
    const status = await member().status();
    expect(status.leader.pid).toBe(process.pid);
    expect(status.leader.epoch).toBe(leader.epoch);
    expect(status.leader.schemaVersion).toBe(2);
    expect(status.members.map((m) => m.name).sort()).toEqual(['forwarding', 'hosting']);
    expect(status.counters.commits).toBeGreaterThan(0);
    expect(status.failovers[0]!.epoch).toBe(leader.epoch);
  });
});

test('an interactive transaction left open is rolled back after its timeout', async () => {
  const file = path.join(dir, 'contract.db');
  const impatient = await openStore({
    path: file,
    name: 'impatient',
    transactionTimeoutMs: 200,
    migrations: MIGRATIONS,
  });
  try {
    const tx = await impatient.transaction('write');
    await tx.execute('INSERT INTO items (name) VALUES (?)', ['timed-out']);
    // Another member's write can only complete once the leader has rolled the transaction back.
    await leader.execute('INSERT INTO items (name) VALUES (?)', ['after-timeout']);
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_ABORTED' });
    const { rows } = await leader.execute("SELECT count(*) AS n FROM items WHERE name = 'timed-out'");
    expect(rows[0]!.n).toBe(0);
  } finally {
    await impatient.close();
  }
});

test('a member whose migration disagrees with the database is refused with SCHEMA_CONFLICT', async () => {
  const file = path.join(dir, 'contract.db');
  await expect(
    openStore({ path: file, name: 'conflicting', migrations: [{ version: 1, sql: 'CREATE TABLE other (x)' }] }),
  ).rejects.toMatchObject({
    code: 'SCHEMA_CONFLICT',
  });
});

test('a newer member brings its migration to an older leader (rolling upgrade)', async () => {
  const file = path.join(dir, 'contract.db');
  const newer = await openStore({
    path: file,
    name: 'newer',
    migrations: [...MIGRATIONS, { version: 3, sql: 'CREATE TABLE tags (tag TEXT)' }],
  });
  try {
    await newer.execute("INSERT INTO tags VALUES ('v3')");
    expect((await leader.status()).leader.schemaVersion).toBe(3);
  } finally {
    await newer.close();
  }
});

test('reset drops application data and replays the migrations, keeping the file', async () => {
  const file = path.join(dir, 'contract.db');
  const inode = fs.statSync(file).ino;
  await leader.execute('INSERT INTO items (name) VALUES (?)', ['before-reset']);
  await follower.reset();
  const { rows } = await leader.execute('SELECT count(*) AS n FROM items');
  expect(rows[0]!.n).toBe(0);
  await leader.execute('INSERT INTO tags VALUES (?)', ['tags table recreated by migration 3']);
  expect(fs.statSync(file).ino).toBe(inode);
});

test('backup writes a consistent copy that a plain SQLite connection can read', async () => {
  const dest = path.join(dir, 'copy.db');
  await leader.execute('INSERT INTO items (name) VALUES (?)', ['in-backup']);
  const result = await follower.backup(dest);
  expect(result.bytes).toBeGreaterThan(0);
  const Database = (await import('better-sqlite3')).default;
  const copy = new Database(dest, { readonly: true });
  try {
    expect(copy.prepare("SELECT count(*) AS n FROM items WHERE name = 'in-backup'").get()).toEqual({ n: 1 });
  } finally {
    copy.close();
  }
});
