/**
 * Syscall counting with strace, per thread: attach to a running process (all its threads),
 * detach on demand, and count what each thread called. Per thread, because the leader-hosting
 * member runs two very different loops (its own client on the main thread, the engine on a
 * worker thread) and `strace -c` would add them up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** Syscall counts of one thread. */
export interface ThreadSyscalls {
  tid: number;
  total: number;
  bySyscall: Map<string, number>;
  /** Wall time inside each syscall (strace -T), in ms: where the thread waits (fsync) or is preempted. */
  msBySyscall: Map<string, number>;
}

/** A running `strace -f -p <pid> -o <file>`. */
export class StraceSession {
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly output: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Attaches to every thread of `pid`, writing the trace to `output`; resolves once attached. */
  static async attach(pid: number, output: string): Promise<StraceSession> {
    // -f on an existing pid attaches all its threads; -qq keeps attach/exit chatter out of the file.
    const child = spawn('strace', ['-f', '-qq', '-T', '-o', output, '-p', String(pid)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const session = new StraceSession(child, pid, output);
    await new Promise((resolve) => setTimeout(resolve, 300)); // attaching all threads takes a moment
    return session;
  }

  /** Detaches (strace detaches cleanly on SIGINT) and parses the trace. */
  async stop(): Promise<ThreadSyscalls[]> {
    this.child.kill('SIGINT');
    await this.exited;
    return parseTrace(fs.readFileSync(this.output, 'utf8'));
  }

  /** Kills strace if it is still attached (error paths). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Counts syscalls per thread in `strace -f` output: one per `tid name(` line, an unfinished
 * call counted where it starts and not again where it resumes.
 */
export function parseTrace(trace: string): ThreadSyscalls[] {
  const threads = new Map<number, ThreadSyscalls>();
  const threadOf = (tid: number): ThreadSyscalls => {
    let thread = threads.get(tid);
    if (thread === undefined) {
      thread = { tid, total: 0, bySyscall: new Map(), msBySyscall: new Map() };
      threads.set(tid, thread);
    }
    return thread;
  };
  for (const line of trace.split('\n')) {
    const started = /^(\d+)\s+([a-z_0-9]+)\(/.exec(line);
    const resumed = started === null ? /^(\d+)\s+<\.\.\. ([a-z_0-9]+) resumed>/.exec(line) : null;
    const match = started ?? resumed;
    if (match === null) continue;
    const thread = threadOf(Number(match[1]));
    const name = match[2]!;
    if (started !== null) {
      thread.total++;
      thread.bySyscall.set(name, (thread.bySyscall.get(name) ?? 0) + 1);
    }
    const time = /<(\d+\.\d+)>$/.exec(line);
    if (time !== null) thread.msBySyscall.set(name, (thread.msBySyscall.get(name) ?? 0) + Number(time[1]) * 1000);
  }
  return [...threads.values()].sort((a, b) => b.total - a.total);
}

/** Calls of any of `names` by `thread`. */
export function countOf(thread: ThreadSyscalls | undefined, ...names: string[]): number {
  return names.reduce((sum, name) => sum + (thread?.bySyscall.get(name) ?? 0), 0);
}
