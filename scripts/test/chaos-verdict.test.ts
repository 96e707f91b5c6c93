/**
 * The chaos runner's own checks, fed what they must catch: an epoch led by two processes (the
 * history keeps one row per epoch, so only the members' reports can show it), two real
 * processes holding the database in one /proc sample (flock: a violation; lockfile: allowed
 * only when one of them is a leader the runner paused), and the opener tracker's events
 * written by hand (the same rule on exact overlaps, and lost events failing either mode). With
 * readers, both count writers only: a read-only holder beside the leader is no overlap, a
 * second writer is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { OpenerEvent } from '@baton/test-support/opener-tracker';
import { removeTempDirs, tempDir } from '@baton/test-support/temp';
import { checkDatabase } from '../chaos/check';
import { exactOpenersVerdict, type ExactOverlap, type TrackedProcess } from '../chaos/opener-verdict';
import { OpenerSampler, type Sampled } from '../chaos/openers';

const holders: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(
    holders.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
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
  const observed = [
    { pid: 101, epoch: 1, member: 'm0.1' },
    { pid: 102, epoch: 2, member: 'm1.1' },
    { pid: 103, epoch: 3, member: 'm2.1' },
  ];
  const { checks } = await checkDatabase([{ generation: 0, path: database, restoredWal: null }], record, observed);
  expect(checks.find((c) => c.name === EPOCH_CHECK)).toMatchObject({ ok: true });
  expect(checks.filter((c) => !c.ok)).toEqual([]);
});

test('the epoch check sees an epoch led by two processes, even one the history does not name', async () => {
  const { database, record } = historyOfThree();
  // pid 202 also said it led epoch 2; the history (one row per epoch) names 102 only.
  const observed = [
    { pid: 101, epoch: 1, member: 'm0.1' },
    { pid: 102, epoch: 2, member: 'm1.1' },
    { pid: 202, epoch: 2, member: 'm4.2' },
    { pid: 103, epoch: 3, member: 'm2.1' },
  ];
  const { checks } = await checkDatabase([{ generation: 0, path: database, restoredWal: null }], record, observed);
  const epochCheck = checks.find((c) => c.name === EPOCH_CHECK)!;
  expect(epochCheck.ok).toBe(false);
  expect(epochCheck.detail).toMatch(/epoch 2 was led by m1\.1 \(pid 102\) and m4\.2 \(pid 202\)/);
});

/** Starts a process that opens `file` (read-only, or `r+` for writing) and holds it until killed; resolves once it holds it. */
async function holdOpen(file: string, flags: 'r' | 'r+' = 'r'): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('fs').openSync(${JSON.stringify(file)}, '${flags}'); process.stdout.write('held\\n'); setInterval(() => {}, 1 << 30);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  holders.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
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
  expect(sampler.overlaps).toEqual([
    { holders: [`m0.1 (pid ${first.pid})`, `m1.1 (pid ${second.pid})`], pausedLeaderInvolved: false },
  ]);
});

test('an overlap with a leader the runner paused is marked as such; a SIGKILLed holder does not count', async () => {
  const database = path.join(tempDir(), 'chaos.db');
  fs.writeFileSync(database, '');
  const paused = await holdOpen(database);
  const taker = await holdOpen(database);
  const seen: Sampled[] = [
    { pid: paused.pid!, name: 'm0.1', killed: false, pausedAsLeader: true },
    { pid: taker.pid!, name: 'm1.1', killed: false, pausedAsLeader: false },
  ];
  const sampler = new OpenerSampler(database, () => seen);
  expect(sampler.sample()).toBe(2);
  expect(sampler.overlaps[0]).toMatchObject({ pausedLeaderInvolved: true });

  seen[0]!.killed = true;
  expect(sampler.sample()).toBe(1);
  expect(sampler.overlaps).toHaveLength(1);
});

test('with readers the sampler counts only writers: processes holding the database file open for writing', async () => {
  const database = path.join(tempDir(), 'chaos.db');
  fs.writeFileSync(database, '');
  const reader = await holdOpen(database);
  const writer = await holdOpen(database, 'r+');
  const seen: Sampled[] = [
    { pid: reader.pid!, name: 'r7.1', killed: false, pausedAsLeader: false },
    { pid: writer.pid!, name: 'm0.1', killed: false, pausedAsLeader: false },
  ];
  const sampler = new OpenerSampler(database, () => seen, true);
  expect(sampler.sample()).toBe(1);
  expect(sampler.overlaps).toEqual([]);

  const second = await holdOpen(database, 'r+');
  seen.push({ pid: second.pid!, name: 'm1.1', killed: false, pausedAsLeader: false });
  expect(sampler.sample()).toBe(2);
  expect(sampler.overlaps).toEqual([
    { holders: [`m0.1 (pid ${writer.pid})`, `m1.1 (pid ${second.pid})`], pausedLeaderInvolved: false },
  ]);
});

