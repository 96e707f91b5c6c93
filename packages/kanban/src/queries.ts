/**
 * The board's reads: list, show, tail, stats, and polling a subscription, through any
 * `@libsql/client`-shaped client (on Baton they are served by the leader's reader connection,
 * the last committed state). Multi-statement reads run as one `read` batch so they see one
 * snapshot.
 */
import type { Client } from '@baton/store';
import { KanbanError } from './errors';
import { text, toComment, toEvent, toRun, toTask } from './rows';
import { TASK_STATUSES } from './schema';
import { stmt, type Params } from './statement';
import type { BoardStats, Task, TaskDetail, TaskEvent, TaskStatus } from './types';
import * as check from './validate';

/** Filters of `list`. */
export interface ListFilter {
  status?: TaskStatus;
  assignee?: string;
  /** At most this many tasks (default 100, at most 10000). */
  limit?: number;
}

/** Filters of `tail`. */
export interface TailFilter {
  /** Only events with a larger id (default 0: from the start). */
  after?: number;
  taskId?: string;
  /** At most this many events (default 100, at most 10000). */
  limit?: number;
  /** Leave out heartbeat events (default true): they are most of the log while work runs. */
  skipHeartbeats?: boolean;
}

/** The read side of a board. */
export class BoardQueries {
  /** @param store - the client the board reads through (a Baton member or any libSQL client) */
  constructor(protected readonly store: Pick<Client, 'execute' | 'batch'>) {}

  /** Tasks, newest first, optionally filtered by status and assignee. */
  async list(filter: ListFilter = {}): Promise<Task[]> {
    const p: Params = {
      status: filter.status === undefined ? null : check.status(filter.status),
      assignee: filter.assignee === undefined ? null : check.profile(filter.assignee, 'assignee'),
      limit: filter.limit === undefined ? 100 : check.integer(filter.limit, 'limit', 1, 10_000),
    };
    const result = await this.store.execute(
      stmt(
        `SELECT * FROM tasks WHERE (:status IS NULL OR status = :status) AND (:assignee IS NULL OR assignee = :assignee)
            ORDER BY created_at DESC, id LIMIT :limit`,
        p,
      ),
    );
    return result.rows.map(toTask);
  }

  /** One task with its links, comments, runs and events. Throws `NOT_FOUND`. */
  async show(taskId: string): Promise<TaskDetail> {
    const p: Params = { id: check.taskId(taskId) };
    const [task, parents, children, comments, runs, events] = await this.store.batch(
      [
        stmt(`SELECT * FROM tasks WHERE id = :id`, p),
        stmt(`SELECT parent FROM task_links WHERE child = :id ORDER BY parent`, p),
        stmt(`SELECT child FROM task_links WHERE parent = :id ORDER BY child`, p),
        stmt(`SELECT * FROM task_comments WHERE task_id = :id ORDER BY id`, p),
        stmt(`SELECT * FROM task_runs WHERE task_id = :id ORDER BY started_at, id`, p),
        stmt(`SELECT * FROM task_events WHERE task_id = :id ORDER BY id`, p),
      ],
      'read',
    );
    const row = task!.rows[0];
    if (row === undefined) throw new KanbanError('NOT_FOUND', `task ${taskId} does not exist`);
    return {
      task: toTask(row),
      parents: parents!.rows.map((r) => text(r.parent)),
      children: children!.rows.map((r) => text(r.child)),
      comments: comments!.rows.map(toComment),
      runs: runs!.rows.map(toRun),
      events: events!.rows.map(toEvent),
    };
  }

  /** Events of the append-only log in order, after a cursor. */
  async tail(filter: TailFilter = {}): Promise<TaskEvent[]> {
    const p: Params = {
      after: filter.after === undefined ? 0 : check.integer(filter.after, 'after', 0, Number.MAX_SAFE_INTEGER),
      task: filter.taskId === undefined ? null : check.taskId(filter.taskId),
      limit: filter.limit === undefined ? 100 : check.integer(filter.limit, 'limit', 1, 10_000),
      skip: filter.skipHeartbeats === false ? 0 : 1,
    };
    const result = await this.store.execute(
      stmt(
        `SELECT * FROM task_events WHERE id > :after AND (:task IS NULL OR task_id = :task) AND (:skip = 0 OR kind <> 'heartbeat')
            ORDER BY id LIMIT :limit`,
        p,
      ),
    );
    return result.rows.map(toEvent);
  }

  /**
   * The events a subscriber has not seen yet (after its cursor, for its task if it has one),
   * and moves its cursor past them, in one transaction. Throws `NOT_FOUND` for an unknown subscriber.
   */
  async poll(subscriber: string, limit = 100): Promise<TaskEvent[]> {
    const p: Params = {
      who: check.profile(subscriber, 'subscriber'),
      limit: check.integer(limit, 'limit', 1, 10_000),
      now: Date.now(),
    };
    const pending = `SELECT e.* FROM task_events e JOIN notify_subs s ON s.subscriber = :who
                     WHERE e.id > s.cursor AND (s.task_id IS NULL OR e.task_id = s.task_id) ORDER BY e.id LIMIT :limit`;
    const [sub, events] = await this.store.batch(
      [
        stmt(`SELECT cursor FROM notify_subs WHERE subscriber = :who`, p),
        stmt(pending, p),
        stmt(
          `UPDATE notify_subs SET cursor = COALESCE((SELECT MAX(id) FROM (${pending})), cursor), updated_at = :now WHERE subscriber = :who`,
          p,
        ),
      ],
      'write',
    );
    if (sub!.rows.length === 0)
      throw new KanbanError('NOT_FOUND', `no subscriber named ${subscriber}; subscribe first`);
    return events!.rows.map(toEvent);
  }

  /** Counts by status, events and runs, from one snapshot. */
  async stats(): Promise<BoardStats> {
    const [byStatus, events, runs] = await this.store.batch(
      [
        `SELECT status, COUNT(*) AS n FROM tasks GROUP BY status`,
        `SELECT COUNT(*) AS n FROM task_events`,
        `SELECT status, COUNT(*) AS n FROM task_runs GROUP BY status`,
      ],
      'read',
    );
    const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    let total = 0;
    for (const row of byStatus!.rows) {
      counts[text(row.status) as TaskStatus] = Number(row.n);
      total += Number(row.n);
    }
    const runCounts = { total: 0, running: 0, completed: 0, failed: 0, released: 0 };
    for (const row of runs!.rows) {
      const key = text(row.status) as keyof typeof runCounts;
      runCounts[key] = Number(row.n);
      runCounts.total += Number(row.n);
    }
    return { total, byStatus: counts, events: Number(events!.rows[0]!.n), runs: runCounts };
  }
}
