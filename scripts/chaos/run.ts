/**
 * One chaos run from start to stop: the first database file is created (generation 0, see
 * generations.ts), the watch on who opens the database starts (the opener tracker, or the
 * /proc sampler where the tracker cannot run; with readers it watches writers), the fleet of
 * members and readers comes up, the seeded
 * schedule's faults are injected for the given time, then every member is asked to close (and
 * killed if it does not) and the watch ends, before anything else opens the database. The
 * verdict is taken afterwards (summary.ts).
 */
import * as path from 'node:path';
import { ChaosFleet, type ChaosProcess, pythonSlots } from './fleet';
import { sleep } from '../shared';
import { CLOSE_TIMEOUT_MS, FaultInjector } from './faults';
import { Generations } from './generations';
import { exactOpenersVerdict, sampledOpenersVerdict, type OpenersVerdict } from './opener-verdict';
import { OpenerTracker } from './opener-tracking';
import { OpenerSampler, SAMPLE_EVERY_MS } from './openers';
import type { ChaosOptions } from './options';
import { Random } from './random';
import { Schedule, TIMINGS } from './schedule';
import { newTally, recordEvent, type Tally } from './tally';

const PROGRESS_EVERY_MS = 10_000;

/** How the run watches who opens the database. */
type OpenerWatch =
  | { method: 'exact'; tracker: OpenerTracker }
  | { method: 'sample'; sampler: OpenerSampler; fallbackReason: string | null };

/** A chaos run on one database in one temporary directory. */
export class ChaosRun {
  readonly tally: Tally = newTally();
  readonly fleet: ChaosFleet;
  readonly startedAt = Date.now();
  readonly generations: Generations;
  private readonly faults: FaultInjector;
  private watch: OpenerWatch | null = null;

  /**
   * `exactUnavailable`: why the opener tracker cannot run here (null: it can). Unless the user
   * asked for the sampler, the run uses the tracker when it can, else says why and samples.
   */
  constructor(
    readonly options: ChaosOptions,
    readonly dir: string,
    private readonly database: string,
    private readonly exactUnavailable: string | null,
  ) {
    const config = {
      path: database,
      loops: options.loops,
      requestTimeoutMs: TIMINGS[options.lock].requestTimeoutMs,
      lock: options.lock,
    };
    this.fleet = new ChaosFleet(
      config,
      dir,
      options.seed,
      options.members,
      options.readers,
      (member, event) => recordEvent(this.tally, member, event),
      pythonSlots(options.members, options.python),
    );
    this.generations = new Generations(dir, database);
    this.faults = new FaultInjector(this.fleet, this.tally, options.lock, this.generations);
  }

  /**
   * Starts watching the openers, starts the fleet, injects faults for `options.seconds`, stops
   * the fleet again, then the watch: every open by a member is recorded, and none by the
   * sqlite3 checks that follow.
   */
  async run(): Promise<void> {
    this.generations.createFirst();
    this.watch = await this.startWatch();
    try {
      await this.startFleet();
      await this.inject();
      await this.stopFleet();
    } catch (error) {
      this.endWatch();
      throw error;
    }
    if (this.watch.method === 'exact') await this.watch.tracker.stop();
    else this.watch.sampler.stop();
  }

  /** Ends the watch at once (synchronous: safe in an exit handler). */
  endWatch(): void {
    if (this.watch?.method === 'exact') void this.watch.tracker.kill();
    else this.watch?.sampler.stop();
  }

  /** The opener check's verdict, once `run()` has finished. */
  openersVerdict(): OpenersVerdict {
    if (this.watch === null) throw new Error('the openers were never watched');
    if (this.watch.method === 'exact')
      return exactOpenersVerdict(
        this.watch.tracker.events,
        this.fleet.started,
        this.options.lock,
        this.options.readers > 0 ? path.basename(this.database) : null,
      );
    return sampledOpenersVerdict(this.watch.sampler, this.options.lock, this.watch.fallbackReason);
  }

