/**
 * `npm run chaos`: proves "nothing lost, nothing applied twice, never corrupted" under faults.
 *
 * Forks a fleet of members (member.ts) that write rows with unique ids and log what they asked
 * for and what was acknowledged. From a seeded schedule (schedule.ts, faults.ts) it SIGKILLs
 * the leader every 0.5-2 s, SIGKILLs followers, pauses the leader and followers
 * (SIGSTOP/SIGCONT), restarts members gracefully, runs schema init calls, and asks members for
 * bursts of large batches, interactive transactions and pipelined writes, and every 10-20 s
 * swaps a fresh database file in under the fleet (generations.ts); readers (members with
 * `reads: 'local'`) read throughout; killed and closed members are restarted. Meanwhile an opener tracker (opener-tracking.ts) sees every open of
 * the database, its -wal and -shm, or, where it cannot run (it needs root and cc), /proc is
 * sampled (openers.ts), for a second process with the database open. Then it stops every member
 * and the watch, and checks the database with the sqlite3 CLI (check.ts); summary.ts gives the
 * verdict.
 *
 * Exit code 0 when every check passed, 1 on any violation or when the runner itself failed,
 * 2 on bad usage. Every child is killed and the temporary directory removed on any exit.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import { checkDatabase, checkRows, WriteLogs } from './check';
import { generationsCheck } from './generations';
import { exactCheckUnavailable } from './opener-tracking';
import { CHAOS_HELP, ChaosUsageError, parseChaosOptions, type ChaosOptions } from './options';
import { readReadLogs, readsVerdict } from './reads-verdict';
import { ChaosRun } from './run';
import { formatSummary, summarize } from './summary';

async function main(options: ChaosOptions): Promise<number> {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
  } catch {
    process.stderr.write(
      'chaos: the sqlite3 command-line shell is needed for the final check and was not found on PATH\n',
    );
    return 1;
  }
  if (options.replace) {
    try {
      execFileSync('python3', ['--version'], { stdio: 'ignore' });
    } catch {
      process.stderr.write(
        'chaos: python3 is needed to swap the database file atomically (renameat2) and was not found on PATH (--no-replace runs without)\n',
      );
      return 1;
    }
  }
  const exactUnavailable = exactCheckUnavailable();
  if (options.openers === 'exact' && exactUnavailable !== null) {
    process.stderr.write(
      `chaos: --openers exact cannot run here: ${exactUnavailable} (--openers sample checks by sampling /proc)\n`,
    );
    return 1;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-chaos-'));
  const paths = storePaths(path.join(dir, 'chaos.db'));
  const run = new ChaosRun(options, dir, paths.database, exactUnavailable);

  // Whatever happens from here (error, Ctrl-C, a check failing), no child and no file stays.
  const cleanup = (): void => {
    run.fleet.killEverything();
    run.endWatch();
    try {
      if (fs.lstatSync(paths.socket).isSocket()) fs.unlinkSync(paths.socket);
    } catch {
      // no socket left
    }
    fs.rmSync(paths.socketLink, { force: true });
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`chaos: ${signal}, stopping every member\n`);
      process.exit(130);
    });
  }

  process.stderr.write(
    `chaos: seed ${options.seed}, ${options.members} members, ${options.readers} readers, ${options.seconds} s of faults${options.replace ? ', file replaced every 10-20 s' : ''}, lock ${options.lock}, in ${dir}\n`,
  );
  await run.run();
  process.stderr.write(
    `chaos: every member stopped, openers no longer watched; checking ${run.generations.current + 1} database files with the sqlite3 CLI\n`,
  );

  const { files, unmatched } = run.generations.collect();
  const logs = await WriteLogs.read(dir);
  const { checks: rowChecks, totals } = await checkRows(files, logs);
  const {
    checks: dbChecks,
    epochsByGeneration,
    everyEpoch,
  } = await checkDatabase(files, paths.record, run.tally.observedLeaders);
  const reads = options.readers > 0 ? readsVerdict(logs.placedWrites(), readReadLogs(dir)) : null;
  const generations = generationsCheck(files, unmatched);
  const summary = summarize(run, { rowChecks, totals, dbChecks, epochsByGeneration, everyEpoch, reads, generations });
  process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
  return summary.ok ? 0 : 1;
}

let parsed: ChaosOptions;
try {
  parsed = parseChaosOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ChaosUsageError)) throw error;
  process.stderr.write(`chaos: ${error.message}\n\n${CHAOS_HELP}`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(CHAOS_HELP);
  process.exit(0);
}
main(parsed).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`chaos: the runner failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
