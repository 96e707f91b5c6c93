/**
 * The demo's running fleet: one gateway process per profile, replaced when restarted; killing
 * its leader and timing the takeover; and `kanban init` run as a separate process under it.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { Store } from '@baton/store';
import { GATEWAY_BIN, GatewayProcess } from '@baton/kanban';
import { sleep } from '../shared';
import { describeLatencies } from './latency';
import type { Tally } from './tally';

const KANBAN_BIN = path.join(path.dirname(GATEWAY_BIN), 'kanban.js');
/** The Python gateway of the repository (scripts/dist/demo/ -> python/kanban/gateway.py). */
const PYTHON_GATEWAY = path.join(__dirname, '..', '..', '..', 'python', 'kanban', 'gateway.py');

/** One leader kill and what followed. */
export interface KillRecord {
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

/** One `kanban init` run: its exit code, how long it took, and the start of its output. */
export interface InitRun {
  code: number;
  ms: number;
  output: string;
}

/** The gateways of the demo, by profile. */
export class Fleet {
  readonly gateways = new Map<string, GatewayProcess>();
  readonly killed = new Set<number>();

  /**
   * @param python - the profiles whose gateway is the Python one
   */
  constructor(
    private readonly homes: Map<string, string>,
    private readonly board: string,
    private readonly tally: Tally,
    readonly python: ReadonlySet<string> = new Set(),
  ) {}

  /** Starts (or restarts) the gateway of `profile`; its reports feed the tally. */
  async start(profile: string): Promise<GatewayProcess> {
    const gateway = await GatewayProcess.start({
      home: this.homes.get(profile)!,
      board: this.board,
      stderr: 'collect',
      ...(this.python.has(profile)
        ? { python: { interpreter: process.env.PYTHON ?? 'python3', script: PYTHON_GATEWAY } }
        : {}),
    });
    gateway.onReport((report) => this.tally.record(profile, report));
    for (const report of gateway.reports) this.tally.record(profile, report);
    this.gateways.set(profile, gateway);
    return gateway;
  }

  /** The gateways still running. */
  live(): GatewayProcess[] {
    return [...this.gateways.values()].filter((g) => g.running);
  }

  /** The gateway with process id `pid`, if it is one of ours. */
  byPid(pid: number): GatewayProcess | undefined {
    return [...this.gateways.values()].find((g) => g.pid === pid);
  }

  /**
   * SIGKILLs the current leader and waits for the fleet to elect the next one and for every
   * survivor to reconnect; `note` gets one line about it.
   */
  async killLeader(monitor: Store, note: (line: string) => void): Promise<KillRecord> {
    const victim = await this.leadingGateway(monitor);
    const survivors = this.live().filter((g) => g !== victim);
    const reconnected = survivors.map((g) => g.waitForNext((r) => r.ev === 'failover', 15_000));
    const elected = Promise.any(
      survivors.map((g) =>
        g
          .waitForNext((r) => r.ev === 'role' && r.role === 'leader', 15_000)
          .then((r) => (r.ev === 'role' ? g : Promise.reject(new Error('exited')))),
      ),
    );
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    this.killed.add(victim.pid);
    const newLeader = await elected;
    const electedMs = Date.now() - killedAt;
    const reports = await Promise.all(reconnected);
    const memberMs = reports.flatMap((r) => (r.ev === 'failover' ? [r.ms] : []));
    const epoch = reports.reduce((e, r) => (r.ev === 'failover' ? Math.max(e, r.epoch) : e), 0);
    await victim.whenExited();
    note(
      `SIGKILL leader ${victim.profile} (pid ${victim.pid}) -> ${newLeader.profile} (pid ${newLeader.pid}) leads epoch ${epoch} after ${electedMs} ms; members reconnected in ${describeLatencies(memberMs)}`,
    );
    return {
      victim: victim.profile,
      victimPid: victim.pid,
      newLeader: newLeader.profile,
      newLeaderPid: newLeader.pid,
      epoch,
      electedMs,
      memberMs,
    };
  }

  /** The gateway that leads; a short-lived `kanban init` may lead for a moment, so ask again until a gateway does (5 s at most). */
  private async leadingGateway(monitor: Store): Promise<GatewayProcess> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const leader = this.byPid((await monitor.status()).leader.pid);
      if (leader?.running === true) return leader;
      await sleep(100);
    }
    throw new Error('no gateway leads: cannot kill the leader');
  }
}

/** Runs `kanban init` on `board` as its own process, as an operator would under the live fleet. */
export function runKanbanInit(board: string): Promise<InitRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KANBAN_BIN, '--board', board, '--json', 'init'],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, ms: Date.now() - started, output: (stdout.trim() || stderr.trim()).slice(0, 300) });
      },
    );
  });
}
