/** Maps rows (snake_case columns, SQLite values, as any `@libsql/client`-shaped client returns them) to the board's records. */
import type { Row, Value } from '@baton/store';
import type { Task, TaskComment, TaskEvent, TaskRun, TaskStatus } from './types';

/** A column value as text: `''` for NULL, a BLOB (an ArrayBuffer from libSQL clients) decoded as UTF-8. */
export function text(value: Value | undefined): string {
  if (value === null || value === undefined) return '';
  return value instanceof ArrayBuffer ? Buffer.from(value).toString('utf8') : String(value);
}

function textOrNull(value: Value | undefined): string | null {
  return value === null || value === undefined ? null : text(value);
}

function int(value: Value | undefined): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
}

function intOrNull(value: Value | undefined): number | null {
  return value === null || value === undefined ? null : int(value);
}

/** A `tasks` row as a `Task`. */
export function toTask(row: Row): Task {
  return {
    id: text(row.id),
    title: text(row.title),
    body: text(row.body),
    assignee: textOrNull(row.assignee),
    status: text(row.status) as TaskStatus,
    priority: int(row.priority),
    createdBy: text(row.created_by),
    createdAt: int(row.created_at),
    startedAt: intOrNull(row.started_at),
    completedAt: intOrNull(row.completed_at),
    claimLock: textOrNull(row.claim_lock),
    claimExpires: intOrNull(row.claim_expires),
    idempotencyKey: textOrNull(row.idempotency_key),
    result: textOrNull(row.result),
    consecutiveFailures: int(row.consecutive_failures),
    workerPid: intOrNull(row.worker_pid),
    lastHeartbeatAt: intOrNull(row.last_heartbeat_at),
    currentRunId: textOrNull(row.current_run_id),
  };
}

/** A `task_events` row as a `TaskEvent` (its JSON `data` parsed). */
export function toEvent(row: Row): TaskEvent {
  const data = textOrNull(row.data);
  return {
    id: int(row.id),
    taskId: text(row.task_id),
    kind: text(row.kind),
    actor: text(row.actor),
    runId: textOrNull(row.run_id),
    data: data === null ? null : (JSON.parse(data) as unknown),
    at: int(row.at),
  };
}

/** A `task_runs` row as a `TaskRun`. */
export function toRun(row: Row): TaskRun {
  return {
    id: text(row.id),
    taskId: text(row.task_id),
    profile: text(row.profile),
    workerPid: intOrNull(row.worker_pid),
    status: text(row.status) as TaskRun['status'],
    startedAt: int(row.started_at),
    endedAt: intOrNull(row.ended_at),
    outcome: textOrNull(row.outcome),
    error: textOrNull(row.error),
  };
}

/** A `task_comments` row as a `TaskComment`. */
export function toComment(row: Row): TaskComment {
  return {
    id: int(row.id),
    taskId: text(row.task_id),
    author: text(row.author),
    body: text(row.body),
    createdAt: int(row.created_at),
  };
}
