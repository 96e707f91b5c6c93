/**
 * Runs the built `baton` binary as a subprocess, the way an operator does, and collects its
 * exit code and output. Every child is tracked so `killBatons()` (afterEach) leaves none behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The compiled executable: packages/cli/dist/src/bin.js (this file is in dist/test/support). */
export const BATON_BIN = path.join(__dirname, '..', '..', 'src', 'bin.js');

const running = new Set<ChildProcess>();

/** How a `baton` run ended. */
export interface BatonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for a run: extra environment (merged over this process's, minus NO_COLOR/FORCE_COLOR). */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return { ...env, ...extra };
}

/** A running `baton` whose output can be awaited line by line. */
export class BatonProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<BatonRun>;
  private listeners: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    running.add(child);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.append('stdout', chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.append('stderr', chunk));
    this.done = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        running.delete(child);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  private append(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    for (const listener of this.listeners) listener();
  }

  /** Resolves once `test(stdout)` holds, checked after every chunk of output. */
  waitForStdout(test: (stdout: string) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!test(this.stdout)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(
          new Error(
            `baton never printed ${what} within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      this.listeners.push(listener);
      listener();
    });
  }

  /** Resolves once stdout holds at least `count` complete lines. */
  waitForLines(count: number, timeoutMs?: number): Promise<void> {
    return this.waitForStdout((stdout) => stdout.split('\n').length > count, `${count} lines`, timeoutMs);
  }
}

/** Starts `baton <args>` with piped stdio (so stdout is not a TTY). */
export function startBaton(args: string[], options: RunOptions = {}): BatonProcess {
  return new BatonProcess(
    spawn(process.execPath, [BATON_BIN, ...args], { env: environment(options.env), stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

/** Runs `baton <args>` to completion (killed after `timeoutMs`, default 30 s). */
export async function runBaton(args: string[], options: RunOptions = {}): Promise<BatonRun> {
  const baton = startBaton(args, options);
  const timer = setTimeout(() => baton.child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  try {
    return await baton.done;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `baton <args>` with its stdout on a pipe whose reader has already gone, as under
 * `baton ... | head` once head has exited: a FIFO opened for reading and for writing, the reading
 * end closed before baton starts, so its first write to stdout fails with EPIPE. Resolves with
 * how it ended (its stdout is nobody's, so empty).
 */
export async function runBatonIntoClosedPipe(args: string[], options: RunOptions = {}): Promise<BatonRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-cli-pipe-'));
  try {
    const fifo = path.join(dir, 'stdout');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) throw new Error(`mkfifo failed: ${String(made.stderr)}`);
    // Opening the write end needs a reader; a non-blocking one does not wait for a writer.
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
    fs.closeSync(reader);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [BATON_BIN, ...args], {
        env: environment(options.env),
        stdio: ['ignore', writer, 'pipe'],
      });
    } finally {
      fs.closeSync(writer);
    }
    running.add(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    try {
      return await new Promise<BatonRun>((resolve) =>
        child.once('close', (code, signal) => {
          running.delete(child);
          resolve({ code, signal, stdout: '', stderr });
        }),
      );
    } finally {
      clearTimeout(timer);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses the single JSON document a `--json` run printed; fails if stdout holds anything else. */
export function parseJson<T>(run: BatonRun): T {
  const text = run.stdout.trim();
  if (text.includes('\n')) throw new Error(`expected one JSON document, got several lines: ${run.stdout}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** SIGKILLs every `baton` still running and waits for them. Call in afterEach. */
export async function killBatons(): Promise<void> {
  const children = [...running];
  const closed = children.map((child) => new Promise((resolve) => child.once('close', resolve)));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(closed);
}
