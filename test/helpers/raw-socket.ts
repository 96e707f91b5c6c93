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
 * Connects, writes `chunks`, half-closes only if `end` is set, and resolves with everything the
 * leader sent back once it closes the connection, or once `responses` answers (`res` frames)
 * have arrived. Nothing else ends the wait but a 30 s bound, which rejects.
 */
export function exchange(socketPath: string, chunks: Buffer[], options: { end?: boolean; responses?: number } = {}): Promise<{ frames: unknown[]; closedByLeader: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const received: Buffer[] = [];
    const give = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the leader neither closed the connection nor sent ${options.responses ?? 'the expected'} answers within 30 s`));
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
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
  });
}
