/**
 * The exact opener check for chaos runs: whether it can run here, and the opener tracker itself
 * (from the test support package, @baton/test-support/opener-tracker: fanotify, every open of
 * the database, its -wal and -shm by any process, checked against /proc before it is allowed).
 */
import { execFileSync } from 'node:child_process';
export { OpenerTracker, overlapWindowsOf } from '@baton/test-support/opener-tracker';
export type { OpenerEvent } from '@baton/test-support/opener-tracker';

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
