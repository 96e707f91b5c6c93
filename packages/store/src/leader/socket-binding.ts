/**
 * The leader's listening socket file. It is bound under a temporary name and renamed over the
 * path: the switch is atomic (a dead leader's socket, or anything planted there, a symlink
 * included, is replaced, never followed), and when a server closes, libuv unlinks the temporary
 * name, not the path, which may by then belong to the next leader (lockfile mode lets a stale
 * leader close after a new one has bound).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';

/** The socket files one leader owns, and the listeners bound to them. */
export class SocketBinding {
  /** The inodes of the sockets this leader renamed into place. */
  private readonly boundInodes = new Set<number>();
  private readonly servers: net.Server[] = [];
  private rebinding = false;

  /**
   * @param socketPath - where members look for the leader
   * @param pid - this process, to make the temporary name unique
   * @param accept - called with every accepted connection, whichever listener took it
   */
  constructor(
    private readonly socketPath: string,
    private readonly pid: number,
    private readonly accept: (socket: net.Socket) => void,
  ) {}

  /** Listens on the socket path with mode 0600. */
  async listen(): Promise<void> {
    await this.bind(this.createServer());
  }

  /**
   * Someone deleted our socket file (a cleanup job, a careless `rm`): members already connected
   * are fine, but nobody new could join. Bind a second listener and rename it into place.
   * A socket *replaced* by another file is left alone: with a lease (lockfile mode) it may be
   * the next leader's.
   */
  rebindIfDeleted(): void {
    if (this.rebinding || fs.existsSync(this.socketPath)) return;
    this.rebinding = true;
    this.bind(this.createServer())
      .catch(() => undefined) // tried again at the next check
      .finally(() => {
        this.rebinding = false;
      });
  }

  /** Stops accepting new members (connected ones stay). */
  close(): void {
    for (const server of this.servers) server.close();
  }

  /** Removes the socket file on the way out, unless it is no longer ours (a successor's). */
  unlinkOwnSocket(): void {
    try {
      if (this.boundInodes.has(fs.lstatSync(this.socketPath).ino)) fs.unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }

  private createServer(): net.Server {
    const server = net.createServer(this.accept);
    this.servers.push(server);
    return server;
  }

  private async bind(server: net.Server): Promise<void> {
    const bound = `${this.socketPath}.${this.pid}.${Date.now()}`;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bound, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(bound, 0o600);
    fs.renameSync(bound, this.socketPath);
    this.boundInodes.add(fs.lstatSync(this.socketPath).ino);
  }
}
