/**
 * Wakes an electing member the moment a new leader's socket appears. A new leader renames its
 * socket into place; inotify (fs.watch) reports that rename at once, so followers connect
 * without waiting out a polling interval. Polling with backoff stays as the fallback for file
 * systems where watching does not work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Watches one socket path for (re)appearance. */
export class SocketWatcher {
  private watcher: fs.FSWatcher | null = null;
  private wakers: (() => void)[] = [];

  constructor(private readonly socketPath: string) {}

  /** Resolves after `ms`, or earlier when the socket path is renamed or created. */
  sleep(ms: number): Promise<void> {
    this.ensureWatching();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers = this.wakers.filter((w) => w !== wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.wakers.push(wake);
    });
  }

  /** Stops watching. Idempotent. */
  close(): void {
    this.watcher?.close();
    this.watcher = null;
    for (const wake of this.wakers.splice(0)) wake();
  }

  private ensureWatching(): void {
    if (this.watcher !== null) return;
    const name = path.basename(this.socketPath);
    try {
      this.watcher = fs.watch(path.dirname(this.socketPath), { persistent: false }, (_event, filename) => {
        if (filename === name) for (const wake of [...this.wakers]) wake();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null; // directory missing or not watchable: plain polling
    }
  }
}
