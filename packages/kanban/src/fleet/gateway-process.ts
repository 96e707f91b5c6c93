/**
 * A forked gateway process and everything it reported, for the demo and multi-process tests.
 * Callers wait for reports (`waitFor`) instead of sleeping; `killAllGateways()` SIGKILLs every
 * gateway still running (call it in afterEach, or on the demo's way out).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { GatewayCommand, GatewayReport } from '../gateway/ipc-protocol';

/** The compiled gateway bin. */
export const GATEWAY_BIN = path.join(__dirname, '..', 'bin', 'gateway.js');
const live = new Set<GatewayProcess>();

type Waiter = { test: (r: GatewayReport) => boolean; resolve: (r: GatewayReport) => void };

/** Options of `GatewayProcess.start`. */
export interface StartOptions {
  /** The profile home. */
  home: string;
  /** The board file (`--board`). */
  board?: string;
  /** Where the child's stderr goes: inherited (default) or collected in `stderr`. */
  stderr?: 'inherit' | 'collect';
  /** How long to wait for the `ready` report. Default 30 s. */
  timeoutMs?: number;
  /**
   * Run the Python gateway instead (python/kanban/gateway.py of the repository, given here with
   * the interpreter): it speaks the same IPC over Node's channel, so it is driven the same way.
   */
  python?: { interpreter: string; script: string };
}

/** A forked gateway. */
export class GatewayProcess {
  readonly reports: GatewayReport[] = [];
  /** Collected stderr, when started with `stderr: 'collect'`. */
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private waiters: Waiter[] = [];
  private readonly exited: Promise<void>;
  private readonly listeners: ((report: GatewayReport) => void)[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly profile: string,
  ) {
    live.add(this);
    child.on('message', (report: GatewayReport) => this.record(report));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        for (const waiter of this.waiters)
          waiter.resolve({ ev: 'error', code: 'EXITED', message: `${profile} exited (${code ?? signal})` });
        this.waiters = [];
        resolve();
      }),
    );
  }

  /** Forks a gateway and waits for its `ready` report. Rejects (with its stderr) if it exits first. */
  static async start(options: StartOptions): Promise<GatewayProcess> {
    const args = ['--home', options.home, ...(options.board === undefined ? [] : ['--board', options.board])];
    const stdio = ['ignore', 'ignore', options.stderr === 'collect' ? 'pipe' : 'inherit', 'ipc'] as const;
    const child =
      options.python === undefined
        ? fork(GATEWAY_BIN, args, { stdio: [...stdio] })
        : fork(options.python.script, args, {
            stdio: [...stdio],
            execPath: options.python.interpreter,
            execArgv: [],
            serialization: 'json',
          });
    const gateway = new GatewayProcess(child, path.basename(options.home));
    const ready = await gateway.waitFor((r) => r.ev === 'ready', options.timeoutMs ?? 30_000);
    if (ready.ev !== 'ready')
      throw new Error(
        `${gateway.profile} did not start: ${ready.ev === 'error' ? ready.message : ready.ev}\n${gateway.stderr}`,
      );
    return gateway;
  }

  /** The child's pid. */
  get pid(): number {
    return this.child.pid!;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** The role it last reported. */
  get role(): string | null {
    let role: string | null = null;
    for (const r of this.reports) if (r.ev === 'ready' || r.ev === 'role') role = r.role;
    return role;
  }

  /** Calls `listener` with every future report. */
  onReport(listener: (report: GatewayReport) => void): void {
    this.listeners.push(listener);
  }

  private record(report: GatewayReport): void {
    this.reports.push(report);
    for (const listener of this.listeners) listener(report);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(report)) return true;
      w.resolve(report);
      return false;
    });
  }

  /**
   * Resolves with the first report (already received or future) that passes `test`; with an
   * `error` report of code `EXITED` if the process exits first. Rejects after `timeoutMs`.
   */
  waitFor(test: (r: GatewayReport) => boolean, timeoutMs = 30_000): Promise<GatewayReport> {
    const seen = this.reports.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.waitForNext(test, timeoutMs);
  }

  /** Like `waitFor`, for future reports only. */
  waitForNext(test: (r: GatewayReport) => boolean, timeoutMs = 30_000): Promise<GatewayReport> {
    if (!this.running) return Promise.resolve({ ev: 'error', code: 'EXITED', message: `${this.profile} has exited` });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `${this.profile}: no matching report within ${timeoutMs} ms; last: ${JSON.stringify(this.reports.slice(-3))}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = { test, resolve: (r) => (clearTimeout(timer), resolve(r)) };
      this.waiters.push(waiter);
    });
  }

  /** Sends a command; ignored once the process is gone. */
  send(command: GatewayCommand): void {
    if (this.running && this.child.connected) this.child.send(command);
  }

  /** Sends `signal` (SIGKILL by default). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /** Resolves once the process has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Asks for a graceful close and waits for the exit; SIGKILLs it after `timeoutMs`. */
  async close(timeoutMs = 15_000): Promise<void> {
    this.send({ cmd: 'close' });
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** SIGKILLs every gateway still running and waits for them to exit. */
export async function killAllGateways(): Promise<void> {
  const all = [...live];
  for (const gateway of all) gateway.kill('SIGKILL');
  await Promise.all(all.map((g) => g.whenExited()));
}
