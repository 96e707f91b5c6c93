/**
 * The chaos runner's own checks, fed what they must catch: an epoch led by two processes (the
 * history keeps one row per epoch, so only the members' reports can show it), and two real
 * processes holding the database in one /proc sample (flock: a violation; lockfile: allowed
 * only when one of them is a leader the runner paused). The runner is compiled JS under
 * scripts/dist, loaded by path (the scripts project is not a reference of this one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { removeTempDirs, tempDir } from './helpers/temp';

const CHAOS = path.join(__dirname, '..', '..', 'scripts', 'dist', 'chaos');

/** The parts of scripts/chaos/check.ts and openers.ts used here, as they are declared there. */
interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
interface ObservedLeader {
  pid: number;
  epoch: number;
  member: string;
}
interface Sampled {
  pid: number;
  name: string;
  killed: boolean;
  pausedAsLeader: boolean;
}
const { checkDatabase } = require(path.join(CHAOS, 'check.js')) as {
  checkDatabase(database: string, recordPath: string, observed: ObservedLeader[]): Promise<{ checks: Check[] }>;
};
const { OpenerSampler } = require(path.join(CHAOS, 'openers.js')) as {
  OpenerSampler: new (database: string, processes: () => Iterable<Sampled>) => {
    sample(): number;
    overlaps: { holders: string[]; pausedLeaderInvolved: boolean }[];
  };
};

const holders: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(holders.splice(0).map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
  removeTempDirs();
});

/** A database as three leaders (pids 101, 102, 103) would have left it, with its leader record. */
function historyOfThree(): { database: string; record: string } {
  const dir = tempDir();
  const database = path.join(dir, 'chaos.db');
  const db = new Database(database);
  db.exec(`CREATE TABLE _baton_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
    CREATE TABLE _baton_migrations (version INTEGER PRIMARY KEY, sql TEXT NOT NULL, applied_at INTEGER NOT NULL);
    CREATE TABLE _baton_epochs (epoch INTEGER PRIMARY KEY, pid INTEGER NOT NULL, name TEXT NOT NULL, started_at INTEGER NOT NULL, previous_pid INTEGER, takeover_ms INTEGER);
    INSERT INTO _baton_meta VALUES ('epoch', 3);
    INSERT INTO _baton_migrations VALUES (1, 'x', 1), (2, 'y', 2);
    INSERT INTO _baton_epochs VALUES (1, 101, 'm0.1', 1000, NULL, 5), (2, 102, 'm1.1', 2000, 101, 5), (3, 103, 'm2.1', 3000, 102, 5);`);
  db.close();
  const record = path.join(dir, 'chaos.db-baton.json');
  fs.writeFileSync(record, JSON.stringify({ pid: 103, epoch: 3 }));
  return { database, record };
}

const EPOCH_CHECK = 'epoch history strictly increasing, no epoch led twice, matching the leaders seen';

test('the epoch check passes a history that matches the leaders the members reported', async () => {
  const { database, record } = historyOfThree();
  const observed = [{ pid: 101, epoch: 1, member: 'm0.1' }, { pid: 102, epoch: 2, member: 'm1.1' }, { pid: 103, epoch: 3, member: 'm2.1' }];
  const { checks } = await checkDatabase(database, record, observed);
  expect(checks.find((c) => c.name === EPOCH_CHECK)).toMatchObject({ ok: true });
  expect(checks.filter((c) => !c.ok)).toEqual([]);
});

test('the epoch check sees an epoch led by two processes, even one the history does not name', async () => {
  const { database, record } = historyOfThree();
  // pid 202 also said it led epoch 2; the history (one row per epoch) names 102 only.
  const observed = [{ pid: 101, epoch: 1, member: 'm0.1' }, { pid: 102, epoch: 2, member: 'm1.1' }, { pid: 202, epoch: 2, member: 'm4.2' }, { pid: 103, epoch: 3, member: 'm2.1' }];
  const { checks } = await checkDatabase(database, record, observed);
  const epochCheck = checks.find((c) => c.name === EPOCH_CHECK)!;
  expect(epochCheck.ok).toBe(false);
  expect(epochCheck.detail).toMatch(/epoch 2 was led by m1\.1 \(pid 102\) and m4\.2 \(pid 202\)/);
});

/** Starts a process that opens `file` and holds it until killed; resolves once it holds it. */
async function holdOpen(file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('fs').openSync(${JSON.stringify(file)}, 'r'); process.stdout.write('held\\n'); setInterval(() => {}, 1 << 30);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before holding ${file}`)));
  });
  return child;
}

test('one /proc sample that sees two processes holding the database counts as an overlap', async () => {
  const database = path.join(tempDir(), 'chaos.db');
  fs.writeFileSync(database, '');
  const first = await holdOpen(database);
  const seen: Sampled[] = [{ pid: first.pid!, name: 'm0.1', killed: false, pausedAsLeader: false }];
  const sampler = new OpenerSampler(database, () => seen);
  expect(sampler.sample()).toBe(1);
  expect(sampler.overlaps).toEqual([]);

  const second = await holdOpen(database);
  seen.push({ pid: second.pid!, name: 'm1.1', killed: false, pausedAsLeader: false });
  expect(sampler.sample()).toBe(2);
  expect(sampler.overlaps).toEqual([{ holders: [`m0.1 (pid ${first.pid})`, `m1.1 (pid ${second.pid})`], pausedLeaderInvolved: false }]);
});

test('an overlap with a leader the runner paused is marked as such; a SIGKILLed holder does not count', async () => {
  const database = path.join(tempDir(), 'chaos.db');
  fs.writeFileSync(database, '');
  const paused = await holdOpen(database);
  const taker = await holdOpen(database);
  const seen: Sampled[] = [{ pid: paused.pid!, name: 'm0.1', killed: false, pausedAsLeader: true }, { pid: taker.pid!, name: 'm1.1', killed: false, pausedAsLeader: false }];
  const sampler = new OpenerSampler(database, () => seen);
  expect(sampler.sample()).toBe(2);
  expect(sampler.overlaps[0]).toMatchObject({ pausedLeaderInvolved: true });

  seen[0]!.killed = true;
  expect(sampler.sample()).toBe(1);
  expect(sampler.overlaps).toHaveLength(1);
});
