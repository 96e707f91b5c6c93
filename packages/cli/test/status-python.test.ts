/**
 * `baton status` of a fleet led by a Python member (python/baton): the leader's language and what
 * it leaves out, and each member's language and version, in the JSON and in the text.
 */
import * as path from 'node:path';
import { startPythonMember, stopPythonMembers } from '@baton/test-support/python-member';
import type { StatusReport } from '../src/status/status-report';
import { killBatons, parseJson, runBaton } from './support/baton';
import { fleet, temp } from './support/shared';

afterEach(async () => {
  await killBatons();
  await fleet.killAll();
  await stopPythonMembers();
  temp.removeTempDirs();
});

test('shows a Python leader, its omissions, and every member with its language and version', async () => {
  const db = path.join(temp.tempDir(), 'mixed.db');
  const leader = await startPythonMember({ path: db, name: 'py-leader' });
  const node = await fleet.startMember({ path: db, name: 'node-member' });
  const follower = await startPythonMember({ path: db, name: 'py-follower', candidate: false });

  const json = await runBaton(['status', db, '--json']);
  expect(json.code).toBe(0);
  const report = parseJson<StatusReport>(json);
  expect(report.leader).toMatchObject({ pid: leader.pid, language: 'python', omits: expect.any(Array) });
  expect(report.leader!.omits).toContain('standby engine for the heir');
  const byPid = new Map(report.members.map((m) => [m.pid, m]));
  expect(byPid.get(leader.pid)).toMatchObject({ role: 'leader', language: 'python', version: expect.any(String) });
  expect(byPid.get(follower.pid)).toMatchObject({ role: 'observer', language: 'python' });
  // A Node member does not announce its language; the Python leader reports it as node.
  expect(byPid.get(node.pid)).toMatchObject({ role: 'heir', language: 'node' });

  const text = await runBaton(['status', db]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/language python/);
  expect(text.stdout).toMatch(/leaves out standby engine for the heir/);
  expect(text.stdout).toMatch(new RegExp(`${follower.pid}\\s+py-follower\\s+observer\\s+python \\d`));
});
