/** The board's records as programs see them (camelCase; timestamps in ms since the Unix epoch). */
import type { TASK_STATUSES } from './schema';

/** A task's status. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A task. */
export interface Task {
  id: string;
  title: string;
  body: string;
  assignee: string | null;
  status: TaskStatus;
  priority: number;
  createdBy: string;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  claimLock: string | null;
  claimExpires: number | null;
  idempotencyKey: string | null;
  result: string | null;
  consecutiveFailures: number;
  workerPid: number | null;
  lastHeartbeatAt: number | null;
  currentRunId: string | null;
}

/** One entry of the append-only event log. */
export interface TaskEvent {
  id: number;
  taskId: string;
  kind: string;
  actor: string;
  runId: string | null;
  data: unknown;
  at: number;
}

/** One claim of a task and how it ended. */
export interface TaskRun {
  id: string;
  taskId: string;
  profile: string;
  workerPid: number | null;
  status: 'running' | 'completed' | 'failed' | 'released';
  startedAt: number;
  endedAt: number | null;
  outcome: string | null;
  error: string | null;
}

/** A comment on a task. */
export interface TaskComment {
  id: number;
  taskId: string;
  author: string;
  body: string;
  createdAt: number;
}

/** A task with everything attached to it, as `show` returns it. */
export interface TaskDetail {
  task: Task;
  parents: string[];
  children: string[];
  comments: TaskComment[];
  runs: TaskRun[];
  events: TaskEvent[];
}

/** Counts of the board, as `stats` returns them. */
export interface BoardStats {
  total: number;
  byStatus: Record<TaskStatus, number>;
  events: number;
  runs: { total: number; running: number; completed: number; failed: number; released: number };
}
