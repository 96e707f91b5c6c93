/**
 * Interactive transactions: commit, rollback, close, `closed`, the ROLLBACK and COMMIT
 * statements, savepoints (what Drizzle's nested transactions issue), batches and scripts inside
 * a transaction, and TRANSACTION_CLOSED once it is over.
 */
import { refused, type Scenario } from '../scenario';
import { rowOf } from './expect';
import { NAMES, TABLE } from './names-table';

export const TRANSACTION_SCENARIOS: Scenario[] = [
  {
    name: 'commit makes the changes visible; the transaction is closed',
    setup: TABLE,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('closed while open', () => tx.closed);
      await step('insert', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('insert with args', () => tx.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['b'] }));
      await step('own changes seen inside', () => tx.execute(NAMES));
      await step('commit', () => tx.commit());
      await step('closed after commit', () => tx.closed);
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'rollback and close discard the changes',
    setup: TABLE,
    async run({ client, step }) {
      const rolledBack = await client.transaction('write');
      await step('insert a', () => rolledBack.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('rollback', () => rolledBack.rollback());
      await step('closed after rollback', () => rolledBack.closed);
      const closed = await client.transaction('write');
      await step('insert b', () => closed.execute(`INSERT INTO t (name) VALUES ('b')`));
      await step('close', () => closed.close());
      await step('closed after close', () => closed.closed);
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'a finished transaction answers TRANSACTION_CLOSED; rollback and close stay harmless',
    setup: TABLE,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('commit', () => tx.commit());
      await step('execute', () => tx.execute('SELECT 1'));
      await step('executeMultiple', () => tx.executeMultiple('SELECT 1'));
      await step('commit again', () => tx.commit());
      await step('rollback', () => tx.rollback());
      await step('close', () => tx.close());
    },
  },
  {
    name: 'a ROLLBACK statement ends the transaction as rollback() does',
    setup: TABLE,
    difference: {
      reason: "the ROLLBACK statement's result has no lastInsertRowid",
      documented: "tx.execute('COMMIT'",
      steps: { ROLLBACK: { ok: { rowsAffected: ['number', '0'], lastInsertRowid: ['undefined', ''] } } },
    },
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('insert', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('ROLLBACK', () => tx.execute('ROLLBACK'));
      await step('closed', () => tx.closed);
      await step('execute after', () => tx.execute('SELECT 1'));
      await step('commit after', () => tx.commit());
      await step('rollback after', () => tx.rollback());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'a COMMIT statement ends the transaction and keeps its changes',
    setup: TABLE,
    difference: {
      reason: "the COMMIT statement's result has no lastInsertRowid",
      documented: "tx.execute('COMMIT'",
      steps: { COMMIT: { ok: { rowsAffected: ['number', '0'], lastInsertRowid: ['undefined', ''] } } },
    },
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('insert', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('COMMIT', () => tx.execute('COMMIT'));
      await step('closed', () => tx.closed);
      await step('commit after', () => tx.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'SAVEPOINT, ROLLBACK TO and RELEASE inside a transaction',
    setup: TABLE,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('insert a', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('savepoint outer', () => tx.execute('SAVEPOINT outer_sp'));
      await step('insert b', () => tx.execute(`INSERT INTO t (name) VALUES ('b')`));
      await step('savepoint inner', () => tx.execute('SAVEPOINT "inner sp"'));
      await step('insert c', () => tx.execute(`INSERT INTO t (name) VALUES ('c')`));
      await step('rollback to inner', () => tx.execute('ROLLBACK TO "inner sp"'));
      await step('release inner', () => tx.execute('RELEASE "inner sp"'));
      await step('release outer', () => tx.execute('RELEASE SAVEPOINT outer_sp'));
      await step('savepoint again', () => tx.execute('SAVEPOINT again'));
      await step('insert d', () => tx.execute(`INSERT INTO t (name) VALUES ('d')`));
      await step('rollback transaction to again', () => tx.execute('ROLLBACK TRANSACTION TO SAVEPOINT again'));
      await step('seen inside', () => tx.execute(NAMES));
      await step('unknown savepoint', () => tx.execute('RELEASE nonexistent'));
      await step('commit', () => tx.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'a failing statement inside a transaction leaves it open and usable',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('taken')`,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('insert a', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('constraint error', () => tx.execute(`INSERT INTO t (name) VALUES ('taken')`));
      await step('closed', () => tx.closed);
      await step('insert b', () => tx.execute(`INSERT INTO t (name) VALUES ('b')`));
      await step('commit', () => tx.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'tx.batch runs in the transaction and reports statementIndex; what ran before the failure stays in the transaction',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('taken')`,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('batch', () =>
        tx.batch([`INSERT INTO t (name) VALUES ('a')`, { sql: 'INSERT INTO t (name) VALUES (?)', args: ['b'] }, NAMES]),
      );
      await step('failing batch', () =>
        tx.batch([
          `INSERT INTO t (name) VALUES ('c')`,
          `INSERT INTO t (name) VALUES ('taken')`,
          `INSERT INTO t (name) VALUES ('d')`,
        ]),
      );
      await step('seen inside', () => tx.execute(NAMES));
      await step('commit', () => tx.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'COMMIT, END and ROLLBACK in tx.batch end the transaction there; a statement after them fails the batch',
    setup: TABLE,
    difference: {
      reason: "the COMMIT statement's result has no lastInsertRowid",
      documented: "tx.execute('COMMIT'",
      steps: { 'COMMIT last': { ok: [{}, { lastInsertRowid: ['undefined', ''] }] } },
    },
    async run({ client, step }) {
      const committed = await client.transaction('write');
      await step('COMMIT in the middle', () =>
        committed.batch([`INSERT INTO t (name) VALUES ('a')`, 'COMMIT', `INSERT INTO t (name) VALUES ('b')`]),
      );
      await step('closed after COMMIT', () => committed.closed);
      await step('commit after', () => committed.commit());
      await step('rollback after commit', () => committed.rollback());
      const last = await client.transaction('write');
      await step('COMMIT last', () => last.batch([`INSERT INTO t (name) VALUES ('c')`, 'COMMIT']));
      await step('rollback after COMMIT last', () => last.rollback());
      const rolledBack = await client.transaction('write');
      await step('ROLLBACK in the middle', () =>
        rolledBack.batch([
          `INSERT INTO t (name) VALUES ('d')`,
          'ROLLBACK TRANSACTION',
          `INSERT INTO t (name) VALUES ('e')`,
        ]),
      );
      await step('closed after ROLLBACK', () => rolledBack.closed);
      await step('rollback after ROLLBACK', () => rolledBack.rollback());
      const failing = await client.transaction('write');
      await step('a failure before the COMMIT', () =>
        failing.batch([`INSERT INTO t (name) VALUES ('a')`, 'COMMIT', `INSERT INTO t (name) VALUES ('f')`]),
      );
      await step('still open', () => failing.closed);
      failing.close();
      const read = await client.transaction('read');
      await step('END in a read transaction', () => read.batch([NAMES, 'END', NAMES]));
      await step('read closed', () => read.closed);
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'tx.executeMultiple runs a script inside the transaction',
    setup: TABLE,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('script', () =>
        tx.executeMultiple(`INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('b');`),
      );
      await step('rollback', () => tx.rollback());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'uncommitted changes are not visible to the client outside the transaction',
    setup: TABLE,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('insert', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('outside, before commit', () => client.execute(NAMES));
      await step('commit', () => tx.commit());
      await step('outside, after commit', () => client.execute(NAMES));
    },
  },
  {
    name: 'a read transaction reads, and a write in it is refused',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('a')`,
    difference: {
      reason: 'read mode is enforced',
      documented: "`batch(..., 'read')` and `transaction('read')` run writes",
      steps: { write: refused('SQLITE_READONLY'), after: { ok: { rows: [rowOf(['string', 'a'])] } } },
    },
    async run({ client, step }) {
      const read = await client.transaction('read');
      await step('select', () => read.execute(NAMES));
      await step('write', () => read.execute(`INSERT INTO t (name) VALUES ('r')`));
      await step('commit', () => read.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'deferred transactions and the default mode write and commit',
    setup: `${TABLE}; INSERT INTO t (name) VALUES ('a')`,
    async run({ client, step }) {
      const deferred = await client.transaction('deferred');
      await step('deferred: write', () => deferred.execute(`INSERT INTO t (name) VALUES ('d')`));
      await step('deferred: commit', () => deferred.commit());
      const byDefault = await client.transaction();
      await step('default mode: write', () => byDefault.execute(`INSERT INTO t (name) VALUES ('w')`));
      await step('default mode: commit', () => byDefault.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'closing the client ends its open transaction: nothing committed, TRANSACTION_CLOSED after',
    setup: TABLE,
    async run({ client, second, step }) {
      const tx = await client.transaction('write');
      await step('insert', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('close the client', () => client.close());
      await step('closed', () => tx.closed);
      await step('execute after', () => tx.execute('SELECT 1'));
      await step('commit after', () => tx.commit());
      await step('rollback after', () => tx.rollback());
      const other = await second();
      await step('nothing committed', () => other.execute(NAMES));
    },
  },
  {
    name: 'a statement that rolls the whole transaction back (RAISE(ROLLBACK)) fails with its own error and ends it',
    setup: `${TABLE}; CREATE TRIGGER no_x BEFORE INSERT ON t WHEN NEW.name = 'x' BEGIN SELECT RAISE(ROLLBACK, 'no x'); END`,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('insert a', () => tx.execute(`INSERT INTO t (name) VALUES ('a')`));
      await step('insert x', () => tx.execute(`INSERT INTO t (name) VALUES ('x')`));
      await step('closed', () => tx.closed);
      await step('execute after', () => tx.execute('SELECT 1'));
      await step('commit after', () => tx.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'OR ROLLBACK ends the transaction: its own error, then TRANSACTION_CLOSED for statements already sent',
    setup: `CREATE TABLE t (id INTEGER PRIMARY KEY)`,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      // Sent together, as libsql's own test of it does: the third is on its way when the second
      // rolls the transaction back.
      const sent = [
        tx.execute('INSERT INTO t (id) VALUES (1), (2), (3)'),
        tx.execute('INSERT OR ROLLBACK INTO t (id) VALUES (1)'),
        tx.execute('INSERT INTO t (id) VALUES (4), (5)'),
      ] as const;
      void Promise.allSettled(sent); // each is awaited below; this marks the rejections handled now
      await step('insert', () => sent[0]);
      await step('OR ROLLBACK', () => sent[1]);
      await step('sent after it', () => sent[2]);
      await step('closed', () => tx.closed);
      await step('execute after', () => tx.execute('SELECT 1'));
      await step('commit after', () => tx.commit());
      await step('rollback after', () => tx.rollback());
      await step('after', () => client.execute('SELECT count(*) FROM t'));
      const batched = await client.transaction('write');
      await step('tx.batch with OR ROLLBACK', () =>
        batched.batch(['INSERT INTO t (id) VALUES (6)', 'INSERT OR ROLLBACK INTO t (id) VALUES (6)', 'SELECT 1']),
      );
      await step('closed after the batch', () => batched.closed);
      await step('batch after', () => batched.batch(['SELECT 1']));
      batched.close();
      await step('nothing kept', () => client.execute('SELECT count(*) FROM t'));
    },
  },
  {
    name: 'a second transaction of the same client while one is open',
    setup: TABLE,
    difference: {
      reason: 'one interactive transaction per client at a time',
      documented: 'one at a time per client',
      steps: { 'open a second': refused('INVALID_ARGUMENT'), 'the second reads': { ok: ['string', 'none'] } },
    },
    async run({ client, step }) {
      const first = await client.transaction('write');
      await step('insert in the first', () => first.execute(`INSERT INTO t (name) VALUES ('a')`));
      const second = await step('open a second', () => client.transaction('read'));
      await step('the second reads', async () =>
        second === undefined ? 'none' : (await second.execute(NAMES)).rows.length,
      );
      second?.close();
      await step('commit the first', () => first.commit());
      await step('after', () => client.execute(NAMES));
    },
  },
  {
    name: 'an unknown transaction mode is a RangeError',
    async run({ client, step }) {
      await step('bogus mode', () => client.transaction('bogus' as 'write'));
    },
  },
  {
    name: 'tx.batch on a finished transaction fails as a batch error at its first statement',
    setup: TABLE,
    async run({ client, step }) {
      const tx = await client.transaction('write');
      await step('commit', () => tx.commit());
      await step('batch', () => tx.batch(['SELECT 1']));
    },
  },
];
