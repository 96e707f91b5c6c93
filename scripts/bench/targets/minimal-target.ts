/** A client of the bench's minimal forwarding design (minimal/leader.ts) as a benchmark target. */
import * as net from 'node:net';
import { encodeMessage, MessageSplitter, type MinimalReply, type MinimalRequest } from '../minimal/wire';
import { INSERT_SQL, PAYLOAD, SELECT_SQL } from '../workload';
import type { Target } from './target';

/** Connects to the minimal leader at `socketPath` as member `index`. */
export function openMinimalTarget(socketPath: string, index: number): Promise<Target> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new MinimalTarget(socket, index));
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

  read(id: number): Promise<void> {
    return this.send(SELECT_SQL, [id], true);
  }

  private send(sql: string, args: unknown[], read: boolean): Promise<void> {
    const request: MinimalRequest = { id: ++this.seq, client: this.client, sql, args, read };
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.socket.write(encodeMessage(request));
    });
  }

  close(): Promise<void> {
    this.socket.destroy();
    return Promise.resolve();
  }
}
