/**
 * Carries out the scheduled faults against the fleet: kills, pauses, graceful restarts, init
 * calls, bursts and replacements of the database file, and restarts what was killed or closed.
 * Followers are members and readers alike. Work that outlives the fault (a
 * pause waiting for its SIGCONT, a restart) is tracked, so the runner can wait for all of it.
 */
import { sleep } from '../shared';
import type { ChaosFleet, ChaosProcess } from './fleet';
import type { Generations } from './generations';
import { TIMINGS, type Fault, type FaultKind } from './schedule';
import type { Tally } from './tally';

/** How long a member may take to close before it counts as hung. */
export const CLOSE_TIMEOUT_MS = 60_000;

/** How long a replaced file's leader may take to step down and a successor to lead the new file. */
const REPLACEMENT_NOTICED_MS = 15_000;

/** Injects faults into one fleet. */
export class FaultInjector {
  private readonly pending = new Set<Promise<unknown>>();
  private initNumber = 0;

  constructor(
    private readonly fleet: ChaosFleet,
    private readonly tally: Tally,
    private readonly lock: 'flock' | 'lockfile',
    private readonly generations: Generations,
  ) {}

  /** Resolves once every pause, restart and init call started so far has finished. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Carries out one fault, or counts it as skipped when it has no target. */
  async perform(fault: Fault): Promise<void> {
    const [r0, r1, r2] = fault.r;
    switch (fault.kind) {
      case 'leaderKill':
        return this.killLeader(fault.kind, r0);
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
        this.tally.pauses++;
        return this.pause(leader, r0);
      }
      case 'followerPause': {
        const follower = this.pickFollower(r0);
        if (follower === null || follower.stopped) return this.skip(fault.kind);
        this.tally.followerPauses++;
        return this.pause(follower, r1);
      }
      case 'gracefulRestart':
        return this.restartGracefully(fault.kind, r0, r1, r2);
      case 'init':
        return this.init(r0 < 0.5);
      case 'replace':
        return this.replace(fault.kind);
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

  private async killLeader(kind: FaultKind, r: number): Promise<void> {
    const leader = await this.fleet.whenLeader(3000);
    if (leader === null || leader.closing) return this.skip(kind);
    leader.signal('SIGKILL');
    this.tally.leaderKills++;
    this.restart(leader.slot, r * 300);
  }

  /**
   * Swaps a fresh database file in under a live, running leader. Later faults go on meanwhile: a
   * leader killed or closed before it noticed leaves the lost file's -wal at the path, and the
   * next leader must move it aside before opening the new file (its record names the file the
   * last leader opened). Each replacement must still end with a leader on the new file.
   */
  private async replace(kind: FaultKind): Promise<void> {
    const leader = await this.fleet.whenLeader(3000);
    if (leader === null || leader.stopped || leader.closing) return this.skip(kind);
    const at = Date.now();
    this.generations.replace();
    this.tally.replacements++;
    const generation = this.generations.current - 1;
    this.track(
      (async () => {
        if ((await this.fleet.whenLeader(REPLACEMENT_NOTICED_MS, at)) === null)
          this.tally.replacementsUnnoticed.push(
            `generation ${generation} replaced under ${leader.name}: no leader on the new file within ${REPLACEMENT_NOTICED_MS / 1000} s`,
          );
      })(),
    );
  }

  /** SIGSTOPs `target` and SIGCONTs it after a pause drawn from `r`. */
  private pause(target: ChaosProcess, r: number): void {
    target.signal('SIGSTOP');
    const [shortest, longest] = TIMINGS[this.lock].pauseMs;
    this.track(sleep(shortest + r * (longest - shortest)).then(() => target.signal('SIGCONT')));
  }

  private restartGracefully(kind: FaultKind, r0: number, r1: number, r2: number): void {
    const target = r0 < 0.4 ? this.fleet.leader() : this.pickFollower(r1);
    if (target === null || target.closing || target.stopped) return this.skip(kind);
    const wasLeader = target.role === 'leader';
    target.closing = true;
    target.send({ cmd: 'close' });
    this.tally.gracefulRestarts++;
    if (wasLeader) this.tally.gracefulLeaderRestarts++;
    this.track(
      (async () => {
        const exited = await Promise.race([target.exited.then(() => true), sleep(CLOSE_TIMEOUT_MS).then(() => false)]);
        if (!exited) {
          this.tally.hungAtClose.push(
            `${target.name} did not close within ${CLOSE_TIMEOUT_MS / 1000} s (graceful restart)`,
          );
          target.signal('SIGCONT');
          target.signal('SIGKILL');
          await target.exited;
        }
        this.restart(target.slot, r2 * 200);
      })(),
    );
  }

  /** A short-lived process opens the store with the migrations, checks the schema version and closes. */
  private init(candidate: boolean): void {
    const init = this.fleet.startInit(++this.initNumber, candidate);
    const requestTimeoutMs = TIMINGS[this.lock].requestTimeoutMs;
    this.tally.inits++;
    this.track(
      (async () => {
        const result = await init.next((e) => e.ev === 'init', requestTimeoutMs + 30_000);
        if (result?.ev !== 'init')
          this.tally.initFailures.push(`${init.name}: no answer (exit ${init.exitCode ?? init.exitSignal})`);
        else if (!result.ok && !(this.lock === 'lockfile' && /^(NO_LEADER|TIMEOUT)$/.test(result.code ?? '')))
          this.tally.initFailures.push(`${init.name}: ${result.code} ${result.message}`);
        else if (!result.ok) this.tally.initsTimedOut++;
        else if (result.schemaVersion !== 2)
          this.tally.initFailures.push(`${init.name}: schema version ${result.schemaVersion}, expected 2`);
        await Promise.race([init.exited, sleep(10_000)]);
        if (!init.hasExited) init.signal('SIGKILL');
      })(),
    );
  }

  /** Restarts `slot` after `delayMs`. */
  private restart(slot: number, delayMs: number): void {
    this.track(
      (async () => {
        await sleep(delayMs);
        this.tally.restarts++;
        if ((await this.fleet.startMember(slot)) === null) this.tally.restartFailures++;
      })(),
    );
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private skip(kind: FaultKind): void {
    this.tally.skipped[kind] = (this.tally.skipped[kind] ?? 0) + 1;
  }

  private pickFollower(r: number): ChaosProcess | null {
    const followers = this.fleet.followers();
    return followers.length === 0 ? null : followers[Math.floor(r * followers.length)]!;
  }

  /** A writing member (readers take no bursts). */
  private pickMember(r: number): ChaosProcess | null {
    const members = this.fleet.slots.filter(
      (m): m is ChaosProcess => m !== null && m.mode === 'member' && m.alive && !m.closing && !m.stopped,
    );
    return members.length === 0 ? null : members[Math.floor(r * members.length)]!;
  }
}
