/** Input checks of the board's operations: each throws `INVALID_ARGUMENT` with a precise message. */
import { KanbanError } from './errors';
import { isTaskId } from './ids';
import { TASK_STATUSES } from './schema';
import type { TaskStatus } from './types';

const PROFILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function invalid(message: string): never {
  throw new KanbanError('INVALID_ARGUMENT', message);
}

/** A given value as a message shows it: JSON, a bigint as `<n>n` (plain JSON.stringify throws on one). */
function shown(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
}

/** A task id (`t_` + 8 hex digits). */
export function taskId(value: unknown, what = 'task id'): string {
  if (!isTaskId(value)) invalid(`${what} must look like t_1a2b3c4d (t_ and 8 hex digits), got ${shown(value)}`);
  return value;
}

/** A run id as handed out by `claim`. */
export function runId(value: unknown): string {
  if (typeof value !== 'string' || !/^r_[0-9a-f]{16}$/.test(value))
    invalid(`run id must look like r_ and 16 hex digits, got ${shown(value)}`);
  return value;
}

/** A profile name (assignee, actor): letters, digits, dot, dash, underscore; at most 64. */
export function profile(value: unknown, what = 'profile'): string {
  if (typeof value !== 'string' || !PROFILE.test(value))
    invalid(`${what} must be 1-64 letters, digits, ".", "-" or "_", got ${shown(value)}`);
  return value;
}

/** Text with bounded length; `min` 1 means it must not be blank. */
export function text(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== 'string') invalid(`${what} must be a string`);
  const length = value.trim().length === 0 ? 0 : value.length;
  if (length < min || value.length > max)
    invalid(`${what} must be ${min > 0 ? 'non-blank and ' : ''}at most ${max} characters`);
  return value;
}

/** An integer within bounds. */
export function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    invalid(`${what} must be an integer from ${min} to ${max}, got ${shown(value)}`);
  return value;
}

/** A task status. */
export function status(value: unknown): TaskStatus {
  if (!(TASK_STATUSES as readonly unknown[]).includes(value))
    invalid(`status must be one of ${TASK_STATUSES.join(', ')}, got ${shown(value)}`);
  return value as TaskStatus;
}
