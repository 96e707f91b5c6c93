/**
 * `npm run demo`: the gateway fleet that motivated Baton, end to end.
 *
 * Seven gateways (the profiles of the original report) share one kanban board through Baton.
 * Five of them create tasks, two dispatch them to simulated workers. While they run, the demo
 * runs `kanban init` twice under the live fleet, SIGKILLs the leader (twice by default) and
 * restarts it, and samples /proc to count the processes holding the database open. After the
 * fleet has exited, an independent reader checks the file. Exit code 0 only if every check holds.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { databaseFiles, openStore, pidsHoldingOpen, storePaths, type Store } from '@baton/store';
import {
  Board,
  GATEWAY_BIN,
  GatewayProcess,
  KANBAN_MIGRATIONS,
  killAllGateways,
  writeProfile,
  type BoardStats,
  type GatewayReport,
} from '@baton/kanban';
import { percentile, readBoard, readEpochHistory, type Check } from './demo-checks';
import { DEMO_HELP, DemoUsageError, parseDemoOptions, profileNames, type DemoOptions } from './demo-options';
import { LiveView, type MemberView } from './demo-view';

const KANBAN_BIN = path.join(path.dirname(GATEWAY_BIN), 'kanban.js');
const DISPATCHERS = 2;
/** A profile that may not host the leader, to show `candidate: false`. */
const NON_CANDIDATE = 'a-view';
const SAMPLE_EVERY_MS = 100;
const DRAIN_TIMEOUT_MS = 20_000;
/** Tasks created one at a time on the idle fleet to measure create -> claim through notify. */
const PROBES = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One leader kill and what followed. */
interface KillRecord {
  victim: string;
  victimPid: number;
  newLeader: string;
  newLeaderPid: number;
  epoch: number;
  /** Kill to the first "I lead" report, on the demo's clock. */
  electedMs: number;
  /** Each survivor's own measure: losing the leader to being welcomed by the new one. */
  memberMs: number[];
}

/** Everything the fleet reported, aggregated. */
class Tally {
  readonly acked = new Set<string>();
  readonly ackedBy = new Map<string, number>();
  readonly completions: string[] = [];
  readonly claims: { latencyMs: number; direct: boolean }[] = [];
  /** Waiting for a claim of these tasks (the latency probes). */
  readonly claimWaiters = new Map<string, (latencyMs: number) => void>();
  /** The latency of each task's first claim. */
  readonly firstClaim = new Map<string, number>();
  readonly createFailures: string[] = [];
  readonly errors: string[] = [];
  failedWork = 0;
  lost = 0;
  released = 0;

  record(profile: string, report: GatewayReport): void {
    switch (report.ev) {
      case 'created':
        this.acked.add(report.taskId);
        this.ackedBy.set(profile, (this.ackedBy.get(profile) ?? 0) + 1);
        break;
      case 'createFailed':
        this.createFailures.push(`${profile}: ${report.code} ${report.message}`);
        break;
      case 'claimed':
        this.claims.push({ latencyMs: report.latencyMs, direct: report.direct });
        if (!this.firstClaim.has(report.taskId)) this.firstClaim.set(report.taskId, report.latencyMs);
        this.claimWaiters.get(report.taskId)?.(report.latencyMs);
        this.claimWaiters.delete(report.taskId);
        break;
      case 'completed':
        this.completions.push(report.taskId);
        break;
      case 'failed':
        this.failedWork++;
        break;
      case 'lost':
        this.lost++;
        break;
      case 'released':
        this.released += report.taskIds.length;
        break;
      case 'error':
        if (report.code !== 'EXITED') this.errors.push(`${profile}: ${report.code} ${report.message}`);
        break;
      default:
        break;
    }
  }
}

/** The running fleet: one gateway process per profile, replaced when restarted. */
class Fleet {
  readonly gateways = new Map<string, GatewayProcess>();
  readonly killed = new Set<number>();

  constructor(private readonly homes: Map<string, string>, private readonly board: string, private readonly tally: Tally) {}

  async start(profile: string): Promise<GatewayProcess> {
    const gateway = await GatewayProcess.start({ home: this.homes.get(profile)!, board: this.board, stderr: 'collect' });
    gateway.onReport((report) => this.tally.record(profile, report));
    for (const report of gateway.reports) this.tally.record(profile, report);
    this.gateways.set(profile, gateway);
    return gateway;
  }

  live(): GatewayProcess[] {
    return [...this.gateways.values()].filter((g) => g.running);
  }

