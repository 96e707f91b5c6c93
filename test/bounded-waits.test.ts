/**
 * Guarantee 5, bounded waits, in time: a request for which no leader can answer ends with a
 * coded error no sooner than `requestTimeoutMs` and no later than `requestTimeoutMs` plus
 * `MARGIN_MS`, measured inside the member that waited. This is a correctness bound, not a
 * speed test: the margin only absorbs how late a timer can fire in a Node process on a loaded
 * 2-core machine (waiting for a core, a garbage collection: tens of milliseconds usually, a few
 * hundred at worst), while a wait that ran a second timeout period, or waited for an election
 * that never ends, overshoots it by far.
 */
import * as path from 'node:path';
import { openStore, StoreError } from '@baton/store';
import { killAll, startMember, type Member } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

const REQUEST_TIMEOUT_MS = 2000;
const MARGIN_MS = 1000;

const stopped: Member[] = [];
afterEach(async () => {
  for (const member of stopped.splice(0)) member.kill('SIGCONT');
  await killAll();
  removeTempDirs();
});

function expectBounded(ms: number | undefined): void {
  expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
  expect(ms).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + MARGIN_MS);
}

test('a paused leader (nobody can take over): a write ends in TIMEOUT within requestTimeoutMs plus the margin', async () => {
  const file = path.join(tempDir(), 'paused.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const candidate = await startMember({ path: file, name: 'candidate', requestTimeoutMs: REQUEST_TIMEOUT_MS });
  stopped.push(leader);
  leader.kill('SIGSTOP');
  const result = await candidate.exec("INSERT INTO rows (id, member) VALUES ('never-answered', 'candidate')");
  expect(result.code).toBe('TIMEOUT');
  expectBounded(result.ms);
});

test('a dead leader and no candidate left: a write ends in NO_LEADER within requestTimeoutMs plus the margin', async () => {
  const file = path.join(tempDir(), 'leaderless.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const follower = await startMember({
    path: file,
    name: 'follower',
    candidate: false,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  const electing = follower.waitForNext((e) => e.ev === 'role' && e.role === 'electing');
  leader.kill('SIGKILL');
  await electing;
  const result = await follower.exec("INSERT INTO rows (id, member) VALUES ('nobody-to-apply', 'follower')");
  expect(result.code).toBe('NO_LEADER');
  expectBounded(result.ms);
});

test('opening a store with no leader and no candidacy rejects with NO_LEADER within requestTimeoutMs plus the margin', async () => {
  const started = performance.now();
  const opening = openStore({
    path: path.join(tempDir(), 'nobody.db'),
    name: 'alone',
    candidate: false,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  await expect(opening).rejects.toBeInstanceOf(StoreError);
  await expect(opening).rejects.toMatchObject({ code: 'NO_LEADER' });
  expectBounded(performance.now() - started);
});
