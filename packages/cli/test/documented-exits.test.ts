/**
 * docs/cli.md against the commands: every exit code the document states (its exit-code table,
 * its error-code table, the pass-through codes, and the sentences of each command's section) is
 * read from the document and compared with what `baton` really exits with in that situation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, type CliErrorCode } from '../src/cli-error';
import { ExitCode } from '../src/exit-codes';
import type { StatusReport } from '../src/status/status-report';
import { killBatons, parseJson, runBaton, type BatonRun } from './support/baton';
import { startFleet, stopFleets, type ErrorDocument } from './support/fleet';
import { REPO_ROOT, temp } from './support/shared';

const DOC = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');

/** The text of the section under `heading` (a whole heading line), up to the next heading of any level. */
function section(heading: string): string {
  const start = DOC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/cli.md has no section "${heading}"`);
  const next = DOC.slice(start + heading.length + 2).search(/\n#{2,3} /);
  return DOC.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
}

/** The exit code that `pattern`'s first group captures in the section under `heading`. */
function stated(heading: string, pattern: RegExp): number {
  const match = pattern.exec(section(heading));
  if (match === null) throw new Error(`"${heading}" in docs/cli.md no longer says ${String(pattern)}`);
  return Number(match[1]);
}

/** The exit of `code` in the table of docs/cli.md's "Error codes". */
function tableExit(code: string): number {
  return stated('### Error codes', new RegExp(`^\\| \`${code}\` \\| (\\d) \\|`, 'm'));
}

/** The exit code of a run and the code of the error document it printed under --json. */
function outcome(run: BatonRun): { exit: number | null; code: string } {
  return { exit: run.code, code: parseJson<ErrorDocument>(run).error.code };
}

/** A database file with no leader: an empty file is an empty SQLite database. */
function idleDatabase(): string {
  const db = path.join(temp.tempDir('baton-cli-exits-'), 'idle.db');
  fs.writeFileSync(db, '', { mode: 0o600 });
  return db;
}

afterEach(async () => {
  await killBatons();
  await stopFleets();
  temp.removeTempDirs();
});

test('the exit-code table lists exactly the codes baton exits with', () => {
  const rows = [...section('### Exit codes').matchAll(/^\| (\d) \|/gm)].map((match) => Number(match[1]));
  expect(rows).toEqual(Object.values(ExitCode).sort());
});

test("every code of the error-code table maps to the exit the table gives it (CliError's own mapping)", () => {
  const codes = [...section('### Error codes').matchAll(/^\| `([A-Z_]+)` \| \d \|/gm)].map((m) => m[1] as CliErrorCode);
  expect(codes.length).toBeGreaterThanOrEqual(8);
  for (const code of codes)
    expect({ code, exit: new CliError(code, 'x').exitCode }).toEqual({ code, exit: tableExit(code) });
});

test('usage errors, a missing database, a missing --yes and an existing backup destination exit as documented', async () => {
  const db = idleDatabase();
  const dest = path.join(path.dirname(db), 'taken.db');
  fs.writeFileSync(dest, 'precious');

  expect(outcome(await runBaton(['status', '--json']))).toEqual({ exit: tableExit('USAGE'), code: 'USAGE' });
  const notFound = stated('## An observer, not a member', /\(`DATABASE_NOT_FOUND`, exit (\d)\)/);
  expect(tableExit('DATABASE_NOT_FOUND')).toBe(notFound);
  const missing = path.join(path.dirname(db), 'typo.db');
  expect(outcome(await runBaton(['status', missing, '--json']))).toEqual({
    exit: notFound,
    code: 'DATABASE_NOT_FOUND',
  });
  const unconfirmed = stated('### baton reset \\<db\\> --yes', /\(`CONFIRMATION_REQUIRED`, exit (\d)\)/);
  expect(tableExit('CONFIRMATION_REQUIRED')).toBe(unconfirmed);
  expect(outcome(await runBaton(['reset', db, '--json']))).toEqual({
    exit: unconfirmed,
    code: 'CONFIRMATION_REQUIRED',
  });
  expect(outcome(await runBaton(['backup', db, dest, '--json']))).toEqual({
    exit: tableExit('DESTINATION_EXISTS'),
    code: 'DESTINATION_EXISTS',
  });
});

test('with no leader running: status and step-down exit as their sections and the table say', async () => {
  const db = idleDatabase();

  const status = await runBaton(['status', db, '--json']);
  expect(parseJson<StatusReport>(status).state).toBe('no-leader');
  expect(status.code).toBe(stated('### baton status \\<db\\>', /Exit 0 when a leader\s+answered, (\d) otherwise/));

  const stepDown = await runBaton(['step-down', db, '--json']);
  expect(outcome(stepDown)).toEqual({
    exit: stated('### baton step-down \\<db\\>', /Exit (\d) when\s+no leader is running/),
    code: 'NO_LEADER',
  });
  expect(stepDown.code).toBe(tableExit('NO_LEADER'));
});

test('with a leader: status exits 0; paused, the leader is unresponsive and a command exits as the table says', async () => {
  const { db, members } = await startFleet(1);

  const answered = await runBaton(['status', db, '--json']);
  expect(parseJson<StatusReport>(answered).state).toBe('ok');
  expect(answered.code).toBe(ExitCode.Ok);

  members[0]!.kill('SIGSTOP');
  const check = await runBaton(['check', db, '--json']);
  expect(outcome(check)).toEqual({ exit: tableExit('LEADER_UNRESPONSIVE'), code: 'LEADER_UNRESPONSIVE' });
  const status = await runBaton(['status', db, '--json']);
  expect(parseJson<StatusReport>(status).state).toBe('unresponsive');
  expect(status.code).toBe(stated('### baton status \\<db\\>', /Exit 0 when a leader\s+answered, (\d) otherwise/));
});

test('a failed check, SQL errors, a refused statement and a value the store refuses exit as documented', async () => {
  const db = idleDatabase();
  const passThrough = '### Error codes';

  fs.chmodSync(db, 0o644);
  const check = await runBaton(['check', db, '--json']);
  expect(check.code).toBe(stated('### baton check \\<db\\>', /Exit 0 when all\s+pass, (\d) when any fails/));
  expect(parseJson<{ ok: boolean; permissions: { ok: boolean } }>(check)).toMatchObject({
    ok: false,
    permissions: { ok: false },
  });
  fs.chmodSync(db, 0o600);

  const sqlError = await runBaton(['exec', db, 'SELEC 1', '--json']);
  expect(outcome(sqlError)).toEqual({
    exit: stated('### baton exec \\<db\\> "\\<sql\\>" [args...]', /SQL errors exit\s+(\d)/),
    code: 'SQLITE_ERROR',
  });
  expect(outcome(await runBaton(['exec', db, 'VACUUM', '--json']))).toEqual({
    exit: stated(passThrough, /`STATEMENT_REFUSED` \([^)]*\), exit (\d)/),
    code: 'STATEMENT_REFUSED',
  });
  expect(outcome(await runBaton(['exec', db, 'SELECT ?, ?', '1', '--json']))).toEqual({
    exit: stated(passThrough, /`INVALID_ARGUMENT` \([^)]*\), exit (\d)/),
    code: 'INVALID_ARGUMENT',
  });
});
