/**
 * A statement that never ends (a recursive CTE without a limit): the member hosting the engine
 * stops it past `statementTimeoutMs`, leadership moves on, the issuing member gets
 * STATEMENT_TIMEOUT (its request is not run again by the next leader), everyone else carries on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import { killAll, startMember, until } from './helpers/fleet';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

afterEach(async () => {
  await killAll();
  removeTempDirs();
});

const RUNAWAY =
  'WITH RECURSIVE forever(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM forever) SELECT count(*) FROM forever';

test('a runaway statement stops its leader, fails alone with STATEMENT_TIMEOUT and is not re-run', async () => {
  const file = path.join(tempDir(), 'runaway.db');
  const options = { path: file, statementTimeoutMs: 1000 };
  const first = await startMember({ ...options, name: 'first' });
  const issuer = await startMember({ ...options, name: 'issuer', candidate: false });
  const second = await startMember({ ...options, name: 'second' });
  const third = await startMember({ ...options, name: 'third' });
  second.send({ cmd: 'writeLoop', prefix: 'second' });
  await until(() => second.acked.size >= 5, 30_000, 'second writing');

  const result = await issuer.exec(RUNAWAY);
  expect(result.code).toBe('STATEMENT_TIMEOUT');
  // The next leader answered from the runaway list, which is private like every file Baton creates.
  expect(fs.statSync(storePaths(file).runaways).mode & 0o777).toBe(0o600);
  await first.whenExited(); // its engine was stuck in native code: the member ended itself
  // Leadership moved on exactly once: the next leader did not run the statement again.
  await Promise.all([second, third].map((m) => m.waitFor((e) => e.ev === 'failover', 30_000)));
  await until(
    () => [second, third].some((m) => m.events.some((e) => e.ev === 'role' && e.role === 'leader')),
    30_000,
    'a new leader',
  );
  expect(second.events.filter((e) => e.ev === 'failover')).toHaveLength(1);
  expect(third.events.filter((e) => e.ev === 'failover')).toHaveLength(1);
  expect(second.child.exitCode).toBeNull();
  expect(third.child.exitCode).toBeNull();

  // The issuer's answer came from the next leader, and its engine runs one statement at a
  // time: writes acknowledged after that answer show it is not running the statement again
  // (a re-run would hold the engine until its own member ended itself).
  const acked = second.acked.size;
  await until(() => second.acked.size >= acked + 5, 30_000, 'second writing after the failover');
  second.send({ cmd: 'stopLoop' });
  await second.waitFor((e) => e.ev === 'writeDone');
  expect(second.failed).toEqual([]);
  const after = await issuer.exec('SELECT 1 AS fine');
  expect(after.ok).toMatchObject({ rows: [{ fine: 1 }] });
  // Still one failover and both candidates alive: nobody re-ran it.
  expect([second, third].map((m) => m.events.filter((e) => e.ev === 'failover').length)).toEqual([1, 1]);
  expect([second.child.exitCode, third.child.exitCode]).toEqual([null, null]);
});
