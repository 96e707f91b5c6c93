/**
 * Feeds the demo's live view four times a second: the board's counts (read through the demo's
 * own member, one query at a time), tasks done per second over the last two seconds, and each
 * gateway's role.
 */
import type { Board, BoardStats } from '@baton/kanban';
import type { Fleet } from './fleet';
import type { HolderSampler } from './holders';
import type { Tally } from './tally';
import type { LiveView, MemberView } from './view';

const RENDER_EVERY_MS = 250;
/** The window of the done-per-second figure. */
const RATE_WINDOW_MS = 2000;

/** What the feed reads from. */
export interface ProgressSources {
  view: LiveView;
  watcher: Board;
  fleet: Fleet;
  profiles: string[];
  dispatchers: Set<string>;
  tally: Tally;
  holders: HolderSampler;
  /** Tasks the creators will create in all. */
  target: number;
  elapsedS: () => number;
}

/** Starts rendering; the returned function stops it. */
export function startProgress(sources: ProgressSources): () => void {
  let stats: BoardStats | null = null;
  let polling = false;
  const doneHistory: { at: number; done: number }[] = [];
  const poll = (): void => {
    polling = true;
    void sources.watcher
      .stats()
      .then(
        (s) => {
          stats = s;
          doneHistory.push({ at: Date.now(), done: s.byStatus.done });
          while (doneHistory.length > 1 && doneHistory[0]!.at < Date.now() - RATE_WINDOW_MS) doneHistory.shift();
        },
        () => undefined,
      )
      .finally(() => (polling = false));
  };
  const timer = setInterval(() => {
    if (!polling) poll();
    const first = doneHistory[0];
    const last = doneHistory[doneHistory.length - 1];
    const rate =
      first !== undefined && last !== undefined && last.at > first.at
        ? ((last.done - first.done) * 1000) / (last.at - first.at)
        : 0;
    const members: MemberView[] = sources.profiles.map((p) => {
      const g = sources.fleet.gateways.get(p)!;
      return { profile: p, pid: g.pid, role: g.role ?? '-', dispatch: sources.dispatchers.has(p), alive: g.running };
    });
    const leader = sources.fleet.live().find((g) => g.role === 'leader');
    sources.view.render({
      elapsedS: sources.elapsedS(),
      leader: leader === undefined ? '(electing)' : `${leader.profile} pid ${leader.pid}`,
      members,
      stats,
      created: sources.tally.acked.size,
      target: sources.target,
      completedPerS: rate,
      holders: sources.holders.latest(),
    });
  }, RENDER_EVERY_MS);
  return () => clearInterval(timer);
}