test('the writers check counts writers at the opens of the database for writing, and fails on an overlap the tracker reports', () => {
  // m0.1 (101) leads; reader 301 opens the database read-only and the -wal; m1.1 (102) takes over.
  const events: OpenerEvent[] = [
    { kind: 'OPEN', atUs: 2_000_000, pid: 101, name: 'chaos.db', write: true },
    { kind: 'OPEN', atUs: 2_000_100, pid: 101, name: 'chaos.db-wal', write: true },
    { kind: 'OPEN', atUs: 2_500_000, pid: 301, name: 'chaos.db', write: false },
    { kind: 'OPEN', atUs: 2_500_100, pid: 301, name: 'chaos.db-wal', write: true },
    { kind: 'CLOSE', atUs: 3_000_000, pid: 101, name: 'chaos.db', stillHolds: false },
    { kind: 'OPEN', atUs: 3_000_500, pid: 102, name: 'chaos.db', write: true },
  ];
  const { check, seen } = exactOpenersVerdict(events, twoMembers(null), 'flock', 'chaos.db');
  expect(check).toMatchObject({ name: 'never two processes with the database open for writing', ok: true });
  expect(seen).toMatchObject({ check: 'writers', opens: 5, writeOpens: 2, maxAtOnce: 1, overlaps: [] });

  // The same, but m0.1 still holds the database for writing when m1.1 opens it.
  const overlapping: OpenerEvent[] = [
    ...events.slice(0, 4),
    { kind: 'OVERLAP', atUs: 3_000_500, pid: 102, name: 'chaos.db', heldBy: 101 },
    { kind: 'OPEN', atUs: 3_000_500, pid: 102, name: 'chaos.db', write: true },
  ];
  const twice = exactOpenersVerdict(overlapping, twoMembers(null), 'flock', 'chaos.db');
  expect(twice.check.ok).toBe(false);
  expect(twice.seen.maxAtOnce).toBe(2);
});

/**
 * What the tracker prints when m1.1 (pid 102) takes over from m0.1 (pid 101) while m0.1 still
 * holds the files: m0.1 opened the database, -wal and -shm at 2 s; m1.1 opens the database and
 * -wal at 6 s (one OVERLAP line before each OPEN); m0.1 releases its last file at 7.5 s.
 * Times in microseconds of the wall clock, as the tracker prints them.
 */
function takeover(): OpenerEvent[] {
  return [
    { kind: 'OPEN', atUs: 2_000_000, pid: 101, name: 'chaos.db' },
    { kind: 'OPEN', atUs: 2_000_100, pid: 101, name: 'chaos.db-wal' },
    { kind: 'OPEN', atUs: 2_000_200, pid: 101, name: 'chaos.db-shm' },
    { kind: 'OVERLAP', atUs: 6_000_000, pid: 102, name: 'chaos.db', heldBy: 101 },
    { kind: 'OPEN', atUs: 6_000_000, pid: 102, name: 'chaos.db' },
    { kind: 'OVERLAP', atUs: 6_000_300, pid: 102, name: 'chaos.db-wal', heldBy: 101 },
    { kind: 'OPEN', atUs: 6_000_300, pid: 102, name: 'chaos.db-wal' },
    { kind: 'CLOSE', atUs: 7_500_000, pid: 101, name: 'chaos.db-shm', stillHolds: true },
    { kind: 'CLOSE', atUs: 7_500_010, pid: 101, name: 'chaos.db', stillHolds: false },
  ];
}

/** m0.1 and m1.1 as the runner knows them; m0.1 paused as leader at `pausedAtMs` (null: never). */
function twoMembers(pausedAtMs: number | null): TrackedProcess[] {
  return [
    {
      pid: 101,
      name: 'm0.1',
      spawnedAtMs: 1_000,
      leaderPauses: pausedAtMs === null ? [] : [{ fromMs: pausedAtMs, toMs: null }],
    },
    { pid: 102, name: 'm1.1', spawnedAtMs: 1_500, leaderPauses: [] },
  ];
}

