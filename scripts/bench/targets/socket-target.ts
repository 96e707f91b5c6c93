/**
 * The floor of any forwarding design: a raw Unix socket round trip of a length-prefixed frame
 * about the size of a Baton point-read request, answered by an echo server (echo-server.ts)
 * with a frame about the size of its reply. No encoding, no SQLite.
 */
import * as net from 'node:net';
import { FrameSplitter, frame } from '../raw-frames';
import type { Target } from './target';

/** About the msgpack size of `{t:'req', id, op:{k:'execute', stmt:{sql: SELECT_SQL, args:[id]}}}`. */
export const REQUEST_BYTES = 90;

/** About the msgpack size of the reply: `{t:'res', id, ok:{columns, rows:[[id, member, payload]], rowsAffected, lastInsertRowid}}`. */
export const REPLY_BYTES = 270;

/** Connects to the echo server at `socketPath`. */
export function openSocketTarget(socketPath: string): Promise<Target> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new SocketTarget(socket));
    });
  });
}

class SocketTarget implements Target {
  readonly busyEscaped = 0;
  readonly role = 'socket';
  readonly epoch = 0;
  private readonly waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly request = frame(Buffer.alloc(REQUEST_BYTES, 0x61));
  private readonly splitter = new FrameSplitter();

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (let n = this.splitter.push(chunk); n > 0; n--) this.waiting.shift()?.resolve();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('the echo server closed the connection'));
    });
  }

  write(): Promise<void> {
    return this.roundTrip();
  }

  read(): Promise<void> {
    return this.roundTrip();
  }

  private roundTrip(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(this.request);
    });
  }

  close(): Promise<void> {
    this.socket.destroy();
    return Promise.resolve();
  }
}
