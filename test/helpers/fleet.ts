/**
 * Forked fleet members for multi-process tests. Every member is tracked and `killAll()` (call
 * it in afterEach) SIGKILLs whatever is still running, so a failing test leaves no process.
 * Tests wait for events (`waitFor`) rather than sleeping.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { StoreOptions } from '@baton/store';
import type { MemberCommand, MemberEvent } from '../fixtures/member-protocol';

/** A member's answer to one command. */
type ResultEvent = Extract<MemberEvent, { ev: 'result' }>;

const MEMBER_SCRIPT = path.join(__dirname, '..', 'fixtures', 'member.js');
const live = new Set<Member>();

/** A forked member and everything it has reported. */
export class Member {
  readonly events: MemberEvent[] = [];
  readonly acked = new Set<string>();
  readonly failed: Extract<MemberEvent, { ev: 'failed' }>[] = [];
  private waiters: { test: (e: MemberEvent) => boolean; resolve: (e: MemberEvent) => void }[] = [];
  private exited: Promise<void>;
  private nextRef = 1;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    live.add(this);
    child.on('message', (event: MemberEvent) => this.record(event));
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        live.delete(this);
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  private record(event: MemberEvent): void {
    this.events.push(event);
    if (event.ev === 'acked') event.ids.forEach((id) => this.acked.add(id));
    if (event.ev === 'failed') this.failed.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(event)) return true;
      w.resolve(event);
      return false;
    });
  }

  /** Resolves with the first event (already seen or future) that passes `test`. */
  waitFor<E extends MemberEvent>(test: (e: MemberEvent) => e is E, timeoutMs?: number): Promise<E>;
  waitFor(test: (e: MemberEvent) => boolean, timeoutMs?: number): Promise<MemberEvent>;
  waitFor(test: (e: MemberEvent) => boolean, timeoutMs = 30_000): Promise<MemberEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return this.waitForNext(test, timeoutMs);
  }

  /** Resolves with the next future event that passes `test`. */
  waitForNext(test: (e: MemberEvent) => boolean, timeoutMs = 30_000): Promise<MemberEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: no matching event within ${timeoutMs} ms; saw ${JSON.stringify(this.events.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  send(command: MemberCommand): void {
    this.child.send(command);
  }

  /** Runs one statement in this member and resolves with its result (or coded error). */
  async exec(sql: string, args?: unknown[]): Promise<ResultEvent> {
    const ref = this.nextRef++;
    this.send({ cmd: 'exec', ref, sql, args });
    return this.waitFor((e): e is ResultEvent => e.ev === 'result' && e.ref === ref);
  }

  /**
   * Runs one statement in this member: `sent` resolves once the member has handed it to its
   * store (sent to its leader, when connected), `result` with its result (or coded error).
   */
  startExec(sql: string, args?: unknown[]): { sent: Promise<void>; result: Promise<ResultEvent> } {
    const ref = this.nextRef++;
    this.send({ cmd: 'exec', ref, sql, args });
    return {
      sent: this.waitFor((e) => e.ev === 'sent' && e.ref === ref).then(() => undefined),
      result: this.waitFor((e): e is ResultEvent => e.ev === 'result' && e.ref === ref),
    };
  }

  /** Sends a command that answers with a `result` event carrying `ref`, and resolves with it. */
  async call(command: (ref: number) => MemberCommand): Promise<Extract<MemberEvent, { ev: 'result' }>> {
    const ref = this.nextRef++;
    this.send(command(ref));
    return (await this.waitFor((e) => e.ev === 'result' && e.ref === ref)) as Extract<MemberEvent, { ev: 'result' }>;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  /**
   * Resolves when the process has exited; rejects, naming the member and its last events, if it
   * is still running after `timeoutMs` (a member whose close never finishes must fail the test
   * with a reason, not hang it until the test's own timeout).
   */
  whenExited(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms; saw ${JSON.stringify(this.events.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      void this.exited.then(() => (clearTimeout(timer), resolve()));
    });
  }
}

/** True when the last role `member` reported is leader. */
export function isLeader(member: Member): boolean {
  const roles = member.events.filter((e) => e.ev === 'opened' || e.ev === 'role');
  const last = roles[roles.length - 1];
  return last !== undefined && 'role' in last && last.role === 'leader';
}

/** The one member of `members` that reports leading; throws unless exactly one does. */
export function leaderOf(members: Member[]): Member {
  const leaders = members.filter(isLeader);
  if (leaders.length !== 1) throw new Error(`expected exactly one leader, found ${leaders.length}`);
  return leaders[0]!;
}

/** Forks a member with `options` (path required), without waiting for it to open its store. */
export function forkMember(options: StoreOptions & { name: string }, env: NodeJS.ProcessEnv = {}): Member {
  const child = fork(MEMBER_SCRIPT, [JSON.stringify(options)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Member(child, options.name);
}

/** Forks a member with `options` (path required) and waits until it has opened its store. */
export async function startMember(
  options: StoreOptions & { name: string },
  env: NodeJS.ProcessEnv = {},
): Promise<Member> {
  const member = forkMember(options, env);
  await member.waitFor((e) => e.ev === 'opened' || (e.ev === 'error' && !member.events.some((x) => x.ev === 'opened')));
  const opened = member.events.find((e) => e.ev === 'opened');
  if (!opened) throw new Error(`${options.name} failed to open: ${JSON.stringify(member.events)}`);
  return member;
}

/** SIGKILLs every member still running and waits for them to exit. Call in afterEach. */
export async function killAll(): Promise<void> {
  const members = [...live];
  for (const member of members) member.child.kill('SIGKILL');
  await Promise.all(members.map((m) => m.whenExited()));
}

/** Waits until `check` returns true, checking after each event of any member or every 20 ms. */
export async function until(check: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
