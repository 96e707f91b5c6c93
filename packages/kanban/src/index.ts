/**
 * @baton/kanban: the kanban board and agent gateway fleet on top of Baton, the user that
 * motivated it. Only re-exports.
 */
export { Board, READY_CHANNEL, DEFAULT_MAX_FAILURES } from './board';
export type { BoardStore, Claim, ClaimOptions, CreateInput, ReadyNotice } from './board';
export { BoardQueries } from './queries';
export type { ListFilter, TailFilter } from './queries';
export { KanbanError, KANBAN_ERROR_CODES } from './errors';
export type { KanbanErrorCode } from './errors';
export { KANBAN_MIGRATIONS, TASK_STATUSES } from './schema';
export { isTaskId, newTaskId } from './ids';
export type { BoardStats, Task, TaskComment, TaskDetail, TaskEvent, TaskRun, TaskStatus } from './types';
