/** Percentiles for the scripts' reports (demo, benchmarks, chaos). */

/**
 * The `p`-th percentile (0 < p <= 1) of `values` by the nearest-rank method: the smallest
 * value with at least p of all values at or below it. Nearest-rank returns a value that was
 * actually observed, which matters for tails (p99 of 50 requests is the 50th, not a blend).
 * `values` need not be sorted. Returns NaN for an empty input.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 1)) throw new RangeError(`percentile expects 0 < p <= 1, got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}
