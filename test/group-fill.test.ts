/**
 * Group commit on a slow disk, with real processes: every fsync of the leader's process takes
 * 40 ms longer (an LD_PRELOAD shim), and three members write in a loop, one write in flight
 * each. Writes that arrive during a flush form the next group, so without a rule the members
 * split into groups that take turns (one or two writes per commit); the leader waits instead
 * for the members its last commit answered, so each commit holds a write of every member.
 */
import * as path from 'node:path';
import type { StoreStatus } from '@baton/store';
import { killAll, leaderOf, startMember, type Member } from './helpers/fleet';
import { buildSlowFlushLibrary, slowFlushEnv } from './helpers/slow-flush';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

/** Long enough that a member on a loaded machine is back well within half a commit. */
const FLUSH_MS = 40;
/** Commits measured, after as many to settle. */
const COMMITS = 30;

afterEach(async () => {
  await killAll();
  removeTempDirs();
});

async function counters(member: Member): Promise<StoreStatus['counters']> {
  const result = await member.call((ref) => ({ cmd: 'status', ref }));
  if (result.code !== undefined) throw new Error(`status failed: ${result.code}`);
  return (result.ok as StoreStatus).counters;
}

/** Asks for status until the leader has committed `commits` groups in all (each call is a round trip, no sleep). */
async function commitsReach(member: Member, commits: number): Promise<StoreStatus['counters']> {
  for (;;) {
    const now = await counters(member);
    if (now.commits >= commits) return now;
  }
}

test('on a slow flush each group commit holds a write of every member writing in a loop', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'fill.db');
  const env = slowFlushEnv(buildSlowFlushLibrary(dir), FLUSH_MS);
  // The first member hosts the leader: it is the one whose flushes are slow (all are given
  // the shim, so a leader change would not make the test pass on a fast disk).
  const members = [await startMember({ path: file, name: 'writer-0' }, env)];
  for (let i = 1; i < 3; i++) members.push(await startMember({ path: file, name: `writer-${i}` }, env));
  const leader = leaderOf(members);
  members.forEach((member, i) => member.send({ cmd: 'writeLoop', prefix: `w${i}` }));

  const start = await commitsReach(leader, (await counters(leader)).commits + COMMITS);
  const end = await commitsReach(leader, start.commits + COMMITS);
  const writesPerCommit = (end.groupedWrites - start.groupedWrites) / (end.commits - start.commits);
  for (const member of members) member.send({ cmd: 'stopLoop' });

  // Taking turns gives 1 to 2; waiting for everyone gives 3.
  expect(writesPerCommit).toBeGreaterThanOrEqual(2.5);
  expect(members.flatMap((member) => member.failed)).toEqual([]);
});
