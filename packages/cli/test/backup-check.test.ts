/**
 * `baton backup` and `baton check`: an online copy that an independent reader (the sqlite3
 * shell) opens with the right rows, and an integrity check that passes on a healthy database
 * and fails on a deliberately damaged copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackupReport } from '../src/commands/backup';
import type { CheckReport } from '../src/commands/check';
import type { ExecReport } from '../src/commands/exec';
import { killBatons, parseJson, runBaton } from './support/baton';
import { startFleet, stopFleets, writeRows, type ErrorDocument } from './support/fleet';
import { fleet } from './support/shared';
import { corruptTable, sqlite3 } from './support/sqlite';

async function backup(db: string, dest: string): Promise<BackupReport> {
  const run = await runBaton(['backup', db, dest, '--json']);
  expect(run.code).toBe(0);
  return parseJson<BackupReport>(run);
}

afterEach(async () => {
  await killBatons();
  await stopFleets();
});

test('backup taken while members write is a consistent file the sqlite3 shell opens; at rest its row count matches', async () => {
  const { dir, db, members } = await startFleet(2);
  await writeRows(members[0]!, 'before', 50);
  for (const member of members) member.send({ cmd: 'writeLoop', prefix: `loop-${member.name}` });
  await Promise.all(
    members.map((m) => m.waitFor((e) => e.ev === 'acked' && e.ids.some((id) => id.startsWith('loop-')))),
  );

  const live = await backup(db, path.join(dir, 'live.db'));

  for (const member of members) member.send({ cmd: 'stopLoop' });
  await Promise.all(members.map((m) => m.waitFor((e) => e.ev === 'writeDone' && e.prefix.startsWith('loop-'))));
  expect(live).toMatchObject({
    dest: path.join(dir, 'live.db'),
    bytes: fs.statSync(path.join(dir, 'live.db')).size,
    hostedLeader: false,
  });
  expect(sqlite3(live.dest, 'PRAGMA integrity_check')).toEqual(['ok']);
  expect(sqlite3(live.dest, "SELECT count(*) FROM rows WHERE id LIKE 'before-%'")).toEqual(['50']);
  const acked = members.reduce((sum, m) => sum + m.acked.size, 0);
  const copied = Number(sqlite3(live.dest, 'SELECT count(*) FROM rows')[0]);
  expect(copied).toBeGreaterThan(50);
  expect(copied).toBeLessThanOrEqual(acked);

  const rest = await backup(db, path.join(dir, 'rest.db'));
  const count = await runBaton(['exec', db, 'SELECT count(*) AS n FROM rows', '--json']);
  expect(Number(sqlite3(rest.dest, 'SELECT count(*) FROM rows')[0])).toBe(parseJson<ExecReport>(count).rows[0]!.n);
  expect(Number(sqlite3(rest.dest, 'SELECT count(*) FROM rows')[0])).toBe(acked);
});

test('backup refuses to overwrite an existing file', async () => {
  const { dir, db } = await startFleet(1);
  const dest = path.join(dir, 'taken.db');
  fs.writeFileSync(dest, 'precious');

  const run = await runBaton(['backup', db, dest, '--json']);

  expect(run.code).toBe(2);
  expect(parseJson<ErrorDocument>(run).error.code).toBe('DESTINATION_EXISTS');
  expect(fs.readFileSync(dest, 'utf8')).toBe('precious');
});

test('check passes on a healthy database and exits 1 on a copy with damaged pages, hosting the leader for it', async () => {
  const { dir, db, members } = await startFleet(2);
  await writeRows(members[1]!, 'row', 600);

  const healthy = await runBaton(['check', db, '--json']);
  expect(healthy.code).toBe(0);
  expect(parseJson<CheckReport>(healthy)).toEqual({
    database: db,
    ok: true,
    integrity: { ok: true, messages: ['ok'] },
    foreignKeys: { ok: true, violations: [] },
    permissions: { ok: true, fileMode: '0600', exposed: [], fix: null },
    staleSocketsRemoved: expect.any(Array),
    hostedLeader: false,
  });

  const copy = (await backup(db, path.join(dir, 'copy.db'))).dest;
  await fleet.killAll();
  corruptTable(copy, 'rows');

  const damaged = await runBaton(['check', copy, '--json']);
  expect(damaged.code).toBe(1);
  const report = parseJson<CheckReport>(damaged);
  expect(report).toMatchObject({ database: copy, ok: false, integrity: { ok: false }, hostedLeader: true });
  expect(report.integrity.messages.length).toBeGreaterThan(0);
  expect(report.integrity.messages).not.toContain('ok');
  expect(damaged.stderr).toMatch(/no leader was running: this command hosts the leader/);

  const text = await runBaton(['check', copy]);
  expect(text.code).toBe(1);
  expect(text.stdout).toMatch(/integrity_check\s+FAILED/);
});
