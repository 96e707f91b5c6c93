/**
 * The coordinator's side of the worker processes: fork, wait for a message, send a command,
 * kill. Every process forked here is registered until it exits, so `killAll` (normal path)
 * and `killAllNow` (signal and exit handlers) leave nothing running, whatever went wrong.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { nowMs } from './clock';
import type { FromWorker, ToWorker, WorkerConfig } from './messages';

const WORKER_SCRIPT = path.join(__dirname, 'worker.js');
const live = new Set<WorkerProcess>();
let extraExecArgv: string[] = [];
/** Forking seven processes on a busy two-core machine can take seconds; opening a store more. */
const READY_TIMEOUT_MS = 30_000;

/** Node flags for every process forked from now on (e.g. `--cpu-prof`). */
export function setWorkerExecArgv(argv: string[]): void {
  extraExecArgv = argv;
}

type Message<T extends FromWorker['t']> = Extract<FromWorker, { t: T }>;

/** A forked worker and the messages it sent that nobody has taken yet. */
export class WorkerProcess {
  /** The last role and epoch it reported (Baton members). */
  role = 'unknown';
  epoch = 0;
  /** When it reported that role (shared monotonic clock); 0 for the role it reported when ready. */
  roleAtMs = 0;
  private readonly inbox: FromWorker[] = [];
  private waiters: { type: FromWorker['t']; resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  private exitInfo: string | null = null;
  private readonly exited: Promise<void>;
  /** When this process was seen to exit (shared monotonic clock); 0 while it runs. */
  exitedAtMs = 0;

  private constructor(
    readonly child: ChildProcess,
    /** For messages: which process this is. */
    readonly label: string,
  ) {
    live.add(this);
    child.on('message', (message: FromWorker) => this.receive(message));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitedAtMs = nowMs();
        live.delete(this);
        this.exitInfo = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
        for (const waiter of this.waiters.splice(0))
          waiter.reject(new Error(`${this.label} ${this.exitInfo} while we waited for "${waiter.type}"`));
        resolve();
      });
    });
  }

  /** Forks the worker script with `config` (and `env`, ours by default). Its stdout/stderr go to ours (stderr: diagnostics). */
  static spawn(config: WorkerConfig, label: string, env: NodeJS.ProcessEnv = process.env): WorkerProcess {
    const child = fork(WORKER_SCRIPT, [JSON.stringify(config)], {
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, ...extraExecArgv],
    });
    return new WorkerProcess(child, label);
  }

  /** Waits for `ready` (the store is open, or the connection is), then records the role it reported. */
  async ready(timeoutMs = READY_TIMEOUT_MS): Promise<this> {
    const ready = await this.next('ready', timeoutMs);
    this.role = ready.role;
    this.epoch = ready.epoch;
    return this;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.exitInfo === null;
  }

  private receive(message: FromWorker): void {
    if (message.t === 'role') {
      this.role = message.role;
      this.epoch = message.epoch;
      this.roleAtMs = message.atMs;
      return;
    }
    if (message.t === 'failed') {
      const error = new Error(`${this.label} failed: ${message.message}`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
      this.inbox.push(message);
      return;
    }
    const index = this.waiters.findIndex((w) => w.type === message.t);
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    else this.inbox.push(message);
  }

  /** Takes the oldest unclaimed message of `type`, waiting for it if needed; rejects on timeout, failure or exit. */
  next<T extends FromWorker['t']>(type: T, timeoutMs: number): Promise<Message<T>> {
    const failure = this.inbox.find((m): m is Message<'failed'> => m.t === 'failed');
    if (failure !== undefined) return Promise.reject(new Error(`${this.label} failed: ${failure.message}`));
    const index = this.inbox.findIndex((m) => m.t === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as Message<T>);
    if (this.exitInfo !== null) return Promise.reject(new Error(`${this.label} ${this.exitInfo}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.label}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (m: FromWorker) => (clearTimeout(timer), resolve(m as Message<T>)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.waiters.push(waiter);
    });
  }

  /** Discards unclaimed messages of `type` (stale answers to an earlier question). */
  drain(type: FromWorker['t']): void {
    for (let i = this.inbox.length - 1; i >= 0; i--) if (this.inbox[i]!.t === type) this.inbox.splice(i, 1);
  }

  /** Sends a command; ignored once the process is gone. */
  send(message: ToWorker): void {
    if (this.alive && this.child.connected) this.child.send(message);
  }

  /** Sends a signal (SIGKILL by default). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Resolves once the process has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }
}

/** The processes of one run: started one by one, killed together at its end. */
export class WorkerSet {
  private readonly workers: WorkerProcess[] = [];

  /** Forks a worker, keeps it for `killAll`, and waits for its `ready`. */
  start(config: WorkerConfig, label: string): Promise<WorkerProcess> {
    const worker = WorkerProcess.spawn(config, label);
    this.workers.push(worker);
    return worker.ready();
  }

  /** SIGKILLs every worker started here and waits until each has exited. */
  killAll(): Promise<void> {
    return killAll(this.workers);
  }
}

/** SIGKILLs `workers` (all live ones by default) and waits until each has exited. */
export async function killAll(workers: Iterable<WorkerProcess> = live): Promise<void> {
  const list = [...workers];
  for (const worker of list) worker.kill('SIGKILL');
  await Promise.all(list.map((worker) => worker.whenExited()));
}

/** Synchronous last resort for signal and exit handlers: SIGKILL everything still registered. */
export function killAllNow(): void {
  for (const worker of live) {
    try {
      worker.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** How many forked processes are still running (for a final sanity check). */
export function liveCount(): number {
  return live.size;
}
