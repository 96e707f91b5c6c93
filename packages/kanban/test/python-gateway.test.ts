/**
 * Python gateways (python/kanban/gateway.py, on the Python Baton member) on one board beside Node
 * gateways: creating and claiming together, the Python leader SIGKILLed mid-run and restarted,
 * then the board audited by an independent reader once every gateway has exited. Tests wait for
 * reports from the gateways (or a count on the board), never for time.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, storePaths, type Store } from '@baton/store';
import {
  auditBoard,
  Board,
  GatewayProcess,
  KANBAN_MIGRATIONS,
  killAllGateways,
  writeProfile,
  type GatewayReport,
} from '../src';
import { fastKanban, removeTempDirs, tempDir, until } from './helpers';

/** packages/kanban/dist/test/ -> python/kanban/gateway.py */
const PYTHON = {
  interpreter: process.env.PYTHON ?? 'python3',
  script: path.join(__dirname, '..', '..', '..', '..', 'python', 'kanban', 'gateway.py'),
};
const FAST = fastKanban(0.05);

let watcher: Store | null = null;

afterEach(async () => {
  await watcher?.close();
  watcher = null;
  await killAllGateways();
  removeTempDirs();
});

test('Python and Node gateways create and claim on one board; the Python leader is SIGKILLed: every task done exactly once', async () => {
  const dir = tempDir();
  const board = path.join(dir, 'kanban.db');
  const root = path.join(dir, 'profiles');
  const specs: Record<string, { dispatch: boolean; python: boolean }> = {
    'py-dispatch': { dispatch: true, python: true },
    architect: { dispatch: true, python: false },
    'py-create': { dispatch: false, python: true },
    'a-dev': { dispatch: false, python: false },
  };
  const acked = new Set<string>();
  const keys = new Map<string, Set<string>>();
  const failures: string[] = [];
  const start = async (name: string): Promise<GatewayProcess> => {
    const spec = specs[name]!;
    const gateway = await GatewayProcess.start({
      home: writeProfile(root, name, { enabled: true, board, dispatch_in_gateway: spec.dispatch, ...FAST }),
      board,
      stderr: 'collect',
      ...(spec.python ? { python: PYTHON } : {}),
    });
    const take = (r: GatewayReport): void => {
      if (r.ev === 'created') {
        acked.add(r.taskId);
        keys.set(r.key, (keys.get(r.key) ?? new Set()).add(r.taskId));
      }
      if (r.ev === 'createFailed' || r.ev === 'error') failures.push(`${name}: ${JSON.stringify(r)}`);
    };
    gateway.reports.forEach(take);
    gateway.onReport(take);
    return gateway;
  };
  // The Python dispatcher starts first and leads.
  const fleet = new Map<string, GatewayProcess>([['py-dispatch', await start('py-dispatch')]]);
  for (const name of ['architect', 'py-create', 'a-dev']) fleet.set(name, await start(name));
  expect(fleet.get('py-dispatch')!.role).toBe('leader');
  watcher = await openStore({ path: board, name: 'test-watcher', candidate: false, migrations: KANBAN_MIGRATIONS });
  const watch = new Board(watcher, 'test-watcher');

  const createAll = (gateway: GatewayProcess): Promise<GatewayReport> => {
    const done = gateway.waitForNext((r) => r.ev === 'createDone', 60_000);
    gateway.send({ cmd: 'create', prefix: 'task', count: 80, intervalMs: 10 });
    return done;
  };
  const creating = [createAll(fleet.get('py-create')!), createAll(fleet.get('a-dev')!)];
  await until(() => acked.size >= 40, '40 creates acknowledged', 30_000, 20);

  const leader = fleet.get('py-dispatch')!;
  const survivors = [...fleet.values()].filter((g) => g !== leader);
  const elected = Promise.any(
    survivors.map((g) =>
      g
        .waitForNext((r) => r.ev === 'role' && r.role === 'leader', 20_000)
        .then((r) => (r.ev === 'role' ? g : Promise.reject(new Error(r.ev)))),
    ),
  );
  leader.kill('SIGKILL');
  expect(await elected).not.toBe(leader);
  // Restarted, as a supervisor would: it joins as a follower and dispatches again.
  fleet.set('py-dispatch', await start('py-dispatch'));

  await Promise.all(creating);
  expect([...keys].filter(([, ids]) => ids.size !== 1)).toEqual([]);
  expect(acked.size).toBe(160);
  await until(
    async () => {
      const stats = await watch.stats();
      return stats.total >= 160 && stats.byStatus.ready + stats.byStatus.running + stats.byStatus.todo === 0;
    },
    'all 160 tasks to finish',
    60_000,
    100,
  );
  await Promise.all([...fleet.values()].filter((g) => g.running).map((g) => g.close()));
  await watcher.close();

  const file = storePaths(board).database;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const result = auditBoard(db, acked);
    expect(result).toMatchObject({
      integrity: 'ok',
      tasks: 160,
      missing: [],
      createdNotOnce: [],
      completedMismatch: [],
      claimedTwice: [],
    });
    expect((result.byStatus.done ?? 0) + (result.byStatus.blocked ?? 0)).toBe(160);
    const claimed = (
      db.prepare('SELECT DISTINCT profile FROM task_runs ORDER BY profile').all() as { profile: string }[]
    ).map((r) => r.profile);
    expect(claimed).toEqual(['architect', 'py-dispatch']);
    const creators = (
      db.prepare('SELECT DISTINCT created_by FROM tasks ORDER BY created_by').all() as { created_by: string }[]
    ).map((r) => r.created_by);
    expect(creators).toEqual(['a-dev', 'py-create']);
  } finally {
    db.close();
  }
  expect(failures).toEqual([]);
}, 120_000);
