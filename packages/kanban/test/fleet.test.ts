/**
 * Multi-process: real gateway processes forked from the built bin, real SIGKILL of the leader,
 * the board audited afterwards by an independent better-sqlite3 connection once every gateway
 * has exited. Tests wait for reports from the gateways (or a count on the board), never for time.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, pidsHoldingOpen, storePaths, type Store } from '@baton/store';
import {
  auditBoard,
  Board,
  GATEWAY_BIN,
  GatewayProcess,
  KANBAN_MIGRATIONS,
  killAllGateways,
  writeProfile,
  type BoardAudit,
  type GatewayReport,
  type KanbanSection,
} from '../src';
import { fastKanban, removeTempDirs, tempDir, until } from './helpers';

const KANBAN_BIN = path.join(path.dirname(GATEWAY_BIN), 'kanban.js');
const FAST = fastKanban(0);

let watcher: Store | null = null;

afterEach(async () => {
  await watcher?.close();
  watcher = null;
  await killAllGateways();
  removeTempDirs();
});

/** Profiles under `root`, all on `board`. */
function profiles(root: string, board: string, specs: Record<string, KanbanSection>): Map<string, string> {
  const homes = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs))
    homes.set(name, writeProfile(root, name, { enabled: true, board, ...FAST, ...spec }));
  return homes;
}

/** Every acknowledged create and every failure reported by the fleet, across restarts. */
class Reports {
  readonly acked = new Set<string>();
  /** For each idempotency key, every task id a create with that key was answered with. */
  readonly byKey = new Map<string, Set<string>>();
  readonly failures: string[] = [];

  watch(gateway: GatewayProcess): GatewayProcess {
    const take = (r: GatewayReport): void => {
      if (r.ev === 'created') {
        this.acked.add(r.taskId);
        this.byKey.set(r.key, (this.byKey.get(r.key) ?? new Set()).add(r.taskId));
      }
      if (r.ev === 'createFailed' || r.ev === 'error') this.failures.push(`${gateway.profile}: ${JSON.stringify(r)}`);
    };
    gateway.reports.forEach(take);
    gateway.onReport(take);
    return gateway;
  }
}

/** Resolves when `count` creates have been acknowledged. */
function whenAcked(reports: Reports, gateways: GatewayProcess[], count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (reports.acked.size >= count) resolve();
    };
    for (const g of gateways) g.onReport(check);
    check();
  });
}

/** Waits until no task is ready, running or waiting, as seen through a non-candidate member. */
async function drained(board: Board, expected: number): Promise<void> {
  await until(
    async () => {
      const stats = await board.stats();
      return stats.total >= expected && stats.byStatus.ready + stats.byStatus.running + stats.byStatus.todo === 0;
    },
    `all ${expected} tasks to finish`,
    60_000,
    100,
  );
}

function audit(file: string, acked: Set<string>): BoardAudit {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return auditBoard(db, acked);
  } finally {
    db.close();
  }
}

