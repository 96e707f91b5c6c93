/**
 * The gateway and its dispatcher, in this process: what wakes the dispatcher, what a
 * non-dispatching or disabled gateway does, and how work outcomes are recorded.
 */
import * as path from 'node:path';
import { openStore, type NotifyEvent, type Store } from '@baton/store';
import { Board, Gateway, KANBAN_MIGRATIONS, parseGatewayConfig, READY_CHANNEL, type GatewayConfig, type Work } from '../src';
import { removeTempDirs, tempDir } from './helpers';

let board: string;
let outsider: Store;
let gateways: Gateway[] = [];

beforeEach(async () => {
  board = path.join(tempDir(), 'kanban.db');
  // Another member of the board (it hosts the leader): it creates the tasks the gateways see.
  outsider = await openStore({ path: board, name: 'outsider', migrations: KANBAN_MIGRATIONS });
});

afterEach(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  gateways = [];
  await outsider.close();
  removeTempDirs();
});

function config(yaml: string): GatewayConfig {
  return parseGatewayConfig(yaml, path.join(path.dirname(board), 'profiles', 'architect'));
}

async function start(yaml: string, work?: Work): Promise<Gateway> {
  const gateway = await Gateway.start(config(yaml), { board, ...(work === undefined ? {} : { work }) });
  gateways.push(gateway);
  return gateway;
}

/** Resolves with the first event `name` of `gateway` that passes `test`. */
function next<T>(gateway: Gateway, name: 'completed' | 'failed' | 'lost' | 'claimed', test: (event: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (event: T): void => {
      if (!test(event)) return;
      gateway.off(name, listener as never);
      resolve(event);
    };
    gateway.on(name, listener as never);
  });
}

/** Work that succeeds at once. */
const quick: Work = async (task) => ({ ok: true, result: `did ${task.id}` });

test('a dispatching gateway claims a new task on its ready notice alone (the sweep is an hour away)', async () => {
  const gateway = await start('kanban: { dispatch_in_gateway: true, sweep_ms: 3600000 }', quick);
  const create = new Board(outsider, 'a-dev');
  const { task } = await create.create({ title: 'wake up' });
  const claimed = await next<{ task: { id: string }; trigger: string; direct: boolean }>(gateway, 'claimed', (e) => e.task.id === task.id);
  expect(claimed).toMatchObject({ trigger: 'notify', direct: true });
  await next<{ taskId: string }>(gateway, 'completed', (e) => e.taskId === task.id);
  expect((await create.show(task.id)).task).toMatchObject({ status: 'done', result: `did ${task.id}` });
});

test('a non-dispatching gateway receives the notice but never claims', async () => {
  const gateway = await start('kanban: { dispatch_in_gateway: false }');
  expect(gateway.dispatcher).toBeNull();
  const noticed = new Promise<void>((resolve) => {
    const listener = (e: NotifyEvent): void => {
      if (e.channel === READY_CHANNEL) resolve();
    };
    gateway.store!.on('notify', listener);
  });
  const { task } = await new Board(outsider, 'a-dev').create({ title: 'not for you' });
  await noticed;
  expect((await gateway.board!.show(task.id)).task.status).toBe('ready');
});

test('a gateway with enabled: false opens nothing and has no board', async () => {
  const gateway = await start('kanban: { enabled: false, dispatch_in_gateway: true }');
  expect([gateway.store, gateway.board, gateway.dispatcher]).toEqual([null, null, null]);
  expect((await outsider.status()).members.map((m) => m.name)).toEqual(['outsider']);
});

test('an enabled gateway without a board path fails with CONFIG_INVALID', async () => {
  await expect(Gateway.start(config('kanban: { enabled: true }'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
});

test('failed work is recorded and the task retried until it succeeds', async () => {
  let attempts = 0;
  const flaky: Work = async () => (++attempts === 1 ? { ok: false, error: 'first try fails' } : { ok: true, result: 'second try' });
  const gateway = await start('kanban: { dispatch_in_gateway: true }', flaky);
  const failed = next<{ taskId: string; blocked: boolean }>(gateway, 'failed', () => true);
  const { task } = await new Board(outsider, 'a-dev').create({ title: 'flaky' });
  expect(await failed).toMatchObject({ taskId: task.id, blocked: false });
  await next<{ taskId: string }>(gateway, 'completed', (e) => e.taskId === task.id);
  const detail = await new Board(outsider, 'a-dev').show(task.id);
  expect(detail.runs.map((r) => r.status)).toEqual(['failed', 'completed']);
  expect(detail.task.status).toBe('done');
});

test('a worker whose claim was released stops at its next heartbeat, and its result is never recorded', async () => {
  let calls = 0;
  // The first run works until aborted (a stalled agent); later runs finish at once.
  const stalls: Work = (task, signal) =>
    ++calls === 1 ? new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: true, result: 'too late' }))) : quick(task, signal);
  const gateway = await start('kanban: { dispatch_in_gateway: true, claim_ttl_ms: 60000, heartbeat_ms: 50 }', stalls);
  const other = new Board(outsider, 'wikid');
  const claimed = next<{ task: { id: string }; runId: string }>(gateway, 'claimed', () => true);
  const { task } = await other.create({ title: 'stalls' });
  const first = await claimed;
  const lost = next<{ runId: string }>(gateway, 'lost', (e) => e.runId === first.runId);
  // Released, the task is announced ready again: this same gateway may redo it before the stalled run notices.
  const redone = next<{ taskId: string; runId: string }>(gateway, 'completed', (e) => e.taskId === task.id);
  // As if its TTL had passed: another member's sweep releases the claim.
  expect(await other.releaseStale(Date.now() + 120_000)).toEqual([task.id]);
  await lost;
  expect((await redone).runId).not.toBe(first.runId);
  const detail = await other.show(task.id);
  expect(detail.runs.map((r) => [r.id === first.runId, r.status])).toEqual([[true, 'released'], [false, 'completed']]);
  expect(detail.task.result).toBe(`did ${task.id}`);
});
