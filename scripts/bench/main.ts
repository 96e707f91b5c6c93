/**
 * `npm run bench`: Baton against the minimal forwarding design and direct WAL access, side by
 * side, on this machine.
 *
 * Order: rounds outermost, so each configuration's rounds are spread over the whole
 * invocation and a load spike from someone else on the machine hits one round of many
 * configurations rather than every round of one; within a round each configuration runs
 * Baton, the minimal design and direct back to back, in an order rotated each round (see
 * `throughputOrder`), and their ratios are taken per round.
 */
import * as fs from 'node:fs';
import { describeMachine } from './machine';
import { ExitCode, runScript } from '../shared';
import { HELP, parseOptions } from './options';
import { buildPlan, type Plan } from './plan';
import { killAll, killAllNow, liveCount } from './processes';
import { renderReport } from './print';
import { buildDocument, type FlushLevel, type Measurements } from './report';
import { measureFailover } from './scenarios/failover';
import { measureFirstWrite } from './scenarios/first-write';
import type { SystemRun } from './scenarios/measurement';
import { measureMemory } from './scenarios/memory';
import { measureReadLatency, type ReadSystem } from './scenarios/read-latency';
import { caseLabel, measureThroughput, throughputOrder } from './scenarios/throughput';
import { BUSY_TIMEOUT_MS } from './targets/direct-target';
import { buildSlowFlushLibrary, measureFlushMs, slowFlushEnv } from '@baton/test-support/slow-flush';
import { formatNumber as n } from './table';
import { Workspace } from './workspace';

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describeRun(run: SystemRun): string {
  const errors = Object.entries(run.errors)
    .map(([code, count]) => `${count} ${code}`)
    .join(', ');
  const extras = [
    run.avgGroupSize === null ? '' : `group ${n(run.avgGroupSize, 1)}`,
    run.busyEscaped > 0 ? `${run.busyEscaped} BUSY escaped` : '',
    errors === '' ? '' : `errors: ${errors}`,
    run.verified === false ? `ROWS: ${run.rowsFound} found, ${run.ackedWrites} acknowledged` : '',
    run.load === null
      ? ''
      : `load ${n(run.load.loadBefore)} -> ${n(run.load.loadAfter)}, ${n(run.load.busyCoresBefore)} cores busy at start${run.load.noisy ? ' NOISY' : ''}`,
  ].filter(Boolean);
  return `${n(run.opsPerSec, 0)} ops/s, p50 ${n(run.p50Ms)} ms, p99 ${n(run.p99Ms)} ms, max ${n(run.maxMs)} ms, ${n(run.cpuUsPerOp, 0)} us cpu/op${extras.length > 0 ? `; ${extras.join('; ')}` : ''}`;
}

/** Runs one measurement; a failure is recorded and the benchmark goes on with the rest. */
async function attempt<T>(what: string, failures: string[], work: () => Promise<T>): Promise<T | null> {
  try {
    return await work();
  } catch (error) {
    const message = `${what}: ${(error as Error).message}`;
    failures.push(message);
    progress(`  FAILED ${message}`);
    return null;
  }
}

/** Builds the slow-flush shim when a case needs it, and measures each flush level's real flush time. */
function prepareFlushLevels(
  plan: Plan,
  workspace: Workspace,
): { envs: Map<number, NodeJS.ProcessEnv>; measured: FlushLevel[] } {
  const levels = [...new Set(plan.cases.map((c) => c.flushMs))].sort((a, b) => a - b);
  const library = levels.some((ms) => ms > 0) ? buildSlowFlushLibrary(workspace.root) : null;
  const envs = new Map(levels.map((ms) => [ms, slowFlushEnv(library, ms)]));
  const measured = levels.map((flushMs) => ({
    flushMs,
    measuredMs: measureFlushMs(workspace.root, envs.get(flushMs)!),
  }));
  for (const level of measured)
    progress(`flush ${level.flushMs} ms extra: one fsync measured at ${n(level.measuredMs, 3)} ms (median of 50)`);
  return { envs, measured };
}

