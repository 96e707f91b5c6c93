/**
 * Invariant 1 under chaos: at most one process has the database file (or its -wal, -shm) open.
 * Samples /proc/<pid>/fd of the fleet's own processes. One sample reads every process twice,
 * forwards then backwards; a process that holds a file at both of its reads held it at the
 * turning point between the two passes (a member never closes and reopens the database within
 * a sample), so two such processes are two holders at one instant: a single sample counts.
 * A process the runner has SIGKILLed does not count: it can no longer write, even while the
 * kernel is still closing its descriptors. With readers (`reads: 'local'`) only writers count:
 * processes holding the database file itself open for writing (its fdinfo's access mode).
 */
import * as fs from 'node:fs';

/** How often the chaos runner samples. */
export const SAMPLE_EVERY_MS = 200;

/** A process the sampler may look at. */
export interface Sampled {
  pid: number;
  name: string;
  killed: boolean;
  /** The runner SIGSTOPped it while it reported itself leader (with the lease, it may be overtaken). */
  pausedAsLeader: boolean;
}

/** Two or more processes seen holding the database at one instant. */
export interface Overlap {
  /** `name (pid N)` of each holder. */
  holders: string[];
  /** One of them is a leader the runner paused: what the lockfile lease allows. */
  pausedLeaderInvolved: boolean;
}

/** The access-mode bits of open flags (Linux; Node's fs.constants does not name it). */
const O_ACCMODE = 0o3;

/** True when descriptor `fd` of `pid` is open for writing (O_WRONLY or O_RDWR in its fdinfo flags). */
function forWriting(pid: number, fd: string): boolean {
  const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
  return flags === undefined || (parseInt(flags, 8) & O_ACCMODE) !== fs.constants.O_RDONLY;
}

function holds(pid: number, files: ReadonlySet<string>, writersOnly: boolean): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (
        files.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/ \(deleted\)$/, '')) &&
        (!writersOnly || forWriting(pid, fd))
      )
        return true;
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
  readonly overlaps: Overlap[] = [];
  private readonly files: Set<string>;
  private timer: NodeJS.Timeout | null = null;

  /** `writersOnly`: count only holders of the database file open for writing (readers run). */
  constructor(
    database: string,
    private readonly processes: () => Iterable<Sampled>,
    readonly writersOnly = false,
  ) {
    this.files = new Set(writersOnly ? [database] : [database, `${database}-wal`, `${database}-shm`]);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample; returns the number of processes holding the database at its turning point. */
  sample(): number {
    this.samples++;
    const candidates = [...this.processes()];
    const forwards = candidates.map((p) => holds(p.pid, this.files, this.writersOnly));
    const backwards: boolean[] = [];
    for (let i = candidates.length - 1; i >= 0; i--)
      backwards[i] = holds(candidates[i]!.pid, this.files, this.writersOnly);
    const holders = candidates.filter((p, i) => forwards[i] && backwards[i] && !p.killed);
    if (holders.length > 1) {
      this.overlaps.push({
        holders: holders.map((p) => `${p.name} (pid ${p.pid})`),
        pausedLeaderInvolved: holders.some((p) => p.pausedAsLeader),
      });
    }
    this.maxHolders = Math.max(this.maxHolders, holders.length);
    return holders.length;
  }
}
