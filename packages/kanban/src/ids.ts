/** Identifiers of the board: task ids like `t_1a2b3c4d`, run ids like `r_` + 16 hex. */
import { randomBytes } from 'node:crypto';

const TASK_ID = /^t_[0-9a-f]{8}$/;

/** A fresh task id: `t_` and 8 random hex digits (the format of the platform that had the bug). */
export function newTaskId(): string {
  return `t_${randomBytes(4).toString('hex')}`;
}

/** A fresh run id, one per claim. 64 random bits, so two claimants never collide. */
export function newRunId(): string {
  return `r_${randomBytes(8).toString('hex')}`;
}

/** True when `value` has the shape of a task id. */
export function isTaskId(value: unknown): value is string {
  return typeof value === 'string' && TASK_ID.test(value);
}