async function runPlan(plan: Plan, workspace: Workspace): Promise<Measurements> {
  const { envs, measured } = prepareFlushLevels(plan, workspace);
  const m: Measurements = {
    throughput: plan.cases.map((c) => ({ c, runs: [] })),
    read: [],
    failover: null,
    firstWrite: null,
    memory: [],
    failures: [],
    flush: measured,
  };
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  for (let round = 1; round <= plan.rounds; round++) {
    const tag = `[round ${round}/${plan.rounds}]`;
    for (const entry of m.throughput) {
      for (const system of throughputOrder(entry.c, round)) {
        const run = await attempt(`${caseLabel(entry.c)} ${system} round ${round}`, m.failures, () =>
          measureThroughput(entry.c, system, round, plan.timing, workspace, envs.get(entry.c.flushMs)!),
        );
        if (run === null) continue;
        entry.runs.push(run);
        progress(`${tag} ${caseLabel(entry.c)} ${system}: ${describeRun(run)} (${elapsed()})`);
      }
    }
    if (plan.readLatency) {
      for (const system of ['baton', 'baton-local', 'socket', 'direct'] as ReadSystem[]) {
        const run = await attempt(`read-latency ${system} round ${round}`, m.failures, () =>
          measureReadLatency(system, round, plan.timing, workspace),
        );
        if (run === null) continue;
        m.read.push(run);
        progress(`${tag} read-latency ${system}: ${describeRun(run)} (${elapsed()})`);
      }
    }
    if (round <= plan.memoryRounds) {
      const memory = await attempt(`memory round ${round}`, m.failures, () => measureMemory(round, workspace));
      if (memory !== null) {
        m.memory.push(memory);
        progress(
          `${tag} memory: follower ${n(memory.followerRssMb, 1)} MB, heir ${n(memory.heirRssMb, 1)} MB, non-candidate ${n(memory.nonCandidateRssMb, 1)} MB, reading locally ${n(memory.localFollowerRssMb, 1)} MB, leader ${n(memory.leaderRssMb, 1)} MB, direct ${n(memory.directRssMb, 1)} MB, bare ${n(memory.bareRssMb, 1)} MB (${elapsed()})`,
        );
      }
    }
  }
  if (plan.failoverKills > 0) {
    m.failover = await attempt('failover', m.failures, () =>
      measureFailover(plan.failoverKills, plan.failoverMembers, workspace, (kill, ms) =>
        progress(
          `[failover ${kill}/${plan.failoverKills}] every survivor wrote again after ${n(ms)} ms (${elapsed()})`,
        ),
      ),
    );
  }
  if (plan.firstWrites > 0) {
    m.firstWrite = await attempt('first-write', m.failures, () =>
      measureFirstWrite(plan.firstWrites, workspace, (done, ms) =>
        progress(
          `[first-write ${done}/${plan.firstWrites}] openStore to close after one write: ${n(ms)} ms (${elapsed()})`,
        ),
      ),
    );
  }
  return m;
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  if (options.rounds < 3)
    progress(`bench: ${options.rounds} round(s): fine for trying things out; medians need at least 3`);
  const plan = buildPlan(options);
  const workspace = new Workspace();
  // Whatever happens from here on, no process and no temp file is left behind.
  const cleanUpNow = (): void => {
    killAllNow();
    workspace.removeAllNow();
  };
  process.on('exit', cleanUpNow);
  for (const [signal, code] of Object.entries(SIGNALS) as [NodeJS.Signals, number][]) {
    process.on(signal, () => {
      progress(`bench: ${signal}, killing workers and removing ${workspace.root}`);
      cleanUpNow();
      process.exit(code);
    });
  }
  const date = new Date();
  const machine = describeMachine(workspace.root);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  try {
    const measurements = await runPlan(plan, workspace);
    const doc = buildDocument(plan, machine, date, command, BUSY_TIMEOUT_MS, measurements);
    process.stdout.write(`${renderReport(doc)}\n`);
    if (options.json !== null) {
      fs.writeFileSync(options.json, `${JSON.stringify(doc, null, 2)}\n`);
      progress(`bench: wrote ${options.json}`);
    }
    return measurements.failures.length > 0 ? ExitCode.Failed : ExitCode.Ok;
  } finally {
    await killAll();
    if (liveCount() > 0) progress(`bench: ${liveCount()} worker(s) still running after cleanup`);
    workspace.removeAllNow();
  }
}

void runScript('bench', HELP, () => main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
