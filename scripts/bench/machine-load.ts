/**
 * How busy the machine is around a run. A loaded machine compresses every ratio toward 1, so a
 * run that starts while other programs keep more than half of each core busy is marked noisy
 * and is not reported as a result.
 *
 * The decision uses the CPU time the whole machine spent in the half second before the run,
 * when none of the bench's processes run (every run's processes are gone before the next
 * starts): the 1-minute load average, printed beside it, still counts the bench's previous
 * run for a minute afterwards and would mark every run but the first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { sleep } from '../shared';

/** Busy cores per core above which a run is noisy. */
export const NOISY_LOAD_PER_CORE = 0.5;
/** How long the machine is watched before each run. */
const SAMPLE_MS = 500;

/** The machine's load around one run. */
export interface RunLoad {
  /** 1-minute load average just before the run (it includes the bench's previous run). */
  loadBefore: number;
  /** 1-minute load average just after it. */
  loadAfter: number;
  /** Cores kept busy by other programs in the half second before the run (0 without /proc/stat). */
  busyCoresBefore: number;
  /** busyCoresBefore above NOISY_LOAD_PER_CORE per core: not a result. */
  noisy: boolean;
}

/** Total and idle CPU time of the machine so far (clock ticks), or null without /proc/stat. */
function cpuTimes(): { total: number; idle: number } | null {
  let line: string | undefined;
  try {
    line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  } catch {
    return null;
  }
  const fields = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 5 || fields.some((v) => !Number.isFinite(v))) return null;
  // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
  return { total: fields.reduce((sum, v) => sum + v, 0), idle: fields[3]! + fields[4]! };
}

/** Watches the machine for half a second, before a run. */
export async function loadBeforeRun(): Promise<Omit<RunLoad, 'loadAfter'>> {
  const loadBefore = os.loadavg()[0]!;
  const first = cpuTimes();
  await sleep(SAMPLE_MS);
  const second = cpuTimes();
  const cores = os.cpus().length;
  const busyCoresBefore =
    first === null || second === null || second.total === first.total
      ? 0
      : (cores * (second.total - first.total - (second.idle - first.idle))) / (second.total - first.total);
  return {
    loadBefore: Math.round(loadBefore * 100) / 100,
    busyCoresBefore: Math.round(busyCoresBefore * 100) / 100,
    noisy: busyCoresBefore > NOISY_LOAD_PER_CORE * cores,
  };
}

/** Completes `before` with the load average after the run. */
export function loadAfterRun(before: Omit<RunLoad, 'loadAfter'>): RunLoad {
  return { ...before, loadAfter: Math.round(os.loadavg()[0]! * 100) / 100 };
}
