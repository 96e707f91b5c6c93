/**
 * `npm run chaos`: proves "nothing lost, nothing applied twice, never corrupted" under faults.
 *
 * Forks a fleet of members (chaos-member.ts) that write rows with unique ids and log what they
 * asked for and what was acknowledged. From a seeded schedule it SIGKILLs the leader every
 * 0.5-2 s, SIGKILLs followers, pauses the leader (SIGSTOP/SIGCONT), restarts members
 * gracefully, runs schema init calls, and asks members for bursts of large batches,
 * interactive transactions and pipelined writes; killed and closed members are restarted.
 * Meanwhile it samples /proc to make sure no two processes ever have the database open.
 * Then it stops every member and checks the database with the sqlite3 CLI (chaos-check.ts).
 *
 * Exit code 0 when every check passed, 1 on any violation, 2 on bad usage, 3 when the runner
 * itself failed. Every child is killed and the temporary directory removed on any exit.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storePaths, type EpochRecord } from '@baton/store';
import { checkDatabase, checkRows, WriteLogs, type Check, type ObservedLeader, type WriteTotals } from './chaos-check';
import { ChaosFleet, type ChaosProcess } from './chaos-fleet';
import { OpenerSampler } from './chaos-openers';
import { CHAOS_HELP, ChaosUsageError, parseChaosOptions, type ChaosOptions } from './chaos-options';
import type { ChaosEvent } from './chaos-protocol';
import { Random } from './chaos-random';

/** Members' request timeout: long with flock (nothing should fail), short with a lease (so paused leaders are overtaken). */
const REQUEST_TIMEOUT_MS = { flock: 20_000, lockfile: 3000 } as const;
/** How long the leader stays stopped: below the flock timeout; beyond the lease's 2 s staleness with lockfile. */
const PAUSE_MS = { flock: [200, 1500], lockfile: [200, 4000] } as const;
/** How long a member may take to close at the end before it counts as hung. */
const CLOSE_TIMEOUT_MS = 60_000;
const SAMPLE_EVERY_MS = 200;

/** The kinds of fault besides the leader kills, with their relative frequency. */
const FAULT_WEIGHTS = {
  followerKill: 3,
  pause: 2,
  gracefulRestart: 2,
  init: 2,
  batchBurst: 2,
  transactionBurst: 2,
  pipelineBurst: 1,
} as const;
type FaultKind = keyof typeof FAULT_WEIGHTS | 'leaderKill';

/** One scheduled fault; its random numbers are drawn when scheduled, so the schedule depends on the seed alone. */
interface Fault {
  atMs: number;
  kind: FaultKind;
  r: [number, number, number];
}

/**
 * The fault schedule: leader kills every 0.5-2 s, other faults every 0.15-0.8 s, merged by time.
 * With the lockfile lease a takeover takes at least 2 s, so leader kills come every 3-6 s and
 * pauses (which are what lets a second leader in) twice as often.
 */
class Schedule {
  private nextLeaderKill: number;
  private nextOther: number;
  private readonly killGap: readonly [number, number];
  private readonly weights: Record<keyof typeof FAULT_WEIGHTS, number>;

  constructor(private readonly random: Random, lock: 'flock' | 'lockfile') {
    this.killGap = lock === 'flock' ? [500, 2000] : [3000, 6000];
    this.weights = lock === 'flock' ? { ...FAULT_WEIGHTS } : { ...FAULT_WEIGHTS, pause: 2 * FAULT_WEIGHTS.pause };
    this.nextLeaderKill = random.between(...this.killGap);
    this.nextOther = random.between(150, 800);
  }

  next(): Fault {
    const r: [number, number, number] = [this.random.next(), this.random.next(), this.random.next()];
    if (this.nextLeaderKill <= this.nextOther) {
      const atMs = this.nextLeaderKill;
      this.nextLeaderKill += this.random.between(...this.killGap);
      return { atMs, kind: 'leaderKill', r };
    }
    const atMs = this.nextOther;
    this.nextOther += this.random.between(150, 800);
    return { atMs, kind: this.random.weighted(this.weights), r };
  }
}

/** What happened during the run, for the summary. */
interface Tally {
  leaderKills: number;
  followerKills: number;
  pauses: number;
  gracefulRestarts: number;
  gracefulLeaderRestarts: number;
  inits: number;
  initFailures: string[];
  /** Lockfile mode: init calls that found no leader within the short timeout (expected there). */
  initsTimedOut: number;
  bursts: { batch: number; transaction: number; pipeline: number };
  /** Faults that found no target (no leader known within 3 s, nobody to pick), by kind. */
  skipped: Record<string, number>;
  restarts: number;
  restartFailures: number;
  failoverMs: number[];
  backgroundErrors: Record<string, number>;
  /** The first few messages of each background error code. */
  backgroundExamples: Record<string, string[]>;
  alarming: string[];
  observedLeaders: ObservedLeader[];
  hungAtClose: string[];
}

