/**
 * Statistics of the benchmark: medians over rounds and latency summaries over requests
 * (percentiles themselves are the scripts' shared `percentile`).
 * Pure functions over plain numbers, so they are easy to check by hand.
 */

/** Latency figures of one run, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * The median of `values`: the middle value, or the mean of the two middle values for an even
 * count. Returns NaN for an empty input. NaN inputs (a round that measured nothing) are ignored.
 */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** p50, p99 and max of `latencies` (ms), sorting once. NaN figures for an empty input. */
export function summarize(latencies: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  const rank = (p: number): number => (n === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * n) - 1)]!);
  return { count: n, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: n === 0 ? Number.NaN : sorted[n - 1]! };
}

/** Concatenates latency arrays reported by several processes into one. */
export function concatLatencies(parts: readonly Float64Array[]): Float64Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** Rounds to `digits` decimals for display and JSON (keeps NaN as null-able NaN). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
