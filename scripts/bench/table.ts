/** Plain-text tables for the terminal: no colours, so the output pastes cleanly into Markdown. */

/** Column alignment. */
export type Align = 'left' | 'right';

/**
 * Renders rows under headers, padding each column to its widest cell. `align` gives each
 * column's alignment (numbers read best right-aligned).
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A difference with its sign (`+3.7`, `-0.4`), one decimal by default. */
export function formatSigned(value: number, decimals = 1): string {
  return `${value >= 0 ? '+' : ''}${formatNumber(value, decimals)}`;
}

/** Formats a number for a table cell: `-` for missing, fewer decimals as it grows. */
export function formatNumber(value: number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? Math.min(decimals, 1) : decimals;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    useGrouping: abs >= 10_000,
  });
}
