/**
 * The demo's final checks, made by an independent reader: a fresh read-only better-sqlite3
 * connection opened after every gateway has exited, so nothing of Baton stands between the
 * check and the file.
 */
import Database from 'better-sqlite3';

/** One line of the final check. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** What the fleet reported over IPC, to hold against the file. */
export interface Reported {
  /** Task ids whose creation the store acknowledged. */
  acked: Set<string>;
  /** Completions the dispatchers reported (task id per report). */
  completions: string[];
}

/** What the file holds. */
export interface BoardFacts {
  tasks: number;
  byStatus: Record<string, number>;
  integrity: string;
  missingAcked: string[];
  createdNotOnce: number;
  completedMismatch: number;
  claimedTwice: string[];
  runs: number;
  events: number;
}

/** Reads the board file and analyses it. */
export function readBoard(path: string, reported: Reported): BoardFacts {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const ids = new Set((db.prepare('SELECT id FROM tasks').all() as { id: string }[]).map((r) => r.id));
    const byStatus: Record<string, number> = {};
    for (const row of db.prepare('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status').all() as { status: string; n: number }[]) byStatus[row.status] = row.n;
    // Exactly one `created` event per task.
    const createdNotOnce = (db.prepare(`SELECT COUNT(*) AS n FROM tasks t WHERE (SELECT COUNT(*) FROM task_events e WHERE e.task_id = t.id AND e.kind = 'created') <> 1`).get() as { n: number }).n;
    // Exactly one `completed` event per done task, none for the others.
    const completedMismatch = (db.prepare(`SELECT COUNT(*) AS n FROM tasks t
      WHERE (SELECT COUNT(*) FROM task_events e WHERE e.task_id = t.id AND e.kind = 'completed') <> (CASE WHEN t.status = 'done' THEN 1 ELSE 0 END)`).get() as { n: number }).n;
    // Claimed twice: a `claimed` event while the task's previous claim had not ended (in commit order).
    const open = new Map<string, boolean>();
    const claimedTwice = new Set<string>();
    const ends = new Set(['completed', 'failed', 'released', 'blocked']);
    for (const e of db.prepare(`SELECT task_id, kind FROM task_events WHERE kind IN ('claimed', 'completed', 'failed', 'released', 'blocked') ORDER BY id`).iterate() as IterableIterator<{ task_id: string; kind: string }>) {
      if (e.kind === 'claimed') {
        if (open.get(e.task_id) === true) claimedTwice.add(e.task_id);
        open.set(e.task_id, true);
      } else if (ends.has(e.kind)) {
        open.set(e.task_id, false);
      }
    }
    // A task completed by two runs is a double claim too, whatever the log says.
    for (const row of db.prepare(`SELECT task_id FROM task_runs WHERE status = 'completed' GROUP BY task_id HAVING COUNT(*) > 1`).all() as { task_id: string }[]) claimedTwice.add(row.task_id);
    const counts = new Map<string, number>();
    for (const id of reported.completions) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, n] of counts) if (n > 1) claimedTwice.add(id);
    return {
      tasks: ids.size,
      byStatus,
      integrity,
      missingAcked: [...reported.acked].filter((id) => !ids.has(id)),
      createdNotOnce,
      completedMismatch,
      claimedTwice: [...claimedTwice],
      runs: (db.prepare('SELECT COUNT(*) AS n FROM task_runs').get() as { n: number }).n,
      events: (db.prepare('SELECT COUNT(*) AS n FROM task_events').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
