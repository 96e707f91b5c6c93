/**
 * The board's interactive transactions: running one to its commit (again, if Baton's leader
 * died under it), and the two steps every such operation takes (read the task it is about,
 * log its event).
 */
import { LibsqlError, type Client, type Row, type Transaction } from '@baton/store';
import { fromClientError, KanbanError } from './errors';
import { toTask } from './rows';
import type { Task } from './types';

const TRANSACTION_ATTEMPTS = 3;

/**
 * Runs `work` in an interactive write transaction of `client` and commits it. A transaction
 * that Baton's leader rolled back because it died (`TRANSACTION_ABORTED`) committed nothing,
 * so it is run again.
 */
export async function inTransaction<T>(
  client: Pick<Client, 'transaction'>,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const tx = await client.transaction('write');
    try {
      const result = await work(tx);
      await tx.commit();
      return result;
    } catch (error) {
      tx.close();
      if (error instanceof LibsqlError && error.code === 'TRANSACTION_ABORTED' && attempt < TRANSACTION_ATTEMPTS)
        continue;
      throw fromClientError(error, 'transaction');
    }
  }
}

/** The task `taskId` as the transaction sees it; `NOT_FOUND` when there is none. */
export async function requireTask(tx: Transaction, taskId: string): Promise<Task> {
  const result = await tx.execute({ sql: `SELECT * FROM tasks WHERE id = ?`, args: [taskId] });
  const row: Row | undefined = result.rows[0];
  if (row === undefined) throw new KanbanError('NOT_FOUND', `task ${taskId} does not exist`);
  return toTask(row);
}

/** Appends a `kind` event for `taskId` by `actor` to the log, in the transaction. */
export async function logEvent(
  tx: Transaction,
  actor: string,
  taskId: string,
  kind: string,
  data: unknown,
): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO task_events (task_id, kind, actor, data, at) VALUES (?, ?, ?, ?, ?)`,
    args: [taskId, kind, actor, data === null ? null : JSON.stringify(data), Date.now()],
  });
}
