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

const PREFIX = 'baton-bench-';
const OWNER_FILE = 'owner.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The temp directory tree of one invocation. */
export class Workspace {
  readonly root: string;
  private readonly sockets = new Set<string>();
  private nextRun = 1;

  constructor() {
    Workspace.sweepStale();
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.writeFileSync(path.join(this.root, OWNER_FILE), `${process.pid}\n`);
  }

  /**
   * Removes the trees of earlier invocations whose coordinator is dead: one that was
   * SIGKILLed had no chance to clean up (its workers exit on their own when the IPC channel
   * closes, but the files stay).
   */
  static sweepStale(): void {
    for (const entry of fs.readdirSync(os.tmpdir())) {
      if (!entry.startsWith(PREFIX)) continue;
      const dir = path.join(os.tmpdir(), entry);
      let owner: number;
      try {
        owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
      } catch {
        continue; // not ours, or still being created
      }
      if (Number.isSafeInteger(owner) && owner > 0 && !isAlive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A fresh directory for one run. `label` only helps someone looking at it. */
  runDir(label: string): string {
    const dir = path.join(
      this.root,
      `${String(this.nextRun++).padStart(3, '0')}-${label.replace(/[^a-z0-9-]+/gi, '-')}`,
    );
    fs.mkdirSync(dir);
    return dir;
  }

  /**
   * Remembers the leader socket of a Baton store on `databasePath`. A SIGKILLed leader leaves
   * its socket file behind in Baton's runtime directory, which is not under our root.
   */
  trackBatonSocket(databasePath: string): void {
    const paths = storePaths(databasePath);
    this.sockets.add(paths.socket).add(paths.socketLink); // the socket and the link naming its lock
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
