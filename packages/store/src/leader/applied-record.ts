/**
 * The exactly-once record of one applied write in `_baton_applied`, written in the write's own
 * transaction. It is the largest cost of a small write that Baton adds, so the common outcomes
 * take no blob: a write without result rows keeps its `rowsAffected` and `lastInsertRowid` as two
 * INTEGER columns, a nil outcome (`notify`, `script`, `reset`, an interactive commit) keeps none,
 * and only the rest (result rows, batches, a script's recorded error) is stored msgpack-encoded.
 */
import { packValue, unpackValue } from '../protocol/framing';
import { isPlainResult } from '../protocol/write-response';
import type { SqliteConnection } from '../sqlite/sqlite-connection';
import type { JobOutcome } from './write-job';

const INSERT_RECORD =
  'INSERT INTO _baton_applied (client_id, seq, at, rows_affected, last_rowid, result) VALUES (?, ?, ?, ?, ?, ?)';
const SELECT_RECORD = 'SELECT rows_affected, last_rowid, result FROM _baton_applied WHERE client_id = ? AND seq = ?';

/**
 * An upper bound of a packed result without rows (an empty `columns`, `columnTypes` and `rows`
 * and two integers of at most 9 bytes each, with their keys): below this frame limit the result
 * is packed to measure it, above it cannot exceed the limit.
 */
const PLAIN_RESULT_MAX_BYTES = 96;

/** What the record of one outcome stores, ready to bind: rows affected, last rowid, blob. */
export interface RecordColumns {
  rowsAffected: number | null;
  lastRowid: bigint | null;
  result: Buffer | null;
}

/**
 * The columns recording `outcome`, and the size of the outcome on the wire when it must be
 * measured against `maxResultBytes` (null when it cannot exceed it).
 */
export function recordColumns(outcome: JobOutcome, maxResultBytes: number): RecordColumns & { bytes: number | null } {
  if ('ok' in outcome) {
    if (outcome.ok === null) return { rowsAffected: null, lastRowid: null, result: null, bytes: null };
    if (isPlainResult(outcome.ok)) {
      const bytes = maxResultBytes < PLAIN_RESULT_MAX_BYTES ? packValue(outcome).length : null;
      return { rowsAffected: outcome.ok.rowsAffected, lastRowid: outcome.ok.lastInsertRowid, result: null, bytes };
    }
  }
  const result = packValue(outcome);
  return { rowsAffected: null, lastRowid: null, result, bytes: result.length };
}

/** Records the outcome of request `seq` of `clientId`. Throws SQLite's error (a request id used twice). */
export function recordApplied(writer: SqliteConnection, clientId: string, seq: number, columns: RecordColumns): void {
  writer.write(INSERT_RECORD, clientId, seq, Date.now(), columns.rowsAffected, columns.lastRowid, columns.result);
}

/** The recorded outcome of request `seq` of `clientId`, or undefined when none is recorded. */
export function appliedOutcome(connection: SqliteConnection, clientId: string, seq: number): JobOutcome | undefined {
  const row = connection.first(SELECT_RECORD, clientId, seq);
  if (row === undefined) return undefined;
  const [rowsAffected, lastRowid, result] = row;
  // Written by `recordApplied` (or, for `result`, by a leader of protocol version 2): a JobOutcome packed whole.
  if (Buffer.isBuffer(result)) return unpackValue(result) as JobOutcome;
  // The connection reads integers as bigints (safeIntegers); both are set together, or neither.
  if (typeof rowsAffected !== 'bigint' || typeof lastRowid !== 'bigint') return { ok: null };
  return {
    ok: { columns: [], columnTypes: [], rows: [], rowsAffected: Number(rowsAffected), lastInsertRowid: lastRowid },
  };
}
