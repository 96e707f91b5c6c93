/** Batches: every mode and the default, the [sql, args] tuple form, atomicity and statementIndex. */
import { refused, type Scenario } from '../scenario';
import { rowOf } from './expect';
import { COUNT, TABLE } from './names-table';

export const BATCH_SCENARIOS: Scenario[] = [
  {
    name: 'a batch returns one result set per statement, in order, in every mode and by default',
    setup: TABLE,
    async run({ client, step }) {
      const statements = [
        `INSERT INTO t (name) VALUES ('a')`,
        { sql: 'INSERT INTO t (name) VALUES (?)', args: ['b'] },
        `SELECT * FROM t ORDER BY id`,
      ];
      await step('default mode', () => client.batch(statements));
      await step('write', () => client.batch([`INSERT INTO t (name) VALUES ('c')`, COUNT], 'write'));
      await step('deferred', () => client.batch([`INSERT INTO t (name) VALUES ('d')`, COUNT], 'deferred'));
      await step('read', () => client.batch([COUNT, 'SELECT name FROM t ORDER BY name DESC'], 'read'));
      await step('empty batch', () => client.batch([], 'write'));
    },
  },
  {
    name: 'the [sql, args] tuple form, with and without args, mixed with strings and objects',
    setup: TABLE,
    async run({ client, step }) {
      await step('tuples', () =>
        client.batch(
          [
            ['INSERT INTO t (name) VALUES (?)', ['x']],
            ['INSERT INTO t (name) VALUES (:name)', { name: 'y' }],
            [`INSERT INTO t (name) VALUES ('z')`],
            'SELECT name FROM t ORDER BY id',
            { sql: 'SELECT ? AS one', args: [1] },
          ],
          'write',
        ),
      );
    },
  },
  {
    name: 'a failing statement rolls back the whole batch and reports its statementIndex',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('taken')`,
    async run({ client, step }) {
      for (const mode of ['write', 'deferred'] as const) {
        await step(`${mode}: fails at index 2`, () =>
          client.batch(
            [
              `INSERT INTO t (name) VALUES ('${mode}1')`,
              `INSERT INTO t (name) VALUES ('${mode}2')`,
              `INSERT INTO t (name) VALUES ('taken')`,
              `INSERT INTO t (name) VALUES ('${mode}3')`,
            ],
            mode,
          ),
        );
        await step(`${mode}: nothing kept`, () => client.execute(COUNT));
      }
      await step('fails at index 0', () => client.batch(['SELEC 1', COUNT]));
      await step('unknown table at index 1', () => client.batch([COUNT, 'SELECT * FROM nowhere']));
      await step('a bad argument at index 1', () => client.batch([COUNT, { sql: 'SELECT ?', args: [Number.NaN] }]));
      await step('still one row', () => client.execute(COUNT));
    },
  },
  {
    name: 'a read batch sees one snapshot; a write in it is refused',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('a')`,
    difference: {
      reason: 'read mode is enforced',
      documented: "`batch(..., 'read')` and `transaction('read')` run writes",
      steps: { 'write in a read batch': refused('SQLITE_READONLY'), after: { ok: { rows: [rowOf(['number', '1'])] } } },
    },
    async run({ client, step }) {
      await step('reads', () => client.batch([COUNT, 'SELECT name FROM t'], 'read'));
      await step('write in a read batch', () => client.batch([`INSERT INTO t (name) VALUES ('b')`], 'read'));
      await step('after', () => client.execute(COUNT));
    },
  },
  {
    name: 'BEGIN and ROLLBACK inside a batch fail it as in libsql, and nothing of it is kept',
    setup: TABLE,
    async run({ client, step }) {
      await step('BEGIN', () => client.batch(['BEGIN', COUNT]));
      await step('BEGIN after a write', () =>
        client.batch([`INSERT INTO t (name) VALUES ('a')`, 'BEGIN DEFERRED', COUNT]),
      );
      await step('ROLLBACK in the middle', () =>
        client.batch([`INSERT INTO t (name) VALUES ('b')`, 'ROLLBACK', `INSERT INTO t (name) VALUES ('c')`], 'write'),
      );
      await step('ROLLBACK first', () => client.batch(['ROLLBACK TRANSACTION', `INSERT INTO t (name) VALUES ('d')`]));
      await step('ROLLBACK last', () => client.batch([`INSERT INTO t (name) VALUES ('e')`, 'ROLLBACK'], 'write'));
      await step('ROLLBACK in a read batch', () => client.batch([COUNT, 'ROLLBACK', COUNT], 'read'));
      await step('a failure before the ROLLBACK', () => client.batch(['SELEC 1', 'ROLLBACK', COUNT]));
      await step('after', () => client.execute('SELECT name FROM t ORDER BY name'));
    },
  },
  {
    name: 'COMMIT inside a batch',
    setup: TABLE,
    difference: {
      reason: 'a batch is all or nothing: COMMIT in a batch is refused',
      documented: '`COMMIT` or `END` in a `batch` commits',
      steps: { 'COMMIT in the middle': refused('STATEMENT_REFUSED'), after: { ok: { rows: [] } } },
    },
    async run({ client, step }) {
      await step('COMMIT in the middle', () =>
        client.batch([`INSERT INTO t (name) VALUES ('a')`, 'COMMIT', `INSERT INTO t (name) VALUES ('b')`]),
      );
      await step('after', () => client.execute('SELECT name FROM t ORDER BY name'));
    },
  },
  {
    name: 'an unknown batch mode is a RangeError',
    setup: TABLE,
    async run({ client, step }) {
      await step('bogus mode', () => client.batch([COUNT], 'bogus' as 'write'));
    },
  },
  {
    name: 'statements in a batch see the changes of the ones before',
    setup: TABLE,
    async run({ client, step }) {
      await step('batch', () =>
        client.batch(
          [
            `INSERT INTO t (name) VALUES ('a')`,
            `UPDATE t SET name = name || '!' WHERE id = last_insert_rowid()`,
            `SELECT id, name FROM t`,
            `DELETE FROM t`,
            COUNT,
          ],
          'write',
        ),
      );
    },
  },
];
