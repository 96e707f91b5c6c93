/**
 * Invariant 1 under chaos: at most one process has the database file (or its -wal, -shm) open.
 * Samples /proc/<pid>/fd of the fleet's own processes. A sighting of two holders is confirmed
 * by looking at the earlier ones again (a handover between two reads would otherwise look like
 * an overlap), and a process the runner has SIGKILLed does not count: it can no longer write,
 * even while the kernel is still closing its descriptors.
 */
import * as fs from 'node:fs';

/** A process the sampler may look at. */
export interface Sampled {
  pid: number;
  name: string;
  killed: boolean;
}

function holds(pid: number, files: ReadonlySet<string>): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (files.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/ \(deleted\)$/, ''))) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/** Periodic sampling of who holds the database open. */
export class OpenerSampler {
  samples = 0;
  maxHolders = 0;
  readonly overlaps: string[] = [];
  private readonly files: Set<string>;
  private timer: NodeJS.Timeout | null = null;

  constructor(database: string, private readonly processes: () => Iterable<Sampled>) {
    this.files = new Set([database, `${database}-wal`, `${database}-shm`]);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample; returns the number of holders seen. */
  sample(): number {
    this.samples++;
    const candidates = [...this.processes()].filter((p) => !p.killed);
    const holders = candidates.filter((p) => holds(p.pid, this.files));
    if (holders.length > 1) {
      // Everyone but the last one seen must still hold it now, while the last one held it.
      const confirmed = holders.slice(0, -1).every((p) => !p.killed && holds(p.pid, this.files));
      if (confirmed) this.overlaps.push(`${holders.map((p) => `${p.name} (pid ${p.pid})`).join(' and ')} had the database open at once`);
      else return 1;
    }
    this.maxHolders = Math.max(this.maxHolders, holders.length);
    return holders.length;
  }
}
