/** A Baton member as a benchmark target: every request goes through `Store.execute`. */
import { openStore, type Store } from '@baton/store';
import type { SyncMode } from '../messages';
import { INSERT_SQL, PAYLOAD, SELECT_SQL } from '../workload';
import type { LeaderCounters, Target } from './target';

/** Generous: a benchmark request should never time out; if one does, it is reported as an error. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Opens a Baton member on `path` (the table exists already; no migrations), reading through the leader or locally. */
export async function openBatonTarget(
  path: string,
  sync: SyncMode,
  index: number,
  candidate: boolean,
  reads: 'leader' | 'local',
): Promise<Target> {
  const store = await openStore({
    path,
    name: `bench-${index}`,
    synchronous: sync,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    candidate,
    reads,
  });
  return new BatonTarget(store, index);
}

class BatonTarget implements Target {
  readonly busyEscaped = 0;

  constructor(
    private readonly store: Store,
    private readonly index: number,
  ) {}

  get role(): string {
    return this.store.role;
  }

  get epoch(): number {
    return this.store.epoch;
  }

  write(): Promise<unknown> {
    return this.store.execute(INSERT_SQL, [this.index, PAYLOAD]);
  }

  read(id: number): Promise<unknown> {
    return this.store.execute(SELECT_SQL, [id]);
  }

  async counters(): Promise<LeaderCounters> {
    const status = await this.store.status();
    return {
      commits: status.counters.commits,
      groupedWrites: status.counters.groupedWrites,
      reads: status.counters.reads,
      writes: status.counters.writes,
      loadAvgGroupSize: status.load.avgGroupSize,
      leaderPid: status.leader.pid,
    };
  }

  onRole(listener: (role: string, epoch: number) => void): void {
    this.store.on('role', (role) => listener(role, this.store.epoch));
  }

  onFailover(listener: (ms: number) => void): void {
    this.store.on('failover', (event) => listener(event.ms));
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
