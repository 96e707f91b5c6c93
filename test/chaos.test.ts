/**
 * A short chaos run inside `npm test`: the compiled runner (scripts/dist/chaos/main.js) as a
 * subprocess with a fixed seed, 20 s of faults on 7 members and 2 readers (`reads: 'local'`),
 * with one replacement of the database file, its JSON summary parsed. The runner itself checks
 * every generation of the database with the sqlite3 CLI, every read against the writes
 * acknowledged before it, and watches every open with the opener tracker in its writers check
 * (the tests run as root, as the other opener tests do); this test asserts its verdict, that
 * the writers were checked exactly, and that the faults, the local reads and the replacement
 * really happened. `npm run chaos -- --seconds 600` is the long version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

jest.setTimeout(240_000);

const RUNNER = path.join(__dirname, '..', '..', 'scripts', 'dist', 'chaos', 'main.js');
let runner: ChildProcess | null = null;

afterEach(() => {
  // A runner still going (the test timed out) gets SIGTERM: it kills its members and removes its files.
  if (runner !== null && runner.exitCode === null && runner.signalCode === null) runner.kill('SIGTERM');
  runner = null;
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    runner = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('20 s of chaos on 7 members and 2 readers, the file replaced once (seed 20241128): nothing lost, nothing applied twice, never corrupted, no read missed an acknowledged write, never two writers (every open tracked)', async () => {
  const { code, stdout, stderr } = await run(['--seconds', '20', '--members', '7', '--seed', '20241128', '--json']);
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // --json: exactly one document on stdout
  const summary = JSON.parse(lines[0]!) as {
    ok: boolean;
    violations: string[];
    checks: { name: string; ok: boolean; detail: string }[];
    faults: {
      leaderKills: number;
      followerKills: number;
      pauses: number;
      followerPauses: number;
      gracefulRestarts: number;
      inits: number;
      replacements: number;
    };
    writes: { opsAcked: number; rowsAcked: number; rowsInDatabase: number };
    reads: { checked: number; local: number; violations: number };
    generations: { files: number; walsRestored: number };
    openers: {
      method: string;
      check: string;
      opens: number;
      writeOpens: number;
      maxAtOnce: number;
      lostEvents: number;
      overlaps: unknown[];
    };
    leaders: { epochs: number };
  };
  if (code !== 0) console.error(`chaos runner exited ${code}\n${stderr}\n${JSON.stringify(summary, null, 2)}`);
  expect(summary.violations).toEqual([]);
  expect(summary.checks.filter((c) => !c.ok)).toEqual([]);
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
  // The run really did what it says.
  expect(summary.checks.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'every acknowledged row is present',
      'no row is present twice',
      'no row that was never requested',
      'PRAGMA integrity_check',
      'epoch history strictly increasing, no epoch led twice, matching the leaders seen',
      'every read saw every write acknowledged before it started',
      "each replaced file's WAL moved aside by its leader, none left over",
      'never two processes with the database open for writing',
    ]),
  );
  expect(summary.faults.leaderKills).toBeGreaterThanOrEqual(3);
  expect(summary.faults.followerKills + summary.faults.gracefulRestarts + summary.faults.inits).toBeGreaterThan(0);
  expect(summary.faults.pauses + summary.faults.followerPauses).toBeGreaterThan(0);
  expect(summary.leaders.epochs).toBeGreaterThan(summary.faults.leaderKills);
  expect(summary.writes.opsAcked).toBeGreaterThan(0);
  expect(summary.writes.rowsInDatabase).toBeGreaterThanOrEqual(summary.writes.rowsAcked);
  // Readers read, mostly on their own connection, and the file was replaced (the schedule puts
  // the first replacement 10 to 20 s in): two files read, the lost one with its WAL put back.
  expect(summary.reads.checked).toBeGreaterThan(0);
  expect(summary.reads.local).toBeGreaterThan(0);
  expect(summary.reads.violations).toBe(0);
  expect(summary.faults.replacements).toBeGreaterThanOrEqual(1);
  expect(summary.generations.files).toBe(summary.faults.replacements + 1);
  expect(summary.generations.walsRestored).toBe(summary.faults.replacements);
  // Every open of the database, -wal and -shm was seen (opener tracker), across every leader
  // kill: each new leader opens the database for writing, so more such opens than kills.
  expect(summary.openers.method).toBe('exact');
  expect(summary.openers.check).toBe('writers');
  expect(summary.openers.writeOpens).toBeGreaterThan(summary.faults.leaderKills);
  expect(summary.openers.lostEvents).toBe(0);
  expect(summary.openers.overlaps).toEqual([]);
  expect(summary.openers.maxAtOnce).toBe(1);
});

test('20 s of chaos on 6 members, 3 of them Python (seed 7): leadership passes between the languages, nothing lost or applied twice, one opener', async () => {
  const { code, stdout, stderr } = await run([
    '--seconds',
    '20',
    '--members',
    '6',
    '--python',
    '3',
    '--seed',
    '7',
    '--json',
  ]);
  const summary = JSON.parse(stdout.trim()) as {
    ok: boolean;
    python: number;
    violations: string[];
    checks: { name: string; ok: boolean; detail: string }[];
    faults: { leaderKills: number };
    writes: { opsAcked: number };
    openers: { method: string; overlaps: unknown[]; maxAtOnce: number; lostEvents: number };
    leaders: { epochs: number; languageChanges: { toPython: number; toNode: number } };
  };
  if (code !== 0) console.error(`chaos runner exited ${code}\n${stderr}\n${JSON.stringify(summary, null, 2)}`);
  expect(summary.violations).toEqual([]);
  expect(summary.checks.filter((c) => !c.ok)).toEqual([]);
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
  expect(summary.python).toBe(3);
  expect(summary.faults.leaderKills).toBeGreaterThanOrEqual(3);
  expect(summary.writes.opsAcked).toBeGreaterThan(0);
  expect(summary.leaders.languageChanges.toPython).toBeGreaterThanOrEqual(2);
  expect(summary.leaders.languageChanges.toNode).toBeGreaterThanOrEqual(2);
  expect(summary.openers).toMatchObject({ method: 'exact', overlaps: [], maxAtOnce: 1, lostEvents: 0 });
});

test('--help and bad usage follow the documented exit codes', async () => {
  const help = await run(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: /);
  expect(help.stdout).toMatch(/Exit codes:/);
  const bad = await run(['--members', '1']);
  expect(bad.code).toBe(2);
  expect(bad.stdout).toBe('');
  expect(bad.stderr).toMatch(/--members must be an integer from 2 to 32/);
  const lease = await run(['--python', '1', '--lock', 'lockfile']);
  expect(lease.code).toBe(2);
  expect(lease.stderr).toMatch(/--python needs the flock election/);
});
