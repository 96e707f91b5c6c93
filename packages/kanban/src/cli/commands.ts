/**
 * The `kanban` commands: what each accepts and what it does. Each returns the data printed by
 * `--json` and the text printed otherwise; the runner owns connecting, output and exit codes.
 */
import type { Store } from '@baton/store';
import type { Board, CreateInput } from '../board';
import type { TaskStatus } from '../types';
import { UsageError, type FlagSpec, type Flags } from './args';
import * as format from './format';

/** What a command gets. */
export interface CommandContext {
  board: Board;
  store: Store;
  positionals: string[];
  flags: Flags;
  /** For streaming commands (`tail --follow`): prints one chunk of human output. */
  print: (text: string) => void;
}

/** What a command produced: `data` for `--json`, `text` otherwise, and the exit code. */
export interface CommandResult {
  data: unknown;
  text: string;
  /** 0 unless said otherwise; 3 means "nothing to do" (e.g. nothing to claim). */
  exitCode?: number;
}

/** A command of the CLI. */
export interface Command {
  summary: string;
  /** Usage after `kanban <name>`. */
  usage: string;
  flags: FlagSpec;
  /** Minimum and maximum number of positionals. */
  args: [number, number];
  run: (ctx: CommandContext) => Promise<CommandResult>;
}

const str = (flags: Flags, name: string): string | undefined =>
  typeof flags[name] === 'string' ? flags[name] : undefined;
const int = (flags: Flags, name: string): number | undefined =>
  typeof flags[name] === 'number' ? flags[name] : undefined;
