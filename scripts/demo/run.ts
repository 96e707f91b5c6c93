/**
 * One run of the demo, phase by phase: start the fleet, apply the load (with `kanban init` runs
 * and leader kills on a timeline), drain, probe the idle fleet's latency, close the fleet, then
 * read the board independently and report.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore, type Store } from '@baton/store';
import { Board, KANBAN_MIGRATIONS, killAllGateways, writeProfile, type GatewayReport } from '@baton/kanban';
import { ExitCode, sleep, UsageError } from '../shared';
import { buildChecks, readBoard, readEpochHistory } from './checks';
import { Fleet, runKanbanInit, type InitRun, type KillRecord } from './fleet';
import { HolderSampler } from './holders';
import { describeLatencies } from './latency';
import { profileNames, type DemoOptions } from './options';
import { startProgress } from './progress';
import { summaryLines } from './summary';
import { Tally } from './tally';
import { LiveView } from './view';

const DISPATCHERS = 2;
/** A profile that may not host the leader, to show `candidate: false`. */
const NON_CANDIDATE = 'a-view';
const DRAIN_TIMEOUT_MS = 20_000;
/** Tasks created one at a time on the idle fleet to measure create -> claim through notify. */
const PROBES = 20;

/** The demo's state from start to verdict. */
export class DemoRun {
  private readonly started = Date.now();
  private readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-kanban-demo-'));
  private readonly board: string;
  private readonly profiles: string[];
  private readonly dispatchers: Set<string>;
  private readonly creators: string[];
  private readonly view: LiveView;
  private readonly tally = new Tally();
  private readonly fleet: Fleet;
  private readonly kills: KillRecord[] = [];
  private readonly inits: InitRun[] = [];
  private readonly probes: number[] = [];
  private monitor: Store | null = null;
  private watcher: Board | null = null;
  private holders: HolderSampler | null = null;
  private stopProgress: () => void = () => undefined;

  constructor(private readonly options: DemoOptions) {
    this.board = options.board === null ? path.join(this.root, 'kanban.db') : path.resolve(options.board);
    if (options.board !== null && fs.existsSync(this.board))
      throw new UsageError(
        `--board ${this.board} already exists; give a new path (the demo's checks need an empty board)`,
      );
    this.profiles = profileNames(options.gateways);
    this.dispatchers = new Set(this.profiles.slice(0, DISPATCHERS));
    this.creators = this.profiles.filter((p) => !this.dispatchers.has(p));
    // The second dispatcher, then the first creator: Python gateways claiming and creating beside Node ones.
    const python = [this.profiles[1]!, this.creators[0]!].slice(0, options.python);
    this.view = new LiveView(process.stdout, process.stdout.isTTY === true && !options.plain);
    this.fleet = new Fleet(this.writeProfiles(), this.board, this.tally, new Set(python));
  }

  /** The whole demo; resolves with the exit code. */
  async run(): Promise<number> {
    try {
      await this.startFleet();
      await this.applyLoad();
      await this.drain();
      await this.probeLatency();
      await this.drain();
    } finally {
      await this.closeFleet();
    }
    return this.report();
  }

  private elapsedS(): number {
    return (Date.now() - this.started) / 1000;
  }

  private note(line: string): void {
    this.view.note(this.elapsedS(), line);
  }

  /** Each gateway's profile home: dispatchers, creators, and one profile that may not lead. */
  private writeProfiles(): Map<string, string> {
    const homes = new Map<string, string>();
    for (const profile of this.profiles) {
      const home = writeProfile(path.join(this.root, 'profiles'), profile, {
        enabled: true,
        board: this.board,
        dispatch_in_gateway: this.dispatchers.has(profile),
        candidate: profile !== NON_CANDIDATE,
        max_workers: 16,
        claim_ttl_ms: 2000,
        heartbeat_ms: 500,
        sweep_ms: 1000,
        worker: { min_ms: this.options.workMinMs, max_ms: this.options.workMaxMs, fail_rate: this.options.failRate },
      });
      homes.set(profile, home);
    }
    return homes;
  }

