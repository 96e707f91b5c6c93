/**
 * A client of the bench's minimal forwarding design (minimal/leader.ts) as a benchmark target.
 * With a database path it reads that file itself and forwards only its writes: the simplest
 * single-writer design that reads locally with what Baton's local mode promises (see
 * `LocalSelect`), the yardstick of that mode.
 */
import * as fs from 'node:fs';
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
      resolve(new MinimalTarget(socket, index, database === null ? null : new LocalSelect(database)));
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
    private readonly localSelect: LocalSelect | null,
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
    this.localSelect.read(id);
  }

  private send(sql: string, args: unknown[], read: boolean): Promise<void> {
    const request: MinimalRequest = { id: ++this.seq, client: this.client, sql, args, read };
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.socket.write(encodeMessage(request));
    });
  }

  close(): Promise<void> {
    this.localSelect?.close();
    this.socket.destroy();
    return Promise.resolve();
  }
}

/**
 * The point read of the minimal design reading locally: what `reads: 'local'` must do per read
 * and nothing more. It checks that the path still names the file its connection opened (one
 * `stat`: the local mode reads only the leader's file), runs the prepared statement, and returns
 * the rows keyed by column name with the columns' declared types at hand, as a libsql result
 * has them (better-sqlite3's `columns()`, which a statement can change after a schema change).
 */
class LocalSelect {
  private readonly statement: Database.Statement;
  private readonly file: fs.Stats;

  constructor(private readonly path: string) {
    this.statement = new Database(path, { readonly: true, fileMustExist: true }).prepare(SELECT_SQL).raw(true);
    this.file = fs.statSync(path);
  }

  read(id: number): { columnTypes: (string | null)[]; rows: Record<string, unknown>[] } {
    const now = fs.statSync(this.path, { throwIfNoEntry: false });
    if (now === undefined || now.ino !== this.file.ino || now.dev !== this.file.dev)
      throw new Error('the database path names another file than the one this member reads');
    const values = this.statement.all(id) as unknown[][];
    const columns = this.statement.columns();
    const rows = values.map((row) => {
      const named: Record<string, unknown> = {};
      columns.forEach((column, i) => (named[column.name] = row[i]));
      return named;
    });
    return { columnTypes: columns.map((column) => column.type), rows };
  }

  close(): void {
    this.statement.database.close();
  }
}