const list = (flags: Flags, name: string): string[] => (Array.isArray(flags[name]) ? flags[name] : []);

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  init: {
    summary: 'ensure the board schema through the leader (idempotent; never deletes or recreates the file)',
    usage: 'init',
    flags: {},
    args: [0, 0],
    // Opening the store with the kanban migrations is the whole of init: the leader applies any
    // it lacks, in a transaction. Nothing else, so running it under a live fleet is harmless.
    run: async ({ store }) => {
      const status = await store.status();
      const data = {
        board: status.database.path,
        schemaVersion: status.leader.schemaVersion,
        leader: { pid: status.leader.pid, name: status.leader.name, epoch: status.leader.epoch },
      };
      return {
        data,
        text: `board ${data.board}: schema version ${data.schemaVersion} (leader ${data.leader.name}, pid ${data.leader.pid}, epoch ${data.leader.epoch})`,
      };
    },
  },
  reset: {
    summary: 'drop every task, link, comment, run and event and recreate the schema, in one leader transaction',
    usage: 'reset --yes',
    flags: { yes: 'boolean' },
    args: [0, 0],
    run: async ({ store, flags }) => {
      if (flags.yes !== true) throw new UsageError('reset deletes every task on the board: confirm with --yes');
      await store.reset();
      return { data: { reset: true }, text: 'board reset: schema recreated, the database file kept' };
    },
  },
  create: {
    summary: 'create a task',
    usage:
      'create <title> [--body text] [--assignee profile] [--priority n] [--parent id]... [--key idempotency-key] [--status ready|todo|triage]',
    flags: { body: 'string', assignee: 'string', priority: 'int', parent: 'list', key: 'string', status: 'string' },
    args: [1, 1],
    run: async ({ board, positionals, flags }) => {
      const input: CreateInput = { title: positionals[0]!, parents: list(flags, 'parent') };
      const body = str(flags, 'body');
      if (body !== undefined) input.body = body;
      const assignee = str(flags, 'assignee');
      if (assignee !== undefined) input.assignee = assignee;
      const priority = int(flags, 'priority');
      if (priority !== undefined) input.priority = priority;
      const key = str(flags, 'key');
      if (key !== undefined) input.idempotencyKey = key;
      const status = str(flags, 'status');
      if (status !== undefined) input.status = status as CreateInput['status'];
      const { task, created } = await board.create(input);
      return {
        data: { task, created },
        text: `${created ? 'created' : 'already exists (same key)'}: ${format.taskSummary(task)}`,
      };
    },
  },
  list: {
    summary: 'list tasks, newest first',
    usage: 'list [--status s] [--assignee profile] [--limit n]',
    flags: { status: 'string', assignee: 'string', limit: 'int' },
    args: [0, 0],
    run: async ({ board, flags }) => {
      const status = str(flags, 'status');
      const assignee = str(flags, 'assignee');
      const limit = int(flags, 'limit');
      const tasks = await board.list({
        ...(status === undefined ? {} : { status: status as TaskStatus }),
        ...(assignee === undefined ? {} : { assignee }),
        ...(limit === undefined ? {} : { limit }),
      });
      return { data: tasks, text: format.taskTable(tasks) };
    },
  },
  show: {
    summary: 'show a task with its links, runs, comments and events',
    usage: 'show <task-id>',
    flags: {},
    args: [1, 1],
    run: async ({ board, positionals }) => {
      const detail = await board.show(positionals[0]!);
      return { data: detail, text: format.taskDetail(detail) };
    },
  },
  claim: {
    summary: 'claim the best ready task (or the one given) for --as; exit code 3 when nothing is ready',
    usage: 'claim [<task-id>] [--ttl-ms n]',
    flags: { 'ttl-ms': 'int' },
    args: [0, 1],
    run: async ({ board, positionals, flags }) => {
      const ttlMs = int(flags, 'ttl-ms');
      const claim = await board.claim({
        ...(positionals[0] === undefined ? {} : { taskId: positionals[0] }),
        ...(ttlMs === undefined ? {} : { ttlMs }),
      });
      if (claim === null) return { data: null, text: 'nothing to claim', exitCode: 3 };
      return {
        data: claim,
        text: `claimed ${claim.task.id} as run ${claim.run.id}\n${format.taskSummary(claim.task)}`,
      };
    },
  },
  heartbeat: {
    summary: 'extend a claim',
    usage: 'heartbeat <run-id> [--ttl-ms n]',
    flags: { 'ttl-ms': 'int' },
    args: [1, 1],
    run: async ({ board, positionals, flags }) => {
      await board.heartbeat(positionals[0]!, int(flags, 'ttl-ms'));
      return { data: { runId: positionals[0] }, text: `extended ${positionals[0]}` };
    },
  },
  complete: {
    summary: 'complete the task held by a run',
    usage: 'complete <run-id> [--result text]',
    flags: { result: 'string' },
    args: [1, 1],
    run: async ({ board, positionals, flags }) => {
      const task = await board.complete(positionals[0]!, str(flags, 'result') ?? null);
      return { data: task, text: `done: ${format.taskSummary(task)}` };
    },
  },
  fail: {
    summary: 'record that the work of a run failed (retried, blocked after 3 failures)',
    usage: 'fail <run-id> --error text',
    flags: { error: 'string' },
    args: [1, 1],
    run: async ({ board, positionals, flags }) => {
      const error = str(flags, 'error');
      if (error === undefined) throw new UsageError('fail needs --error <text>');
      const task = await board.fail(positionals[0]!, error);
      return { data: task, text: `failed: ${format.taskSummary(task)}` };
    },
  },
  block: {
    summary: 'block a task (a running task loses its claim)',
    usage: 'block <task-id> --reason text',
    flags: { reason: 'string' },
    args: [1, 1],
    run: async ({ board, positionals, flags }) => {
      const reason = str(flags, 'reason');
      if (reason === undefined) throw new UsageError('block needs --reason <text>');
      const task = await board.block(positionals[0]!, reason);
      return { data: task, text: `blocked: ${format.taskSummary(task)}` };
    },
  },
  unblock: {
    summary: 'unblock a task',
    usage: 'unblock <task-id>',
    flags: {},
    args: [1, 1],
    run: async ({ board, positionals }) => {
      const task = await board.unblock(positionals[0]!);
      return { data: task, text: `unblocked: ${format.taskSummary(task)}` };
    },
  },
  assign: {
    summary: 'assign a task to a profile (--none to unassign)',
    usage: 'assign <task-id> (<profile> | --none)',
    flags: { none: 'boolean' },
    args: [1, 2],
    run: async ({ board, positionals, flags }) => {
      const who = positionals[1];
      if ((who === undefined) === (flags.none !== true))
        throw new UsageError('assign needs a profile or --none (not both)');
      const task = await board.assign(positionals[0]!, who ?? null);
      return { data: task, text: `assigned: ${format.taskSummary(task)}` };
    },
  },
  link: {
    summary: 'make a task wait for another (refuses cycles)',
    usage: 'link <parent-id> <child-id>',
    flags: {},
    args: [2, 2],
    run: async ({ board, positionals }) => {
      const result = await board.link(positionals[0]!, positionals[1]!);
      return {
        data: result,
        text: result.linked ? `${positionals[1]} now waits for ${positionals[0]}` : 'already linked',
      };
    },
  },
  unlink: {
    summary: 'remove a link',
    usage: 'unlink <parent-id> <child-id>',
    flags: {},
    args: [2, 2],
    run: async ({ board, positionals }) => {
      const result = await board.unlink(positionals[0]!, positionals[1]!);
      return { data: result, text: result.unlinked ? 'unlinked' : 'there was no such link' };
    },
  },
  comment: {
    summary: 'comment on a task',
    usage: 'comment <task-id> <text>',
    flags: {},
    args: [2, 2],
    run: async ({ board, positionals }) => {
      const result = await board.comment(positionals[0]!, positionals[1]!);
      return { data: result, text: `comment ${result.id} added to ${positionals[0]}` };
    },
  },
  archive: {
    summary: 'archive a task that is not running',
    usage: 'archive <task-id>',
    flags: {},
    args: [1, 1],
    run: async ({ board, positionals }) => {
      const task = await board.archive(positionals[0]!);
      return { data: task, text: `archived: ${format.taskSummary(task)}` };
    },
  },
  promote: {
    summary: 'promote todo tasks whose parents are done (or the one given) to ready',
    usage: 'promote [<task-id>]',
    flags: {},
    args: [0, 1],
    run: async ({ board, positionals }) => {
      const promoted = await board.promote(positionals[0]);
      return {
        data: { promoted },
        text: promoted.length === 0 ? 'nothing to promote' : `promoted ${promoted.join(', ')}`,
      };
    },
  },
  'release-stale': {
    summary: 'release claims whose TTL expired (their worker died)',
    usage: 'release-stale',
    flags: {},
    args: [0, 0],
    run: async ({ board }) => {
      const released = await board.releaseStale();
      return {
        data: { released },
        text: released.length === 0 ? 'no stale claims' : `released ${released.join(', ')}`,
      };
    },
  },
  tail: {
    summary: 'print the event log (heartbeats left out unless --heartbeats); --follow keeps printing',
    usage: 'tail [--after event-id] [--task id] [--limit n] [--heartbeats] [--follow]',
    flags: { after: 'int', task: 'string', limit: 'int', heartbeats: 'boolean', follow: 'boolean' },
    args: [0, 0],
    run: async ({ board, store, flags, print }) => {
      const task = str(flags, 'task');
      const filter = {
        after: int(flags, 'after') ?? 0,
        limit: int(flags, 'limit') ?? 100,
        skipHeartbeats: flags.heartbeats !== true,
        ...(task === undefined ? {} : { taskId: task }),
      };
      if (flags.follow !== true) {
        const events = await board.tail(filter);
        return { data: events, text: events.length === 0 ? '(no events)' : format.eventLines(events) };
      }
      if (flags.json === true)
        throw new UsageError('--follow prints a stream of lines; it cannot be combined with --json');
      // Follow: print what is there, then fetch more whenever a change is announced (or every second).
      let after = filter.after;
      for (;;) {
        const events = await board.tail({ ...filter, after, limit: 1000 });
        if (events.length > 0) {
          print(format.eventLines(events));
          after = events[events.length - 1]!.id;
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 1000);
          function done(): void {
            clearTimeout(timer);
            store.off('notify', done);
            resolve();
          }
          store.on('notify', done);
        });
      }
    },
  },
  stats: {
    summary: 'count tasks by status, runs and events',
    usage: 'stats',
    flags: {},
    args: [0, 0],
    run: async ({ board }) => {
      const stats = await board.stats();
      return { data: stats, text: format.statsText(stats) };
    },
  },
};
