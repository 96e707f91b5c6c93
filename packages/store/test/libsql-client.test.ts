/**
 * createClient behaves as @libsql/client's file: client: rows, result sets, intMode, value
 * binding, errors, transactions, savepoints, executeMultiple and migrate, each through a client
 * that hosts the leader and one that forwards to it (the wire must keep every value's type).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createClient,
  LibsqlBatchError,
  LibsqlError,
  StoreBatchError,
  StoreError,
  type IntMode,
  type Store,
} from '../src';

let dir: string;
let file: string;
let hosting: Store;
let forwarding: Store;
const others: Store[] = [];

/** A further client of the same database, closed after all tests. */
function client(intMode: IntMode, name: string): Store {
  const opened = createClient({ url: `file:${file}`, intMode, baton: { name } });
  others.push(opened);
  return opened;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-libsql-'));
  file = path.join(dir, 'libsql.db');
  hosting = createClient({ url: `file:${file}`, baton: { name: 'hosting' } });
  await hosting.execute(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, r REAL, b BLOB, any_value)',
  );
  forwarding = createClient({ url: `file://${file}`, baton: { name: 'forwarding', candidate: false } });
  await forwarding.execute('SELECT 1');
});

afterAll(async () => {
  for (const opened of [...others, forwarding, hosting]) await opened?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('createClient is synchronous and connects on first use: the first client hosts the leader, the second forwards', () => {
  expect(hosting.role).toBe('leader');
  expect(forwarding.role).toBe('follower');
  const lazy = createClient({ url: `file:${file}`, baton: { name: 'lazy' } });
  expect(lazy.role).toBe('electing');
  expect(lazy.protocol).toBe('file');
  return lazy.close();
});

test('a client opens nothing until its first request, which fails with NO_LEADER when no candidate can lead', async () => {
  const lonely = path.join(dir, 'lonely.db');
  const client = createClient({
    url: `file:${lonely}`,
    baton: { name: 'lonely', candidate: false, requestTimeoutMs: 300 },
  });
  try {
    expect(fs.existsSync(lonely)).toBe(false);
    await expect(client.execute('SELECT 1')).rejects.toMatchObject({ code: 'NO_LEADER' });
    expect(fs.existsSync(lonely)).toBe(false);
  } finally {
    await client.close();
  }
});

test.each([
  [{ url: 'http://localhost:8080' }, { code: 'URL_SCHEME_NOT_SUPPORTED' }],
  [{ url: 'file::memory:' }, { code: 'INVALID_ARGUMENT', message: expect.stringContaining(':memory:') }],
  [{ url: ':memory:' }, { code: 'INVALID_ARGUMENT' }],
  [{ url: 'file://example.com/x.db' }, { code: 'URL_INVALID', message: expect.stringContaining('Invalid host') }],
  [{ url: 'file:x.db?mode=ro' }, { code: 'URL_PARAM_NOT_SUPPORTED' }],
  [
    { url: 'file:/nonexistent-baton-dir/x.db' },
    { code: 'INVALID_ARGUMENT', message: expect.stringContaining('does not exist') },
  ],
  [
    { url: 'file:x.db', syncUrl: 'libsql://replica' },
    { code: 'INVALID_ARGUMENT', message: expect.stringContaining('"syncUrl"') },
  ],
  [
    { url: 'file:x.db', encryptionKey: 'k' },
    { code: 'INVALID_ARGUMENT', message: expect.stringContaining('"encryptionKey"') },
  ],
  [
    { url: 'file:x.db', intmode: 'bigint' },
    { code: 'INVALID_ARGUMENT', message: 'INVALID_ARGUMENT: Misspelled option "intmode" should be "intMode"' },
  ],
  [
    { url: 'file:x.db', baton: { requestTimeout: 5 } },
    {
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('in "baton": Misspelled option "requestTimeout" should be "requestTimeoutMs"'),
    },
  ],
  [
    { url: 'file:x.db', baton: { path: 'y.db' } },
    { code: 'INVALID_ARGUMENT', message: expect.stringContaining('"url"') },
  ],
])('createClient(%p) is refused with a coded LibsqlError', (config, expected) => {
  let thrown: unknown;
  try {
    createClient(config as Parameters<typeof createClient>[0]);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(StoreError);
  expect(thrown).toBeInstanceOf(LibsqlError);
  expect(thrown).toMatchObject(expected);
});

test("a bad intMode is libsql's own TypeError", () => {
  expect(() => createClient({ url: 'file:x.db', intMode: 'float' as IntMode })).toThrow(TypeError);
});

describe.each([
  ['a client hosting the leader', () => hosting],
  ['a forwarding client', () => forwarding],
])('through %s', (label, member) => {
  const tag = label.includes('hosting') ? 'h' : 'f';

  test('rows are array-like and keyed by column name, indexes and length not enumerable', async () => {
    const rs = await member().execute('SELECT 1 AS a, ? AS b', ['x']);
    const row = rs.rows[0]!;
    expect([row[0], row[1], row.length, row.a, row.b]).toEqual([1, 'x', 2, 1, 'x']);
    expect(Object.keys(row)).toEqual(['a', 'b']);
    expect(JSON.stringify(row)).toBe('{"a":1,"b":"x"}');
    expect(Array.prototype.slice.call(row)).toEqual([1, 'x']);
  });

  test('SELECT ?, ? keeps both columns by index; the first of duplicate names wins', async () => {
    const rs = await member().execute('SELECT ?, ?', ['first', 'second']);
    expect(rs.columns).toEqual(['?', '?']);
    expect([rs.rows[0]![0], rs.rows[0]![1], rs.rows[0]!['?']]).toEqual(['first', 'second', 'first']);
  });

  test('a result set has declared column types, rowsAffected, lastInsertRowid and toJSON as libsql', async () => {
    const insert = await member().execute('INSERT INTO t (name, n, r, b) VALUES (?, ?, ?, ?)', [
      `${tag}-json`,
      5n,
      1.5,
      new Uint8Array([1, 2]),
    ]);
    expect(insert.rowsAffected).toBe(1);
    expect(typeof insert.lastInsertRowid).toBe('bigint');
    const rs = await member().execute('SELECT name, n, r, b, n + 1 AS expr FROM t WHERE name = ?', [`${tag}-json`]);
    expect(rs.columnTypes).toEqual(['TEXT', 'INTEGER', 'REAL', 'BLOB', '']);
    expect(rs.lastInsertRowid).toBeUndefined();
    expect(rs.rowsAffected).toBe(0);
    expect(rs.toJSON()).toEqual({
      columns: ['name', 'n', 'r', 'b', 'expr'],
      columnTypes: ['TEXT', 'INTEGER', 'REAL', 'BLOB', ''],
      rows: [[`${tag}-json`, 5, 1.5, 'AQI=', 6]],
      rowsAffected: 0,
      lastInsertRowid: null,
    });
  });

  test('the storage class survives the wire: INTEGER and REAL told apart in every intMode', async () => {
    const sql = "SELECT 2 AS i, 2.0 AS r, 9007199254740993 AS big, CAST('x' AS BLOB) AS blob, NULL AS nil";
    const bigint = await client('bigint', `${tag}-bigint`).execute(sql);
    expect(Array.from({ length: 5 }, (_, i) => bigint.rows[0]![i])).toEqual([
      2n,
      2,
      9007199254740993n,
      expect.any(ArrayBuffer),
      null,
    ]);
    const string = await client('string', `${tag}-string`).execute(sql);
    expect([string.rows[0]!.i, string.rows[0]!.r, string.rows[0]!.big]).toEqual(['2', 2, '9007199254740993']);
    await expect(member().execute(sql)).rejects.toThrow(
      new RangeError('Received integer which cannot be safely represented as a JavaScript number'),
    );
    const number = await member().execute('SELECT 2 AS i, 2.0 AS r');
    expect([number.rows[0]!.i, number.rows[0]!.r]).toEqual([2, 2]);
  });

  test('values bind as libsql binds them: number REAL, bigint INTEGER, boolean and Date as numbers, bytes as BLOB', async () => {
    const args = [1, 1n, true, new Date(5), new Uint8Array([7]), new Uint8Array([9, 8]).buffer, null];
    const rs = await member().execute(`SELECT ${args.map(() => 'typeof(?)').join(', ')}`, [...args]);
    expect(Array.from({ length: args.length }, (_, i) => rs.rows[0]![i])).toEqual([
      'real',
      'integer',
      'real',
      'real',
      'blob',
      'blob',
      'null',
    ]);
    const booleans = await client('bigint', `${tag}-bool`).execute('SELECT typeof(?), ?', [true, false]);
    expect([booleans.rows[0]![0], booleans.rows[0]![1]]).toEqual(['integer', 0n]);
  });

  test('extreme values round-trip exactly: ±Number.MAX_VALUE, 2^63-1, -2^63, tiny doubles', async () => {
    const values = [Number.MAX_VALUE, -Number.MAX_VALUE, 1e19, 2 ** 63, Number.MIN_VALUE, 0.1 + 0.2];
    const rs = await member().execute(`SELECT ${values.map(() => '?').join(', ')}`, values);
    expect(Array.from({ length: values.length }, (_, i) => rs.rows[0]![i])).toEqual(values);
    const ints = await client('bigint', `${tag}-ints`).execute('SELECT ?, ?', [2n ** 63n - 1n, -(2n ** 63n)]);
    expect([ints.rows[0]![0], ints.rows[0]![1]]).toEqual([2n ** 63n - 1n, -(2n ** 63n)]);
  });

  test.each([
    [undefined, TypeError, 'undefined cannot be passed as argument to the database'],
    [Number.NaN, RangeError, 'Only finite numbers (not Infinity or NaN) can be passed as arguments'],
    [Number.POSITIVE_INFINITY, RangeError, 'Only finite numbers (not Infinity or NaN) can be passed as arguments'],
    [2n ** 63n, RangeError, 'bigint is too large to be represented as a 64-bit integer and passed as argument'],
  ])("%p is refused before sending with libsql's %p", async (value, kind, message) => {
    await expect(member().execute('SELECT ?', [value as never])).rejects.toThrow(new kind(message));
  });

  test('batch failures are LibsqlBatchErrors naming the statement; nothing of the batch stays', async () => {
    const statements: [string, [string]][] = [
      ['INSERT INTO t (name) VALUES (?)', [`${tag}-batch`]],
      ['INSERT INTO t (name) VALUES (?)', [`${tag}-batch`]],
    ];
    const error = await member()
      .batch(statements, 'write')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect(error).toBeInstanceOf(StoreBatchError);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      statementIndex: 1,
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
      rawCode: 2067,
    });
    const count = await member().execute('SELECT count(*) FROM t WHERE name = ?', [`${tag}-batch`]);
    expect(count.rows[0]![0]).toBe(0);
  });

  test('a transaction batch stops at the failing statement and keeps the ones before it, as libsql', async () => {
    const tx = await member().transaction('write');
    try {
      const error = await tx
        .batch([
          ['INSERT INTO t (name) VALUES (?)', [`${tag}-txb`]],
          ['INSERT INTO t (name) VALUES (?)', [`${tag}-txb`]],
        ])
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ statementIndex: 1, extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
      expect(tx.closed).toBe(false);
      await tx.commit();
    } finally {
      tx.close();
    }
    const count = await member().execute('SELECT count(*) FROM t WHERE name = ?', [`${tag}-txb`]);
    expect(count.rows[0]![0]).toBe(1);
  });

  test('nested transactions with SAVEPOINT, RELEASE and ROLLBACK TO work as Drizzle issues them', async () => {
    const tx = await member().transaction('write');
    await tx.execute('INSERT INTO t (name) VALUES (?)', [`${tag}-outer`]);
    await tx.execute('savepoint sp0');
    await tx.execute('INSERT INTO t (name) VALUES (?)', [`${tag}-undone`]);
    await tx.execute('rollback to savepoint sp0');
    await tx.execute('savepoint sp1');
    await tx.execute('INSERT INTO t (name) VALUES (?)', [`${tag}-kept`]);
    await tx.execute('release savepoint sp1');
    await tx.commit();
    const rs = await member().execute('SELECT name FROM t WHERE name LIKE ? ORDER BY name', [`${tag}-%e%`]);
    expect(
      rs.rows
        .map((row) => row.name)
        .filter((n) => n === `${tag}-outer` || n === `${tag}-undone` || n === `${tag}-kept`),
    ).toEqual([`${tag}-kept`, `${tag}-outer`]);
  });

  test('a ROLLBACK statement ends the transaction as in libsql: closed, then TRANSACTION_CLOSED, rollback() a no-op', async () => {
    const tx = await member().transaction('write');
    await tx.execute('INSERT INTO t (name) VALUES (?)', [`${tag}-rolled`]);
    const rs = await tx.execute('ROLLBACK');
    expect(rs.rows).toEqual([]);
    expect(tx.closed).toBe(true);
    await expect(tx.execute('SELECT 1')).rejects.toMatchObject({
      code: 'TRANSACTION_CLOSED',
      message: 'TRANSACTION_CLOSED: The transaction is closed',
    });
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    await expect(tx.rollback()).resolves.toBeUndefined();
    const count = await member().execute('SELECT count(*) FROM t WHERE name = ?', [`${tag}-rolled`]);
    expect(count.rows[0]![0]).toBe(0);
  });

  test('a COMMIT statement commits the transaction; a nested BEGIN fails as SQLite fails it', async () => {
    const tx = await member().transaction('write');
    await expect(tx.execute('BEGIN')).rejects.toMatchObject({
      code: 'SQLITE_ERROR',
      message: 'SQLITE_ERROR: cannot start a transaction within a transaction',
    });
    await tx.execute('INSERT INTO t (name) VALUES (?)', [`${tag}-committed`]);
    await tx.execute('COMMIT');
    expect(tx.closed).toBe(true);
    const count = await member().execute('SELECT count(*) FROM t WHERE name = ?', [`${tag}-committed`]);
    expect(count.rows[0]![0]).toBe(1);
  });

  test('executeMultiple runs a script with its own BEGIN/COMMIT; a failure keeps what ran outside its transaction', async () => {
    const name = (n: string): string => `'${tag}-em-${n}'`;
    await member().executeMultiple(
      `INSERT INTO t (name) VALUES (${name('a')}); BEGIN; INSERT INTO t (name) VALUES (${name('b')}); COMMIT;`,
    );
    await expect(
      member().executeMultiple(
        `INSERT INTO t (name) VALUES (${name('c')}); BEGIN; INSERT INTO t (name) VALUES (${name('d')}); INSERT INTO t (name) VALUES (${name('a')}); COMMIT;`,
      ),
    ).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT',
    });
    await member().executeMultiple(`BEGIN; INSERT INTO t (name) VALUES (${name('e')});`);
    const rs = await member().execute('SELECT name FROM t WHERE name LIKE ? ORDER BY name', [`${tag}-em-%`]);
    expect(rs.rows.map((row) => row.name)).toEqual([`${tag}-em-a`, `${tag}-em-b`, `${tag}-em-c`]);
  });

  test('executeMultiple inside a transaction joins it', async () => {
    const tx = await member().transaction('write');
    await tx.executeMultiple(
      `INSERT INTO t (name) VALUES ('${tag}-txem-1'); INSERT INTO t (name) VALUES ('${tag}-txem-2');`,
    );
    await tx.rollback();
    const count = await member().execute('SELECT count(*) FROM t WHERE name LIKE ?', [`${tag}-txem-%`]);
    expect(count.rows[0]![0]).toBe(0);
  });

  test('migrate runs with foreign keys off, all or nothing, and names a failing statement', async () => {
    await member().migrate([
      `CREATE TABLE parent_${tag} (id INTEGER PRIMARY KEY)`,
      `CREATE TABLE child_${tag} (parent INTEGER REFERENCES parent_${tag}(id))`,
      `INSERT INTO child_${tag} VALUES (42)`,
    ]);
    const error = await member()
      .migrate([`CREATE TABLE never_${tag} (x)`, 'NOT SQL'])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statementIndex: 1, code: 'SQLITE_ERROR' });
    await expect(member().execute(`SELECT * FROM never_${tag}`)).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    await expect(member().execute(`INSERT INTO child_${tag} VALUES (43)`)).rejects.toMatchObject({
      extendedCode: 'SQLITE_CONSTRAINT_FOREIGNKEY',
    });
  });

  test("a migration that rebuilds a table as drizzle-kit writes it (PRAGMA foreign_keys=OFF ... ON) runs, the pragmas a no-op as in libsql's migrate", async () => {
    await member().migrate([
      `CREATE TABLE rebuilt_${tag} (id INTEGER PRIMARY KEY, v TEXT)`,
      `INSERT INTO rebuilt_${tag} VALUES (1, 'a')`,
    ]);
    await member().migrate([
      'PRAGMA foreign_keys=OFF',
      `CREATE TABLE __new_rebuilt_${tag} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`,
      `INSERT INTO __new_rebuilt_${tag} SELECT id, v FROM rebuilt_${tag}`,
      `DROP TABLE rebuilt_${tag}`,
      `ALTER TABLE __new_rebuilt_${tag} RENAME TO rebuilt_${tag}`,
      'PRAGMA foreign_keys=ON',
    ]);
    const rs = await member().execute(`SELECT v FROM rebuilt_${tag}`);
    expect(rs.rows[0]!.v).toBe('a');
    await expect(member().execute('PRAGMA foreign_keys=OFF')).rejects.toMatchObject({ code: 'STATEMENT_REFUSED' });
  });

  test('sync() rejects as for a local file; savepoints outside a transaction stay refused with the reason', async () => {
    await expect(member().sync()).rejects.toMatchObject({ code: 'SYNC_NOT_SUPPORTED' });
    await expect(member().execute('SAVEPOINT x')).rejects.toMatchObject({
      code: 'STATEMENT_REFUSED',
      message: expect.stringContaining('only allowed inside transaction()'),
    });
    await expect(member().batch(['SAVEPOINT _baton_job'])).rejects.toMatchObject({
      code: 'STATEMENT_REFUSED',
      statementIndex: 0,
    });
  });
});

test('a closed client refuses with CLIENT_CLOSED and reconnect() makes it usable again', async () => {
  const solo = createClient({ url: `file:${file}`, baton: { name: 'reconnecting' } });
  await solo.execute('SELECT 1');
  await solo.close();
  expect(solo.closed).toBe(true);
  await expect(solo.execute('SELECT 1')).rejects.toMatchObject({
    code: 'CLIENT_CLOSED',
    message: 'CLIENT_CLOSED: The client is closed',
  });
  await expect(solo.sync()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  await solo.reconnect();
  expect(solo.closed).toBe(false);
  const rs = await solo.execute('SELECT 7 AS seven');
  expect(rs.rows[0]!.seven).toBe(7);
  await solo.close();
});
