/**
 * @baton/store: one SQLite database shared safely by a group of processes on one host, behind
 * @libsql/client's `Client`.
 *
 * ```ts
 * const client = createClient({ url: 'file:/srv/app/kanban.db', baton: { migrations } })
 * await client.execute('INSERT INTO tasks (id) VALUES (?)', ['t_1'])
 * ```
 */
import { Store } from './member/store';
import { resolveOptions, type StoreOptions } from './options';

/**
 * Opens the shared store at `options.path`: joins the election, becomes the leader if nobody
 * leads, or connects to the leader. Resolves once this member can send requests.
 * Throws `INVALID_ARGUMENT` for bad options, `NO_LEADER` when no leader is reached within
 * `requestTimeoutMs`, `SCHEMA_CONFLICT` when a migration disagrees with the database.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const store = new Store(resolveOptions(options));
  await store.start();
  return store;
}

export { createClient } from './member/create-client';
export type { BatonOptions, ClientConfig } from './member/create-client';
export { Store } from './member/store';
export type { FailoverEvent, NotifyEvent, StoreEvents, StoreRole } from './member/store';
export { StoreTransaction } from './member/transaction';
export type { BatchStatement } from './member/statements';
export type {
  Client,
  InArgs,
  InStatement,
  InValue,
  IntMode,
  ResultSet,
  Row,
  Transaction,
  Value,
} from '@libsql/core/api';
export { LibsqlBatchError, LibsqlError } from './libsql-core';
export type { EpochRecord, LeaderStatus, MemberStatus, StoreStatus, SynchronousLevel } from './protocol/status';
export { StoreBatchError, StoreError, ERROR_CODES } from './errors';
export type { BatonError, ErrorCode } from './errors';
export type { StoreOptions } from './options';
export type { Migration, SqlValue, TransactionMode } from './protocol/messages';
export { databaseFiles, pidsHoldingOpen, pidsWritingTo } from './open-files';
export { didYouMean } from './did-you-mean';
export { readLeaderRecord, storePaths } from './paths';
export { chmodCommand, DEFAULT_FILE_MODE, exposedFiles, FILE_MODES, formatMode } from './file-modes';
export type { ExposedFile } from './file-modes';
export { removeStaleSockets } from './stale-sockets';
export type { LeaderRecord, StorePaths } from './paths';
export { PROTOCOL_VERSION } from './protocol/messages';
export { VERSION } from './version';
