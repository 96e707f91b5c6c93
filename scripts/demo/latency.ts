/** How the demo prints a set of latencies. */
import { percentile } from '../shared';

/** "median, p95, max (n)" of `values` in ms, or "n/a" when there are none. */
export function describeLatencies(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  return `median ${percentile(values, 0.5)} ms, p95 ${percentile(values, 0.95)} ms, max ${Math.max(...values)} ms (n=${values.length})`;
}
