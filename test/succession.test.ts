/**
 * The heir: the leader names one connected candidate to take over next, and only that member
 * keeps a standby engine (SQLite loaded), so a fleet pays for one standby, not one per member.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoreStatus } from '@baton/store';
import { killAll, startMember, until, type Member } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(90_000);

afterEach(async () => {
  await killAll();
  removeTempDirs();
});

/** True when the process has better-sqlite3's native addon mapped, i.e. it has booted an engine. */
function hasSqliteLoaded(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').includes('better_sqlite3.node');
  } catch {
    return false;
  }
}

async function statusOf(member: Member): Promise<StoreStatus> {
  const result = await member.call((ref) => ({ cmd: 'status', ref }));
  if (result.ok === undefined) throw new Error(`status failed: ${result.code}: ${result.message}`);
  return result.ok as StoreStatus;
}

/** Asks `member` for the status until the leader names an heir that passes `test`. */
async function heirNamed(member: Member, test: (status: StoreStatus) => boolean): Promise<StoreStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await statusOf(member);
    if (test(status)) return status;
    if (Date.now() > deadline) throw new Error(`no matching heir; last status: ${JSON.stringify(status.leader)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function fleet(): Promise<{ leader: Member; first: Member; second: Member; passenger: Member }> {
  const file = path.join(tempDir(), 'succession.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const first = await startMember({ path: file, name: 'first-candidate' });
  const second = await startMember({ path: file, name: 'second-candidate' });
  const passenger = await startMember({ path: file, name: 'passenger', candidate: false });
  return { leader, first, second, passenger };
}

test('the leader names the longest-connected candidate its heir, and only the heir loads SQLite', async () => {
  const { leader, first, second, passenger } = await fleet();
  expect((await statusOf(passenger)).leader.heirPid).toBe(first.pid);
  await until(() => hasSqliteLoaded(first.pid), 30_000, 'the heir to boot its standby engine');
  expect(hasSqliteLoaded(leader.pid)).toBe(true); // it runs the engine
  expect(hasSqliteLoaded(second.pid)).toBe(false);
  expect(hasSqliteLoaded(passenger.pid)).toBe(false);
});

test('when the heir dies the next candidate is named and boots the standby', async () => {
  const { first, second, passenger } = await fleet();
  first.kill();
  await first.whenExited();
  await heirNamed(passenger, (status) => status.leader.heirPid === second.pid);
  await until(() => hasSqliteLoaded(second.pid), 30_000, 'the new heir to boot its standby engine');
  expect(hasSqliteLoaded(passenger.pid)).toBe(false);
});

test('after the leader is killed a survivor takes over and names a surviving candidate its heir', async () => {
  const { leader, first, second, passenger } = await fleet();
  leader.kill();
  await leader.whenExited();
  const status = await heirNamed(passenger, (s) => s.leader.pid !== leader.pid && s.leader.heirPid !== 0);
  expect([first.pid, second.pid]).toContain(status.leader.pid);
  const heir = status.leader.pid === first.pid ? second : first;
  expect(status.leader.heirPid).toBe(heir.pid);
  await until(() => hasSqliteLoaded(heir.pid), 30_000, 'the new heir to boot its standby engine');
  expect(hasSqliteLoaded(passenger.pid)).toBe(false);
});
