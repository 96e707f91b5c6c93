/**
 * A fresh process's first write, as a short-lived program (a CLI that writes one row) pays it:
 * `openStore` (it finds the running leader and joins as a follower), one acknowledged insert,
 * and `close`. Loading the store's module comes before and is reported apart (`loadMs`): it is
 * Node's cost of reading a library, not the store's work.
 */
import { nowMs } from './clock';
import type { SyncMode } from './messages';
import { INSERT_SQL, PAYLOAD } from './workload';

/** Times the three steps in this process, in ms. */
export async function timeFirstWrite(
  path: string,
  sync: SyncMode,
  index: number,
): Promise<{ loadMs: number; openMs: number; writeMs: number; closeMs: number }> {
  const loadingAt = nowMs();
  const { openStore } = await import('@baton/store');
  const startedAt = nowMs();
  const store = await openStore({ path, name: `first-write-${index}`, synchronous: sync });
  const openedAt = nowMs();
  await store.execute(INSERT_SQL, [index, PAYLOAD]);
  const wroteAt = nowMs();
  await store.close();
  const closedAt = nowMs();
  return {
    loadMs: startedAt - loadingAt,
    openMs: openedAt - startedAt,
    writeMs: wroteAt - openedAt,
    closeMs: closedAt - wroteAt,
  };
}