  byPid(pid: number): GatewayProcess | undefined {
    return [...this.gateways.values()].find((g) => g.pid === pid);
  }
}

async function runInit(board: string): Promise<{ code: number; ms: number; output: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [KANBAN_BIN, '--board', board, '--json', 'init'], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, ms: Date.now() - started, output: (stdout.trim() || stderr.trim()).slice(0, 300) });
    });
  });
}

function stat(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 'n/a';
  return `median ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, max ${sorted[sorted.length - 1]} ms (n=${sorted.length})`;
}

async function main(options: DemoOptions): Promise<number> {
  const started = Date.now();
  const elapsedS = (): number => (Date.now() - started) / 1000;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-kanban-demo-'));
  const board = options.board === null ? path.join(root, 'kanban.db') : path.resolve(options.board);
  if (options.board !== null && fs.existsSync(board)) throw new DemoUsageError(`--board ${board} already exists; give a new path (the demo's checks need an empty board)`);

  const profiles = profileNames(options.gateways);
  const dispatchers = new Set(profiles.slice(0, DISPATCHERS));
  const creators = profiles.filter((p) => !dispatchers.has(p));
  const homes = new Map<string, string>();
  for (const profile of profiles) {
    homes.set(profile, writeProfile(path.join(root, 'profiles'), profile, {
      enabled: true,
      board,
      dispatch_in_gateway: dispatchers.has(profile),
      candidate: profile !== NON_CANDIDATE,
      max_workers: 16,
      claim_ttl_ms: 2000,
      heartbeat_ms: 500,
      sweep_ms: 1000,
      worker: { min_ms: options.workMinMs, max_ms: options.workMaxMs, fail_rate: options.failRate },
    }));
  }

  const view = new LiveView(process.stdout, process.stdout.isTTY === true && !options.plain);
  const tally = new Tally();
  const fleet = new Fleet(homes, board, tally);
  const kills: KillRecord[] = [];
  const inits: { code: number; ms: number; output: string }[] = [];
  const holderSamples: number[] = [];
  /** Samples taken while the fleet closes (leaders hand over one after another): only "never more than 1" applies. */
  const shutdownSamples: number[] = [];
  let shuttingDown = false;
  const holderPids = new Set<number>();
  let monitor: Store | null = null;
  let sampler: NodeJS.Timeout | null = null;
  let renderer: NodeJS.Timeout | null = null;
  const probes: number[] = [];

  process.stdout.write(`Baton kanban demo: ${profiles.length} gateways on ${board} (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)})\n` +
    `  dispatching: ${[...dispatchers].join(', ')}; creating: ${creators.join(', ')}; ${NON_CANDIDATE} is not a leader candidate\n` +
    `  ${options.durationS} s of load at ${options.rate} tasks/s, ${options.kills} leader SIGKILL(s), 2 x "kanban init" under the live fleet\n\n`);
  try {
    // The first gateway founds the board (it wins the election and applies the migrations); the rest join.
    await fleet.start(profiles[0]!);
    await Promise.all(profiles.slice(1).map((p) => fleet.start(p)));
    view.note(elapsedS(), `fleet up: ${fleet.live().map((g) => `${g.profile}(${g.pid}${g.role === 'leader' ? ', leader' : ''})`).join(' ')}`);

    // The demo watches the board as one more member that is not a candidate: it holds a socket, never the file.
    monitor = await openStore({ path: board, name: 'demo-monitor', candidate: false, migrations: KANBAN_MIGRATIONS });
    const watcher = new Board(monitor, 'demo-monitor');

    sampler = setInterval(() => {
      const holders = pidsHoldingOpen(databaseFiles(storePaths(board).database));
      (shuttingDown ? shutdownSamples : holderSamples).push(holders.length);
      if (!shuttingDown) for (const pid of holders) holderPids.add(pid);
    }, SAMPLE_EVERY_MS);

    // Live view.
    let stats: BoardStats | null = null;
    let polling = false;
    const doneHistory: { at: number; done: number }[] = [];
    const perCreator = Math.ceil((options.rate * options.durationS) / creators.length);
    const target = perCreator * creators.length;
    renderer = setInterval(() => {
      if (!polling) {
        polling = true;
        watcher.stats().then((s) => {
          stats = s;
          doneHistory.push({ at: Date.now(), done: s.byStatus.done });
          while (doneHistory.length > 1 && doneHistory[0]!.at < Date.now() - 2000) doneHistory.shift();
        }, () => undefined).finally(() => (polling = false));
      }
      const first = doneHistory[0];
      const last = doneHistory[doneHistory.length - 1];
      const rate = first !== undefined && last !== undefined && last.at > first.at ? ((last.done - first.done) * 1000) / (last.at - first.at) : 0;
      const members: MemberView[] = profiles.map((p) => {
        const g = fleet.gateways.get(p)!;
        return { profile: p, pid: g.pid, role: g.role ?? '-', dispatch: dispatchers.has(p), alive: g.running };
      });
      const leader = fleet.live().find((g) => g.role === 'leader');
      view.render({
        elapsedS: elapsedS(),
        leader: leader === undefined ? '(electing)' : `${leader.profile} pid ${leader.pid}`,
        members,
        stats,
        created: tally.acked.size,
        target,
        completedPerS: rate,
        holders: holderSamples[holderSamples.length - 1] ?? 0,
      });
    }, 250);

    // Load: every creator paces its share over the duration, with idempotency keys.
    const intervalMs = (1000 * creators.length) / options.rate;
    const creating: Promise<GatewayReport>[] = [];
    const startCreating = (profile: string, count: number, prefix: string): void => {
      const gateway = fleet.gateways.get(profile)!;
      creating.push(gateway.waitForNext((r) => r.ev === 'createDone' && r.prefix === prefix, 120_000));
      gateway.send({ cmd: 'create', prefix, count, intervalMs });
    };
    for (const profile of creators) startCreating(profile, perCreator, 'task');
    const loadStarted = Date.now();

    // The timeline: two inits, the kills spread evenly.
    const schedule: { at: number; what: 'init' | 'kill' }[] = [
      { at: 0.15, what: 'init' as const },
      { at: 0.5, what: 'init' as const },
      ...Array.from({ length: options.kills }, (_, i) => ({ at: (i + 1) / (options.kills + 1), what: 'kill' as const })),
    ].sort((a, b) => a.at - b.at);
    for (const step of schedule) {
      await sleep(loadStarted + step.at * options.durationS * 1000 - Date.now());
      if (step.what === 'init') {
        const result = await runInit(board);
        inits.push(result);
        view.note(elapsedS(), `kanban init under the live fleet: exit ${result.code} in ${result.ms} ms ${result.output}`);
        continue;
      }
      const record = await killLeader(fleet, monitor, view, elapsedS);
      kills.push(record);
      // Restart the killed gateway, as a supervisor would; a creator resumes its share.
      const profile = record.victim;
      await fleet.start(profile);
      view.note(elapsedS(), `restarted ${profile} (pid ${fleet.gateways.get(profile)!.pid}); it joins as a follower`);
      if (creators.includes(profile)) {
        const remaining = perCreator * (1 + kills.filter((k) => k.victim === profile).length) - (tally.ackedBy.get(profile) ?? 0);
        const left = Math.floor((loadStarted + options.durationS * 1000 - Date.now()) / intervalMs);
        startCreating(profile, Math.max(0, Math.min(remaining, left)), `task-r${kills.length}`);
      }
    }
    await Promise.all(creating);
    view.note(elapsedS(), `creation done: ${tally.acked.size} tasks acknowledged; draining`);

    // Drain: wait until nothing is left to run (every task done, or blocked after repeated failures).
    const drain = async (): Promise<void> => {
      const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
      for (;;) {
        const s = await watcher.stats();
        if (s.byStatus.ready + s.byStatus.running + s.byStatus.todo === 0) return;
        if (Date.now() > drainDeadline) {
          view.note(elapsedS(), `drain timed out with ${s.byStatus.ready} ready, ${s.byStatus.running} running`);
          return;
        }
        await sleep(200);
      }
    };
    await drain();

    // Latency probes on the idle fleet: the demo's own member (a forwarding one) creates a task
    // and waits for a dispatcher to report its claim; the latency is creation to claim commit.
    for (let i = 0; i < PROBES; i++) {
      const claimed = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a latency probe was not claimed within 10 s')), 10_000);
        void watcher.create({ title: `latency probe #${i}`, idempotencyKey: `demo/probe/${i}` }).then(({ task }) => {
          tally.acked.add(task.id);
          const settle = (ms: number): void => (clearTimeout(timer), resolve(ms));
          // The claim may be reported before our own create call has returned.
          const already = tally.firstClaim.get(task.id);
          if (already !== undefined) settle(already);
          else tally.claimWaiters.set(task.id, settle);
        }, reject);
      });
      probes.push(await claimed);
    }
    view.note(elapsedS(), `latency probes on the idle fleet: create -> claim ${stat(probes)}`);
    await drain();
  } finally {
    if (renderer !== null) clearInterval(renderer);
    // Graceful close: dispatchers finish and record their work, each leader hands over in turn.
    shuttingDown = true;
    await Promise.all(fleet.live().map((g) => g.close()));
    await monitor?.close();
    if (sampler !== null) clearInterval(sampler);
    await killAllGateways();
  }
  view.finish();

  // The independent reader: every gateway has exited, nothing of Baton is running.
  const facts = readBoard(board, tally.acked, tally.completions);
  const leaders = readEpochHistory(board);
  const directClaims = tally.claims.filter((c) => c.direct).map((c) => c.latencyMs);
  const allClaims = tally.claims.map((c) => c.latencyMs);
  const over1 = [...holderSamples, ...shutdownSamples].filter((n) => n > 1).length;
  const exactly1 = holderSamples.filter((n) => n === 1).length;
  const zero = holderSamples.filter((n) => n === 0).length;
  const leaderPids = new Set(leaders.map((l) => l.pid));
  const holdersNotLeading = [...holderPids].filter((pid) => !leaderPids.has(pid));
  const unfinished = (facts.byStatus.ready ?? 0) + (facts.byStatus.running ?? 0) + (facts.byStatus.todo ?? 0);
  const totalS = elapsedS();
  const checks: Check[] = [
    { name: 'tasks lost', ok: facts.missing.length === 0, detail: `${tally.acked.size} acknowledged, ${facts.tasks} present, ${facts.missing.length} acknowledged but missing (must be 0)${facts.tasks > tally.acked.size ? `; ${facts.tasks - tally.acked.size} present but never acknowledged (in flight when their creator was killed)` : ''}` },
    { name: 'claimed twice', ok: facts.claimedTwice.length === 0, detail: `${facts.claimedTwice.length} tasks (must be 0)${facts.claimedTwice.length > 0 ? `: ${facts.claimedTwice.slice(0, 5).join(', ')}` : ''}` },
    { name: 'all work finished', ok: unfinished === 0, detail: `${facts.byStatus.done ?? 0} done, ${facts.byStatus.blocked ?? 0} blocked after 3 failures, ${unfinished} unfinished (must be 0)` },
    { name: 'event log consistent', ok: facts.createdNotOnce.length === 0 && facts.completedMismatch.length === 0, detail: `tasks without exactly one "created": ${facts.createdNotOnce.length}; without exactly one "completed" per done task: ${facts.completedMismatch.length}` },
    { name: 'integrity_check', ok: facts.integrity === 'ok', detail: facts.integrity },
    { name: 'db holders', ok: over1 === 0 && exactly1 > 0 && holdersNotLeading.length === 0, detail: `processes holding kanban.db/-wal/-shm open, sampled every ${SAMPLE_EVERY_MS} ms from /proc/*/fd: 1 at ${exactly1} of ${holderSamples.length} samples while the fleet ran, 0 at ${zero} (a failover in progress), more than 1 at ${over1} of ${holderSamples.length + shutdownSamples.length} including the ${shutdownSamples.length} taken while the fleet closed (must be 0); ${holderPids.size} distinct holders while running, ${holdersNotLeading.length} of them not a leader of the epoch history (must be 0)` },
    { name: 'kanban init x2', ok: inits.length === 2 && inits.every((i) => i.code === 0), detail: inits.map((i) => `exit ${i.code} in ${i.ms} ms`).join(', ') },
    { name: 'failed requests', ok: tally.createFailures.length === 0 && tally.errors.length === 0, detail: `${tally.createFailures.length} failed creates, ${tally.errors.length} errors reported by gateways${[...tally.createFailures, ...tally.errors].slice(0, 3).map((e) => `\n      ${e}`).join('')}` },
    { name: 'leader kills', ok: kills.length === options.kills, detail: `${kills.length} of ${options.kills} done` },
    { name: 'within 60 s', ok: totalS < 60, detail: `${totalS.toFixed(1)} s` },
  ];

  const out: string[] = ['', 'Timeline', ...view.entries().map((e) => `  ${e}`), '', 'Who led (from the board\'s epoch history, newest first)'];
  for (const l of leaders) out.push(`  epoch ${l.epoch}  ${l.name.padEnd(12)} pid ${l.pid}${l.takeoverMs === null ? '' : `  took over in ${l.takeoverMs} ms`}`);
  out.push('', 'Failovers (SIGKILL of the leader)');
  if (kills.length === 0) out.push('  none');
  kills.forEach((k, i) => {
    out.push(`  ${i + 1}. killed ${k.victim} (pid ${k.victimPid}) -> ${k.newLeader} (pid ${k.newLeaderPid}) leads epoch ${k.epoch}: elected ${k.electedMs} ms after the kill; members reconnected: ${stat(k.memberMs)}`);
  });
  out.push('', 'Work');
  out.push(`  tasks ${facts.tasks}: done ${facts.byStatus.done ?? 0}, blocked after 3 failures ${facts.byStatus.blocked ?? 0}; simulated failures ${tally.failedWork} (retried), claims released after their worker died ${tally.released}, results discarded after a lost claim ${tally.lost}`);
  out.push(`  runs ${facts.runs}, events ${facts.events}`);
  out.push(`  create -> claim latency, ${PROBES} probes on the idle fleet: ${stat(probes)}  (target < 50 ms)`);
  out.push(`  create -> claim latency under load, tasks claimed in the first pass after the notice of their creation: ${stat(directClaims)}`);
  out.push(`  create -> claim latency under load, all claims (incl. queueing for a free worker, released claims): ${stat(allClaims)}`);
  out.push(`  load average at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs (timings above include that contention)`);
  out.push('', 'Checks (independent reader: better-sqlite3, read-only, after every gateway exited)');
  for (const c of checks) out.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(22)} ${c.detail}`);
  const failed = checks.filter((c) => !c.ok);
  out.push('', failed.length === 0 ? `All checks passed in ${totalS.toFixed(1)} s.` : `${failed.length} check(s) FAILED: ${failed.map((c) => c.name).join(', ')}`);
  if (options.board !== null) out.push(`Board kept at ${board}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (failed.length > 0) {
    for (const g of fleet.gateways.values()) if (g.stderr.trim() !== '') process.stderr.write(`--- ${g.profile} stderr (last lines)\n${g.stderr.trim().split('\n').slice(-10).join('\n')}\n`);
  }
  if (options.board === null) fs.rmSync(root, { recursive: true, force: true });
  else fs.rmSync(path.join(root, 'profiles'), { recursive: true, force: true });
  return failed.length === 0 ? 0 : 1;
}

