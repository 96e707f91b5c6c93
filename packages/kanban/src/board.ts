/**
 * The board: every kanban operation, each one transaction through the client, and each change
 * writing its `task_events` entry in that same transaction. The client is anything shaped like
 * `@libsql/client`'s `Client`: a Baton member (where `notify` announces ready tasks to every
 * member) or a libSQL client on a file or a server (where dispatchers find new work by their
 * periodic sweep instead).
 *
 * The hot paths here (create, claim, heartbeat, complete, fail, release, promote) are single
 * atomic batches: one round trip, grouped with other members' writes by the leader. Their
 * guards are in the SQL itself (`... WHERE claim_lock = :run`, `INSERT ... SELECT ... WHERE`),
 * so a batch never needs to read before it writes. The rare operations that need a precise
 * refusal (link with its cycle check, block, archive...) are in task-edits.ts.
 *
 * On Baton a board works the same whether this process hosts the leader or forwards to it.
 */
import { LibsqlError } from '@baton/store';
import { PARENTS_DONE } from './board-store';
import { fromClientError, KanbanError } from './errors';
import { newRunId, newTaskId } from './ids';
import { text, toRun, toTask } from './rows';
import { stmt, type Params } from './statement';
import { TaskEdits } from './task-edits';
import type { Task, TaskRun, TaskStatus } from './types';
import * as check from './validate';

export { READY_CHANNEL, type BoardStore, type ReadyNotice } from './board-store';

/** Input of `create`. */
export interface CreateInput {
  title: string;
  body?: string;
  assignee?: string | null;
  priority?: number;
  /** Tasks that must be done before this one becomes ready. */
  parents?: string[];
  /** The same key twice returns the first task instead of creating another. */
  idempotencyKey?: string;
  /** Initial status: `ready` (default; `todo` until its parents are done), `todo` or `triage`. */
  status?: 'triage' | 'todo' | 'ready';
}

/** A claimed task and the run that records the claim. */
export interface Claim {
  task: Task;
  run: TaskRun;
}

/** Options of `claim`. */
export interface ClaimOptions {
  /** How long the claim lives without a heartbeat. Default 30 s. */
  ttlMs?: number;
  /** Claim this task only (it must be ready and unclaimed); default: the best ready task. */
  taskId?: string;
  /** The pid recorded as the worker's. Default: this process. */
  workerPid?: number;
}

/** Consecutive failures after which a task is blocked instead of retried. */
export const DEFAULT_MAX_FAILURES = 3;
const DEFAULT_TTL_MS = 30_000;
const MAX_PARENTS = 50;

const HAS_PARENT = `EXISTS (SELECT 1 FROM task_links l WHERE l.child = t.id)`;

/** The kanban board of one member. */

/**
 * The kanban board of one member: creating tasks and their work cycle (claim, heartbeat,
 * complete or fail, release, promote); the edits of one task (links, assignment, comments,
 * blocking, archiving, subscriptions) come from `TaskEdits`.
 */