  private async startFleet(): Promise<void> {
    const { options } = this;
    process.stdout.write(
      `Baton kanban demo: ${this.profiles.length} gateways on ${this.board} (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)})\n` +
        `  dispatching: ${[...this.dispatchers].join(', ')}; creating: ${this.creators.join(', ')}; ${NON_CANDIDATE} is not a leader candidate\n` +
        `  Python gateways: ${[...this.fleet.python].join(', ') || 'none'} (the others run on Node)\n` +
        `  ${options.durationS} s of load at ${options.rate} tasks/s, ${options.kills} leader SIGKILL(s), 2 x "kanban init" under the live fleet\n\n`,
    );
    // The first gateway founds the board (it wins the election and applies the migrations); the rest join.
    await this.fleet.start(this.profiles[0]!);
    await Promise.all(this.profiles.slice(1).map((p) => this.fleet.start(p)));
    this.note(
      `fleet up: ${this.fleet
        .live()
        .map((g) => `${g.profile}(${g.pid}${g.role === 'leader' ? ', leader' : ''})`)
        .join(' ')}`,
    );

    // The demo watches the board as one more member that is not a candidate: it holds a socket, never the file.
    this.monitor = await openStore({
      path: this.board,
      name: 'demo-monitor',
      candidate: false,
      migrations: KANBAN_MIGRATIONS,
    });
    this.watcher = new Board(this.monitor, 'demo-monitor');
    this.holders = new HolderSampler(this.board);
    this.stopProgress = startProgress({
      view: this.view,
      watcher: this.watcher,
      fleet: this.fleet,
      profiles: this.profiles,
      dispatchers: this.dispatchers,
      tally: this.tally,
      holders: this.holders,
      target: this.perCreator() * this.creators.length,
      elapsedS: () => this.elapsedS(),
    });
  }

  private perCreator(): number {
    return Math.ceil((this.options.rate * this.options.durationS) / this.creators.length);
  }

  /** Every creator paces its share over the duration (with idempotency keys) while the timeline runs. */
  private async applyLoad(): Promise<void> {
    const { options } = this;
    const perCreator = this.perCreator();
    const intervalMs = (1000 * this.creators.length) / options.rate;
    const creating: Promise<GatewayReport>[] = [];
    const startCreating = (profile: string, count: number, prefix: string): void => {
      const gateway = this.fleet.gateways.get(profile)!;
      creating.push(gateway.waitForNext((r) => r.ev === 'createDone' && r.prefix === prefix, 120_000));
      gateway.send({ cmd: 'create', prefix, count, intervalMs });
    };
    for (const profile of this.creators) startCreating(profile, perCreator, 'task');
    const loadStarted = Date.now();

    for (const step of this.timeline()) {
      await sleep(loadStarted + step.at * options.durationS * 1000 - Date.now());
      if (step.what === 'init') {
        const result = await runKanbanInit(this.board);
        this.inits.push(result);
        this.note(`kanban init under the live fleet: exit ${result.code} in ${result.ms} ms ${result.output}`);
        continue;
      }
      const record = await this.fleet.killLeader(this.monitor!, (line) => this.note(line));
      this.kills.push(record);
      // Restart the killed gateway, as a supervisor would; a creator resumes its share.
      const profile = record.victim;
      await this.fleet.start(profile);
      this.note(`restarted ${profile} (pid ${this.fleet.gateways.get(profile)!.pid}); it joins as a follower`);
      if (this.creators.includes(profile)) {
        const remaining =
          perCreator * (1 + this.kills.filter((k) => k.victim === profile).length) -
          (this.tally.ackedBy.get(profile) ?? 0);
        const left = Math.floor((loadStarted + options.durationS * 1000 - Date.now()) / intervalMs);
        startCreating(profile, Math.max(0, Math.min(remaining, left)), `task-r${this.kills.length}`);
      }
    }
    await Promise.all(creating);
    this.note(`creation done: ${this.tally.acked.size} tasks acknowledged; draining`);
  }