/** SIGKILLs the current leader and waits for the fleet to elect the next one and reconnect. */
async function killLeader(fleet: Fleet, monitor: Store, view: LiveView, elapsedS: () => number): Promise<KillRecord> {
  // Ask the leader who it is; a short-lived `kanban init` may lead for a moment: wait for a gateway.
  let victim: GatewayProcess | undefined;
  for (let attempt = 0; attempt < 50 && victim === undefined; attempt++) {
    victim = fleet.byPid((await monitor.status()).leader.pid);
    if (victim === undefined || !victim.running) {
      victim = undefined;
      await sleep(100);
    }
  }
  if (victim === undefined) throw new Error('no gateway leads: cannot kill the leader');
  const survivors = fleet.live().filter((g) => g !== victim);
  const reconnected = survivors.map((g) => g.waitForNext((r) => r.ev === 'failover', 15_000));
  const elected = Promise.any(survivors.map((g) => g.waitForNext((r) => r.ev === 'role' && r.role === 'leader', 15_000).then((r) => (r.ev === 'role' ? g : Promise.reject(new Error('exited'))))));
  const killedAt = Date.now();
  victim.kill('SIGKILL');
  fleet.killed.add(victim.pid);
  const newLeader = await elected;
  const electedMs = Date.now() - killedAt;
  const reports = await Promise.all(reconnected);
  const memberMs = reports.flatMap((r) => (r.ev === 'failover' ? [r.ms] : []));
  const epoch = reports.reduce((e, r) => (r.ev === 'failover' ? Math.max(e, r.epoch) : e), 0);
  await victim.whenExited();
  view.note(elapsedS(), `SIGKILL leader ${victim.profile} (pid ${victim.pid}) -> ${newLeader.profile} (pid ${newLeader.pid}) leads epoch ${epoch} after ${electedMs} ms; members reconnected in ${stat(memberMs)}`);
  return { victim: victim.profile, victimPid: victim.pid, newLeader: newLeader.profile, newLeaderPid: newLeader.pid, epoch, electedMs, memberMs };
}

let options: DemoOptions | null;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`demo: ${(error as Error).message}\n\n${DEMO_HELP}\n`);
  process.exit(2);
}
if (options === null) {
  process.stdout.write(`${DEMO_HELP}\n`);
  process.exit(0);
}
const stop = (): void => {
  void killAllGateways().then(() => process.exit(130));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
main(options).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    void killAllGateways().then(() => process.exit(error instanceof DemoUsageError ? 2 : 1));
  },
);
