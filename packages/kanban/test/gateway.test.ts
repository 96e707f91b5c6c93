/**
 * The gateway and its dispatcher, in this process: what wakes the dispatcher, what a
 * non-dispatching or disabled gateway does, and how work outcomes are recorded.
 */
import * as path from 'node:path';
import { openStore, type NotifyEvent, type Store } from '@baton/store';
import {
  Board,
  Gateway,
  KANBAN_MIGRATIONS,
  parseGatewayConfig,
  READY_CHANNEL,
  type GatewayConfig,
  type Work,
} from '../src';
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
function next<T>(
  gateway: Gateway,
  name: 'completed' | 'failed' | 'lost' | 'claimed',
  test: (event: T) => boolean,
): Promise<T> {
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
const quick: Work = (task) => Promise.resolve({ ok: true, result: `did ${task.id}` });

test('a dispatching gateway claims a new task on its ready notice alone (the sweep is an hour away)', async () => {
  const gateway = await start('kanban: { dispatch_in_gateway: true, sweep_ms: 3600000 }', quick);
  const create = new Board(outsider, 'a-dev');
  const { task } = await create.create({ title: 'wake up' });
  const claimed = await next<{ task: { id: string }; trigger: string; direct: boolean }>(
    gateway,
    'claimed',
    (e) => e.task.id === task.id,
  );
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
  const flaky: Work = () =>
    Promise.resolve(++attempts === 1 ? { ok: false, error: 'first try fails' } : { ok: true, result: 'second try' });
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
    ++calls === 1
      ? new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: true, result: 'too late' })))
      : quick(task, signal);
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
  expect(detail.runs.map((r) => [r.id === first.runId, r.status])).toEqual([
    [true, 'released'],
    [false, 'completed'],
  ]);
  expect(detail.task.result).toBe(`did ${task.id}`);
});

/**
 * Holds the next call of `board[method]` at its start until the returned `release` is called;
 * `entered` resolves when that call has begun. The real method runs after the release.
 */
function holdNext(target: Board, method: 'promote' | 'claim'): { entered: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const hasEntered = new Promise<void>((resolve) => (entered = resolve));
  const original = target[method].bind(target) as (...args: unknown[]) => Promise<unknown>;
  let held = false;
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    if (!held) {
      held = true;
      entered();
      await gate;
    }
    return original(...args);
  };
  Object.assign(target, { [method]: wrapped });
  return { entered: hasEntered, release };
}

/** Every background error of `gateway`, collected. */
function errorsOf(gateway: Gateway): Error[] {
  const errors: Error[] = [];
  gateway.on('error', (error) => errors.push(error));
  return errors;
}

/**
 * Starts `gateway.close()` and lets every step it can take without I/O run (one turn of the
 * event loop), so a close that does not wait would have closed the store by then.
 * @returns the close in progress (wrapped: an async function would otherwise wait for it)
 */
async function startClosing(gateway: Gateway): Promise<{ closing: Promise<void> }> {
  const closing = gateway.close();
  await new Promise((resolve) => setImmediate(resolve));
  return { closing };
}

test('closing a gateway while its sweep is between two requests: the sweep finishes first, no background error', async () => {
  const gateway = await start('kanban: { dispatch_in_gateway: true, sweep_ms: 3600000 }', quick);
  const errors = errorsOf(gateway);
  const promote = holdNext(gateway.board!, 'promote');
  const sweeping = gateway.dispatcher!.sweep();
  await promote.entered; // releaseStale is done, promote not yet sent
  const { closing } = await startClosing(gateway);
  expect(gateway.store!.role).not.toBe('closed');
  promote.release();
  await sweeping;
  await closing;
  expect(errors).toEqual([]);
  expect(gateway.store!.role).toBe('closed');
});

test('closing a gateway while a claim is in flight: the claimed task is worked and recorded before the store closes, no background error', async () => {
  const gateway = await start('kanban: { dispatch_in_gateway: true, sweep_ms: 3600000 }', quick);
  const errors = errorsOf(gateway);
  const claim = holdNext(gateway.board!, 'claim');
  const { task } = await new Board(outsider, 'a-dev').create({ title: 'claimed while closing' });
  await claim.entered; // the ready notice started a claim pass
  const { closing } = await startClosing(gateway);
  const outcome = Promise.race([
    next<{ taskId: string }>(gateway, 'completed', (e) => e.taskId === task.id).then(() => 'completed'),
    new Promise<string>((resolve) => gateway.once('error', (error) => resolve(`error: ${error.message}`))),
  ]);
  claim.release();
  expect(await outcome).toBe('completed');
  await closing;
  expect(errors).toEqual([]);
  expect((await new Board(outsider, 'a-dev').show(task.id)).task).toMatchObject({
    status: 'done',
    result: `did ${task.id}`,
  });
});
