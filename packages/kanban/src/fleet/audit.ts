/**
 * The end-of-run audit of a board, for the demo and the multi-process tests: read the file
 * with an independent SQLite connection (after every member exited) and check what the fleet
 * must guarantee. The connection is typed as the small structural subset used, so the caller
 * brings its own driver (better-sqlite3 in the demo and tests) and this package does not
 * depend on one.
 */

/** The part of a SQLite connection the audit needs (better-sqlite3's `Database` fits). */
export interface SqlReader {
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
}

/** What the audit found. */
export interface BoardAudit {
  /** `PRAGMA integrity_check`: "ok" when the file is sound. */
  integrity: string;
  tasks: number;
  byStatus: Record<string, number>;
  /** Acknowledged task ids that are not in the file (must be none). */
  missing: string[];
  /** Tasks without exactly one `created` event. */
  createdNotOnce: string[];
  /** Tasks whose number of `completed` events is not 1 if done, 0 otherwise. */
  completedMismatch: string[];
  /** Tasks claimed while a previous claim had not ended, or completed by two runs (must be none). */
  claimedTwice: string[];
  runs: number;
  events: number;
}

const ENDS = new Set(['completed', 'failed', 'released', 'blocked']);

/**
 * Audits the board behind `db`.
 * @param acknowledged - task ids whose creation the store acknowledged to someone
 */
export function auditBoard(db: SqlReader, acknowledged: Iterable<string> = []): BoardAudit {
  const all = <T>(sql: string): T[] => db.prepare(sql).all() as T[];
  const integrity = all<{ integrity_check: string }>('PRAGMA integrity_check')
    .map((r) => r.integrity_check)
    .join('; ');
  const ids = new Set(all<{ id: string }>('SELECT id FROM tasks').map((r) => r.id));
  const byStatus: Record<string, number> = {};
  for (const row of all<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status'))
    byStatus[row.status] = row.n;
  const createdNotOnce = all<{ id: string }>(
    `SELECT id FROM tasks t WHERE (SELECT COUNT(*) FROM task_events e WHERE e.task_id = t.id AND e.kind = 'created') <> 1`,
  ).map((r) => r.id);
  const completedMismatch = all<{ id: string }>(`SELECT id FROM tasks t
    WHERE (SELECT COUNT(*) FROM task_events e WHERE e.task_id = t.id AND e.kind = 'completed') <> (CASE WHEN t.status = 'done' THEN 1 ELSE 0 END)`).map(
    (r) => r.id,
  );
  // In commit order (event ids), a `claimed` while the task's previous claim is still open is a double claim.
  const open = new Set<string>();
  const claimedTwice = new Set<string>();
  for (const e of all<{ task_id: string; kind: string }>(
    `SELECT task_id, kind FROM task_events WHERE kind IN ('claimed', 'completed', 'failed', 'released', 'blocked') ORDER BY id`,
  )) {
    if (e.kind === 'claimed') {
      if (open.has(e.task_id)) claimedTwice.add(e.task_id);
      open.add(e.task_id);
    } else if (ENDS.has(e.kind)) {
      open.delete(e.task_id);
    }
  }
  // Whatever the log says, two completed runs of one task are a double claim.
  for (const row of all<{ task_id: string }>(
    `SELECT task_id FROM task_runs WHERE status = 'completed' GROUP BY task_id HAVING COUNT(*) > 1`,
  ))
    claimedTwice.add(row.task_id);
  return {
    integrity,
    tasks: ids.size,
    byStatus,
    missing: [...acknowledged].filter((id) => !ids.has(id)),
    createdNotOnce,
    completedMismatch,
    claimedTwice: [...claimedTwice],
    runs: all<{ n: number }>('SELECT COUNT(*) AS n FROM task_runs')[0]!.n,
    events: all<{ n: number }>('SELECT COUNT(*) AS n FROM task_events')[0]!.n,
  };
}
