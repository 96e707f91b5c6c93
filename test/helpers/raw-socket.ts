/** A raw client of the leader socket, for feeding it bytes no well-behaved member would send. */
import * as net from 'node:net';
import { Packr } from 'msgpackr';
import { PROTOCOL_VERSION } from '@baton/store';

const packr = new Packr({ useRecords: false });

/** Encodes `message` as one length-prefixed frame. */
export function frame(message: unknown): Buffer {
  const payload = packr.pack(message);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** Decodes every complete frame in `bytes`. */
export function decodeFrames(bytes: Buffer): unknown[] {
  const frames: unknown[] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    if (offset + 4 + length > bytes.length) break;
    frames.push(packr.unpack(bytes.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  return frames;
}

/**
 * Connects, writes `chunks`, half-closes only if `end` is set, and resolves with everything the
 * leader sent back once it closes the connection, or once `responses` answers (`res` frames)
 * have arrived. Nothing else ends the wait but a 30 s bound, which rejects.
 */
export function exchange(
  socketPath: string,
  chunks: Buffer[],
  options: { end?: boolean; responses?: number } = {},
): Promise<{ frames: unknown[]; closedByLeader: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const received: Buffer[] = [];
    const give = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `the leader neither closed the connection nor sent ${options.responses ?? 'the expected'} answers within 30 s`,
        ),
      );
    }, 30_000);
    const done = (closedByLeader: boolean): void => {
      clearTimeout(give);
      socket.destroy();
      resolve({ frames: decodeFrames(Buffer.concat(received)), closedByLeader });
    };
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.end) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (options.responses === undefined) return;
      const answers = decodeFrames(Buffer.concat(received)).filter((f) => (f as { t?: unknown }).t === 'res').length;
      if (answers >= options.responses) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
  });
}

/**
 * A hand-driven session with one leader: the frames it received, in order, and waits for the
 * next one. Used to talk to one particular leader process (a stale one) where a member would
 * move on to the next leader.
 */
export class RawSession {
  /** Every frame received but `heir` notes, in order. */
  readonly frames: unknown[] = [];
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;
  /** How many of `frames` `next()` has returned. */
  private read = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readUInt32BE(0)) {
        const length = this.buffered.readUInt32BE(0);
        const received = packr.unpack(this.buffered.subarray(4, 4 + length)) as { t?: unknown };
        // Who the heir is concerns members with a standby engine; a raw session has none.
        if (received.t !== 'heir') this.frames.push(received);
        this.buffered = this.buffered.subarray(4 + length);
      }
      this.wake();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects to `socketPath`, says hello as `name` (no migrations) and waits for the welcome. */
  static async open(socketPath: string, name: string): Promise<RawSession> {
    const socket = net.connect(socketPath);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const session = new RawSession(socket);
    session.send({
      t: 'hello',
      v: PROTOCOL_VERSION,
      clientId: `raw-${name}-${process.pid}`,
      pid: process.pid,
      name,
      candidate: false,
      migrations: [],
    });
    const welcome = await session.next();
    if ((welcome as { t?: string }).t !== 'welcome') throw new Error(`no welcome: ${JSON.stringify(welcome)}`);
    return session;
  }

  /** Sends `message` as one frame. */
  send(message: unknown): void {
    this.socket.write(frame(message));
  }

  /** Resolves with the next frame not yet returned, or null once the leader closed the connection. */
  async next(timeoutMs = 30_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.frames.length && !this.closed) {
      if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.read < this.frames.length ? this.frames[this.read++] : null;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves once the leader has closed the connection. */
  async whenClosed(timeoutMs = 30_000): Promise<void> {
    while ((await this.next(timeoutMs)) !== null) {
      // frames stay in `frames`
    }
  }

  /** Drops the connection (cleanup). */
  close(): void {
    this.socket.destroy();
  }
}