  /** Two `kanban init` runs and the kills spread evenly, as fractions of the load's duration. */
  private timeline(): { at: number; what: 'init' | 'kill' }[] {
    const kills = this.options.kills;
    return [
      { at: 0.15, what: 'init' as const },
      { at: 0.5, what: 'init' as const },
      ...Array.from({ length: kills }, (_, i) => ({ at: (i + 1) / (kills + 1), what: 'kill' as const })),
    ].sort((a, b) => a.at - b.at);
  }

  /** Waits until nothing is left to run (every task done, or blocked after repeated failures), 20 s at most. */
  private async drain(): Promise<void> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const s = await this.watcher!.stats();
      if (s.byStatus.ready + s.byStatus.running + s.byStatus.todo === 0) return;
      if (Date.now() > deadline) {
        this.note(`drain timed out with ${s.byStatus.ready} ready, ${s.byStatus.running} running`);
        return;
      }
      await sleep(200);
    }
  }

  /**
   * Latency probes on the idle fleet: the demo's own member (a forwarding one) creates a task
   * and waits for a dispatcher to report its claim; the latency is creation to claim commit.
   */
  private async probeLatency(): Promise<void> {
    for (let i = 0; i < PROBES; i++) {
      const claimed = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a latency probe was not claimed within 10 s')), 10_000);
        void this.watcher!.create({ title: `latency probe #${i}`, idempotencyKey: `demo/probe/${i}` }).then(
          ({ task }) => {
            this.tally.acked.add(task.id);
            const settle = (ms: number): void => (clearTimeout(timer), resolve(ms));
            // The claim may be reported before our own create call has returned.
            const already = this.tally.firstClaim.get(task.id);
            if (already !== undefined) settle(already);
            else this.tally.claimWaiters.set(task.id, settle);
          },
          reject,
        );
      });
      this.probes.push(await claimed);
    }
    this.note(`latency probes on the idle fleet: create -> claim ${describeLatencies(this.probes)}`);
  }

  /** Graceful close: dispatchers finish and record their work, each leader hands over in turn. */
  private async closeFleet(): Promise<void> {
    this.stopProgress();
    this.holders?.fleetClosing();
    await Promise.all(this.fleet.live().map((g) => g.close()));
    await this.monitor?.close();
    this.holders?.stop();
    await killAllGateways();
  }

  /** The independent reading, the checks and the report; removes what the run made. */
  private report(): number {
    this.view.finish();
    // Every gateway has exited: nothing of Baton is running.
    const board = readBoard(this.board, this.tally.acked, this.tally.completions);
    const leaders = readEpochHistory(this.board);
    const totalS = this.elapsedS();
    const checks = buildChecks({
      board,
      tally: this.tally,
      holders: this.holders!,
      leaders,
      inits: this.inits,
      kills: this.kills,
      killsAsked: this.options.kills,
      totalS,
    });
    const keptBoard = this.options.board === null ? null : this.board;
    const lines = summaryLines({
      timeline: this.view.entries(),
      leaders,
      kills: this.kills,
      board,
      tally: this.tally,
      probes: this.probes,
      checks,
      totalS,
      keptBoard,
    });
    process.stdout.write(`${lines.join('\n')}\n`);
    const failed = checks.some((c) => !c.ok);
    if (failed) {
      for (const g of this.fleet.gateways.values()) {
        if (g.stderr.trim() !== '')
          process.stderr.write(
            `--- ${g.profile} stderr (last lines)\n${g.stderr.trim().split('\n').slice(-10).join('\n')}\n`,
          );
      }
    }
    fs.rmSync(keptBoard === null ? this.root : path.join(this.root, 'profiles'), { recursive: true, force: true });
    return failed ? ExitCode.Failed : ExitCode.Ok;
  }
}
