/** Human-readable output of the `kanban` CLI (the `--json` output is the records themselves). */
import type { BoardStats, Task, TaskDetail, TaskEvent } from '../types';

const time = (ms: number | null): string =>
  ms === null
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');

/** One line per task: id, status, priority, assignee, title. */
export function taskTable(tasks: Task[]): string {
  if (tasks.length === 0) return '(no tasks)';
  const rows = tasks.map((t) => [t.id, t.status, String(t.priority), t.assignee ?? '-', t.title]);
  const header = ['ID', 'STATUS', 'PRI', 'ASSIGNEE', 'TITLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** A task on a few lines. */
export function taskSummary(task: Task): string {
  return [
    `${task.id}  ${task.title}`,
    `  status ${task.status}, priority ${task.priority}, assignee ${task.assignee ?? '-'}, created by ${task.createdBy} at ${time(task.createdAt)}`,
    ...(task.claimLock !== null
      ? [`  claimed by run ${task.claimLock} (pid ${task.workerPid ?? '-'}), expires ${time(task.claimExpires)}`]
      : []),
    ...(task.result !== null ? [`  result: ${task.result}`] : []),
  ].join('\n');
}

/** One event per line. */
export function eventLines(events: TaskEvent[]): string {
  return events
    .map(
      (e) =>
        `#${e.id}  ${time(e.at)}  ${e.taskId}  ${e.kind.padEnd(9)}  ${e.actor}${e.runId === null ? '' : `  ${e.runId}`}${e.data === null ? '' : `  ${JSON.stringify(e.data)}`}`,
    )
    .join('\n');
}

/** Everything about one task. */
export function taskDetail(detail: TaskDetail): string {
  const { task } = detail;
  return [
    taskSummary(task),
    ...(task.body === '' ? [] : ['', task.body]),
    '',
    `parents: ${detail.parents.join(', ') || '-'}`,
    `children: ${detail.children.join(', ') || '-'}`,
    `runs: ${detail.runs.length === 0 ? '-' : ''}`,
    ...detail.runs.map(
      (r) =>
        `  ${r.id}  ${r.profile}  ${r.status}  ${time(r.startedAt)} -> ${time(r.endedAt)}${r.error === null ? '' : `  ${r.error}`}`,
    ),
    `comments: ${detail.comments.length === 0 ? '-' : ''}`,
    ...detail.comments.map((c) => `  ${time(c.createdAt)}  ${c.author}: ${c.body}`),
    'events:',
    eventLines(detail.events.filter((e) => e.kind !== 'heartbeat')),
  ].join('\n');
}

/** Counts by status. */
export function statsText(stats: BoardStats): string {
  const statuses = Object.entries(stats.byStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  return [
    `tasks: ${stats.total} (${statuses})`,
    `runs: ${stats.runs.total} (running ${stats.runs.running}, completed ${stats.runs.completed}, failed ${stats.runs.failed}, released ${stats.runs.released})`,
    `events: ${stats.events}`,
  ].join('\n');
}
