/** One system's figures for one run, combined from the reports of all its processes. */
import type { RunLoad } from '../machine-load';
import { CURVE_SLICE_MS, type RunReport, type SystemKind } from '../messages';
import { concatLatencies, summarize } from '../stats';

/** What one run of one system measured. */
export interface SystemRun {
  system: SystemKind;
  round: number;
  /** Requests completed per second, summed over the processes (each over its own observed window). */
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests behind the latency figures. */
  samples: number;
  busyEscaped: number;
  /** CPU time of all processes of the system (leader thread included) per completed request, in µs. */
  cpuUsPerOp: number;
  errors: Record<string, number>;
  /** Writes acknowledged over the whole run. */
  ackedWrites: number;
  /** Rows found in the database afterwards; null when not checked. */
  rowsFound: number | null;
  /** Every acknowledged write is in the database (null when not checked). */
  verified: boolean | null;
  /** Writes per group commit in the window (Baton), from the leader's counters. */
  avgGroupSize: number | null;
  /** The warm-up curve of all processes together, one point per 500 ms slice from the start. */
  curve: CurvePoint[];
  /** The machine's load around the run (set by the scenario; null until then). */
  load: RunLoad | null;
}

/** One slice of a run's warm-up curve. */
export interface CurvePoint {
  opsPerSec: number;
  /** CPU time of all the system's processes per completed request (NaN when none completed). */
  cpuUsPerOp: number;
}

/** Sums the processes' curves slice by slice, over the slices every process recorded. */
function combineCurves(reports: readonly RunReport[]): CurvePoint[] {
  const slices = Math.min(...reports.map((r) => r.curve.length));
  const points: CurvePoint[] = [];
  for (let i = 0; i < slices; i++) {
    const completed = reports.reduce((sum, r) => sum + r.curve[i]!.completed, 0);
    const cpuUs = reports.reduce((sum, r) => sum + r.curve[i]!.cpuUs, 0);
    points.push({
      opsPerSec: (completed * 1000) / CURVE_SLICE_MS,
      cpuUsPerOp: completed === 0 ? Number.NaN : cpuUs / completed,
    });
  }
  return points;
}

/** Combines the per-process reports of one run. */
export function combineReports(system: SystemKind, round: number, reports: readonly RunReport[]): SystemRun {
  const latency = summarize(concatLatencies(reports.map((r) => r.latencies)));
  const completed = reports.reduce((sum, r) => sum + r.completed, 0);
  const cpuUs = reports.reduce((sum, r) => sum + r.cpuUs, 0);
  const errors: Record<string, number> = {};
  for (const report of reports)
    for (const [code, n] of Object.entries(report.errors)) errors[code] = (errors[code] ?? 0) + n;
  const status = reports.find((r) => r.status !== null)?.status ?? null;
  return {
    system,
    round,
    opsPerSec: reports.reduce((sum, r) => sum + (r.windowMs > 0 ? (r.completed * 1000) / r.windowMs : 0), 0),
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    maxMs: latency.maxMs,
    samples: latency.count,
    busyEscaped: reports.reduce((sum, r) => sum + r.busyEscaped, 0),
    cpuUsPerOp: completed === 0 ? Number.NaN : cpuUs / completed,
    errors,
    ackedWrites: reports.reduce((sum, r) => sum + r.ackedWrites, 0),
    rowsFound: null,
    verified: null,
    avgGroupSize: status === null || status.commits === 0 ? null : status.groupedWrites / status.commits,
    curve: reports.length === 0 ? [] : combineCurves(reports),
    load: null,
  };
}

/** Total failed requests of a run. */
export function errorCount(run: { errors: Record<string, number> }): number {
  return Object.values(run.errors).reduce((sum, n) => sum + n, 0);
}
