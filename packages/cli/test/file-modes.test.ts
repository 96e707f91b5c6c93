/**
 * What the CLI says about the permissions of a store's files: `baton check` fails a database
 * that others can read and prints the chmod that fixes it (text and --json), the fix it prints
 * works, `baton status` shows a warning line, and `--file-mode` names a deliberate group share.
 * `baton check` also removes sockets of dead leaders, never a live one's.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import type { CheckReport } from '../src/commands/check';
import { ExitCode } from '../src/exit-codes';
import type { StatusReport } from '../src/status/status-report';
import { killBatons, parseJson, runBaton } from './support/baton';
import { startFleet, stopFleets, writeRows, type ErrorDocument } from './support/fleet';
import { fleet, temp } from './support/shared';

afterEach(async () => {
  await killBatons();
  await stopFleets();
});

/** A fleet of one on a database whose files are then opened to everyone for reading. */
async function exposedFleet(): Promise<{ db: string; files: string[] }> {
  const { db, members } = await startFleet(1);
  await writeRows(members[0]!, 'row', 10);
  const files = [db, `${db}-wal`, `${db}-shm`, storePaths(db).lock];
  for (const file of files) fs.chmodSync(file, 0o644);
  return { db, files };
}

test('check fails a database others can read, lists each file with its mode and prints the chmod that fixes it; the fix works', async () => {
  const { db, files } = await exposedFleet();

  const json = await runBaton(['check', db, '--json']);
  expect(json.code).toBe(ExitCode.Failed);
  const report = parseJson<CheckReport>(json);
  expect(report).toMatchObject({ ok: false, integrity: { ok: true }, foreignKeys: { ok: true } });
  expect(report.permissions).toEqual({
    ok: false,
    fileMode: '0600',
    exposed: files.map((file) => ({ path: file, mode: '0644' })),
    fix: `chmod 600 ${files.join(' ')}`,
  });

  const text = await runBaton(['check', db]);
  expect(text.code).toBe(ExitCode.Failed);
  expect(text.stdout).toMatch(/permissions\s+TOO OPEN \(4 files beyond 0600\)/);
  for (const file of files) expect(text.stdout).toContain(`0644 ${file}`);
  expect(text.stdout).toContain(`fix: chmod 600 ${files.join(' ')}`);

  execSync(report.permissions.fix!);
  const fixed = await runBaton(['check', db, '--json']);
  expect(fixed.code).toBe(ExitCode.Ok);
  expect(parseJson<CheckReport>(fixed).permissions).toEqual({ ok: true, fileMode: '0600', exposed: [], fix: null });
});

test('--file-mode 640 accepts a group-readable database and still fails one others can read', async () => {
  const { db, files } = await exposedFleet();
  for (const file of files) fs.chmodSync(file, 0o640);
  const shared = await runBaton(['check', db, '--file-mode', '640', '--json']);
  expect(shared.code).toBe(ExitCode.Ok);
  expect(parseJson<CheckReport>(shared).permissions).toEqual({ ok: true, fileMode: '0640', exposed: [], fix: null });

  fs.chmodSync(db, 0o644);
  const world = await runBaton(['check', db, '--file-mode', '0640', '--json']);
  expect(world.code).toBe(ExitCode.Failed);
  expect(parseJson<CheckReport>(world).permissions).toMatchObject({
    ok: false,
    exposed: [{ path: db, mode: '0644' }],
    fix: `chmod 640 ${db}`,
  });
});

test('--file-mode refuses a mode that would let others in', async () => {
  const { db } = await startFleet(1);
  const run = await runBaton(['check', db, '--file-mode', '644', '--json']);
  expect(run.code).toBe(ExitCode.Usage);
  const { error } = parseJson<ErrorDocument>(run);
  expect(error.code).toBe('USAGE');
  expect(error.message).toContain('--file-mode expects one of 600, 640, 660 (octal, as chmod takes it), got "644"');
});

test('status shows a warning line with the fix for a database others can read, and the same in --json', async () => {
  const { db, files } = await exposedFleet();

  const text = await runBaton(['status', db]);
  expect(text.code).toBe(ExitCode.Ok);
  expect(text.stdout).toContain(
    `WARNING other users can read or write ${files.map((f) => `${f} (0644)`).join(', ')}: chmod 600 ${files.join(' ')}`,
  );

  const json = await runBaton(['status', db, '--json']);
  expect(parseJson<StatusReport>(json).files.permissions).toEqual({
    ok: false,
    fileMode: '0600',
    exposed: files.map((file) => ({ path: file, mode: '0644' })),
    fix: `chmod 600 ${files.join(' ')}`,
  });
});

test("check removes the socket of a dead leader from the runtime directory and keeps the live leader's", async () => {
  const root = temp.tempDir('baton-cli-sweep-');
  const xdg = path.join(root, 'xdg');
  fs.mkdirSync(xdg);
  const env = { XDG_RUNTIME_DIR: xdg };
  const inRuntime = (db: string): string => path.join(xdg, 'baton', path.basename(storePaths(db).socket));
  const dead = path.join(root, 'dead.db');
  const live = path.join(root, 'live.db');
  // Both start while both live (a leader starting after the kill would sweep the socket itself).
  const [doomed, leader] = await Promise.all([
    fleet.startMember({ path: dead, name: 'doomed' }, env),
    fleet.startMember({ path: live, name: 'leader' }, env),
  ]);
  doomed.kill('SIGKILL');
  await doomed.whenExited();
  expect([fs.lstatSync(inRuntime(dead)).isSocket(), fs.lstatSync(inRuntime(live)).isSocket()]).toEqual([true, true]);

  const run = await runBaton(['check', live, '--json'], { env });

  expect(run.code).toBe(ExitCode.Ok);
  const report = parseJson<CheckReport>(run);
  expect(report).toMatchObject({ ok: true, hostedLeader: false, staleSocketsRemoved: [inRuntime(dead)] });
  expect(fs.existsSync(inRuntime(dead))).toBe(false);
  expect(fs.lstatSync(inRuntime(live)).isSocket()).toBe(true);
  expect((await leader.exec("INSERT INTO rows (id, member) VALUES ('after', 'leader')")).code).toBeUndefined();
});
