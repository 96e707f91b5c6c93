/**
 * The demo's live view: the leader, the members, task counts by status, throughput and a
 * progress bar. On a terminal it redraws in place; otherwise it prints a plain line a second.
 * Timeline entries (kills, failovers, init runs) are printed as they happen in plain mode and
 * kept at the bottom of the frame on a terminal.
 */
import type { BoardStats } from '@baton/kanban';

/** One gateway as the view shows it. */
export interface MemberView {
  profile: string;
  pid: number;
  role: string;
  dispatch: boolean;
  alive: boolean;
}

/** What the view shows. */
export interface ViewState {
  elapsedS: number;
  leader: string;
  members: MemberView[];
  stats: BoardStats | null;
  created: number;
  target: number;
  completedPerS: number;
  holders: number;
}

const STATUSES = ['ready', 'running', 'todo', 'blocked', 'done'] as const;

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Renders frames and timeline lines to a stream. */
export class LiveView {
  private readonly timeline: string[] = [];
  private drawn = 0;
  private lastPlain = 0;

  /** @param tty - redraw in place (a terminal, and not `--plain`) */
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty: boolean,
  ) {}

  /** Records a timeline entry: printed now in plain mode, shown under the frame on a terminal. */
  note(elapsedS: number, line: string): void {
    const entry = `${elapsedS.toFixed(1).padStart(5)}s  ${line}`;
    this.timeline.push(entry);
    if (!this.tty) this.out.write(`${entry}\n`);
  }

  /** All timeline entries so far. */
  entries(): string[] {
    return [...this.timeline];
  }

  /** Shows the current state: a redraw on a terminal, a line a second otherwise. */
  render(state: ViewState): void {
    const done = state.stats?.byStatus.done ?? 0;
    const counts =
      state.stats === null
        ? 'waiting for the board'
        : STATUSES.map((s) => `${s} ${state.stats!.byStatus[s]}`).join('  ');
    const progress = `${bar(state.target === 0 ? 0 : done / state.target, 30)} ${done}/${state.target} done`;
    if (!this.tty) {
      if (state.elapsedS - this.lastPlain < 1) return;
      this.lastPlain = state.elapsedS;
      this.out.write(
        `${state.elapsedS.toFixed(1).padStart(5)}s  ${bar(state.target === 0 ? 0 : done / state.target, 10)} leader ${state.leader}  created ${state.created}  ${counts}  ${state.completedPerS.toFixed(0)} done/s  db holders ${state.holders}\n`,
      );
      return;
    }
    const members = state.members
      .map((m) => `${m.alive ? (m.role === 'leader' ? '*' : ' ') : 'x'}${m.profile}${m.dispatch ? '(d)' : ''}`)
      .join(' ');
    const lines = [
      `Baton kanban demo  ${state.elapsedS.toFixed(1)}s`,
      `leader   ${state.leader}    processes holding kanban.db open: ${state.holders}`,
      `members  ${members}   (* leader, (d) dispatches, x killed)`,
      `tasks    created ${state.created}   ${counts}`,
      `         ${progress}   ${state.completedPerS.toFixed(0)} done/s`,
      '',
      ...this.timeline.slice(-8),
    ];
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.out.write(`${clear}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  /** Ends live redrawing (the summary follows as plain text). */
  finish(): void {
    this.drawn = 0;
  }
}
