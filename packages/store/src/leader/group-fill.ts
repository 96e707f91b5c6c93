/**
 * When the next group commit should start: now, or once the members just answered have had
 * the time to send their next write.
 *
 * Without a rule, the writes that arrive while SQLite flushes form the next group, and members
 * with one write in flight split into two groups that take turns: each waits for two flushes
 * per write. When a flush is slow (a real disk: a millisecond or more) and the members answered
 * by the last commit come back quickly (a round trip and their own work), holding the group
 * until they are back fills it with everyone, for one flush.
 *
 * The rule learns both durations and waits only when it pays. A member is "expected" after a
 * commit answered it when its usual time from our reply to its next write is under half a
 * commit; the group then waits for the expected members, until half a commit has passed (or
 * the next tick of a millisecond timer). On a fast flush (commits under a millisecond) a group
 * never waits: its flush costs less than the shortest wait a timer could end. A member's time is only measured when
 * no commit started between our reply and its next write (a commit blocks this thread, so a
 * write that arrived during it is seen late): a new member is presumed quick, and one that
 * does not come back in time is not waited for during the next `MISS_PENALTY_COMMITS` commits,
 * after which it gets another chance. So a member that writes now and then costs at most one
 * short wait now and then, and one that writes in a loop is waited for.
 */

/** Weight of the newest sample in the running averages. */
const SMOOTHING = 0.25;
/** Commits during which a member that was waited for in vain is not waited for again. */
const MISS_PENALTY_COMMITS = 16;
/**
 * The shortest wait a timer can bound (Node's timers count whole milliseconds). A group only
 * waits when commits take at least this long: a hold that ends on its timer costs up to this.
 */
export const HOLD_TIMER_MS = 1;

/** What the rule keeps about one member connection. */
export interface WriterPace {
  /** When the leader last answered a write of this member (performance.now() ms); 0 once it wrote again. */
  answeredAt: number;
  /** The number of commits started when it was answered: a later one makes its next arrival a late sighting. */
  answeredInCommit: number;
  /** Its usual time from an answer to its next write, in ms (presumed quick until measured). */
  turnaroundMs: number;
  /** Not waited for before this commit number (it was waited for in vain). */
  waitFromCommit: number;
}

/** A fresh pace: presumed quick until measured. */
export function newPace(): WriterPace {
  return { answeredAt: 0, answeredInCommit: 0, turnaroundMs: 0, waitFromCommit: 0 };
}

/** The adaptive rule: told of every write arrival and every commit, it says how long to hold the next group. */
export class GroupFill {
  /** The usual duration of a group commit (mostly its flush), in ms; -1 before the first. */
  private commitMs = -1;
  /** Commits started so far. */
  private commits = 0;
  /** Members answered by the last commit whose next write is expected soon. */
  private readonly expected = new Set<WriterPace>();
  /** No group waits beyond this time (performance.now() ms). */
  private holdUntil = 0;

  /** A write arrived from a member. */
  arrived(pace: WriterPace, now: number): void {
    if (pace.answeredAt !== 0) {
      // Measured only when no commit held this thread in between: otherwise we saw it late.
      if (pace.answeredInCommit === this.commits)
        pace.turnaroundMs += SMOOTHING * (now - pace.answeredAt - pace.turnaroundMs);
      pace.answeredAt = 0;
    }
    this.expected.delete(pace);
  }

  /** A group commit starts (it will block this thread until its flush is done). */
  starting(): void {
    this.commits++;
    this.expected.clear();
  }

  /**
   * The commit that started at `startedAt` ended at `now`, answering the members of `paces`.
   * Those that usually come back within half a commit are expected for the next group.
   */
  committed(paces: Iterable<WriterPace>, startedAt: number, now: number): void {
    const ms = now - startedAt;
    this.commitMs = this.commitMs < 0 ? ms : this.commitMs + SMOOTHING * (ms - this.commitMs);
    const worthWaiting = this.commitMs / 2;
    const mayHold = this.commitMs >= HOLD_TIMER_MS;
    for (const pace of paces) {
      pace.answeredAt = now;
      pace.answeredInCommit = this.commits;
      if (mayHold && pace.turnaroundMs < worthWaiting && this.commits >= pace.waitFromCommit) this.expected.add(pace);
    }
    this.holdUntil = now + worthWaiting;
  }

  /** A member went away: do not wait for it. */
  left(pace: WriterPace): void {
    this.expected.delete(pace);
  }

  /**
   * True while the group waiting now should be held for expected members. When the hold runs
   * out, the members still missing are not waited for during the next commits.
   */
  holding(now: number): boolean {
    if (this.expected.size === 0) return false;
    if (now < this.holdUntil) return true;
    for (const pace of this.expected) pace.waitFromCommit = this.commits + MISS_PENALTY_COMMITS;
    this.expected.clear();
    return false;
  }
}
