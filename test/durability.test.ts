/**
 * Guarantee 3, "acknowledged means durable", observed rather than assumed: the live writer's
 * `synchronous` level is read from SQLite itself (through status), and the leader is traced
 * with strace while a member writes: every acknowledgement leaves the leader only after the
 * WAL write holding that row and an fsync of the WAL after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { StoreStatus } from '@baton/store';
import { killAll, startMember, type Member } from './helpers/fleet';
import { decodeFrames } from './helpers/raw-socket';
import { removeTempDirs, tempDir } from './helpers/temp';

jest.setTimeout(120_000);

const tracers: ChildProcess[] = [];
afterEach(async () => {
  for (const tracer of tracers.splice(0)) tracer.kill('SIGKILL');
  await killAll();
  removeTempDirs();
});

async function status(member: Member): Promise<StoreStatus> {
  const result = await member.call((ref) => ({ cmd: 'status', ref }));
  if (result.code !== undefined) throw new Error(`status failed: ${result.code}`);
  return result.ok as StoreStatus;
}

test('the live writer runs with synchronous=FULL by default, and NORMAL only when asked (read from SQLite, not from the options)', async () => {
  const byDefault = await startMember({ path: path.join(tempDir(), 'default.db'), name: 'default' });
  expect((await status(byDefault)).database.synchronous).toBe('full');
  const relaxed = await startMember({
    path: path.join(tempDir(), 'normal.db'),
    name: 'relaxed',
    synchronous: 'normal',
  });
  expect((await status(relaxed)).database.synchronous).toBe('normal');
});

/** One traced system call of the leader: what it did to which file, and the bytes it wrote. */
interface Syscall {
  call: string;
  target: string;
  data: Buffer;
}

/** `\x2f\x74...` (strace -xx) as bytes. */
function unescape(escaped: string): Buffer {
  return Buffer.from(escaped.replaceAll('\\x', ''), 'hex');
}

/** Parses `strace -f -y -xx` lines: every byte, the file names included, is written as \xNN. */
function parseTrace(lines: string[]): Syscall[] {
  const calls: Syscall[] = [];
  for (const line of lines) {
    const match = /^\[pid\s+\d+\]\s+(\w+)\(\d+<((?:\\x[0-9a-f]{2})*)>(.*)$/.exec(line);
    if (match === null) continue;
    const data = [...match[3]!.matchAll(/"((?:\\x[0-9a-f]{2})*)"/g)].map((m) => unescape(m[1]!));
    calls.push({ call: match[1]!, target: unescape(match[2]!).toString(), data: Buffer.concat(data) });
  }
  return calls;
}

/** The index of the last of `items` before `end` that passes `test`, or -1. */
function lastBefore<T>(items: T[], end: number, test: (item: T) => boolean): number {
  for (let i = end - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}

test('strace of the leader: every acknowledgement is sent after the WAL write of its row and an fsync of the WAL after that write', async () => {
  const file = path.join(tempDir(), 'traced.db');
  const leader = await startMember({ path: file, name: 'leader' });
  const writer = await startMember({ path: file, name: 'writer', candidate: false });
  expect(leader.events[0]).toMatchObject({ ev: 'opened', role: 'leader' });

  const tracer = spawn(
    'strace',
    [
      '-f',
      '-y',
      '-xx',
      '-s',
      '65536',
      '-e',
      'trace=write,writev,pwrite64,pwritev,fsync,fdatasync,sendmsg,sendto',
      '-p',
      String(leader.pid),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  tracers.push(tracer);
  const lines: string[] = [];
  let partial = '';
  let onLine = (): void => undefined;
  tracer.stderr.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('latin1');
    const complete = text.split('\n');
    partial = complete.pop()!;
    lines.push(...complete);
    onLine();
  });
  const traced = (test: (line: string) => boolean): Promise<void> =>
    new Promise((resolve) => {
      onLine = () => lines.some(test) && resolve();
      onLine();
    });
  await traced((l) => l.includes('attached'));
  // A probe write: once its WAL fsync shows in the trace, the engine's thread is traced.
  expect((await writer.exec("INSERT INTO rows (id, member) VALUES ('probe', 'writer')")).code).toBeUndefined();
  const walSuffix = `${[...Buffer.from('-wal')].map((b) => `\\x${b.toString(16)}`).join('')}>`;
  await traced((l) => /^\[pid\s+\d+\] f(data)?sync\(/.test(l) && l.includes(walSuffix));

  const values = Array.from({ length: 20 }, (_, i) => `durable-${String(i).padStart(2, '0')}-${process.pid}`);
  for (const value of values) {
    const result = await writer.exec(`INSERT INTO rows (id, member) VALUES ('${value}', 'writer') RETURNING id`);
    expect(result.ok).toMatchObject({ rows: [{ id: value }] });
  }
  const exited = new Promise((resolve) => tracer.once('exit', resolve));
  tracer.kill('SIGINT'); // strace detaches and flushes
  await exited;

  const calls = parseTrace(lines);
  const isWal = (c: Syscall): boolean => c.target.endsWith('-wal');
  const acks = calls.flatMap((c, index) => {
    if (isWal(c) || !/socket|UNIX/.test(c.target)) return [];
    // A response carrying the row's value (RETURNING id) is the acknowledgement of that write.
    const answers = (decodeFrames(c.data) as { t?: string }[]).filter((f) => f.t === 'res');
    const value = values.find((v) => c.data.includes(v));
    return answers.length > 0 && value !== undefined ? [{ index, value }] : [];
  });
  expect(acks.map((a) => a.value)).toEqual(values);
  for (const ack of acks) {
    const holding = lastBefore(
      calls,
      ack.index,
      (c) => isWal(c) && /^p?writev?$|^pwrite64$/.test(c.call) && c.data.includes(ack.value),
    );
    const flushed = lastBefore(calls, ack.index, (c) => isWal(c) && /^f(data)?sync$/.test(c.call));
    // The WAL write that holds the row came before the ack, and an fsync of the WAL after it.
    expect({ value: ack.value, written: holding >= 0, flushedAfterWrite: flushed > holding }).toEqual({
      value: ack.value,
      written: true,
      flushedAfterWrite: true,
    });
  }
});
