/**
 * What a board works through and announces on: the part of `@libsql/client`'s `Client` it
 * uses (plus Baton's `notify` where present), the channel of its ready notices, and the SQL
 * condition both halves of the board share.
 */
import type { Client } from '@baton/store';

/**
 * The client a board works through: the part of `Client` it uses, and Baton's `notify` where
 * the client has it (a Baton member does; a libSQL client does not, and the board then leaves
 * new work to the dispatchers' sweep).
 */
export type BoardStore = Pick<Client, 'execute' | 'batch' | 'transaction'> & {
  notify?: (channel: string, payload?: unknown) => Promise<void>;
};

/** The store channel on which the board announces tasks that became ready. */
export const READY_CHANNEL = 'kanban.ready';

/** The payload of a `READY_CHANNEL` notification. */
export interface ReadyNotice {
  taskIds: string[];
  /** Why they became ready: created, promoted, released, failed (retry) or unblocked. */
  reason: string;
}

/** Condition (on alias `t`) that no parent of task `t` is unfinished. */
export const PARENTS_DONE = `NOT EXISTS (SELECT 1 FROM task_links l JOIN tasks p ON p.id = l.parent WHERE l.child = t.id AND p.status <> 'done')`;
