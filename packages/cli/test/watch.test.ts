/**
 * `baton watch` into a pipe: one line (or one JSON document) per refresh, following a
 * failover on its own, and a clean exit on Ctrl-C.
 */
import type { StatusReport } from '../src/status/status-report';
import { killBatons, runBaton, runBatonIntoClosedPipe, startBaton } from './support/baton';
import { failoverOf, startFleet, stopFleets } from './support/fleet';
import type { Member } from './support/shared';

afterEach(async () => {
  await killBatons();
  await stopFleets();
});

test('piped, prints one summary line per refresh and stops after --count', async () => {
  const { db, members } = await startFleet(2);

  const run = await runBaton(['watch', db, '--count', '2', '--interval', '200']);

  expect(run.code).toBe(0);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  for (const line of lines)
    expect(line).toMatch(new RegExp(`^\\S+Z state=ok leader=${members[0]!.pid} name="m0" epoch=1 members=2 `));
  expect(run.stdout).not.toContain('\x1b[');
});

test('with --json, prints one status document per line', async () => {
  const { db, members } = await startFleet(1);

  const run = await runBaton(['watch', db, '--json', '--count', '2', '--interval', '200']);

  expect(run.code).toBe(0);
  const reports = run.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as StatusReport);
  expect(reports).toHaveLength(2);
  for (const report of reports) expect(report).toMatchObject({ state: 'ok', leader: { pid: members[0]!.pid } });
});

test('into a pipe whose reader has gone (baton watch | head), stops at its first refresh and exits 0', async () => {
  const { db } = await startFleet(1);

  // Without --count it would refresh until interrupted; the closed pipe ends it as Ctrl-C does.
  const run = await runBatonIntoClosedPipe(['watch', db, '--interval', '200']);

  expect(run).toMatchObject({ code: 0, signal: null, stderr: '' });
});

test('follows a SIGKILL failover to the new leader without restarting, and exits 0 on Ctrl-C', async () => {
  const { db, members } = await startFleet(2);
  const [old, next] = members as [Member, Member];
  const watch = startBaton(['watch', db, '--interval', '200']);
  await watch.waitForLines(1);

  old.kill('SIGKILL');
  const failover = await failoverOf(next);
  expect(failover).toMatchObject({ toPid: next.pid });
  await watch.waitForStdout((stdout) => stdout.includes(`leader=${next.pid} `), `a line with leader=${next.pid}`);

  watch.child.kill('SIGINT');
  const end = await watch.done;
  expect(end).toMatchObject({ code: 0, signal: null });
  expect(end.stdout).toMatch(new RegExp(`leader=${next.pid} name="m1" epoch=2`));
});