const THE_TAKEOVER: ExactOverlap = {
  opener: 'm1.1 (pid 102)',
  heldBy: 'm0.1 (pid 101)',
  pids: [102, 101],
  files: ['chaos.db', 'chaos.db-wal'],
  fromUs: 6_000_000,
  toUs: 7_500_010,
  durationUs: 1_500_010,
  pausedLeaderInvolved: true,
};

test('tracked opens with one holder at a time pass, with the opens counted', () => {
  const events: OpenerEvent[] = [
    ...takeover().slice(0, 3),
    { kind: 'CLOSE', atUs: 3_000_000, pid: 101, name: 'chaos.db', stillHolds: false },
    { kind: 'OPEN', atUs: 3_000_500, pid: 102, name: 'chaos.db' },
  ];
  for (const lock of ['flock', 'lockfile'] as const) {
    const { check, seen } = exactOpenersVerdict(events, twoMembers(null), lock);
    expect(check.ok).toBe(true);
    expect(seen).toEqual({
      method: 'exact',
      check: 'openers',
      opens: 4,
      writeOpens: 0,
      maxAtOnce: 1,
      lostEvents: 0,
      overlaps: [],
    });
  }
});

test('lockfile: a tracked overlap in which one holder is a leader the runner had paused is reported and passes', () => {
  const { check, seen } = exactOpenersVerdict(takeover(), twoMembers(3_000), 'lockfile');
  expect(seen.overlaps).toEqual([THE_TAKEOVER]);
  expect(seen.maxAtOnce).toBe(2);
  expect(check.ok).toBe(true);
  expect(check.detail).toMatch(
    /1 overlap, each with a leader the runner had paused: m1\.1 \(pid 102\) opened chaos\.db, chaos\.db-wal while m0\.1 \(pid 101\) held the files, for 1500010 µs/,
  );
});

test('lockfile: a tracked overlap without a paused leader, or before the pause, fails', () => {
  for (const members of [twoMembers(null), twoMembers(6_500)]) {
    const { check, seen } = exactOpenersVerdict(takeover(), members, 'lockfile');
    expect(seen.overlaps).toEqual([{ ...THE_TAKEOVER, pausedLeaderInvolved: false }]);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/^1 overlap with no paused leader among the holders: m1\.1 \(pid 102\)/);
  }
});

test('flock: any tracked overlap fails, even with a leader the runner had paused', () => {
  const { check, seen } = exactOpenersVerdict(takeover(), twoMembers(3_000), 'flock');
  expect(check).toEqual({
    name: 'never two processes with the database open',
    ok: false,
    detail:
      '1 overlap: m1.1 (pid 102) opened chaos.db, chaos.db-wal while m0.1 (pid 101) held the files, for 1500010 µs (from 1970-01-01T00:00:06.000Z)',
  });
  expect(seen.overlaps).toEqual([THE_TAKEOVER]);
});

test('a process the runner never started is named as such, and three holders at once count as three', () => {
  const events: OpenerEvent[] = [
    ...takeover().slice(0, 5),
    { kind: 'OVERLAP', atUs: 6_100_000, pid: 999, name: 'chaos.db', heldBy: 101 },
    { kind: 'OVERLAP', atUs: 6_100_000, pid: 999, name: 'chaos.db', heldBy: 102 },
    { kind: 'OPEN', atUs: 6_100_000, pid: 999, name: 'chaos.db' },
  ];
  const { check, seen } = exactOpenersVerdict(events, twoMembers(3_000), 'lockfile');
  expect(seen.maxAtOnce).toBe(3);
  expect(seen.overlaps.map((o) => [o.opener, o.heldBy, o.pausedLeaderInvolved])).toEqual([
    ['m1.1 (pid 102)', 'm0.1 (pid 101)', true],
    ['not started by the runner (pid 999)', 'm0.1 (pid 101)', true],
    ['not started by the runner (pid 999)', 'm1.1 (pid 102)', false],
  ]);
  expect(check.ok).toBe(false);
});

test('lost events (an overflow) fail the tracked check in either mode, with no overlap seen', () => {
  const events: OpenerEvent[] = [...takeover().slice(0, 3), { kind: 'OVERFLOW', atUs: 4_000_000 }];
  for (const lock of ['flock', 'lockfile'] as const) {
    const { check, seen } = exactOpenersVerdict(events, twoMembers(null), lock);
    expect(seen).toMatchObject({ lostEvents: 1, overlaps: [] });
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/the tracker lost events \(1 overflow\): nothing is proven/);
  }
});
