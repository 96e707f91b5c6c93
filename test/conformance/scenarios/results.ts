/** Result sets: rows (by index and by name), columns, declared column types, counts, rowids, toJSON. */
import type { InArgs, InStatement, ResultSet } from '@libsql/client';
import { refused, type Scenario } from '../scenario';
import { rowOf } from './expect';

const TYPED_TABLE = `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, price DECIMAL(10,2), data BLOB, anything, flag BOOLEAN NOT NULL DEFAULT 0)`;

export const RESULT_SCENARIOS: Scenario[] = [
  {
    name: 'a row holds every storage class, by index and by name',
    async run({ client, step }) {
      await step('select', () =>
        client.execute(`SELECT 1 AS i, 1.5 AS r, 'text' AS t, x'00ff10' AS b, NULL AS n, 2.0 AS two`),
      );
    },
  },
  {
    name: 'a REAL negative zero',
    difference: {
      reason: '-0 arrives as 0',
      documented: '-0',
      steps: { select: { ok: { rows: [rowOf(['number', '0'])] } } },
      wireOnly: ['select'],
    },
    async run({ client, step }) {
      await step('select', () => client.execute('SELECT -0.0 AS z'));
    },
  },
  {
    name: 'columns and columnTypes follow the declared types of table columns; expressions have none',
    setup: TYPED_TABLE,
    async run({ client, step }) {
      await step('insert', () =>
        client.execute(`INSERT INTO t (name, score, price, data, anything) VALUES ('a', 1, 2.5, x'01', 'x')`),
      );
      await step('select *', () => client.execute('SELECT * FROM t'));
      await step('expressions and aliases', () =>
        client.execute('SELECT id + 1 AS next, name AS n, upper(name), count(*) OVER () AS total FROM t'),
      );
      await step('empty result keeps its columns', () => client.execute('SELECT id, name FROM t WHERE 0'));
    },
  },
  {
    name: 'rowsAffected and lastInsertRowid of INSERT, UPDATE and DELETE',
    setup: TYPED_TABLE,
    async run({ client, step }) {
      await step('insert 1', () => client.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('insert 2 rows', () => client.execute(`INSERT INTO t (name) VALUES ('b'), ('c')`));
      await step('insert explicit rowid', () => client.execute(`INSERT INTO t (id, name) VALUES (100, 'd')`));
      await step('update 3 rows', () => client.execute(`UPDATE t SET score = 1 WHERE id < 100`));
      await step('update nothing', () => client.execute(`UPDATE t SET score = 1 WHERE id = 12345`));
      await step('delete 2', () => client.execute(`DELETE FROM t WHERE id IN (1, 2)`));
      await step('select', () => client.execute('SELECT id, name, score FROM t ORDER BY id'));
    },
  },
  {
    name: 'a statement that returns rows (INSERT ... RETURNING) reports its rows',
    setup: TYPED_TABLE,
    difference: {
      reason: 'INSERT/UPDATE/DELETE ... RETURNING also report rowsAffected and lastInsertRowid',
      documented: 'RETURNING',
      steps: {
        'insert returning': { ok: { rowsAffected: ['number', '2'], lastInsertRowid: ['bigint', '2'] } },
        'update returning': { ok: { rowsAffected: ['number', '2'] } },
        'delete returning': { ok: { rowsAffected: ['number', '1'] } },
      },
    },
    async run({ client, step }) {
      await step('insert returning', () =>
        client.execute(`INSERT INTO t (name, score) VALUES ('a', 1.5), ('b', 2) RETURNING id, name, score`),
      );
      await step('update returning', () => client.execute(`UPDATE t SET score = score * 2 RETURNING *`));
      await step('delete returning', () => client.execute(`DELETE FROM t WHERE name = 'a' RETURNING id`));
    },
  },
  {
    name: 'DDL reports no rows affected',
    async run({ client, step }) {
      await step('create table', () => client.execute('CREATE TABLE x (a)'));
      await step('create index', () => client.execute('CREATE INDEX x_a ON x (a)'));
      await step('drop table', () => client.execute('DROP TABLE x'));
    },
  },
  {
    name: "a statement that inserts nothing reports the client's own last inserted rowid, not another client's",
    setup: 'CREATE TABLE t (a); CREATE TABLE u (a)',
    async run({ client, second, step }) {
      await step('insert rowid 1', () => client.execute(`INSERT INTO t (a) VALUES ('x')`));
      await step('insert rowid 7', () => client.execute(`INSERT INTO u (rowid, a) VALUES (7, 'y')`));
      await step('insert rowid 1 again, elsewhere', () => client.execute(`INSERT INTO u (rowid, a) VALUES (1, 'z')`));
      const other = await second();
      await step('the other client inserts rowid 5', () => other.execute(`INSERT INTO t (rowid, a) VALUES (5, 'o')`));
      await step('update', () => client.execute(`UPDATE t SET a = 'w' WHERE rowid = 1`));
      await step('DDL of the first client', () => client.execute('CREATE TABLE v (a)'));
      await step('DDL of the other client', () => other.execute('CREATE TABLE w (a)'));
      await step('delete by the other client', () => other.execute('DELETE FROM t WHERE rowid = 1'));
    },
  },
  {
    name: 'SELECT ?, ?: both columns by index, the first of equal names by name',
    async run({ client, step }) {
      await step('positional', () => client.execute('SELECT ?, ?', [1, 'two']));
      await step('equal aliases', () => client.execute(`SELECT 1 AS a, 2 AS a, 3 AS b`));
      await step('join with equal column names', () =>
        client.execute(`SELECT * FROM (SELECT 1 AS id, 'l' AS v) l JOIN (SELECT 1 AS id, 'r' AS v) r USING (id)`),
      );
    },
  },
  {
    name: 'column names that look like numbers or prototype keys stay by name',
    async run({ client, step }) {
      await step('numeric names', () => client.execute(`SELECT 'a' AS "0", 'b' AS "1", 'c' AS "length"`));
      await step('prototype names', () =>
        client.execute(`SELECT 1 AS "constructor", 2 AS "toString", 3 AS "__proto__"`),
      );
    },
  },
  {
    name: 'toJSON: bigints as strings, blobs as base64, lastInsertRowid as a string or null',
    intMode: 'bigint',
    setup: TYPED_TABLE,
    async run({ client, step }) {
      await step('insert', async (): Promise<unknown> =>
        (await client.execute(`INSERT INTO t (name, data) VALUES ('a', x'cafe')`)).toJSON(),
      );
      await step('select', async (): Promise<unknown> =>
        (await client.execute('SELECT id, name, data, 9007199254740993 AS big FROM t')).toJSON(),
      );
    },
  },
  {
    name: 'named parameters: :a, $a and @a, given with or without their prefix',
    async run({ client, step }) {
      await step('bare keys', () =>
        client.execute({ sql: 'SELECT :a AS a, $b AS b, @c AS c', args: { a: 1, b: 'two', c: null } }),
      );
      await step('prefixed keys', () =>
        client.execute({ sql: 'SELECT :a AS a, $b AS b, @c AS c', args: { ':a': 1, $b: 'two', '@c': 3.5 } }),
      );
      await step('one name used twice', () =>
        client.execute({ sql: 'SELECT :x AS first, :x AS again', args: { x: 'same' } }),
      );
    },
  },
  {
    name: 'execute(sql, args) and execute({ sql, args }) are the same call',
    difference: {
      reason: 'args given twice are refused',
      documented: 'execute({ sql, args }, more)',
      steps: { 'args given twice': refused('INVALID_ARGUMENT') },
    },
    async run({ client, step }) {
      await step('two arguments', () => client.execute('SELECT ? AS v', ['x']));
      await step('statement object', () => client.execute({ sql: 'SELECT ? AS v', args: ['x'] }));
      await step('statement object without args', () => client.execute({ sql: 'SELECT 1 AS v' }));
      await step('plain string', () => client.execute('SELECT 1 AS v'));
      // A JavaScript caller can pass both; the types of Client do not allow it.
      const execute: (stmt: InStatement, args: InArgs) => Promise<ResultSet> = client.execute.bind(client);
      await step('args given twice', () => execute({ sql: 'SELECT ? AS v', args: ['object'] }, ['second']));
    },
  },
  {
    name: 'text: empty, unicode, embedded NUL and long strings round-trip',
    async run({ client, step }) {
      await step('empty', () => client.execute('SELECT ? AS v, length(?) AS n', ['', '']));
      await step('unicode', () => client.execute('SELECT ? AS v, length(?) AS n', ['héllo ✓ 🎉', 'héllo ✓ 🎉']));
      await step(
        '100k characters',
        async () => (await client.execute('SELECT length(?) AS n', ['x'.repeat(100_000)])).rows[0]?.n,
      );
    },
  },
  {
    name: 'a read-only PRAGMA and sqlite_schema read like any query',
    setup: TYPED_TABLE,
    difference: {
      reason: "Baton's own _baton_* tables are in the database file, so sqlite_schema lists them",
      documented: '_baton_',
      steps: {
        'every table': {
          ok: {
            rows: ['_baton_applied', '_baton_epochs', '_baton_meta', '_baton_migrations', 't'].map((name) =>
              rowOf(['string', name]),
            ),
          },
        },
      },
    },
    async run({ client, step }) {
      await step('table_info', () => client.execute(`PRAGMA table_info(t)`));
      await step('application tables', () =>
        client.execute(
          `SELECT name, type FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_baton\\_%' ESCAPE '\\' ORDER BY name`,
        ),
      );
      await step('every table', () =>
        client.execute(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`),
      );
    },
  },
  {
    name: 'numbered parameters (?2, ?1) bind from an array by number',
    async run({ client, step }) {
      await step('numbered', () => client.execute({ sql: 'SELECT ?2 AS second, ?1 AS first', args: ['one', 'two'] }));
    },
  },
  {
    name: 'a string with an embedded NUL',
    difference: {
      reason: 'a string with a NUL comes back whole',
      documented: 'cut at the first NUL',
      steps: { 'embedded NUL': { ok: { rows: [rowOf(['string', 'a\u0000b'])] } } },
    },
    async run({ client, step }) {
      await step('embedded NUL', () => client.execute('SELECT ? AS v', ['a\u0000b']));
    },
  },
];
