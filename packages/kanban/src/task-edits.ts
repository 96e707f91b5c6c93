/**
 * The edits of one task that are not its work cycle. Most need a precise refusal (a cycle, a
 * task in the wrong state), so they run as interactive transactions (`inTransaction`); comments
 * and subscriptions are single batches.
 */
import { KanbanError, fromClientError } from './errors';
import { inTransaction, logEvent, requireTask } from './in-transaction';
import { BoardQueries } from './queries';
import { toTask } from './rows';
import { stmt, type Params } from './statement';
import type { Task } from './types';
import * as check from './validate';
import { PARENTS_DONE, READY_CHANNEL, type BoardStore, type ReadyNotice } from './board-store';

/** The edits of one task, each one transaction: links, assignment, comments, blocking, archiving, subscriptions. */
export class TaskEdits extends BoardQueries {
  /**
   * @param store - the member's client (on Baton, leader-hosting or forwarding: it makes no difference)
   * @param actor - who this member is in the event log (its profile name)
   */
  constructor(
    protected override readonly store: BoardStore,
    readonly actor: string,
  ) {
    super(store);
    check.profile(actor, 'actor');
  }

  /** Links `parent` before `child`: the child waits for the parent. Refuses cycles (`CYCLE`). */
  async link(parent: string, child: string): Promise<{ linked: boolean }> {
    check.taskId(parent, 'parent id');
    check.taskId(child, 'child id');
    if (parent === child) throw new KanbanError('CYCLE', `a task cannot be its own parent (${parent})`);
    return inTransaction(this.store, async (tx) => {
      const parentTask = await requireTask(tx, parent);
      const childTask = await requireTask(tx, child);
      const cycle = await tx.execute(
        stmt(
          `WITH RECURSIVE ancestors(id) AS (SELECT :parent UNION SELECT l.parent FROM task_links l JOIN ancestors a ON l.child = a.id)
         SELECT 1 FROM ancestors WHERE id = :child LIMIT 1`,
          { parent, child },
        ),
      );
      if (cycle.rows.length > 0)
        throw new KanbanError('CYCLE', `${child} is already an ancestor of ${parent}; linking them would make a cycle`);
      const inserted = await tx.execute({
        sql: `INSERT INTO task_links (parent, child, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
        args: [parent, child, Date.now()],
      });
      if (inserted.rowsAffected === 0) return { linked: false };
      await logEvent(tx, this.actor, child, 'linked', { parent });
      if (childTask.status === 'ready' && parentTask.status !== 'done') {
        await tx.execute({ sql: `UPDATE tasks SET status = 'todo' WHERE id = ?`, args: [child] });
        await logEvent(tx, this.actor, child, 'demoted', { waitingFor: parent });
      }
      return { linked: true };
    });
  }

  /** Removes a link; a `todo` child left with no unfinished parent becomes ready. */
  async unlink(parent: string, child: string): Promise<{ unlinked: boolean }> {
    check.taskId(parent, 'parent id');
    check.taskId(child, 'child id');
    const result = await inTransaction(this.store, async (tx) => {
      const removed = await tx.execute({
        sql: `DELETE FROM task_links WHERE parent = ? AND child = ?`,
        args: [parent, child],
      });
      if (removed.rowsAffected === 0) return { unlinked: false, promoted: false };
      await logEvent(tx, this.actor, child, 'unlinked', { parent });
      const promoted = await tx.execute({
        sql: `UPDATE tasks AS t SET status = 'ready' WHERE t.id = ? AND t.status = 'todo' AND ${PARENTS_DONE} RETURNING id`,
        args: [child],
      });
      if (promoted.rows.length > 0) await logEvent(tx, this.actor, child, 'promoted', null);
      return { unlinked: true, promoted: promoted.rows.length > 0 };
    });
    if (result.promoted) await this.announce([child], 'promoted');
    return { unlinked: result.unlinked };
  }

  /** Assigns a task to a profile (only that profile's dispatcher will claim it), or unassigns it with `null`. */
  async assign(taskId: string, assignee: string | null): Promise<Task> {
    check.taskId(taskId);
    const who = assignee === null ? null : check.profile(assignee, 'assignee');
    return inTransaction(this.store, async (tx) => {
      const before = await requireTask(tx, taskId);
      const after = await tx.execute({
        sql: `UPDATE tasks SET assignee = ? WHERE id = ? RETURNING *`,
        args: [who, taskId],
      });
      await logEvent(tx, this.actor, taskId, 'assigned', { from: before.assignee, to: who });
      return toTask(after.rows[0]!);
    });
  }

  /** Adds a comment to a task. */
  async comment(taskId: string, body: string): Promise<{ id: number }> {
    const p: Params = {
      id: check.taskId(taskId),
      body: check.text(body, 'comment', 1, 10_000),
      actor: this.actor,
      now: Date.now(),
    };
    let results;
    try {
      results = await this.store.batch(
        [
          stmt(
            `INSERT INTO task_comments (task_id, author, body, created_at) SELECT id, :actor, :body, :now FROM tasks WHERE id = :id RETURNING id`,
            p,
          ),
          stmt(
            `INSERT INTO task_events (task_id, kind, actor, data, at)
              SELECT task_id, 'commented', :actor, json_object('commentId', id), :now FROM task_comments WHERE id = last_insert_rowid() AND task_id = :id`,
            p,
          ),
        ],
        'write',
      );
    } catch (error) {
      throw fromClientError(error, 'comment');
    }
    const row = results[0]!.rows[0];
    if (row === undefined) throw new KanbanError('NOT_FOUND', `task ${taskId} does not exist`);
    return { id: Number(row.id) };
  }

  /** Blocks a task (from any status but done and archived); a running task's claim is released. */
  async block(taskId: string, reason: string): Promise<Task> {
    check.taskId(taskId);
    const why = check.text(reason, 'reason', 1, 2000);
    return inTransaction(this.store, async (tx) => {
      const task = await requireTask(tx, taskId);
      if (task.status === 'done' || task.status === 'archived' || task.status === 'blocked') {
        throw new KanbanError('INVALID_STATE', `task ${taskId} is ${task.status}; only an open task can be blocked`);
      }
      const now = Date.now();
      if (task.claimLock !== null) {
        await tx.execute({
          sql: `UPDATE task_runs SET status = 'released', ended_at = ?, error = ? WHERE id = ? AND status = 'running'`,
          args: [now, `blocked: ${why}`, task.claimLock],
        });
      }
      const after = await tx.execute({
        sql: `UPDATE tasks SET status = 'blocked', claim_lock = NULL, claim_expires = NULL, worker_pid = NULL, current_run_id = NULL WHERE id = ? RETURNING *`,
        args: [taskId],
      });
      await logEvent(tx, this.actor, taskId, 'blocked', { reason: why, from: task.status });
      return toTask(after.rows[0]!);
    });
  }

  /** Unblocks a blocked task: ready again (or todo while it has unfinished parents), failures reset. */
  async unblock(taskId: string): Promise<Task> {
    check.taskId(taskId);
    const task = await inTransaction(this.store, async (tx) => {
      const before = await requireTask(tx, taskId);
      if (before.status !== 'blocked')
        throw new KanbanError('INVALID_STATE', `task ${taskId} is ${before.status}, not blocked`);
      const after = await tx.execute({
        sql: `UPDATE tasks AS t SET status = CASE WHEN ${PARENTS_DONE} THEN 'ready' ELSE 'todo' END, consecutive_failures = 0 WHERE t.id = ? RETURNING *`,
        args: [taskId],
      });
      const unblocked = toTask(after.rows[0]!);
      await logEvent(tx, this.actor, taskId, 'unblocked', { to: unblocked.status });
      return unblocked;
    });
    if (task.status === 'ready') await this.announce([taskId], 'unblocked');
    return task;
  }

  /** Archives a task that is not running (it stays in the database and the log). */
  async archive(taskId: string): Promise<Task> {
    check.taskId(taskId);
    return inTransaction(this.store, async (tx) => {
      const task = await requireTask(tx, taskId);
      if (task.status === 'running' || task.status === 'archived') {
        throw new KanbanError(
          'INVALID_STATE',
          `task ${taskId} is ${task.status}; ${task.status === 'running' ? 'block it first' : 'nothing to do'}`,
        );
      }
      const after = await tx.execute({
        sql: `UPDATE tasks SET status = 'archived' WHERE id = ? RETURNING *`,
        args: [taskId],
      });
      await logEvent(tx, this.actor, taskId, 'archived', { from: task.status });
      return toTask(after.rows[0]!);
    });
  }

  /**
   * Registers (or moves) a subscriber's cursor on the event log, optionally for one task.
   * @param from - the event id after which `poll` starts; default: the current end of the log
   */
  async subscribe(subscriber: string, options: { taskId?: string; from?: number } = {}): Promise<{ cursor: number }> {
    const p: Params = {
      who: check.profile(subscriber, 'subscriber'),
      task: options.taskId === undefined ? null : check.taskId(options.taskId),
      from: options.from === undefined ? null : check.integer(options.from, 'from', 0, Number.MAX_SAFE_INTEGER),
      now: Date.now(),
    };
    try {
      const [result] = await this.store.batch(
        [
          stmt(
            `INSERT INTO notify_subs (subscriber, task_id, cursor, created_at, updated_at)
              VALUES (:who, :task, COALESCE(:from, (SELECT COALESCE(MAX(id), 0) FROM task_events)), :now, :now)
              ON CONFLICT (subscriber) DO UPDATE SET task_id = excluded.task_id, cursor = excluded.cursor, updated_at = excluded.updated_at
              RETURNING cursor`,
            p,
          ),
        ],
        'write',
      );
      return { cursor: Number(result!.rows[0]!.cursor) };
    } catch (error) {
      throw fromClientError(error, 'subscribe');
    }
  }

  /**
   * Announces ready tasks to every member's dispatcher, where the client can (Baton's
   * `notify`). Best effort: the dispatchers' sweep covers a lost notice, and is all there is on
   * a client without `notify`.
   */
  protected async announce(taskIds: string[], reason: string): Promise<void> {
    if (this.store.notify === undefined) return;
    const notice: ReadyNotice = { taskIds, reason };
    try {
      await this.store.notify(READY_CHANNEL, notice);
    } catch {
      // The change is committed; a dispatcher's periodic sweep finds the task anyway.
    }
  }
}
