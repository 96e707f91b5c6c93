/**
 * The exact opener check for chaos runs: whether it can run here, and the opener tracker itself
 * (test/helpers/opener-tracker.ts: fanotify, every open of the database, its -wal and -shm by
 * any process, checked against /proc before it is allowed). Its code is loaded from where the
 * test project compiles it (test/dist/helpers/), as packages/kanban/test/helpers.ts does for
 * the temp helpers: no relative import names test/dist from both the source and the compiled
 * file. The types come from the source.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Tracker from '../../test/helpers/opener-tracker';

const load = createRequire(__filename);
const tracker = load(
  path.join(__dirname, '..', '..', '..', 'test', 'dist', 'helpers', 'opener-tracker.js'),
) as typeof Tracker;
export const { OpenerTracker, overlapWindowsOf } = tracker;
/** A running tracker (see test/helpers/opener-tracker.ts). */
export type OpenerTracker = Tracker.OpenerTracker;
/** One open, close, overlap, lost-events or sync line of the tracker, in order. */
export type OpenerEvent = Tracker.OpenerEvent;

/** Why the exact check cannot run on this machine (fanotify needs root; the tracker is C, compiled on first use), or null when it can. */
export function exactCheckUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the opener tracker needs root (fanotify), and the runner is not root';
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'the opener tracker is compiled on first use, and no C compiler (cc) was found on PATH';
  }
  return null;
}
