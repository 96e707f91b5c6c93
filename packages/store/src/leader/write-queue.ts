/**
 * The leader's write queue: what waits for the writer, in arrival order. Writes that arrive in
 * one event-loop turn are committed together: while SQLite flushes one group, the next requests
 * wait in the socket buffers and form the next group, so the group size follows the load
 * without any timer. Hellos that bring new migrations and write-transaction starts wait here
 * too, so they take the writer in turn.
 */
import type { HelloFrame } from '../protocol/messages';
import type { ForgetBelow, WriteJob } from './engine';
import type { Session } from './session';

/** How many settled requests of a member accumulate before the leader deletes their records. */
const FORGET_BATCH = 64;
/** The most writes one group commit holds; the rest wait for the next. */
const MAX_GROUP_SIZE = 512;

/** A write that joins a group commit, with whom to answer and what to announce after it. */
export interface QueuedWrite {
  kind: 'write';
  session: Session;
  requestId: number;
  receivedAt: number;
  job: WriteJob;
  notify?: { channel: string; payload: unknown };
}

/** One item of the queue. */
export type QueueItem =
  | QueuedWrite
  | { kind: 'begin'; session: Session; requestId: number; timeoutMs: number }
  | { kind: 'hello'; session: Session; hello: HelloFrame };

/** The queue itself. */
export class WriteQueue {
  private readonly items: QueueItem[] = [];

  /** How many items wait. */
  get length(): number {
    return this.items.length;
  }

  /** The next item, if any. */
  get head(): QueueItem | undefined {
    return this.items[0];
  }

  /** Adds an item at the end. */
  push(item: QueueItem): void {
    this.items.push(item);
  }

  /** Removes and returns the next item. */
  shift(): QueueItem | undefined {
    return this.items.shift();
  }

  /** Drops everything (a fenced leader answers nothing: members re-send to the next one). */
  clear(): void {
    this.items.length = 0;
  }

  /**
   * Takes the writes at the head of the queue that commit together: up to `MAX_GROUP_SIZE`, and
   * a migration alone (it runs with foreign keys off, which SQLite allows only between
   * transactions).
   */
  takeGroup(): QueuedWrite[] {
    const group: QueuedWrite[] = [];
    for (let next = this.items[0]; group.length < MAX_GROUP_SIZE && next?.kind === 'write'; next = this.items[0]) {
      const isMigration = next.job.work.k === 'migrate';
      if (isMigration && group.length > 0) break;
      this.items.shift();
      group.push(next);
      if (isMigration) break;
    }
    return group;
  }
}

/**
 * The members of `group` whose settled requests are worth forgetting now: in batches of
 * `FORGET_BATCH`, to keep commits small. Marks them as forgotten.
 */
export function forgettable(group: readonly { session: Session }[]): ForgetBelow[] {
  const forget: ForgetBelow[] = [];
  for (const { session } of group) {
    if (session.low - session.forgottenBelow < FORGET_BATCH) continue;
    session.forgottenBelow = session.low;
    forget.push({ clientId: session.hello!.clientId, below: session.low });
  }
  return forget;
}
