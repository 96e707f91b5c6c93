/**
 * Compile-time checks that Baton's client is @libsql/client's `Client` and its transactions are
 * `Transaction`s: this file does not build if a method or property is missing or mistyped, and
 * its one runtime test drives a client typed only as `Client`.
 */
import type {
  Client,
  InArgs,
  InStatement,
  IntMode,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
} from '@libsql/core/api';
import { type LibsqlBatchError, type LibsqlError } from '@libsql/core/api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createClient, type StoreBatchError, type StoreError, type Store, type StoreTransaction } from '../src';

/** Every call shape of `Client` that Drizzle, Kysely and libsql's own docs use, typed against Baton's client. */
export async function clientShapes(client: Store, tx: StoreTransaction): Promise<void> {
  client satisfies Client;
  tx satisfies Transaction;
  const asClient: Client = client;
  const asTransaction: Transaction = tx;
  const statement: InStatement = { sql: 'SELECT ?', args: [1] };
  const args: InArgs = { id: 1 };
  const single: ResultSet = await client.execute(statement);
  await client.execute('SELECT :id', args);
  for (const mode of ['write', 'read', 'deferred'] satisfies TransactionMode[]) await client.batch([statement], mode);
  const tuples: ResultSet[] = await client.batch([['SELECT ?', [1]], ['SELECT 1'], 'SELECT 2', statement]);
  await client.migrate([statement]);
  const open: StoreTransaction = await client.transaction();
  await client.transaction('read');
  await client.executeMultiple('SELECT 1; SELECT 2');
  await client.sync().catch(() => undefined);
  void client.reconnect();
  const protocol: string = client.protocol;
  const closed: boolean = client.closed;
  await tx.execute(statement);
  await tx.execute('SELECT ?', [1]);
  await tx.batch([statement, 'SELECT 1']);
  await tx.executeMultiple('SELECT 1');
  await tx.commit();
  await tx.rollback();
  tx.close();
  const txClosed: boolean = tx.closed;
  const row: Row | undefined = single.rows[0];
  const first = row?.[0];
  const byName = row?.['?'];
  const count: number | undefined = row?.length;
  const json: unknown = single.toJSON();
  void [asClient, asTransaction, tuples, open, protocol, closed, txClosed, first, byName, count, json];
  void client.close();
}

/** Baton's error classes are libsql's, and `StoreError` still names every Baton error. */
export function errorShapes(error: StoreError, batch: StoreBatchError): void {
  error satisfies LibsqlError;
  batch satisfies LibsqlBatchError;
  const index: number = batch.statementIndex;
  const codes: [string, string | undefined, number | undefined] = [error.code, error.extendedCode, error.rawCode];
  void [index, codes];
}

/** Config mistakes that @libsql/client's types reject are rejected here too. */
export function configShapes(url: string): void {
  const intMode: IntMode = 'bigint';
  void createClient({ url, intMode, baton: { name: 'typed', candidate: true, requestTimeoutMs: 1000 } }).close();
  // @ts-expect-error intMode is one of libsql's three
  createClient({ url, intMode: 'float' });
  // @ts-expect-error Baton's own options are checked too
  createClient({ url, baton: { candidate: 'yes' } });
}

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-types-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a client typed as Client runs statements, a batch and a transaction', async () => {
  const store = createClient({ url: `file:${path.join(dir, 'typed.db')}`, baton: { name: 'typed' } });
  const client: Client = store;
  try {
    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await client.batch(
      [['INSERT INTO t (v) VALUES (?)', ['a']], { sql: 'INSERT INTO t (v) VALUES (?)', args: ['b'] }],
      'write',
    );
    const tx: Transaction = await client.transaction('write');
    await tx.execute({ sql: 'UPDATE t SET v = ? WHERE id = ?', args: ['c', 2] });
    await tx.commit();
    const rs = await client.execute('SELECT id, v FROM t ORDER BY id');
    expect(rs.rows.map((row) => [row[0], row.v])).toEqual([
      [1, 'a'],
      [2, 'c'],
    ]);
    expect(client.protocol).toBe('file');
  } finally {
    await store.close();
  }
});
