/**
 * A fresh process's first write, as a short-lived program (a CLI that writes one row) pays it:
 * `openStore` (it finds the running leader and joins as a follower), one acknowledged insert,
 * and `close`. The store's module is loaded before the clock starts: that is Node's cost, the
 * same for any library.
 */
import { nowMs } from './clock';
import type { SyncMode } from './messages';
import { INSERT_SQL, PAYLOAD } from './workload';

/** Times the three steps in this process, in ms. */
export async function timeFirstWrite(
  path: string,
  sync: SyncMode,
  index: number,
): Promise<{ openMs: number; writeMs: number; closeMs: number }> {
  const { openStore } = await import('@baton/store');
  const startedAt = nowMs();
  const store = await openStore({ path, name: `first-write-${index}`, synchronous: sync });
  const openedAt = nowMs();
  await store.execute(INSERT_SQL, [index, PAYLOAD]);
  const wroteAt = nowMs();
  await store.close();
  const closedAt = nowMs();
  return { openMs: openedAt - startedAt, writeMs: wroteAt - openedAt, closeMs: closedAt - wroteAt };
}
