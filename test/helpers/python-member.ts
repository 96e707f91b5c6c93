/**
 * A Python member (python/tests/py_member.py, the Python package in python/baton) in a process of
 * its own, for TypeScript tests that need a leader written in Python. It speaks JSON lines:
 * commands on stdin, events on stdout (see that script). `stopPythonMembers()` (call it in
 * afterEach) closes every one still running and SIGKILLs any that does not exit.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import * as path from 'node:path';
import * as readline from 'node:readline';

const SCRIPT = path.join(__dirname, '..', '..', '..', 'python', 'tests', 'py_member.py');
const live = new Set<PythonMember>();

/** Options of a Python member, as `open_store` takes them. */
export interface PythonMemberOptions {
  path: string;
  name?: string;
  candidate?: boolean;
  migrations?: { version: number; sql: string }[];
}

/** Commands a Python member takes (python/tests/py_member.py). */
export type PythonCommand =
  | { cmd: 'writeLoop'; prefix: string }
  | { cmd: 'stopLoop' }
  | { cmd: 'stepDown'; ref: number }
  | { cmd: 'status'; ref: number }
  | { cmd: 'close' };

/** One Python member process and the events it printed. */
export class PythonMember {
  readonly events: Record<string, unknown>[] = [];
  /** Ids of the rows whose insert this member's store acknowledged. */
  readonly acked = new Set<string>();
  /** Writes that failed, with their codes. */
  readonly failed: Record<string, unknown>[] = [];
  private readonly waiters: { test: (e: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    live.add(this);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      this.events.push(event);
      if (event.ev === 'acked') this.acked.add(String(event.id));
      if (event.ev === 'failed') this.failed.push(event);
      for (const waiter of this.waiters.splice(0)) {
        if (waiter.test(event)) waiter.resolve();
        else this.waiters.push(waiter);
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => live.delete(this));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True when the last role it reported is leader. */
  get leads(): boolean {
    const roles = this.events.filter((e) => e.ev === 'opened' || e.ev === 'role');
    return roles[roles.length - 1]?.role === 'leader';
  }

  send(command: PythonCommand): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Resolves when the process has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Resolves once an event (already printed or future) passes `test`. */
  waitFor(test: (e: Record<string, unknown>) => boolean): Promise<void> {
    if (this.events.some(test)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Closes its store (a leader hands over) and waits for the process to end; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end(`${JSON.stringify({ cmd: 'close' })}\n`);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/** Starts a Python member and resolves once its store is open (it leads if it won the election). */
export async function startPythonMember(options: PythonMemberOptions): Promise<PythonMember> {
  const child = spawn(process.env.PYTHON ?? 'python3', [SCRIPT, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const member = new PythonMember(child);
  await Promise.race([
    member.waitFor((e) => e.ev === 'opened'),
    new Promise((_, reject) =>
      child.once('exit', (code) => reject(new Error(`the Python member exited (${code}) before opening`))),
    ),
  ]);
  return member;
}

/** Stops every Python member still running. */
export async function stopPythonMembers(): Promise<void> {
  await Promise.all([...live].map((member) => member.stop()));
}