/** The summary printed at the end (also the `--json` document). */
export interface ChaosSummary {
  ok: boolean;
  seed: string;
  seconds: number;
  members: number;
  lock: 'flock' | 'lockfile';
  elapsedSeconds: number;
  faults: Pick<Tally, 'leaderKills' | 'followerKills' | 'pauses' | 'gracefulRestarts' | 'gracefulLeaderRestarts' | 'inits' | 'bursts' | 'skipped' | 'restarts'>;
  writes: WriteTotals;
  leaders: { epochs: number; failoverMs: { count: number; median: number | null; p99: number | null; max: number | null } };
  openers: { samples: number; maxAtOnce: number };
  backgroundErrors: Record<string, number>;
  backgroundExamples: Record<string, string[]>;
  checks: Check[];
  violations: string[];
  tempDir: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class ChaosRun {
  readonly tally: Tally = {
    leaderKills: 0,
    followerKills: 0,
    pauses: 0,
    gracefulRestarts: 0,
    gracefulLeaderRestarts: 0,
    inits: 0,
    initFailures: [],
    initsTimedOut: 0,
    bursts: { batch: 0, transaction: 0, pipeline: 0 },
    skipped: {},
    restarts: 0,
    restartFailures: 0,
    failoverMs: [],
    backgroundErrors: {},
    backgroundExamples: {},
    alarming: [],
    observedLeaders: [],
    hungAtClose: [],
  };
  readonly fleet: ChaosFleet;
  readonly sampler: OpenerSampler;
  private readonly pending = new Set<Promise<unknown>>();
  private initNumber = 0;
  private readonly startedAt = Date.now();
  private readonly requestTimeoutMs: number;

  constructor(
    readonly options: ChaosOptions,
    readonly dir: string,
    readonly database: string,
  ) {
    this.requestTimeoutMs = REQUEST_TIMEOUT_MS[options.lock];
    this.fleet = new ChaosFleet({ path: database, loops: options.loops, requestTimeoutMs: this.requestTimeoutMs, lock: options.lock }, dir, options.seed, options.members, (member, event) => this.onEvent(member, event));
    this.sampler = new OpenerSampler(database, () => this.fleet.all);
  }

  private onEvent(member: ChaosProcess, event: ChaosEvent): void {
    if ((event.ev === 'role' || event.ev === 'opened') && event.role === 'leader') {
      this.tally.observedLeaders.push({ pid: member.pid, epoch: event.epoch, member: member.name });
    } else if (event.ev === 'failover') {
      this.tally.failoverMs.push(event.ms);
    } else if (event.ev === 'error') {
      this.tally.backgroundErrors[event.code] = (this.tally.backgroundErrors[event.code] ?? 0) + 1;
      const examples = (this.tally.backgroundExamples[event.code] ??= []);
      if (examples.length < 3) examples.push(`${member.name}: ${event.message}`);
      if (/malformed|disk I\/O|CORRUPT|IOERR/i.test(event.message)) this.tally.alarming.push(`${member.name}: ${event.code} ${event.message}`);
    }
  }

  private log(message: string): void {
    process.stderr.write(`[chaos ${((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Starts slot 0 (it leads), then the others together. */
  async startFleet(): Promise<void> {
    if ((await this.fleet.startMember(0)) === null) throw new Error('the first member could not open the store');
    const rest = await Promise.all(Array.from({ length: this.options.members - 1 }, (_, i) => this.fleet.startMember(i + 1)));
    if (rest.some((m) => m === null)) throw new Error('a member could not open the store');
  }

  /** Restarts `slot` after `delayMs`, unless the run is over. */
  private restart(slot: number, delayMs: number): void {
    this.track((async () => {
      await sleep(delayMs);
      this.tally.restarts++;
      if ((await this.fleet.startMember(slot)) === null) this.tally.restartFailures++;
    })());
  }

  private skip(kind: FaultKind): void {
    this.tally.skipped[kind] = (this.tally.skipped[kind] ?? 0) + 1;
  }

  private pickFollower(r: number): ChaosProcess | null {
    const followers = this.fleet.followers();
    return followers.length === 0 ? null : followers[Math.floor(r * followers.length)]!;
  }

  private pickMember(r: number): ChaosProcess | null {
    const members = this.fleet.slots.filter((m): m is ChaosProcess => m !== null && m.alive && !m.closing && !m.stopped);
    return members.length === 0 ? null : members[Math.floor(r * members.length)]!;
  }

  private async perform(fault: Fault): Promise<void> {
    const [r0, r1, r2] = fault.r;
    switch (fault.kind) {
      case 'leaderKill': {
        const leader = await this.fleet.whenLeader(3000);
        if (leader === null || leader.closing) return this.skip(fault.kind);
        leader.signal('SIGKILL');
        this.tally.leaderKills++;
        this.restart(leader.slot, r0 * 300);
        return;
      }
      case 'followerKill': {
        const victim = this.pickFollower(r0);
        if (victim === null) return this.skip(fault.kind);
        victim.signal('SIGKILL');
        this.tally.followerKills++;
        this.restart(victim.slot, r1 * 300);
        return;
      }
      case 'pause': {
        const leader = this.fleet.leader();
        if (leader === null || leader.stopped || leader.closing) return this.skip(fault.kind);
        leader.signal('SIGSTOP');
        this.tally.pauses++;
        const [shortest, longest] = PAUSE_MS[this.options.lock];
        this.track(sleep(shortest + r0 * (longest - shortest)).then(() => leader.signal('SIGCONT')));
        return;
      }
      case 'gracefulRestart': {
        const target = r0 < 0.4 ? this.fleet.leader() : this.pickFollower(r1);
        if (target === null || target.closing || target.stopped) return this.skip(fault.kind);
        const wasLeader = target.role === 'leader';
        target.closing = true;
        target.send({ cmd: 'close' });
        this.tally.gracefulRestarts++;
        if (wasLeader) this.tally.gracefulLeaderRestarts++;
        this.track((async () => {
          const exited = await Promise.race([target.exited.then(() => true), sleep(CLOSE_TIMEOUT_MS).then(() => false)]);
          if (!exited) {
            this.tally.hungAtClose.push(`${target.name} did not close within ${CLOSE_TIMEOUT_MS / 1000} s (graceful restart)`);
            target.signal('SIGCONT');
            target.signal('SIGKILL');
            await target.exited;
          }
          this.restart(target.slot, r2 * 200);
        })());
        return;
      }
      case 'init': {
        const init = this.fleet.startInit(++this.initNumber, r0 < 0.5);
        this.tally.inits++;
        this.track((async () => {
          const result = await init.next((e) => e.ev === 'init', this.requestTimeoutMs + 30_000);
          if (result?.ev !== 'init') this.tally.initFailures.push(`${init.name}: no answer (exit ${init.exitCode ?? init.exitSignal})`);
          else if (!result.ok && !(this.options.lock === 'lockfile' && /^(NO_LEADER|TIMEOUT)$/.test(result.code ?? ''))) this.tally.initFailures.push(`${init.name}: ${result.code} ${result.message}`);
          else if (!result.ok) this.tally.initsTimedOut++;
          else if (result.schemaVersion !== 2) this.tally.initFailures.push(`${init.name}: schema version ${result.schemaVersion}, expected 2`);
          await Promise.race([init.exited, sleep(10_000)]);
          if (!init.hasExited) init.signal('SIGKILL');
        })());
        return;
      }
      case 'batchBurst':
      case 'transactionBurst':
      case 'pipelineBurst': {
        const member = this.pickMember(r0);
        if (member === null) return this.skip(fault.kind);
        const kind = fault.kind === 'batchBurst' ? 'batch' : fault.kind === 'transactionBurst' ? 'tx' : 'pipeline';
        member.send({ cmd: 'burst', kind });
        this.tally.bursts[kind === 'tx' ? 'transaction' : kind]++;
        return;
      }
    }
  }

  /** Runs the fault schedule for `seconds`. */
  async inject(): Promise<void> {
    const schedule = new Schedule(new Random(this.options.seed), this.options.lock);
    const start = Date.now();
    const end = this.options.seconds * 1000;
    let nextProgress = 10_000;
    for (let fault = schedule.next(); fault.atMs < end; fault = schedule.next()) {
      await sleep(start + fault.atMs - Date.now());
      await this.perform(fault);
      if (Date.now() - start >= nextProgress) {
        nextProgress += 10_000;
        const leader = this.fleet.leader();
        const t = this.tally;
        this.log(`leader ${leader ? `${leader.name} (epoch ${leader.epoch})` : 'being elected'}; so far ${t.leaderKills} leader kills, ${t.followerKills} follower kills, ${t.pauses} pauses, ${t.gracefulRestarts} graceful restarts, ${t.inits} inits`);
      }
    }
    await sleep(start + end - Date.now());
  }

  /** Ends the faults, lets every member close, and kills whatever does not. */
  async stopFleet(): Promise<void> {
    this.log('faults over; waiting for restarts in progress, then closing every member');
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    for (const member of this.fleet.all) if (member.stopped) member.signal('SIGCONT');
    const members = this.fleet.slots.filter((m): m is ChaosProcess => m !== null && !m.hasExited);
    for (const member of members) {
      member.closing = true;
      member.send({ cmd: 'close' });
    }
    await Promise.all(members.map(async (member) => {
      const exited = await Promise.race([member.exited.then(() => true), sleep(CLOSE_TIMEOUT_MS).then(() => false)]);
      if (!exited) {
        this.tally.hungAtClose.push(`${member.name} did not close within ${CLOSE_TIMEOUT_MS / 1000} s at the end`);
        member.signal('SIGKILL');
        await member.exited;
      }
    }));
    // Init calls still running end on their own (bounded by their request timeout).
    await Promise.all([...this.fleet.all].map((p) => Promise.race([p.exited, sleep(this.requestTimeoutMs + 10_000)])));
    this.fleet.killEverything();
  }

  summarize(rowChecks: Check[], totals: WriteTotals, dbChecks: Check[], epochs: EpochRecord[], logs: WriteLogs): ChaosSummary {
    const t = this.tally;
    // A request may fail only when its transaction died with its leader (or was rolled back on
    // purpose): every other request must be answered, faults or not, within its timeout.
    // With a lease (lockfile), a request to a paused leader times out by design, and one sent
    // during the takeover may find no leader in time.
    const allowed = this.options.lock === 'lockfile' ? /^(TRANSACTION_ABORTED|ROLLED_BACK|TIMEOUT|NO_LEADER)\b/ : /^(TRANSACTION_ABORTED|ROLLED_BACK)\b/;
    const unexpectedFailures = Object.entries(totals.failuresByCode).filter(([code]) => !allowed.test(code));
    const overlaps = this.sampler.overlaps;
    const openers: Check =
      this.options.lock === 'flock'
        ? { name: 'never two processes with the database open', ok: overlaps.length === 0, detail: overlaps.length === 0 ? `${this.sampler.samples} samples of /proc, at most ${this.sampler.maxHolders} holder at once` : overlaps.slice(0, 3).join('; ') }
        : { name: 'processes with the database open at once (lockfile: not guaranteed, reported only)', ok: true, detail: `${this.sampler.samples} samples of /proc; ${overlaps.length} with two holders${overlaps.length > 0 ? `, e.g. ${overlaps[0]}` : ''}` };
    const checks: Check[] = [
      ...rowChecks,
      ...dbChecks,
      openers,
      { name: 'every schema init call succeeded', ok: t.initFailures.length === 0, detail: t.initFailures.length === 0 ? `${t.inits - t.initsTimedOut} calls saw schema version 2${t.initsTimedOut > 0 ? `, ${t.initsTimedOut} found no leader in time (lockfile)` : ''}` : t.initFailures.slice(0, 3).join('; ') },
      { name: 'every member closed when asked', ok: t.hungAtClose.length === 0, detail: t.hungAtClose.length === 0 ? 'yes' : t.hungAtClose.slice(0, 3).join('; ') },
      { name: 'no corruption reported by any member', ok: t.alarming.length === 0, detail: t.alarming.length === 0 ? 'none' : t.alarming.slice(0, 3).join('; ') },
      {
        name: 'no request failed except transactions whose leader died',
        ok: unexpectedFailures.length === 0,
        detail: unexpectedFailures.length === 0
          ? `every failure was TRANSACTION_ABORTED or a deliberate rollback${this.options.lock === 'lockfile' ? ' (or, with the lease, TIMEOUT / NO_LEADER)' : ''}`
          : unexpectedFailures.map(([code, n]) => `${code} x${n}`).join(', '),
      },
      { name: 'the fleet made progress', ok: totals.opsAcked > 0 && (this.options.seconds < 5 || t.leaderKills > 0), detail: `${totals.opsAcked} operations acknowledged, ${t.leaderKills} leader kills` },
    ];
    const failover = [...t.failoverMs].sort((a, b) => a - b);
    void logs;
    return {
      ok: checks.every((c) => c.ok),
      seed: this.options.seed,
      seconds: this.options.seconds,
      members: this.options.members,
      lock: this.options.lock,
      elapsedSeconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
      faults: {
        leaderKills: t.leaderKills,
        followerKills: t.followerKills,
        pauses: t.pauses,
        gracefulRestarts: t.gracefulRestarts,
        gracefulLeaderRestarts: t.gracefulLeaderRestarts,
        inits: t.inits,
        bursts: t.bursts,
        skipped: t.skipped,
        restarts: t.restarts,
      },
      writes: totals,
      leaders: { epochs: epochs.length, failoverMs: { count: failover.length, median: percentile(failover, 50), p99: percentile(failover, 99), max: failover[failover.length - 1] ?? null } },
      openers: { samples: this.sampler.samples, maxAtOnce: this.sampler.maxHolders },
      backgroundErrors: t.backgroundErrors,
      backgroundExamples: t.backgroundExamples,
      checks,
      violations: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      tempDir: this.options.keep ? this.dir : null,
    };
  }
}

function formatSummary(s: ChaosSummary): string {
  const f = s.faults;
  const w = s.writes;
  const failures = Object.entries(w.failuresByCode).map(([code, n]) => `${code} x${n}`).join(', ') || 'none';
  const background = Object.entries(s.backgroundErrors).map(([code, n]) => `${code} x${n}`).join(', ') || 'none';
  const ms = s.leaders.failoverMs;
  const lines = [
    `Baton chaos: ${s.members} members, ${s.seconds} s of faults (seed ${s.seed}${s.lock === 'lockfile' ? ', lock: lockfile' : ''}), ${s.elapsedSeconds} s in all`,
    `Faults:   ${f.leaderKills} leader SIGKILLs, ${f.followerKills} follower SIGKILLs, ${f.pauses} leader SIGSTOP/SIGCONT, ${f.gracefulRestarts} graceful restarts (${f.gracefulLeaderRestarts} of the leader), ${f.inits} schema init calls,`,
    `          bursts: ${f.bursts.batch} of large batches, ${f.bursts.transaction} of interactive transactions, ${f.bursts.pipeline} of pipelined writes; ${f.restarts} restarts; skipped for want of a target: ${Object.entries(f.skipped).map(([k, n]) => `${k} x${n}`).join(', ') || 'none'}`,
    `Writes:   ${w.opsSent} operations sent, ${w.opsAcked} acknowledged (${w.rowsAcked} rows); ${w.rowsInDatabase} rows in the database`,
    `          failed requests: ${failures}`,
    `          unanswered (member killed or in doubt): ${w.opsUncertainApplied} applied whole, ${w.opsUncertainNotApplied} not applied`,
    `Leaders:  ${s.leaders.epochs} epochs; failover as measured by members: ${ms.count} failovers, median ${ms.median ?? '-'} ms, p99 ${ms.p99 ?? '-'} ms, max ${ms.max ?? '-'} ms`,
    `          background errors reported by members: ${background}`,
    ...Object.values(s.backgroundExamples).flat().map((example) => `            e.g. ${example}`),
    'Checks (sqlite3 CLI, after every member exited):',
    ...s.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    s.ok ? 'Result: PASS' : `Result: FAIL (${s.violations.length} violations)`,
  ];
  if (s.tempDir !== null) lines.push(`Kept: ${s.tempDir}`);
  return lines.join('\n');
}

async function main(options: ChaosOptions): Promise<number> {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
  } catch {
    process.stderr.write('chaos: the sqlite3 command-line shell is needed for the final check and was not found on PATH\n');
    return 3;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-chaos-'));
  const database = path.join(dir, 'chaos.db');
  const paths = storePaths(database);
  const run = new ChaosRun(options, dir, paths.database);

  // Whatever happens from here (error, Ctrl-C, a check failing), no child and no file stays.
  const cleanup = (): void => {
    run.fleet.killEverything();
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

  process.stderr.write(`chaos: seed ${options.seed}, ${options.members} members, ${options.seconds} s of faults, lock ${options.lock}, in ${dir}\n`);
  await run.startFleet();
  run.sampler.start(SAMPLE_EVERY_MS);
  await run.inject();
  await run.stopFleet();
  run.sampler.stop();
  process.stderr.write('chaos: every member stopped; checking the database with the sqlite3 CLI\n');

  const logs = await WriteLogs.read(dir);
  const { checks: rowChecks, totals } = await checkRows(paths.database, logs);
  const { checks: dbChecks, epochs } = await checkDatabase(paths.database, paths.record, run.tally.observedLeaders);
  const summary = run.summarize(rowChecks, totals, dbChecks, epochs, logs);
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
    process.exit(3);
  },
);
