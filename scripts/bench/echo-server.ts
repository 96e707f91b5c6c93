/**
 * The other end of the raw socket baseline: answers every frame with one reply frame of
 * `replyBytes`, prepared once. Runs on its process's main thread; Baton's leader serves its
 * socket on a worker thread's own event loop, which is the same work per request.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { FrameSplitter, frame } from './raw-frames';

/** Listens on `socketPath` (mode 0600) and echoes until the process exits. */
export async function startEchoServer(socketPath: string, replyBytes: number): Promise<net.Server> {
  const reply = frame(Buffer.alloc(replyBytes, 0x62));
  const server = net.createServer((socket) => {
    const splitter = new FrameSplitter();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const count = splitter.push(chunk);
      if (count === 1) socket.write(reply);
      else if (count > 1) socket.write(Buffer.concat(Array.from({ length: count }, () => reply)));
    });
  });
  fs.rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  return server;
}
