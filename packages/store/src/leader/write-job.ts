/**
 * One write of a group commit, run inside the group's transaction: its work (a statement, a
 * batch, a migration, a script, a notify or a reset), the exactly-once record of its outcome,
 * and the savepoint that lets it fail alone.
 */
import { StoreError, toStoreError, type WireError } from '../errors';
import type { BusyMarker } from '../protocol/busy-marker';
import type { WireStatement } from '../protocol/messages';
import { appliedOutcome, recordApplied, recordColumns } from './applied-record';
import { resetSchema } from './migrations';
import type { SqliteConnection } from '../sqlite/sqlite-connection';
import { runScript, runStatement, runStatements } from './statement-runner';

/** A write that joins a group commit. `clientId` + `seq` name it for exactly-once. */
export interface WriteJob {
  clientId: string;
  seq: number;
  retry: boolean;
  work:
    | { k: 'execute'; stmt: WireStatement }
    | { k: 'batch'; stmts: WireStatement[] }
    | { k: 'migrate'; stmts: WireStatement[] }
    | { k: 'script'; sql: string }
    | { k: 'notify' }
    | { k: 'reset' };
}

/** What a job came to: a value for the wire or an error. Recorded as is for exactly-once. */
export type JobOutcome = { ok: unknown } | { err: WireError };

/** What running a job needs besides the writer. */
export interface JobLimits {
  /** Marks the job as running, for the runaway watch. */
  marker?: BusyMarker;
  /** The largest result a write may return (the frame limit, less the response envelope). */
  maxResultBytes: number;
}

/** The savepoint each batch, migration, script and reset of a group commit runs in. */
const JOB_SAVEPOINT = '_baton_job';

/** The SQL of a job, for fault injection. */
export function sqlOf(job: WriteJob): string[] {
  const { work } = job;
  if (work.k === 'execute') return [work.stmt.sql];
  if (work.k === 'batch' || work.k === 'migrate') return work.stmts.map((s) => s.sql);
  if (work.k === 'script') return [work.sql];
  return [];
}

function undoJob(writer: SqliteConnection): void {
  writer.write(`ROLLBACK TO ${JOB_SAVEPOINT}`);
  writer.write(`RELEASE ${JOB_SAVEPOINT}`);
}

function applyWork(writer: SqliteConnection, work: WriteJob['work']): unknown {
  switch (work.k) {
    case 'execute':
      return runStatement(writer, work.stmt, 'statement');
    case 'batch':
    case 'migrate':
      return runStatements(writer, work.stmts, 'batch');
    case 'script':
      runScript(writer, work.sql);
      return null;
    case 'notify':
      return null;
    case 'reset':
      resetSchema(writer);
      return null;
  }
}

/**
 * Runs one job in the writer's open transaction. A re-sent job already applied is answered
 * from the applied-requests table. A single statement needs no savepoint: when it fails, SQLite
 * backs out that statement and keeps the transaction. Batches, migrations, scripts and resets
 * run in a savepoint, so they are all-or-nothing, except that a failing script keeps what it
 * had done, as libsql's does (its failure is then recorded like a result, so a re-send does not
 * run it again). `undoable: false` means the job's effect is in the transaction but the job
 * must fail (its result is too large to send): only a rollback of the group removes it.
 */
export function runJob(
  writer: SqliteConnection,
  job: WriteJob,
  limits: JobLimits,
): { outcome: JobOutcome; undoable: boolean } {
  limits.marker?.begin(job.clientId, job.seq);
  if (job.retry) {
    const applied = appliedOutcome(writer, job.clientId, job.seq);
    if (applied !== undefined) return { outcome: applied, undoable: true };
  }
  const savepoint = job.work.k !== 'execute';
  if (savepoint) writer.write(`SAVEPOINT ${JOB_SAVEPOINT}`);
  let outcome: JobOutcome;
  try {
    outcome = { ok: applyWork(writer, job.work) };
  } catch (error) {
    const err = toStoreError(error).toWire();
    if (job.work.k !== 'script' || !writer.db.inTransaction) {
      if (savepoint && writer.db.inTransaction) undoJob(writer);
      return { outcome: { err }, undoable: true };
    }
    outcome = { err };
  }
  const record = recordColumns(outcome, limits.maxResultBytes);
  if (record.bytes !== null && record.bytes > limits.maxResultBytes) {
    // Refused before committing: an error after the commit would report as failed a write
    // that was in fact applied.
    const error = new StoreError(
      'RESULT_TOO_LARGE',
      `the result is ${record.bytes} bytes, more than the frame limit of ${limits.maxResultBytes}; the write was not applied`,
    );
    return { outcome: { err: error.toWire() }, undoable: false };
  }
  try {
    recordApplied(writer, job.clientId, job.seq, record);
  } catch (error) {
    // A request id used twice (only a misbehaving client does that): refuse the job.
    if (savepoint) undoJob(writer);
    return { outcome: { err: toStoreError(error).toWire() }, undoable: savepoint };
  }
  if (savepoint) writer.write(`RELEASE ${JOB_SAVEPOINT}`);
  return { outcome, undoable: true };
}
