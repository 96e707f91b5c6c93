/**
 * `baton status` against a real fleet of forked members: the leader and members it reports,
 * what it shows after the leader is SIGKILLed, a SIGSTOPped leader, and no leader at all.
 */
import type { StatusReport } from '../src/status/status-report';
import { killBatons, parseJson, runBaton } from './support/baton';
import { failoverOf, startFleet, stopFleets, type ErrorDocument } from './support/fleet';
import { fleet, type Member } from './support/shared';

const stopped: Member[] = [];

async function status(db: string): Promise<{ code: number | null; report: StatusReport; stderr: string }> {
  const run = await runBaton(['status', db, '--json']);
  return { code: run.code, report: parseJson<StatusReport>(run), stderr: run.stderr };
}

afterEach(async () => {
  for (const member of stopped.splice(0)) member.kill('SIGCONT');
  await killBatons();
  await stopFleets();
});

test('reports the leader and every member, with the documented --json fields, and leaves itself out', async () => {
  const { db, members } = await startFleet(3);
  const [leader] = members as [Member];
  expect(leader.events.find((e) => e.ev === 'opened')).toMatchObject({ role: 'leader' });

  const { code, report } = await status(db);

  expect(code).toBe(0);
  expect(Object.keys(report).sort()).toEqual([
    'at',
    'database',
    'failovers',
    'files',
    'leader',
    'load',
    'lockHolder',
    'members',
    'problem',
    'record',
    'state',
  ]);
  expect(report).toMatchObject({
    state: 'ok',
    problem: null,
    lockHolder: leader.pid,
    database: expect.stringMatching(/fleet\.db$/),
  });
  expect(report.leader).toEqual({
    pid: leader.pid,
    name: 'm0',
    epoch: 1,
    since: expect.any(Number),
    uptimeMs: expect.any(Number),
    socketPath: expect.any(String),
    version: expect.any(String),
    language: 'node',
    omits: [],
  });
  expect(report.members.map((m) => m.pid).sort()).toEqual(members.map((m) => m.pid).sort());
  expect(report.members.find((m) => m.pid === leader.pid)?.role).toBe('leader');
  expect(report.members.filter((m) => m.role === 'heir')).toHaveLength(1);
  expect(report.members.filter((m) => m.role === 'candidate')).toHaveLength(1);
  for (const member of report.members) {
    expect(member).toEqual({
      pid: expect.any(Number),
      name: expect.any(String),
      role: expect.any(String),
      connectedAt: expect.any(Number),
      requests: expect.any(Number),
      inFlight: expect.any(Number),
      transactionOpen: false,
      reads: 'leader',
      language: 'node',
      version: expect.any(String),
    });
  }
  expect(report.load).toEqual({
    writesPerSec: expect.any(Number),
    readsPerSec: expect.any(Number),
    p50Ms: expect.any(Number),
    p99Ms: expect.any(Number),
    avgGroupSize: expect.any(Number),
    queueDepth: expect.any(Number),
  });
  // Baton's first invariant, seen from the outside: only the leader holds the file open.
  expect(report.files).toMatchObject({
    schemaVersion: 1,
    databaseBytes: expect.any(Number),
    walBytes: expect.any(Number),
  });
  expect(report.files.openBy.map((h) => [h.pid, h.access])).toEqual([[leader.pid, 'writer']]);
  expect(report.failovers).toEqual([
    {
      epoch: 1,
      at: expect.any(Number),
      fromPid: null,
      toPid: leader.pid,
      toName: 'm0',
      takeoverMs: expect.any(Number),
    },
  ]);
  expect(report.record).toMatchObject({ pid: leader.pid, name: 'm0', epoch: 1, process: 'running' });
});

test('prints readable text without colour when piped: leader, member count, sizes', async () => {
  const { db, members } = await startFleet(2);

  const run = await runBaton(['status', db]);

  expect(run.code).toBe(0);
  expect(run.stdout).not.toContain('\x1b[');
  expect(run.stdout).toMatch(new RegExp(`pid ${members[0]!.pid}\\s+name m0\\s+epoch 1`));
  expect(run.stdout).toContain('2 connected');
  expect(run.stdout).toMatch(/file \d+(\.\d)? (B|KiB|MiB)/);
  expect(run.stdout).toMatch(/open by 1 writer\n/);
});

