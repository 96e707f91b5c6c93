/** The demo's closing report: timeline, who led, failovers, work and latencies, checks. */
import * as os from 'node:os';
import type { EpochRecord } from '@baton/store';
import type { BoardAudit } from '@baton/kanban';
import type { Check } from './checks';
import type { KillRecord } from './fleet';
import { describeLatencies } from './latency';
import type { Tally } from './tally';

/** What the report shows. */
export interface SummaryInput {
  timeline: string[];
  leaders: EpochRecord[];
  kills: KillRecord[];
  board: BoardAudit;
  tally: Tally;
  /** create -> claim latencies of the probes on the idle fleet. */
  probes: number[];
  checks: Check[];
  totalS: number;
  /** Where the board was kept (`--board`), or null. */
  keptBoard: string | null;
}

/** The report's lines, ending with the verdict. */
export function summaryLines(input: SummaryInput): string[] {
  const { board, tally } = input;
  const out: string[] = [
    '',
    'Timeline',
    ...input.timeline.map((e) => `  ${e}`),
    '',
    "Who led (from the board's epoch history, newest first)",
  ];
  for (const l of input.leaders)
    out.push(
      `  epoch ${l.epoch}  ${l.name.padEnd(12)} pid ${l.pid}${l.takeoverMs === null ? '' : `  took over in ${l.takeoverMs} ms`}`,
    );
  out.push('', 'Failovers (SIGKILL of the leader)');
  if (input.kills.length === 0) out.push('  none');
  input.kills.forEach((k, i) => {
    out.push(
      `  ${i + 1}. killed ${k.victim} (pid ${k.victimPid}) -> ${k.newLeader} (pid ${k.newLeaderPid}) leads epoch ${k.epoch}: elected ${k.electedMs} ms after the kill; members reconnected: ${describeLatencies(k.memberMs)}`,
    );
  });
  const direct = tally.claims.filter((c) => c.direct).map((c) => c.latencyMs);
  const all = tally.claims.map((c) => c.latencyMs);
  out.push('', 'Work');
  out.push(
    `  tasks ${board.tasks}: done ${board.byStatus.done ?? 0}, blocked after 3 failures ${board.byStatus.blocked ?? 0}; simulated failures ${tally.failedWork} (retried), claims released after their worker died ${tally.released}, results discarded after a lost claim ${tally.lost}`,
  );
  out.push(`  runs ${board.runs}, events ${board.events}`);
  out.push(
    `  create -> claim latency, ${input.probes.length} probes on the idle fleet: ${describeLatencies(input.probes)}  (target < 50 ms)`,
  );
  out.push(
    `  create -> claim latency under load, tasks claimed in the first pass after the notice of their creation: ${describeLatencies(direct)}`,
  );
  out.push(
    `  create -> claim latency under load, all claims (incl. queueing for a free worker, released claims): ${describeLatencies(all)}`,
  );
  out.push(
    `  load average at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs (timings above include that contention)`,
  );
  out.push('', 'Checks (independent reader: better-sqlite3, read-only, after every gateway exited)');
  for (const c of input.checks) out.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(22)} ${c.detail}`);
  const failed = input.checks.filter((c) => !c.ok);
  out.push(
    '',
    failed.length === 0
      ? `All checks passed in ${input.totalS.toFixed(1)} s.`
      : `${failed.length} check(s) FAILED: ${failed.map((c) => c.name).join(', ')}`,
  );
  if (input.keptBoard !== null) out.push(`Board kept at ${input.keptBoard}`);
  return out;
}
