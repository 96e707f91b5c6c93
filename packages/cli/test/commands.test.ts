/**
 * `baton exec`, `reset` and `step-down` against a real fleet of forked members.
 */
import type { ExecReport } from '../src/commands/exec';
import type { ResetReport } from '../src/commands/reset';
import type { StepDownReport } from '../src/commands/step-down';
import { killBatons, parseJson, runBaton } from './support/baton';
import { failoverOf, startFleet, stopFleets, writeRows, type ErrorDocument } from './support/fleet';
import type { Member } from './support/shared';

async function countRows(db: string): Promise<number> {
  const run = await runBaton(['exec', db, 'SELECT count(*) AS n FROM rows', '--json']);
  expect(run.code).toBe(0);
  return parseJson<ExecReport>(run).rows[0]!.n as number;
}

afterEach(async () => {
  await killBatons();
  await stopFleets();
});

test('exec runs a write and a read through the leader; --json prints the result set', async () => {
  const { db, members } = await startFleet(2);

  const insert = await runBaton([
    'exec',
    db,
    'INSERT INTO rows (id, member, epoch) VALUES (?, ?, ?)',
    'r1',
    'cli',
    '7',
    '--json',
  ]);
  expect(insert.code).toBe(0);
  expect(parseJson<ExecReport>(insert)).toEqual({
    columns: [],
    rows: [],
    rowsAffected: 1,
    lastInsertRowid: 1,
    hostedLeader: false,
  });

  const select = await runBaton(['exec', db, 'SELECT id, member, epoch FROM rows WHERE id = ?', 'r1', '--json']);
  expect(select.code).toBe(0);
  expect(parseJson<ExecReport>(select)).toMatchObject({
    columns: ['id', 'member', 'epoch'],
    rows: [{ id: 'r1', member: 'cli', epoch: 7 }],
    rowsAffected: 0,
  });

  // A member of the fleet sees the row the CLI wrote.
  expect((await members[1]!.exec('SELECT member FROM rows WHERE id = ?', ['r1'])).ok).toMatchObject({
    rows: [{ member: 'cli' }],
  });

  const piped = await runBaton(['exec', db, 'SELECT id, member FROM rows']);
  expect(piped.stdout).toBe('id\tmember\nr1\tcli\n');
});

test('exec --json-args passes typed values, and a SQL error exits 1 with its code', async () => {
  const { db } = await startFleet(1);

  const typed = await runBaton([
    'exec',
    db,
    'SELECT ? AS n, ? AS x, ? AS s, typeof(?) AS t',
    '42',
    'null',
    '"hi"',
    '1.5',
    '--json-args',
    '--json',
  ]);
  expect(parseJson<ExecReport>(typed).rows).toEqual([{ n: 42, x: null, s: 'hi', t: 'real' }]);

  const failed = await runBaton(['exec', db, 'INSERT INTO rows (id, member) VALUES (?, ?)', 'dup', 'a', '--json']);
  expect(failed.code).toBe(0);
  // The fleet's rows table has no key on id (a write applied twice must show as two rows): the
  // constraint to violate is member's NOT NULL.
  const violation = await runBaton(['exec', db, 'INSERT INTO rows (id, member) VALUES (?, NULL)', 'dup', '--json']);
  expect(violation.code).toBe(1);
  expect(parseJson<ErrorDocument>(violation).error).toMatchObject({
    code: 'SQLITE_CONSTRAINT',
    extendedCode: 'SQLITE_CONSTRAINT_NOTNULL',
  });
});

test('reset without --yes refuses and changes nothing; with --yes it empties the schema in place', async () => {
  const { db, members } = await startFleet(2);
  await writeRows(members[1]!, 'keep', 5);

  const refused = await runBaton(['reset', db, '--json']);
  expect(refused.code).toBe(2);
  expect(parseJson<ErrorDocument>(refused).error.code).toBe('CONFIRMATION_REQUIRED');
  expect(await countRows(db)).toBe(5);

  const reset = await runBaton(['reset', db, '--yes', '--json']);
  expect(reset.code).toBe(0);
  expect(parseJson<ResetReport>(reset)).toEqual({
    database: expect.stringMatching(/fleet\.db$/),
    reset: true,
    schemaVersion: 1,
    hostedLeader: false,
  });
  expect(await countRows(db)).toBe(0);
  // The members carry on against the recreated table: same file, same leader.
  await writeRows(members[0]!, 'after', 2);
  expect(members[0]!.failed).toEqual([]);
  expect(await countRows(db)).toBe(2);
});

test('step-down hands the lead to another candidate and reports who took over and how long it took', async () => {
  const { db, members } = await startFleet(3);
  const [leader, ...others] = members as [Member, Member, Member];

  const startedAt = Date.now();
  const run = await runBaton(['step-down', db, '--json']);
  const runMs = Date.now() - startedAt;

  expect(run.code).toBe(0);
  const report = parseJson<StepDownReport>(run);
  expect(report.from).toEqual({ pid: leader.pid, name: 'm0', epoch: 1 });
  expect(report.to.epoch).toBe(2);
  expect(others.map((m) => m.pid)).toContain(report.to.pid);
  expect(report.sameProcess).toBe(false);
  // Durations measured inside the CLI's run: the hand-over took some time, and less than the whole run.
  expect(report.ms).toBeGreaterThan(0);
  expect(report.ms).toBeLessThan(runMs);
  // The fleet agrees on who took over.
  const seen = await Promise.all(members.map(failoverOf));
  expect(new Set(seen.map((e) => e.toPid))).toEqual(new Set([report.to.pid]));
  // The takeover is the one the new leader recorded in its epoch history, and it ended before
  // that leader's own member was welcomed (both measured from losing the old leader).
  const recorded = await others[0].exec('SELECT takeover_ms AS takeoverMs FROM _baton_epochs WHERE epoch = 2');
  expect(report.takeoverMs).toBe((recorded.ok as { rows: { takeoverMs: number }[] }).rows[0]!.takeoverMs);
  const newLeader = members.find((m) => m.pid === report.to.pid)!;
  expect(report.takeoverMs).toBeLessThanOrEqual(seen[members.indexOf(newLeader)]!.ms);

  const text = await runBaton(['step-down', db]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(
    new RegExp(
      `^pid ${report.to.pid} "m\\d" \\(epoch 2\\) handed over to pid \\d+ "m\\d" \\(epoch 3\\) in [\\d.]+ (ms|s)`,
    ),
  );
});

test('step-down with no leader running exits 1 and does not become the leader', async () => {
  const { db, members } = await startFleet(1);
  members[0]!.kill('SIGKILL');
  await members[0]!.whenExited();

  const run = await runBaton(['step-down', db, '--json']);

  expect(run.code).toBe(1);
  expect(parseJson<ErrorDocument>(run).error.code).toBe('NO_LEADER');
  expect(run.stderr).not.toMatch(/hosts the leader/);
});
