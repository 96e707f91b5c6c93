/**
 * The chaos runner's view of its fleet: one slot per member, then one per reader (a member
 * opened with `reads: 'local'` that never leads), each slot run by a succession of processes
 * (incarnations) as faults kill and restart it. Tracks roles from the members'
 * reports so faults can aim at the leader, and kills everything on the way out.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processName, type ChaosCommand, type ChaosEvent, type ChaosMemberConfig } from './protocol';

const MEMBER_SCRIPT = path.join(__dirname, 'member.js');
/** The Python member of the repository (scripts/dist/chaos/ -> python/chaos/member.py). */
const PYTHON_MEMBER = path.join(__dirname, '..', '..', '..', 'python', 'chaos', 'member.py');

/** The slots run by the Python member when `count` of `size` are: the odd ones first, then the even ones. */
export function pythonSlots(size: number, count: number): Set<number> {
  const order = [
    ...Array.from({ length: size }, (_, i) => i).filter((i) => i % 2 === 1),
    ...Array.from({ length: size }, (_, i) => i).filter((i) => i % 2 === 0),
  ];
  return new Set(order.slice(0, count));
}

/** One process of the fleet (a member incarnation or an init call). */
export class ChaosProcess {
  role = 'electing';
  epoch = 0;
  /** When the last role report arrived (runner clock). */
  roleAt = 0;
  /** Set once the runner sent SIGKILL: from then on it cannot write, whatever /proc still shows. */
  killed = false;
  /** SIGSTOPped and not yet continued. */
  stopped = false;
  /**
   * Each time the runner SIGSTOPped it while it reported itself leader (runner clock, ms): from
   * the pause until it started another leadership (null: it never did). Paused leaders may be
   * overtaken under the lockfile lease, and may hold the database until they step down.
   */
  readonly leaderPauses: { fromMs: number; toMs: number | null }[] = [];
  /** Asked to close. */
  closing = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private listeners: ((event: ChaosEvent) => void)[] = [];
  private exitedFlag = false;

  constructor(
    readonly name: string,
    readonly mode: ChaosMemberConfig['mode'],
    readonly slot: number,
    readonly incarnation: number,
    readonly child: ChildProcess,
    /** When the runner forked it (ms, taken before the fork): what the pid named before is another process. */
    readonly spawnedAtMs: number,
    /** Whether it runs the Python member. */
    readonly python = false,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedFlag = true;
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
    child.on('message', (event: ChaosEvent) => {
      if (event.ev === 'opened' || event.ev === 'role') {
        // A new leadership starts unpaused; a paused leader stays marked until then, however
        // it reports its step-down (it may still hold the file while it says so).
        const pause = this.leaderPauses[this.leaderPauses.length - 1];
        if (event.role === 'leader' && event.epoch !== this.epoch && pause !== undefined && pause.toMs === null)
          pause.toMs = Date.now();
        this.role = event.role;
        this.epoch = event.epoch;
        this.roleAt = Date.now();
      }
      for (const listener of [...this.listeners]) listener(event);
    });
    child.on('error', () => undefined); // IPC to a dying child: its exit tells the rest
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** SIGSTOPped while it reported itself leader, and has not started another leadership since. */
  get pausedAsLeader(): boolean {
    return this.leaderPauses[this.leaderPauses.length - 1]?.toMs === null;
  }

  /** Alive as far as the runner knows: not exited and not SIGKILLed. */
  get alive(): boolean {
    return !this.exitedFlag && !this.killed;
  }

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  /** Calls `listener` for every event from now on; returns a function that removes it. */
  onEvent(listener: (event: ChaosEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Resolves with the first future event passing `test`, or null after `timeoutMs` or on exit. */
  next(test: (event: ChaosEvent) => boolean, timeoutMs: number): Promise<ChaosEvent | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), timeoutMs);
      const off = this.onEvent((event) => {
        if (test(event)) finish(event);
      });
      void this.exited.then(() => finish(null));
      function finish(event: ChaosEvent | null): void {
        clearTimeout(timer);
        off();
        resolve(event);
      }
    });
  }

  send(command: ChaosCommand): void {
    if (this.child.connected) this.child.send(command, () => undefined);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exitedFlag) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
    if (signal === 'SIGKILL') this.killed = true;
    if (signal === 'SIGSTOP') {
      this.stopped = true;
      if (this.role === 'leader' && !this.pausedAsLeader) this.leaderPauses.push({ fromMs: Date.now(), toMs: null });
    }
    if (signal === 'SIGCONT') this.stopped = false;
  }
}

/** Every process the runner started, for targeting faults and for cleanup. */
export class ChaosFleet {
  readonly slots: (ChaosProcess | null)[];
  readonly all = new Set<ChaosProcess>();
  /** Every process started, exited ones included, in order: the names behind the pids the opener tracker saw. */
  readonly started: ChaosProcess[] = [];
  private readonly incarnations: number[];
  private roleWaiters: (() => void)[] = [];

