/**
 * Temporary files of one benchmark invocation: one root directory with a subdirectory per
 * run, plus the leader sockets Baton creates outside it (in its per-user runtime directory).
 * Everything is removed after each run and, as a last resort, by `removeAllNow` from the
 * exit and signal handlers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storePaths } from '@baton/store';

/** The temp directory tree of one invocation. */
export class Workspace {
  readonly root: string;
  private readonly sockets = new Set<string>();
  private nextRun = 1;

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  }

  /** A fresh directory for one run. `label` only helps someone looking at it. */
  runDir(label: string): string {
    const dir = path.join(this.root, `${String(this.nextRun++).padStart(3, '0')}-${label.replace(/[^a-z0-9-]+/gi, '-')}`);
    fs.mkdirSync(dir);
    return dir;
  }

  /**
   * Remembers the leader socket of a Baton store on `databasePath`. A SIGKILLed leader leaves
   * its socket file behind in Baton's runtime directory, which is not under our root.
   */
  trackBatonSocket(databasePath: string): void {
    this.sockets.add(storePaths(databasePath).socket);
  }

  /** Removes one run's directory and the sockets tracked so far (call once its processes are gone). */
  removeRun(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    this.removeSockets();
  }

  /** Removes everything. Synchronous, so it can run in an exit handler. Idempotent. */
  removeAllNow(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    this.removeSockets();
  }

  private removeSockets(): void {
    for (const socket of this.sockets) fs.rmSync(socket, { force: true });
    this.sockets.clear();
  }
}