test("shows each member's read mode, and which processes hold the database read-only beside the one writer", async () => {
  const { db, members } = await startFleet(1);
  const reader = await fleet.startMember({ path: db, name: 'reader', candidate: false, reads: 'local' });
  await reader.exec('SELECT 1'); // its connection opens at its first read
  expect((await reader.call((ref) => ({ cmd: 'localReads', ref }))).ok).toBe(1);

  const { code, report } = await status(db);
  expect(code).toBe(0);
  expect(report.members.map((m) => [m.name, m.reads])).toEqual([
    ['m0', 'leader'],
    ['reader', 'local'],
  ]);
  expect(report.files.openBy.map((h) => [h.pid, h.access]).sort()).toEqual(
    [
      [members[0]!.pid, 'writer'],
      [reader.pid, 'reader'],
    ].sort(),
  );
  const text = await runBaton(['status', db]);
  expect(text.stdout).toMatch(/open by 1 writer, 1 reader/);
  expect(text.stdout).toMatch(/reader\s+observer.*local/);
});

test('after a SIGKILL of the leader, shows the new leader and the failover with its duration', async () => {
  const { db, members } = await startFleet(3);
  const [old, ...survivors] = members as [Member, Member, Member];
  old.kill('SIGKILL');
  // Every survivor has reached the new leader before we look, so the member list is settled.
  const [failover] = await Promise.all(survivors.map(failoverOf));

  const { code, report } = await status(db);

  expect(code).toBe(0);
  expect(report.leader?.pid).toBe(failover!.toPid);
  expect(report.leader?.pid).not.toBe(old.pid);
  expect(report.leader?.epoch).toBe(2);
  expect(report.members.map((m) => m.pid).sort()).toEqual(survivors.map((m) => m.pid).sort());
  // The entry is the epoch history's row for epoch 2, as the new leader recorded it.
  const recorded = await survivors[0].exec(
    'SELECT started_at AS at, name, takeover_ms AS takeoverMs FROM _baton_epochs WHERE epoch = 2',
  );
  const row = (recorded.ok as { rows: { at: number; name: string; takeoverMs: number }[] }).rows[0]!;
  expect(report.failovers[0]).toEqual({
    epoch: 2,
    at: row.at,
    fromPid: old.pid,
    toPid: failover!.toPid,
    toName: row.name,
    takeoverMs: row.takeoverMs,
  });
  // The takeover (from losing the old leader to the first commit) ends before the new leader's
  // own member is welcomed, which ends the failover that member measured from the same instant.
  const newLeader = survivors.find((m) => m.pid === failover!.toPid)!;
  const ownFailover = await failoverOf(newLeader);
  expect(report.failovers[0]!.takeoverMs).toBeGreaterThanOrEqual(0);
  expect(report.failovers[0]!.takeoverMs).toBeLessThanOrEqual(ownFailover.ms);

  const text = await runBaton(['status', db]);
  expect(text.stdout).toMatch(
    new RegExp(`\\n\\s+2\\s+.*ago\\)\\s+${old.pid}\\s+${failover!.toPid} \\S+\\s+[\\d.]+ (ms|s)\\n`),
  );
});

test('reports a SIGSTOPped leader as unresponsive with exit code 1', async () => {
  const { db, members } = await startFleet(2);
  const [leader] = members as [Member];
  leader.kill('SIGSTOP');
  stopped.push(leader);

  const { code, report } = await status(db);

  expect(code).toBe(1);
  expect(report).toMatchObject({ state: 'unresponsive', leader: null, members: [], lockHolder: leader.pid });
  expect(report.record).toMatchObject({ pid: leader.pid, process: 'stopped' });
  expect(report.problem).toContain(`kill -CONT ${leader.pid}`);

  // The paused leader still holds the lock, so no takeover happened meanwhile.
  const text = await runBaton(['status', db]);
  expect(text.code).toBe(1);
  expect(text.stdout).toContain('UNRESPONSIVE');

  // A command that needs the database fails the same way instead of waiting out its timeout.
  const check = await runBaton(['check', db, '--json']);
  expect(check.code).toBe(1);
  expect(parseJson<ErrorDocument>(check).error).toMatchObject({
    code: 'LEADER_UNRESPONSIVE',
    pid: leader.pid,
    process: 'stopped',
  });
});

test('says there is no leader, with the last leader record and its dead pid, when every member is gone', async () => {
  const { db, members } = await startFleet(1);
  const [only] = members as [Member];
  only.kill('SIGKILL');
  await only.whenExited();

  const { code, report } = await status(db);

  expect(code).toBe(1);
  expect(report).toMatchObject({ state: 'no-leader', leader: null, lockHolder: null });
  expect(report.record).toMatchObject({ pid: only.pid, name: 'm0', process: 'gone' });
  expect(report.files.openBy).toEqual([]);
  expect(report.problem).toMatch(/no leader is running/);
});