  /** The tracker when it can run and was not declined; otherwise the sampler, saying why. */
  private async startWatch(): Promise<OpenerWatch> {
    let fallbackReason = this.options.openers === 'sample' ? null : this.exactUnavailable;
    if (this.options.openers !== 'sample' && fallbackReason === null) {
      try {
        const check = this.options.readers > 0 ? 'writers' : 'openers';
        return { method: 'exact', tracker: await OpenerTracker.start(this.database, check) };
      } catch (error) {
        if (this.options.openers === 'exact') throw error;
        fallbackReason = error instanceof Error ? error.message : String(error);
      }
    }
    if (fallbackReason !== null)
      process.stderr.write(
        `chaos: openers checked by sampling /proc every ${SAMPLE_EVERY_MS} ms, not exactly: ${fallbackReason}\n`,
      );
    const sampler = new OpenerSampler(this.database, () => this.fleet.all, this.options.readers > 0);
    sampler.start(SAMPLE_EVERY_MS);
    return { method: 'sample', sampler, fallbackReason };
  }

  private log(message: string): void {
    process.stderr.write(`[chaos ${((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
  }

  /** Starts slot 0 (it leads), then the other members and the readers together. */
  private async startFleet(): Promise<void> {
    if ((await this.fleet.startMember(0)) === null) throw new Error('the first member could not open the store');
    const rest = await Promise.all(
      Array.from({ length: this.options.members + this.options.readers - 1 }, (_, i) => this.fleet.startMember(i + 1)),
    );
    if (rest.some((m) => m === null)) throw new Error('a member could not open the store');
  }

  /** Runs the fault schedule for `seconds`. */
  private async inject(): Promise<void> {
    const schedule = new Schedule(
      new Random(this.options.seed),
      this.options.lock,
      this.options.replace ? new Random(`${this.options.seed}/replace`) : null,
    );
    const start = Date.now();
    const end = this.options.seconds * 1000;
    let nextProgress = PROGRESS_EVERY_MS;
    for (let fault = schedule.next(); fault.atMs < end; fault = schedule.next()) {
      await sleep(start + fault.atMs - Date.now());
      await this.faults.perform(fault);
      if (Date.now() - start >= nextProgress) {
        nextProgress += PROGRESS_EVERY_MS;
        this.logProgress();
      }
    }
    await sleep(start + end - Date.now());
  }

  private logProgress(): void {
    const leader = this.fleet.leader();
    const t = this.tally;
    this.log(
      `leader ${leader ? `${leader.name} (epoch ${leader.epoch})` : 'being elected'}; so far ${t.leaderKills} leader kills, ${t.followerKills} follower kills, ${t.pauses} leader pauses, ${t.followerPauses} follower pauses, ${t.gracefulRestarts} graceful restarts, ${t.inits} inits, ${t.replacements} file replacements`,
    );
  }

  /** Ends the faults, lets every member close, and kills whatever does not. */
  private async stopFleet(): Promise<void> {
    this.log('faults over; waiting for restarts in progress, then closing every member');
    await this.faults.settle();
    for (const member of this.fleet.all) if (member.stopped) member.signal('SIGCONT');
    // Readers first: a read they forward needs a leader, and the leaders are among the members.
    const live = this.fleet.slots.filter((m): m is ChaosProcess => m !== null && !m.hasExited);
    await this.close(live.filter((m) => m.mode === 'reader'));
    await this.close(live.filter((m) => m.mode !== 'reader'));
    // Init calls still running end on their own (bounded by their request timeout).
    await Promise.all(
      [...this.fleet.all].map((p) =>
        Promise.race([p.exited, sleep(TIMINGS[this.options.lock].requestTimeoutMs + 10_000)]),
      ),
    );
    this.fleet.killEverything();
  }

  /** Asks `members` to close, and kills those that do not within the timeout. */
  private async close(members: ChaosProcess[]): Promise<void> {
    for (const member of members) {
      member.closing = true;
      member.send({ cmd: 'close' });
    }
    await Promise.all(
      members.map(async (member) => {
        const exited = await Promise.race([member.exited.then(() => true), sleep(CLOSE_TIMEOUT_MS).then(() => false)]);
        if (!exited) {
          this.tally.hungAtClose.push(`${member.name} did not close within ${CLOSE_TIMEOUT_MS / 1000} s at the end`);
          member.signal('SIGKILL');
          await member.exited;
        }
      }),
    );
  }
}
