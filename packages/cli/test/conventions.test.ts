/**
 * The conventions every command follows: help with Usage/Options/Examples and the exit codes,
 * --version, usage errors (exit 1, a JSON error under --json), colour only on a terminal and
 * never with --json or NO_COLOR, and no database created by a typo.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode } from '../src/exit-codes';
import { BATON_BIN, killBatons, parseJson, runBaton, runBatonIntoClosedPipe } from './support/baton';
import type { ErrorDocument } from './support/fleet';
import { temp } from './support/shared';

const COMMANDS = ['status', 'watch', 'check', 'exec', 'reset', 'step-down', 'backup'];
/** The start of every ANSI control sequence (colour, cursor). */
const ESCAPE = '\x1b[';

/**
 * Runs baton under a pseudo-terminal (util-linux `script`, whose `-e` passes on the command's
 * exit code), so its stdout is a TTY. Resolves with that exit code and everything it wrote.
 */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
  const command = [process.execPath, BATON_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const environment = { ...process.env, ...env };
  if (!('NO_COLOR' in env)) delete environment.NO_COLOR;
  const run = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: environment,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.error !== undefined) throw run.error;
  return { code: run.status, out: run.stdout };
}

afterEach(async () => {
  await killBatons();
  temp.removeTempDirs();
});

test('--help shows Usage, Options, Examples and the meaning of each exit code, for baton and every command', async () => {
  for (const args of [['--help'], ...COMMANDS.map((c) => [c, '--help'])]) {
    const run = await runBaton(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: baton/);
    for (const section of [
      'Options:',
      'Examples:',
      'Exit codes:',
      '0  ok',
      '1  failed or unhealthy: no leader, leader unresponsive, integrity check failed',
      '2  usage: bad command line',
    ]) {
      expect(run.stdout).toContain(section);
    }
  }
});

test('help into a pipe whose reader has gone (baton --help | head) ends quietly with exit 0', async () => {
  for (const args of [['--help'], ['status', '--help'], ['--version']]) {
    const run = await runBatonIntoClosedPipe(args);
    expect({ args, code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({
      args,
      code: 0,
      signal: null,
      stderr: '',
    });
  }
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(BATON_BIN, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };

  const run = await runBaton(['--version']);

  expect(run.code).toBe(0);
  expect(run.stdout.startsWith(`${version} `)).toBe(true);
});

test('usage errors exit 2; under --json they print only an error document', async () => {
  const unknown = await runBaton(['stauts', '/tmp/x.db']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown command 'stauts'[\s\S]*status/);

  const missing = await runBaton(['exec', '--json']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe('');
  expect(parseJson<ErrorDocument>(missing).error).toEqual({
    code: 'USAGE',
    message: expect.stringContaining("missing required argument 'db'"),
  });

  const badTimeout = await runBaton(['status', '/tmp/x.db', '--timeout', 'soon', '--json']);
  expect(badTimeout.code).toBe(2);
  expect(parseJson<ErrorDocument>(badTimeout).error.message).toContain('--timeout expects a positive integer');
});

test('a database path that does not exist is a usage error (exit 2), and no file is created there', async () => {
  const db = path.join(temp.tempDir('baton-cli-conv-'), 'typo.db');

  for (const command of ['status', 'check']) {
    const run = await runBaton([command, db, '--json']);
    expect(run.code).toBe(2);
    expect(parseJson<ErrorDocument>(run).error.code).toBe('DATABASE_NOT_FOUND');
  }
  expect(fs.existsSync(db)).toBe(false);
});

test('colour only on a terminal, and never with --json or NO_COLOR', () => {
  const db = path.join(temp.tempDir('baton-cli-conv-'), 'empty.db');
  fs.writeFileSync(db, '');

  // Nobody leads an empty file (exit code 1): a short --timeout keeps the wait for an answer brief.
  const coloured = onTerminal(['status', db, '--timeout', '200']);
  expect(coloured.code).toBe(ExitCode.Failed);
  expect(coloured.out).toMatch(ESCAPE);
  const plain = onTerminal(['status', db, '--timeout', '200'], { NO_COLOR: '1' });
  expect(plain.code).toBe(ExitCode.Failed);
  expect(plain.out).toMatch(/no leader/i);
  expect(plain.out).not.toMatch(ESCAPE);
  const json = onTerminal(['status', db, '--timeout', '200', '--json']);
  expect(json.code).toBe(ExitCode.Failed);
  expect(json.out).not.toMatch(ESCAPE);
  expect(JSON.parse(json.out)).toMatchObject({ state: 'no-leader' });
});

test('watch on a terminal redraws in place and gives the cursor back when it ends', () => {
  const db = path.join(temp.tempDir('baton-cli-conv-'), 'empty.db');
  fs.writeFileSync(db, '');

  const { code, out: screen } = onTerminal(['watch', db, '--count', '2', '--interval', '100', '--timeout', '200']);

  expect(code).toBe(0);
  expect(screen.startsWith('\x1b[?25l\x1b[2J')).toBe(true);
  expect(screen.split('\x1b[H')).toHaveLength(3);
  expect(screen.trimEnd().endsWith('\x1b[?25h')).toBe(true);
});