test('2 dispatching + 5 non-dispatching gateways, 500 tasks, leader SIGKILLed mid-run: every task done exactly once', async () => {
  const dir = tempDir();
  const board = path.join(dir, 'kanban.db');
  const creators = ['a-dev', 'a-creative', 'a-eval', 'a-view', 'intel-pilot'];
  const homes = profiles(path.join(dir, 'profiles'), board, {
    architect: { dispatch_in_gateway: true },
    wikid: { dispatch_in_gateway: true },
    ...Object.fromEntries(creators.map((c) => [c, { dispatch_in_gateway: false }])),
  });
  const reports = new Reports();
  const start = async (name: string): Promise<GatewayProcess> =>
    reports.watch(await GatewayProcess.start({ home: homes.get(name)!, board, stderr: 'collect' }));
  const fleet = new Map<string, GatewayProcess>();
  // A creator starts first and leads, so the leader killed below is one whose creates are in flight.
  fleet.set('a-dev', await start('a-dev'));
  for (const [name, gateway] of await Promise.all(
    [...homes.keys()].filter((n) => n !== 'a-dev').map(async (n) => [n, await start(n)] as const),
  ))
    fleet.set(name, gateway);
  watcher = await openStore({ path: board, name: 'test-watcher', candidate: false, migrations: KANBAN_MIGRATIONS });
  const watch = new Board(watcher, 'test-watcher');

  // 100 tasks per creator, with idempotency keys: a restarted creator re-sends the same keys and creates nothing twice.
  const createAll = (gateway: GatewayProcess): Promise<GatewayReport> => {
    const done = gateway.waitForNext((r) => r.ev === 'createDone', 60_000);
    gateway.send({ cmd: 'create', prefix: 'task', count: 100, intervalMs: 15 });
    return done;
  };
  const creating = creators.map((c) => createAll(fleet.get(c)!));

  await whenAcked(reports, [...fleet.values()], 150);
  const leader = [...fleet.values()].find((g) => g.role === 'leader')!;
  expect(leader.profile).toBe('a-dev');
  const survivors = [...fleet.values()].filter((g) => g !== leader);
  const elected = Promise.any(
    survivors.map((g) =>
      g
        .waitForNext((r) => r.ev === 'role' && r.role === 'leader', 20_000)
        .then((r) => (r.ev === 'role' ? g : Promise.reject(new Error(r.ev)))),
    ),
  );
  const ackedAtKill = reports.acked.size;
  const keysAckedBeforeKill = new Set([...reports.byKey.keys()].filter((k) => k.startsWith(`${leader.profile}/`)));
  leader.kill('SIGKILL');
  const newLeader = await elected;
  expect(newLeader).not.toBe(leader);
  expect(ackedAtKill).toBeLessThan(500);

  // The killed gateway comes back (as a supervisor would restart it) and re-sends all its keys:
  // those committed before the crash (acknowledged or not) are answered with their task.
  const restarted = await start(leader.profile);
  fleet.set(leader.profile, restarted);
  const resent = createAll(restarted);
  creating.push(resent);
  await Promise.all(creating);
  expect(await resent).toMatchObject({ ev: 'createDone', created: 100 });
  expect(keysAckedBeforeKill.size).toBeGreaterThan(0);
  // Every key, re-sent or not, was answered with one task only.
  expect([...reports.byKey].filter(([, ids]) => ids.size !== 1)).toEqual([]);
  expect(reports.byKey.size).toBe(500);
  await drained(watch, 500);
  await Promise.all([...fleet.values()].filter((g) => g.running).map((g) => g.close()));
  await watcher.close();

  const result = audit(storePaths(board).database, reports.acked);
  const claimants = new Database(storePaths(board).database, { readonly: true });
  const profilesThatClaimed = (
    claimants.prepare('SELECT DISTINCT profile FROM task_runs ORDER BY profile').all() as { profile: string }[]
  ).map((r) => r.profile);
  claimants.close();
  expect(reports.failures).toEqual([]);
  expect(reports.acked.size).toBe(500);
  // Only the dispatching gateways ever claimed.
  expect(profilesThatClaimed).toEqual(['architect', 'wikid']);
  expect(result).toMatchObject({
    integrity: 'ok',
    tasks: 500,
    byStatus: { done: 500 },
    missing: [],
    createdNotOnce: [],
    completedMismatch: [],
    claimedTwice: [],
  });
}, 120_000);