  constructor(
    private readonly base: Omit<
      ChaosMemberConfig,
      'mode' | 'slot' | 'incarnation' | 'seed' | 'logFile' | 'candidate' | 'reads'
    >,
    private readonly dir: string,
    private readonly seed: string,
    /** Member slots (0..members-1); the reader slots follow. */
    private readonly members: number,
    private readonly readers: number,
    private readonly onEvent: (process: ChaosProcess, event: ChaosEvent) => void,
    /** The member slots run by the Python member (init calls always run on Node). */
    private readonly python: ReadonlySet<number> = new Set(),
  ) {
    this.slots = Array.from({ length: members + readers }, () => null);
    this.incarnations = Array.from({ length: members + readers }, () => 0);
  }

  /**
   * Forks the next incarnation of `slot` (a writing member, or a reader in the slots after the
   * members) and resolves once it opened its store (null if it could not).
   */
  async startMember(slot: number): Promise<ChaosProcess | null> {
    const incarnation = ++this.incarnations[slot]!;
    const reader = slot >= this.members;
    const member = this.spawn(reader ? 'reader' : 'member', slot, incarnation, !reader);
    this.slots[slot] = member;
    const opened = await member.next((e) => e.ev === 'opened' || e.ev === 'fatal', 60_000);
    if (opened?.ev !== 'opened') {
      member.signal('SIGKILL');
      await member.exited;
      if (this.slots[slot] === member) this.slots[slot] = null;
      return null;
    }
    return member;
  }

  /** Forks an init call (opens the store with the migrations, closes). */
  startInit(number: number, candidate: boolean): ChaosProcess {
    return this.spawn('init', number, 1, candidate);
  }

  private spawn(mode: ChaosMemberConfig['mode'], slot: number, incarnation: number, candidate: boolean): ChaosProcess {
    const name = processName(mode, slot, incarnation);
    const python = mode === 'member' && this.python.has(slot);
    // With readers, Node members of odd slots read locally too, so leaders do (see ChaosMemberConfig).
    const readsLocally = mode === 'reader' || (mode === 'member' && this.readers > 0 && slot % 2 === 1 && !python);
    const config: ChaosMemberConfig = {
      ...this.base,
      mode,
      slot,
      incarnation,
      candidate,
      reads: readsLocally ? 'local' : 'leader',
      seed: `${this.seed}/${name}`,
      logFile: path.join(this.dir, `${slot}.${incarnation}.${mode === 'reader' ? 'reads' : 'log'}`),
    };
    const stderr = fs.openSync(path.join(this.dir, `${name}.stderr`), 'a');
    let child: ChildProcess;
    const spawnedAtMs = Date.now();
    try {
      child = python
        ? fork(PYTHON_MEMBER, [JSON.stringify(config)], {
            stdio: ['ignore', 'ignore', stderr, 'ipc'],
            execPath: process.env.PYTHON ?? 'python3',
            execArgv: [],
            serialization: 'json',
          })
        : fork(MEMBER_SCRIPT, [JSON.stringify(config)], { stdio: ['ignore', 'ignore', stderr, 'ipc'] });
    } finally {
      fs.closeSync(stderr);
    }
    const member = new ChaosProcess(name, mode, slot, incarnation, child, spawnedAtMs, python);
    this.all.add(member);
    this.started.push(member);
    member.onEvent((event) => {
      this.onEvent(member, event);
      if (event.ev === 'role' || event.ev === 'opened') this.wakeRoleWaiters();
    });
    void member.exited.then(() => {
      this.all.delete(member);
      this.wakeRoleWaiters();
    });
    return member;
  }

  /** The member currently leading (most recent report), or null during an election. */
  leader(): ChaosProcess | null {
    let found: ChaosProcess | null = null;
    for (const member of this.slots) {
      if (
        member !== null &&
        member.alive &&
        member.role === 'leader' &&
        (found === null || member.roleAt > found.roleAt)
      )
        found = member;
    }
    return found;
  }

  /** Live members that are not the leader (as last reported) and not closing. */
  followers(): ChaosProcess[] {
    const leader = this.leader();
    return this.slots.filter((m): m is ChaosProcess => m !== null && m.alive && !m.closing && m !== leader);
  }

  /**
   * Resolves with the leader once one is known, or null after `timeoutMs`. `sinceMs`: only a
   * leader that reported its leadership at or after that time (runner clock) counts.
   */
  async whenLeader(timeoutMs: number, sinceMs = 0): Promise<ChaosProcess | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.leader();
      const leader = found !== null && found.roleAt >= sinceMs ? found : null;
      if (leader !== null || Date.now() >= deadline) return leader;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, deadline - Date.now());
        const waiters = this.roleWaiters;
        waiters.push(wake);
        function wake(): void {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  private wakeRoleWaiters(): void {
    for (const wake of this.roleWaiters.splice(0)) wake();
  }

  /** SIGCONT then SIGKILL every process still running (synchronous: safe in an exit handler). */
  killEverything(): void {
    for (const member of this.all) {
      try {
        member.child.kill('SIGCONT');
        member.child.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
