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
export { Gateway } from './gateway/gateway';
export type { GatewayEvents, GatewayOptions } from './gateway/gateway';
export { loadGatewayConfig, parseGatewayConfig } from './gateway/config';
export type { GatewayConfig, WorkerConfig } from './gateway/config';
export { Dispatcher } from './gateway/dispatcher';
export type { ClaimTrigger, DispatcherEvents, DispatcherOptions } from './gateway/dispatcher';
export { simulatedWork } from './gateway/simulated-work';
export type { Work, WorkOutcome } from './gateway/simulated-work';
export type { GatewayCommand, GatewayReport } from './gateway/ipc-protocol';
export { GatewayProcess, killAllGateways, GATEWAY_BIN } from './fleet/gateway-process';
export type { StartOptions } from './fleet/gateway-process';
export { writeProfile } from './fleet/profiles';
export type { KanbanSection } from './fleet/profiles';
export { runCli, helpText, EXIT } from './cli/main';
export type { CliIo } from './cli/main';
export { auditBoard } from './fleet/audit';
export type { BoardAudit, SqlReader } from './fleet/audit';
