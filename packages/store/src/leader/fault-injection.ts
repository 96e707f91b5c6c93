/**
 * Test-only fault points. Tests set `BATON_FAULT=<point>:<marker>` in a member's environment;
 * when a group commit (single writes, batches) or an interactive write transaction contains a
 * statement whose SQL includes `<marker>`, the whole process is SIGKILLed at `<point>`. Unset
 * (always, in production) it costs one string comparison per commit.
 *
 * Points: `crash-before-commit` (after executing, before COMMIT; group commits) and
 * `crash-after-commit` (after COMMIT, before any reply is sent; group commits and transaction
 * commits). One point takes no marker: `BATON_FAULT=crash-before-record` kills a new leader
 * after it opened the database and took its epoch, before it writes its leader record.
 */

/** Where in a commit a fault can be injected. */
export type FaultPoint = 'crash-before-commit' | 'crash-after-commit';

const spec = process.env.BATON_FAULT ?? '';
const separator = spec.indexOf(':');
const point = separator > 0 ? spec.slice(0, separator) : spec;
const marker = separator > 0 ? spec.slice(separator + 1) : '';
/** The SQL run in the open interactive write transaction (one at a time), kept only while a fault is set. */
let transactionSql: string[] = [];

/** Kills this process if the configured fault is `at` and one of `sqlTexts` carries the marker. */
export function maybeInjectFault(at: FaultPoint, sqlTexts: () => string[]): void {
  if (point !== at || marker === '') return;
  if (sqlTexts().some((sql) => sql.includes(marker))) process.kill(process.pid, 'SIGKILL');
}

/** Notes SQL run in the open interactive write transaction; `begin` starts a new one. */
export function noteTransactionSql(sqlTexts: () => string[], begin = false): void {
  if (marker === '') return;
  if (begin) transactionSql = [];
  transactionSql.push(...sqlTexts());
}

/** `maybeInjectFault` for the interactive write transaction that just ended, with the SQL it ran. */
export function maybeInjectTransactionFault(at: FaultPoint): void {
  const sql = transactionSql;
  transactionSql = [];
  maybeInjectFault(at, () => sql);
}

/** Kills this process if the configured fault is `crash-before-record`. */
export function maybeCrashBeforeRecord(): void {
  if (point === 'crash-before-record') process.kill(process.pid, 'SIGKILL');
}
