/**
 * Who takes over next. The leader names one connected candidate the heir and tells every
 * member who it is. Only the heir keeps a standby engine thread booted (about 24 MB, warmed up), so a
 * fleet pays for one standby instead of one per candidate; on the leader's death the other
 * candidates give the heir a head start at the election lock, so the takeover is still done
 * by a member whose engine is already loaded. Any candidate can still take over when the heir
 * is gone too (it then boots its engine on the spot).
 */
import type { Session } from './session';

/** Tracks the heir among the leader's sessions and announces every change. */
export class Succession {
  private heir: Session | null = null;

  /**
   * @param leaderPid - the leader's own process, never its own heir
   * @param sessions - the leader's live sessions, told of every change
   */
  constructor(
    private readonly leaderPid: number,
    private readonly sessions: ReadonlySet<Session>,
  ) {}

  /** The heir's pid, or 0 when no candidate is connected. */
  get heirPid(): number {
    return this.heir?.hello?.pid ?? 0;
  }

  /** A member was welcomed: tell it who the heir is, or make it the heir if there is none. */
  welcomed(session: Session): void {
    if (this.heir === null && this.eligible(session)) return this.appoint(session);
    session.send({ t: 'heir', pid: this.heirPid });
  }

  /** A member left: if it was the heir, the longest-connected candidate succeeds it. */
  left(session: Session): void {
    if (session !== this.heir) return;
    let next: Session | null = null;
    for (const candidate of this.sessions) {
      if (this.eligible(candidate) && (next === null || candidate.id < next.id)) next = candidate;
    }
    this.appoint(next);
  }

  private eligible(session: Session): boolean {
    return (
      !session.closed &&
      session.welcomed &&
      session.hello !== null &&
      session.hello.candidate &&
      session.hello.pid !== this.leaderPid
    );
  }

  private appoint(heir: Session | null): void {
    this.heir = heir;
    const frame = { t: 'heir' as const, pid: this.heirPid };
    for (const session of this.sessions) if (session.welcomed) session.send(frame);
  }
}
