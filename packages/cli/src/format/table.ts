/**
 * Column tables for text output, drawn by cli-table3 without borders: aligned columns stay
 * easy to read on a terminal and easy to `grep`/`awk` when piped. cli-table3's own colouring
 * is switched off; headings are styled with the caller's colours, so `--json`, pipes and
 * NO_COLOR stay free of escape codes.
 */
import Table from 'cli-table3';
import type { Colors } from '../output';

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '  ',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Column alignment. */
export type Align = 'left' | 'right';

/**
 * Renders rows under a heading line, columns separated by two spaces, indented by two.
 * @param align - per column; defaults to left
 */
export function renderTable(head: string[], rows: string[][], colors: Colors, align: Align[] = []): string {
  const table = new Table({
    head: head.map((h) => colors.bold(h)),
    chars: BORDERLESS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: head.map((_, i) => align[i] ?? 'left'),
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
