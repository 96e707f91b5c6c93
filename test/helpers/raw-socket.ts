/** A raw client of the leader socket, for feeding it bytes no well-behaved member would send. */
import * as net from 'node:net';
import { Packr } from 'msgpackr';

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
 * Connects, writes `bytes`, half-closes only if `end` is set, and resolves with everything the
 * leader sent back once it closes the connection (or after `idleMs` of silence).
 */
export function exchange(socketPath: string, chunks: Buffer[], options: { end?: boolean; idleMs?: number } = {}): Promise<{ frames: unknown[]; closedByLeader: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (closedByLeader: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames: decodeFrames(Buffer.concat(received)), closedByLeader });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), options.idleMs ?? 2000);
    };
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.end) socket.end();
      arm();
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      arm();
    });
    socket.on('close', () => done(true));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
  });
}
