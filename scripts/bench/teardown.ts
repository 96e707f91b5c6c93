/**
 * `node scripts/dist/bench/teardown.js`: how long after a SIGKILL the peers of a process see
 * its socket close, by the size of the killed process. Not part of `npm run bench`.
 *
 * Linux tears a dying process down in order: its memory first (exit_mm), its files after
 * (exit_files). Sockets and flocks are files, so no survivor can notice a dead leader, or take
 * its lock, before the kernel has freed the leader's whole address space. This floor of every
 * failover grows with the leader's resident memory; this script measures it on this machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTable, formatNumber as n } from './table';

const SIZES_MB = [0, 50, 100, 200, 400];
const TRIALS = 5;

/** The child: touch `mb` MiB, connect, send one byte, then wait to be killed. */
function child(socketPath: string, mb: number): void {
  const held: Buffer[] = [];
  for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1));
  const socket = net.connect(socketPath, () => socket.write('x'));
  setInterval(() => held.length, 60_000);
}

/** Forks a child of `mb` MiB, SIGKILLs it once it is connected, resolves with kill -> close in ms. */
function trial(server: net.Server, socketPath: string, mb: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let victim: ChildProcess | null = null;
    server.once('connection', (socket) => {
      socket.once('data', () => {
        const killedAt = process.hrtime.bigint();
        victim!.kill('SIGKILL');
        socket.once('close', () => resolve(Number(process.hrtime.bigint() - killedAt) / 1e6));
      });
      socket.on('error', () => undefined);
    });
    victim = fork(__filename, ['child', socketPath, String(mb)], { stdio: 'ignore' });
    victim.once('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-teardown-'));
  const socketPath = path.join(dir, 'peer.sock');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const rows: string[][] = [];
  try {
    for (const mb of SIZES_MB) {
      const times: number[] = [];
      for (let i = 0; i < TRIALS; i++) times.push(await trial(server, socketPath, mb));
      times.sort((a, b) => a - b);
      rows.push([String(mb), n(times[Math.floor(times.length / 2)], 1), n(times[0], 1), n(times[times.length - 1], 1)]);
    }
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `SIGKILL -> a peer sees the socket close (ms), ${TRIALS} trials per size; node ${process.version}, ${os.cpus().length} CPUs, Linux ${os.release()}`,
  );
  console.log(renderTable(['extra MiB touched', 'median', 'min', 'max'], rows, ['right', 'right', 'right', 'right']));
}

if (process.argv[2] === 'child') child(process.argv[3]!, Number(process.argv[4]));
else void main();
