/**
 * A client of the bench's minimal forwarding design (minimal/leader.ts) as a benchmark target.
 * With a database path it reads that file itself (a read-only better-sqlite3 connection, as a
 * Baton member with `reads: 'local'` does, without its checks) and forwards only its writes:
 * the simplest single-writer design with local reads, the yardstick of Baton's local mode.
 */
import * as net from 'node:net';
import Database from 'better-sqlite3';
import { encodeMessage, MessageSplitter, type MinimalReply, type MinimalRequest } from '../minimal/wire';
import { INSERT_SQL, PAYLOAD, SELECT_SQL } from '../workload';
import type { Target } from './target';

/**
 * Connects to the minimal leader at `socketPath` as member `index`; with `database`, reads run
 * on a read-only connection of that file instead of crossing the socket.
 */
export function openMinimalTarget(socketPath: string, index: number, database: string | null): Promise<Target> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      const reader = database === null ? null : new Database(database, { readonly: true, fileMustExist: true });
      resolve(new MinimalTarget(socket, index, reader?.prepare(SELECT_SQL).raw(true) ?? null));
    });
  });
}

class MinimalTarget implements Target {
  readonly busyEscaped = 0;
  readonly role = 'minimal';
  readonly epoch = 0;
  private readonly client = `minimal-${process.pid}`;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private readonly splitter = new MessageSplitter();

  constructor(
    private readonly socket: net.Socket,
    private readonly index: number,
    private readonly localSelect: Database.Statement | null,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const reply of this.splitter.push<MinimalReply>(chunk)) {
        const waiter = this.waiting.get(reply.id);
        this.waiting.delete(reply.id);
        if (reply.error === undefined) waiter?.resolve();
        else waiter?.reject(new Error(reply.error));
      }
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error('the minimal leader closed the connection'));
      this.waiting.clear();
    });
  }

  write(): Promise<void> {
    return this.send(INSERT_SQL, [this.index, PAYLOAD], false);
  }

  async read(id: number): Promise<void> {
    if (this.localSelect === null) return this.send(SELECT_SQL, [id], true);
    // Yield once, as the direct target does: a synchronous read still takes its turn.
    await Promise.resolve();
    this.localSelect.all(id);
  }

  private send(sql: string, args: unknown[], read: boolean): Promise<void> {
    const request: MinimalRequest = { id: ++this.seq, client: this.client, sql, args, read };
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.socket.write(encodeMessage(request));
    });
  }

  close(): Promise<void> {
    this.localSelect?.database.close();
    this.socket.destroy();
    return Promise.resolve();
  }
}