export class Board extends TaskEdits {
  /**
   * Creates a task. With an `idempotencyKey` already used, returns the first task and
   * `created: false`. A task with unfinished parents starts in `todo` and is promoted to
   * `ready` when they are done. Announces a ready task on `READY_CHANNEL`.
   */
  async create(input: CreateInput): Promise<{ task: Task; created: boolean }> {
    const title = check.text(input.title, 'title', 1, 500);
    const body = input.body === undefined ? '' : check.text(input.body, 'body', 0, 100_000);
    const assignee =
      input.assignee === undefined || input.assignee === null ? null : check.profile(input.assignee, 'assignee');
    const priority = input.priority === undefined ? 0 : check.integer(input.priority, 'priority', -1000, 1000);
    const parents = [...new Set((input.parents ?? []).map((p) => check.taskId(p, 'parent id')))];
    if (parents.length > MAX_PARENTS)
      throw new KanbanError('INVALID_ARGUMENT', `a task may have at most ${MAX_PARENTS} parents`);
    const key = input.idempotencyKey === undefined ? null : check.text(input.idempotencyKey, 'idempotency key', 1, 200);
    const wanted = input.status ?? 'ready';
    if (wanted !== 'ready' && wanted !== 'todo' && wanted !== 'triage')
      throw new KanbanError(
        'INVALID_ARGUMENT',
        `a new task's status must be ready, todo or triage, got ${JSON.stringify(wanted)}`,
      );
    const waitsForParents = wanted === 'ready' && parents.length > 0;

    // A 32-bit id can collide with an existing task: try again with a fresh one.
    for (let attempt = 1; ; attempt++) {
      const now = Date.now();
      const p: Params = {
        id: newTaskId(),
        title,
        body,
        assignee,
        priority,
        key,
        now,
        actor: this.actor,
        status: waitsForParents ? 'todo' : wanted,
        data: JSON.stringify({ title, priority, assignee, parents }),
      };
      const statements = [
        stmt(
          `INSERT INTO tasks (id, title, body, assignee, status, priority, created_by, created_at, idempotency_key)
              VALUES (:id, :title, :body, :assignee, :status, :priority, :actor, :now, :key) ON CONFLICT (idempotency_key) DO NOTHING`,
          p,
        ),
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, data, at) SELECT id, 'created', :actor, :data, :now FROM tasks WHERE id = :id`,
          p,
        ),
        ...parents.map((parent) =>
          stmt(
            `INSERT INTO task_links (parent, child, created_at) SELECT :parent, id, :now FROM tasks WHERE id = :id`,
            { ...p, parent },
          ),
        ),
        ...(waitsForParents ? this.promoteStatements(`t.id = :id`, p) : []),
        stmt(`SELECT * FROM tasks WHERE id = :id OR (:key IS NOT NULL AND idempotency_key = :key)`, p),
      ];
      let results;
      try {
        results = await this.store.batch(statements, 'write');
      } catch (error) {
        if (error instanceof LibsqlError && error.extendedCode === 'SQLITE_CONSTRAINT_PRIMARYKEY' && attempt < 5)
          continue;
        throw fromClientError(error, 'create');
      }
      const row = results[results.length - 1]!.rows[0];
      if (row === undefined) throw new KanbanError('INVALID_STATE', 'create: the task vanished in its own transaction');
      const task = toTask(row);
      const created = task.id === p.id;
      if (created && task.status === 'ready') await this.announce([task.id], 'created');
      return { task, created };
    }
  }

  /**
   * Claims a ready, unclaimed task (compare-and-swap on `status = 'ready' AND claim_lock IS
   * NULL`): the best one by priority then age, among those unassigned or assigned to this
   * actor, or `options.taskId`. Resolves with the task and its new run, or `null` when there is
   * nothing to claim. Two claimants never get the same task: the leader applies their writes one
   * after the other, and the second one's guard no longer matches.
   */
  async claim(options: ClaimOptions = {}): Promise<Claim | null> {
    const ttlMs = options.ttlMs === undefined ? DEFAULT_TTL_MS : check.integer(options.ttlMs, 'ttlMs', 100, 86_400_000);
    const only = options.taskId === undefined ? null : check.taskId(options.taskId);
    const now = Date.now();
    const p: Params = {
      run: newRunId(),
      actor: this.actor,
      now,
      expires: now + ttlMs,
      pid: options.workerPid ?? process.pid,
      only,
    };
    const pick =
      only === null
        ? `SELECT id FROM tasks WHERE status = 'ready' AND claim_lock IS NULL AND (assignee IS NULL OR assignee = :actor) ORDER BY priority DESC, created_at, id LIMIT 1`
        : `SELECT :only`;
    const results = await this.store.batch(
      [
        stmt(
          `UPDATE tasks SET status = 'running', claim_lock = :run, claim_expires = :expires, started_at = :now, worker_pid = :pid,
                   last_heartbeat_at = :now, current_run_id = :run
            WHERE id = (${pick}) AND status = 'ready' AND claim_lock IS NULL RETURNING *`,
          p,
        ),
        stmt(
          `INSERT INTO task_runs (id, task_id, profile, worker_pid, status, started_at)
            SELECT :run, id, :actor, :pid, 'running', :now FROM tasks WHERE claim_lock = :run`,
          p,
        ),
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, run_id, data, at)
            SELECT id, 'claimed', :actor, :run, json_object('workerPid', :pid, 'expires', :expires), :now FROM tasks WHERE claim_lock = :run`,
          p,
        ),
        stmt(`SELECT * FROM task_runs WHERE id = :run`, p),
      ],
      'write',
    );
    const taskRow = results[0]!.rows[0];
    const runRow = results[3]!.rows[0];
    if (taskRow === undefined || runRow === undefined) return null;
    return { task: toTask(taskRow), run: toRun(runRow) };
  }

  /** Extends a claim by `ttlMs` from now. Throws `CLAIM_LOST` when the claim is no longer this run's. */
  async heartbeat(run: string, ttlMs = DEFAULT_TTL_MS): Promise<void> {
    const now = Date.now();
    const p: Params = {
      run: check.runId(run),
      now,
      expires: now + check.integer(ttlMs, 'ttlMs', 100, 86_400_000),
      actor: this.actor,
    };
    const [updated] = await this.store.batch(
      [
        stmt(
          `UPDATE tasks SET last_heartbeat_at = :now, claim_expires = :expires WHERE claim_lock = :run RETURNING id`,
          p,
        ),
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, run_id, data, at)
            SELECT id, 'heartbeat', :actor, :run, json_object('expires', :expires), :now FROM tasks WHERE claim_lock = :run`,
          p,
        ),
      ],
      'write',
    );
    if (updated!.rows.length === 0)
      throw new KanbanError('CLAIM_LOST', `run ${run} no longer holds its task (released, blocked or finished)`);
  }

  /**
   * Completes the task held by `run`: done, the run completed, and children whose parents are
   * now all done promoted to ready (and announced). Throws `CLAIM_LOST` if the claim was
   * released meanwhile: someone else may be working on the task, so this result is discarded.
   */
  async complete(run: string, result: string | null = null): Promise<Task> {
    const p: Params = {
      run: check.runId(run),
      result: result === null ? null : check.text(result, 'result', 0, 100_000),
      now: Date.now(),
      actor: this.actor,
    };
    const finishedTask = `(SELECT task_id FROM task_runs WHERE id = :run AND status = 'completed' AND ended_at = :now)`;
    const results = await this.store.batch(
      [
        stmt(
          `UPDATE tasks SET status = 'done', completed_at = :now, result = :result, claim_lock = NULL, claim_expires = NULL,
                   worker_pid = NULL, consecutive_failures = 0
            WHERE claim_lock = :run RETURNING *`,
          p,
        ),
        stmt(
          `UPDATE task_runs SET status = 'completed', ended_at = :now, outcome = :result
            WHERE id = :run AND status = 'running'
              AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_runs.task_id AND t.current_run_id = :run AND t.status = 'done')`,
          p,
        ),
        // changes(): the run update just before, so only the complete that ended the run records it
        // (a repeated complete within the same millisecond would match ended_at = :now too).
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, run_id, data, at)
            SELECT task_id, 'completed', :actor, :run, json_object('result', :result), :now FROM task_runs
            WHERE id = :run AND status = 'completed' AND changes() > 0`,
          p,
        ),
        ...this.promoteStatements(`t.id IN (SELECT child FROM task_links WHERE parent = ${finishedTask})`, p),
      ],
      'write',
    );
    const row = results[0]!.rows[0];
    if (row === undefined)
      throw new KanbanError('CLAIM_LOST', `run ${run} no longer holds its task; the result was not recorded`);
    const promoted = results[results.length - 1]!.rows.map((r) => text(r.id));
    if (promoted.length > 0) await this.announce(promoted, 'promoted');
    return toTask(row);
  }

  /**
   * Records that the work of `run` failed: the task goes back to `ready` for another attempt,
   * or to `blocked` after `maxFailures` consecutive failures. Throws `CLAIM_LOST` if the claim
   * was already released.
   */
  async fail(run: string, error: string, maxFailures = DEFAULT_MAX_FAILURES): Promise<Task> {
    const p: Params = {
      run: check.runId(run),
      error: check.text(error, 'error', 1, 10_000),
      now: Date.now(),
      actor: this.actor,
      max: check.integer(maxFailures, 'maxFailures', 1, 1000),
    };
    const results = await this.store.batch(
      [
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, run_id, data, at)
            SELECT id, 'failed', :actor, :run, json_object('error', :error, 'failures', consecutive_failures + 1), :now FROM tasks WHERE claim_lock = :run`,
          p,
        ),
        stmt(
          `UPDATE task_runs SET status = 'failed', ended_at = :now, error = :error
            WHERE id = :run AND status = 'running' AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_runs.task_id AND t.claim_lock = :run)`,
          p,
        ),
        stmt(
          `UPDATE tasks SET status = CASE WHEN consecutive_failures + 1 >= :max THEN 'blocked' ELSE 'ready' END,
                   consecutive_failures = consecutive_failures + 1, claim_lock = NULL, claim_expires = NULL, worker_pid = NULL, current_run_id = NULL
            WHERE claim_lock = :run RETURNING *`,
          p,
        ),
        // changes(): the task update just before, so only the fail that released the claim records it.
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, run_id, data, at)
            SELECT t.id, 'blocked', :actor, :run, json_object('reason', 'too many consecutive failures'), :now FROM tasks t
            WHERE t.id = (SELECT task_id FROM task_runs WHERE id = :run) AND t.status = 'blocked' AND changes() > 0`,
          p,
        ),
      ],
      'write',
    );
    const row = results[2]!.rows[0];
    if (row === undefined)
      throw new KanbanError('CLAIM_LOST', `run ${run} no longer holds its task; the failure was not recorded`);
    const task = toTask(row);
    if (task.status === 'ready') await this.announce([task.id], 'failed');
    return task;
  }

  /**
   * Releases every claim whose TTL expired before `now` (its worker died or stalled): the task
   * goes back to `ready`, the run is marked released. Safe to run from every member at once.
   * @returns the ids of the released tasks
   */
  async releaseStale(now = Date.now()): Promise<string[]> {
    const p: Params = { now, actor: this.actor };
    const results = await this.store.batch(
      [
        stmt(
          `INSERT INTO task_events (task_id, kind, actor, run_id, data, at)
            SELECT id, 'released', :actor, current_run_id, json_object('reason', 'claim expired', 'workerPid', worker_pid, 'expired', claim_expires), :now
            FROM tasks WHERE status = 'running' AND claim_expires < :now`,
          p,
        ),
        stmt(
          `UPDATE task_runs SET status = 'released', ended_at = :now, error = 'claim expired'
            WHERE status = 'running' AND id IN (SELECT current_run_id FROM tasks WHERE status = 'running' AND claim_expires < :now)`,
          p,
        ),
        stmt(
          `UPDATE tasks SET status = 'ready', claim_lock = NULL, claim_expires = NULL, worker_pid = NULL, current_run_id = NULL
            WHERE status = 'running' AND claim_expires < :now RETURNING id`,
          p,
        ),
      ],
      'write',
    );
    const released = results[2]!.rows.map((r) => text(r.id));
    if (released.length > 0) await this.announce(released, 'released');
    return released;
  }

  /**
   * Promotes to `ready` the `todo` tasks that have parents, all of them done (or `taskId` only,
   * parents or not: a manual promotion, which still waits for unfinished parents).
   * @returns the ids promoted
   */
  async promote(taskId?: string): Promise<string[]> {
    const p: Params = { now: Date.now(), actor: this.actor, id: taskId === undefined ? null : check.taskId(taskId) };
    const which = taskId === undefined ? HAS_PARENT : `t.id = :id`;
    const results = await this.store.batch(this.promoteStatements(which, p), 'write');
    const promoted = results[1]!.rows.map((r) => text(r.id));
    if (promoted.length > 0) await this.announce(promoted, 'promoted');
    return promoted;
  }

  /** The statements promoting the `todo` tasks matching `which` (on alias `t`) whose parents are done: event first, then the update. */
  private promoteStatements(which: string, p: Params) {
    const match = `t.status = 'todo' AND (${which}) AND ${PARENTS_DONE}`;
    return [
      stmt(
        `INSERT INTO task_events (task_id, kind, actor, at) SELECT t.id, 'promoted', :actor, :now FROM tasks t WHERE ${match}`,
        p,
      ),
      stmt(`UPDATE tasks AS t SET status = 'ready' WHERE ${match} RETURNING id`, p),
    ];
  }
}

export type { TaskStatus };
