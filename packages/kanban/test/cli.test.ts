/**
 * The `kanban` CLI. End to end through the built binary as a subprocess (exit codes, exactly one
 * JSON document with --json), with this test process hosting the leader so each command is a
 * forwarding member; command-line validation in-process, where no store is needed.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStore, type Store } from '@baton/store';
import { EXIT, GATEWAY_BIN, KANBAN_MIGRATIONS, runCli, type CliIo } from '../src';
import { parseArgs } from '../src/cli/args';
import { COMMANDS } from '../src/cli/commands';
import { removeTempDirs, tempDir } from './helpers';

const KANBAN_BIN = path.join(path.dirname(GATEWAY_BIN), 'kanban.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `kanban` binary. */
function kanban(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KANBAN_BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

/** Parses stdout as exactly one JSON document (JSON.parse fails on anything more). */
function json(run: Run): unknown {
  return JSON.parse(run.stdout);
}

/** Runs the CLI in this process with captured output. */
async function inProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), env };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('through the built binary', () => {
  let board: string;
  let leader: Store;

  beforeAll(async () => {
    board = path.join(tempDir(), 'kanban.db');
    leader = await openStore({ path: board, name: 'test-leader', migrations: KANBAN_MIGRATIONS });
  });

  afterAll(async () => {
    await leader?.close();
    removeTempDirs();
  });

  test('init is idempotent: twice on a live board, same file, same schema, nothing lost', async () => {
    await leader.execute(
      `INSERT INTO tasks (id, title, status, created_by, created_at) VALUES ('t_0000aaaa', 'kept', 'ready', 'test', 1)`,
    );
    const inode = fs.statSync(board).ino;
    const first = await kanban(['--board', board, '--json', 'init']);
    const second = await kanban(['--board', board, '--json', 'init']);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(json(first)).toMatchObject({ schemaVersion: 1, leader: { pid: process.pid, name: 'test-leader' } });
    expect(json(second)).toEqual(json(first));
    expect(fs.statSync(board).ino).toBe(inode);
    expect((await leader.execute(`SELECT title FROM tasks WHERE id = 't_0000aaaa'`)).rows).toEqual([{ title: 'kept' }]);
  });

  test('create --priority -1 makes a task of priority -1', async () => {
    const env = { KANBAN_BOARD: board, KANBAN_PROFILE: 'a-dev' };
    const run = await kanban(['--json', 'create', 'someday', '--priority', '-1'], env);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ task: { title: 'someday', priority: -1 } });
  });

  test('a task from create to done: create, list, claim, complete, show, tail, stats, each --json one document', async () => {
    await leader.reset();
    const env = { KANBAN_BOARD: board, KANBAN_PROFILE: 'a-dev' };
    const created = json(await kanban(['--json', 'create', 'ship it', '--priority', '3', '--key', 'k1'], env)) as {
      task: { id: string };
      created: boolean;
    };
    expect(created).toMatchObject({
      created: true,
      task: { title: 'ship it', priority: 3, status: 'ready', createdBy: 'a-dev' },
    });
    const again = json(await kanban(['--json', 'create', 'ship it', '--key', 'k1'], env));
    expect(again).toMatchObject({ created: false, task: { id: created.task.id } });
    const id = created.task.id;
    expect(json(await kanban(['--json', 'list', '--status', 'ready'], env))).toEqual([expect.objectContaining({ id })]);
    const claim = json(await kanban(['--json', '--as', 'architect', 'claim'], env)) as { run: { id: string } };
    expect(claim).toMatchObject({ task: { id, status: 'running' }, run: { profile: 'architect' } });
    const nothing = await kanban(['--json', 'claim'], env);
    expect(nothing.code).toBe(EXIT.nothingToDo);
    expect(json(nothing)).toBeNull();
    expect(json(await kanban(['--json', 'complete', claim.run.id, '--result', 'shipped'], env))).toMatchObject({
      id,
      status: 'done',
      result: 'shipped',
    });
    expect(json(await kanban(['--json', 'comment', id, 'nice'], env))).toEqual({ id: 1 });
    expect(json(await kanban(['--json', 'show', id], env))).toMatchObject({
      task: { id, status: 'done' },
      runs: [{ status: 'completed' }],
      comments: [{ body: 'nice' }],
    });
    const events = json(await kanban(['--json', 'tail'], env)) as { kind: string }[];
    expect(events.map((e) => e.kind)).toEqual(['created', 'claimed', 'completed', 'commented']);
    expect(json(await kanban(['--json', 'stats'], env))).toMatchObject({
      total: 1,
      byStatus: { done: 1 },
      runs: { completed: 1 },
    });
    const human = await kanban(['list'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${id}\\s+done\\s+3\\s+-\\s+ship it`));
  });

  test('block, unblock, and errors: NOT_FOUND exits 1 with one JSON error document', async () => {
    await leader.reset();
    const env = { KANBAN_BOARD: board };
    const { task } = json(await kanban(['--json', 'create', 'stuck'], env)) as { task: { id: string } };
    expect(json(await kanban(['--json', 'block', task.id, '--reason', 'needs a key'], env))).toMatchObject({
      status: 'blocked',
    });
    expect(json(await kanban(['--json', 'unblock', task.id], env))).toMatchObject({ status: 'ready' });
    const missing = await kanban(['--json', 'show', 't_00000000'], env);
    expect(missing.code).toBe(EXIT.failed);
    expect(json(missing)).toEqual({ error: { code: 'NOT_FOUND', message: 'task t_00000000 does not exist' } });
  });

  test('reset needs --yes, then empties the board and keeps the file', async () => {
    const env = { KANBAN_BOARD: board };
    const created = await kanban(['--json', 'create', 'doomed'], env);
    expect(created.code).toBe(0);
    const { task } = json(created) as { task: { id: string } };
    const refused = await kanban(['reset'], env);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toMatch(/confirm with --yes/);
    // Refused means untouched: the task is still there.
    const kept = await kanban(['--json', 'show', task.id], env);
    expect(kept.code).toBe(0);
    expect(json(kept)).toMatchObject({ task: { id: task.id, title: 'doomed' } });
    const inode = fs.statSync(board).ino;
    expect((await kanban(['--json', 'reset', '--yes'], env)).code).toBe(0);
    expect(json(await kanban(['--json', 'stats'], env))).toMatchObject({ total: 0, events: 0 });
    expect((await kanban(['--json', 'show', task.id], env)).code).toBe(EXIT.failed);
    expect(fs.statSync(board).ino).toBe(inode);
  });
});

describe('command-line validation (no store needed)', () => {
  test.each([
    [['--board', '/x.db', 'craete', 'x'], /unknown command "craete"; did you mean "create"\?/],
    [
      ['--board', '/x.db', 'create', 'x', '--priorty', '3'],
      /unknown option --priorty for "create"; did you mean --priority\?/,
    ],
    [['--board', '/x.db', 'create'], /"create" takes 1 argument\(s\), got 0/],
    [['--board', '/x.db', 'list', '--limit', 'ten'], /--limit must be an integer, got "ten"/],
    [['list'], /no board: pass --board <path> or set KANBAN_BOARD/],
    [['--limit', '5', 'list'], /unknown option --limit \(INVALID_ARGUMENT\)/],
    [['--board', '/x.db', 'list', '--status'], /Option '--status <value>' argument missing/],
    [['--board', '/x.db', 'reset', '--yes=1'], /Option '--yes' does not take an argument/],
  ])('%j exits 2 with a precise message on stderr and nothing on stdout', async (args, message) => {
    const run = await inProcess(args);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  test('a negative number is a value: --priority -1 as --priority=-1, and an integer flag still checks it', async () => {
    const board = path.join(tempDir(), 'k.db');
    const spaced = parseArgs(['--board', board, 'create', 'x', '--priority', '-1', '--timeout-ms', '-5'], COMMANDS);
    const joined = parseArgs(['--board', board, 'create', 'x', '--priority=-1', '--timeout-ms=-5'], COMMANDS);
    expect(spaced).toEqual(joined);
    expect(spaced).toEqual({
      command: 'create',
      positionals: ['x'],
      flags: { board, priority: -1, 'timeout-ms': -5 },
    });
    // Before the command, for a global flag; and a negative value of a string flag.
    expect(parseArgs(['--timeout-ms', '-5', '--board', board, 'create', '--body', '-2', 'x'], COMMANDS)).toEqual({
      command: 'create',
      positionals: ['x'],
      flags: { 'timeout-ms': -5, board, body: '-2' },
    });
    // After --, a negative number is a positional as before.
    expect(parseArgs(['--board', board, 'create', '--', '-1'], COMMANDS).positionals).toEqual(['-1']);
    // Not a number: still refused, with node's hint to write --flag=value.
    const dash = await inProcess(['--board', board, 'create', 'x', '--priority', '-x']);
    expect(dash.code).toBe(EXIT.usage);
    expect(dash.stderr).toMatch(/--priority=-XYZ/);
    expect((await inProcess(['--board', board, 'create', 'x', '--priority', '-1.5'])).stderr).toMatch(
      /--priority must be an integer, got "-1.5"/,
    );
  });

  test('with --json a usage error is one JSON error document on stdout', async () => {
    const run = await inProcess(['--json', 'list']);
    expect(run.code).toBe(EXIT.usage);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'no board: pass --board <path> or set KANBAN_BOARD' },
    });
  });

  afterAll(removeTempDirs);

  test("a malformed task id exits 2 with the board's own message", async () => {
    const run = await inProcess(['--board', path.join(tempDir(), 'k.db'), 'show', 'not-an-id']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/task id must look like t_1a2b3c4d/);
  });

  test('--help lists every command and the exit codes; no command at all is a usage error', async () => {
    const help = await inProcess(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'init',
      'reset',
      'create',
      'list',
      'show',
      'claim',
      'complete',
      'block',
      'comment',
      'tail',
      'stats',
    ])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help.stdout).toMatch(/Exit codes/);
    // 0, 1 and 2 are the convention every Baton command shares; 3 is claim's "nothing ready".
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2, nothingToDo: 3 });
    for (const line of ['0  ok', '1  the operation failed', '2  bad command line', '3  nothing to do'])
      expect(help.stdout).toContain(line);
    expect((await inProcess([])).code).toBe(EXIT.usage);
  });
});
