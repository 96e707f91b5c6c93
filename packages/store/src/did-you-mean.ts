/**
 * "Did you mean" hints for misspelt names (options, keys, commands). Shared by the store's
 * option checks and the kanban CLI and config, so every misspelling is answered alike.
 */

/** Edit distance between two names, ignoring case and treating `-` and `_` as the same. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase().replace(/-/g, '_');
  const y = b.toLowerCase().replace(/-/g, '_');
  const row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (x[i - 1] === y[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[y.length]!;
}

/**
 * The known name closest to `given`, if it is close enough to be a likely typo (at most 2
 * edits, or a quarter of the name's length for long names); undefined otherwise.
 */
export function didYouMean(given: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(given, name);
    if (best === undefined || d < best.d) best = { name, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(best.name.length / 4)) ? best.name : undefined;
}
