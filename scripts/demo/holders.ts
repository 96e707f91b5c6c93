/**
 * The demo's "one opener" watch: which processes hold the board's database, -wal or -shm open,
 * sampled from /proc by the store's own scan, apart for the time the fleet runs and the time it
 * closes (leaders hand over one after another then, so only "never more than one" applies).
 */
import { databaseFiles, pidsHoldingOpen, storePaths } from '@baton/store';

/** How often /proc is sampled. */
export const SAMPLE_EVERY_MS = 100;

/** Samples the holders of one board every {@link SAMPLE_EVERY_MS} until stopped. */
export class HolderSampler {
  /** Holder counts while the fleet ran. */
  readonly running: number[] = [];
  /** Holder counts while the fleet closed. */
  readonly closing: number[] = [];
  /** Every process seen holding the files while the fleet ran. */
  readonly pids = new Set<number>();
  private closingPhase = false;
  private readonly timer: NodeJS.Timeout;

  constructor(board: string) {
    const files = databaseFiles(storePaths(board).database);
    this.timer = setInterval(() => {
      const holders = pidsHoldingOpen(files);
      (this.closingPhase ? this.closing : this.running).push(holders.length);
      if (!this.closingPhase) for (const pid of holders) this.pids.add(pid);
    }, SAMPLE_EVERY_MS);
  }

  /** The latest count while running (0 before the first sample). */
  latest(): number {
    return this.running[this.running.length - 1] ?? 0;
  }

  /** From now on samples count as taken while the fleet closes. */
  fleetClosing(): void {
    this.closingPhase = true;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.timer);
  }
}