test("a gateway with enabled: false holds no socket and no handle on any of the store's files", async () => {
  const dir = tempDir();
  const board = path.join(dir, 'kanban.db');
  const root = path.join(dir, 'profiles');
  const leader = await GatewayProcess.start({
    home: writeProfile(root, 'architect', { enabled: true, board }),
    stderr: 'collect',
  });
  const follower = await GatewayProcess.start({
    home: writeProfile(root, 'a-dev', { enabled: true, board, candidate: false }),
    stderr: 'collect',
  });
  const disabled = await GatewayProcess.start({
    home: writeProfile(root, 'a-view', { enabled: false, board, dispatch_in_gateway: true }),
    stderr: 'collect',
  });
  expect(disabled.reports[0]).toMatchObject({ ev: 'ready', enabled: false, role: null });

  const paths = storePaths(board);
  const storeFiles = new Set([
    paths.database,
    `${paths.database}-wal`,
    `${paths.database}-shm`,
    paths.lock,
    paths.record,
    paths.socket,
  ]);
  // fds 0-2 are stdio and 3 the IPC channel, all given by this test (Node makes 'pipe' stdio a
  // socketpair); any socket the gateway opened itself would be above them.
  const sockets = (pid: number): string[] =>
    fs
      .readdirSync(`/proc/${pid}/fd`)
      .filter((fd) => Number(fd) > 3)
      .map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      })
      .filter((t) => t.startsWith('socket:'));
  expect(sockets(disabled.pid)).toEqual([]);
  expect(pidsHoldingOpen([...storeFiles])).not.toContain(disabled.pid);
  // The same check finds what an enabled member holds: a socket to the leader (so it can fail).
  expect(sockets(follower.pid).length).toBeGreaterThan(0);
  expect(pidsHoldingOpen([paths.database])).toContain(leader.pid);
  expect(pidsHoldingOpen([paths.lock])).toContain(leader.pid);

  // And the leader does not know it: it is not a member.
  watcher = await openStore({ path: board, name: 'test-watcher', candidate: false, migrations: KANBAN_MIGRATIONS });
  expect((await watcher.status()).members.map((m) => m.name).sort()).toEqual(['a-dev', 'architect', 'test-watcher']);
});

test('kanban init run 10 times under a writing fleet: every run succeeds, nothing fails, nothing is lost', async () => {
  const dir = tempDir();
  const board = path.join(dir, 'kanban.db');
  const homes = profiles(path.join(dir, 'profiles'), board, {
    architect: { dispatch_in_gateway: true },
    'a-dev': { dispatch_in_gateway: false },
    'a-eval': { dispatch_in_gateway: false },
  });
  const reports = new Reports();
  const fleet = [];
  for (const home of homes.values())
    fleet.push(reports.watch(await GatewayProcess.start({ home, board, stderr: 'collect' })));
  watcher = await openStore({ path: board, name: 'test-watcher', candidate: false, migrations: KANBAN_MIGRATIONS });
  const creators = fleet.slice(1);
  const creating = creators.map((g) => g.waitForNext((r) => r.ev === 'createDone', 60_000));
  for (const g of creators) g.send({ cmd: 'create', prefix: 'task', count: 100_000, intervalMs: 10 });
  const inode = fs.statSync(board).ino;

  const inits: { code: number; out: string }[] = [];
  for (let i = 0; i < 10; i++) {
    const ackedBefore = reports.acked.size;
    inits.push(
      await new Promise((resolve) => {
        execFile(
          process.execPath,
          [KANBAN_BIN, '--board', board, '--json', 'init'],
          { timeout: 30_000 },
          (error, stdout, stderr) =>
            resolve({ code: error === null ? 0 : Number(error.code ?? -1), out: stdout || stderr }),
        );
      }),
    );
    // Writes kept flowing around each init.
    await whenAcked(reports, creators, ackedBefore + 1);
  }
  for (const g of creators) g.send({ cmd: 'stopCreating' });
  await Promise.all(creating);
  await drained(new Board(watcher, 'test-watcher'), reports.acked.size);
  await Promise.all(fleet.map((g) => g.close()));
  await watcher.close();

  expect(inits.map((r) => r.code)).toEqual(Array(10).fill(0));
  for (const run of inits) expect(JSON.parse(run.out)).toMatchObject({ schemaVersion: 1 });
  expect(reports.failures).toEqual([]);
  expect(fs.statSync(board).ino).toBe(inode);
  const result = audit(storePaths(board).database, reports.acked);
  expect(result).toMatchObject({
    integrity: 'ok',
    missing: [],
    createdNotOnce: [],
    completedMismatch: [],
    claimedTwice: [],
  });
  expect(result.tasks).toBe(reports.acked.size);
  expect(result.byStatus.done).toBe(result.tasks);
}, 120_000);
