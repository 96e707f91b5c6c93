/**
 * A member's side of succession (see `leader/succession.ts`): the leader names one candidate
 * its heir; the heir keeps a standby engine thread booted and warmed up (about 24 MB) (see
 * leader/warm-up.ts) so that its takeover only costs opening the database and its first
 * requests run optimized code, and the other candidates leave it a head start at the
 * election lock when the leader dies.
 */
import { LeaderHost, type Standby } from './leader-host';
import type { WorkerInput } from '../protocol/worker-messages';

/**
 * How long, after losing the leader, a candidate leaves the election lock to a live heir, so
 * the takeover does not wait for an engine to boot. Survivors notice a death within a few ms
 * of each other; this covers it.
 */
const HEIR_HEAD_START_MS = 25;
/**
 * How long an heir named during a failover waits before booting its standby: every member is
 * reconnecting and re-sending then, and booting a thread and warming it up (up to a core for
 * some hundreds of ms) at the same time would slow the new leader's first second down. An heir
 * named any other time boots at once.
 */
const STANDBY_BOOT_DELAY_MS = 1000;
/** How long after reconnecting to a new leader an heir's naming counts as "during a failover". */
const FAILOVER_SETTLE_MS = 1000;

/** Who the heir is, and this member's standby engine when it is the heir. */
export class HeirStandby {
  private heirPid = 0;
  private standby: Standby | null = null;
  private boot: NodeJS.Timeout | undefined;
  private lastFailoverAt = 0;
  private closed = false;

  /**
   * @param engineInput - what an engine thread of this member is created with
   * @param mayKeepStandby - false while this member cannot use one (not a candidate, closing, hosting)
   */
  constructor(
    private readonly engineInput: Omit<WorkerInput, 'marker'>,
    private readonly mayKeepStandby: () => boolean,
  ) {}

  /** The leader named its heir: keep a standby if it is this process, and only then. */
  named(pid: number): void {
    this.heirPid = pid;
    clearTimeout(this.boot);
    if (pid !== process.pid) {
      this.drop();
      return;
    }
    const delay = Date.now() - this.lastFailoverAt < FAILOVER_SETTLE_MS ? STANDBY_BOOT_DELAY_MS : 0;
    this.boot = setTimeout(() => {
      if (!this.closed && this.heirPid === process.pid && this.mayKeepStandby())
        this.standby ??= LeaderHost.standby(this.engineInput);
    }, delay);
    this.boot.unref();
  }

  /** This member reconnected after losing its leader. */
  failedOver(): void {
    this.lastFailoverAt = Date.now();
  }

  /** True while another live member is the heir and its head start, counted from `lostAt`, is not over. */
  heirHasHeadStart(lostAt: number): boolean {
    const heir = this.heirPid;
    if (heir === 0 || heir === process.pid || Date.now() - lostAt >= HEIR_HEAD_START_MS) return false;
    try {
      process.kill(heir, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /** An engine thread for this member, which won the election: the standby, or one booted now. */
  take(): Standby {
    const standby = this.standby ?? LeaderHost.standby(this.engineInput);
    this.standby = null;
    return standby;
  }

  /** Ends the standby and keeps none from now on. */
  close(): void {
    this.closed = true;
    clearTimeout(this.boot);
    this.drop();
  }

  /** Lets a store that was closed keep a standby again (after `reconnect()`). */
  reopen(): void {
    this.closed = false;
  }

  private drop(): void {
    if (this.standby === null) return;
    void this.standby.worker.terminate();
    this.standby = null;
  }
}
