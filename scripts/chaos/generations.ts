/**
 * The run's database files, one per generation (`--replace`). The runner creates every file
 * itself with the sqlite3 shell: the chaos schema and `chaos_generation` holding its number,
 * nothing of Baton's (the first leader on it adds `_baton_*`, and the members' migrations find
 * their tables there). Generation 0 is put in place before any member starts; each replacement
 * swaps a fresh file in under the live fleet and keeps the old one as `lost-<g>.db`.
 *
 * The swap is one atomic exchange of the two names (renameat2 RENAME_EXCHANGE, through Python's
 * ctypes: Node has no binding), then a rename of the old file to its `lost-` name. Two plain
 * renames would leave an instant with no file at the path, in which a new leader would create an
 * empty one; a hard link kept aside instead would leave the old leader's descriptors showing the
 * database's own name, "(deleted)", to the opener tracker.
 *
 * After the run, each lost file gets back the -wal its leader moved aside when it noticed the
 * replacement (`<db>-wal.lost-epoch<E>-<ms>`, matched by time: it was moved after the file was
 * replaced and before the next replacement), so the verdict reads every write it acknowledged.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Check } from './check';
import { CHAOS_MIGRATIONS, GENERATION_TABLE } from './protocol';

/** One database file of the run, as the verdict reads it. */
export interface GenerationFile {
  generation: number;
  path: string;
  /** The quarantined -wal put back beside a lost file (null: the final file, or none was found). */
  restoredWal: string | null;
}

const EXCHANGE = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.renameat2(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2) != 0:
    e = ctypes.get_errno()
    sys.exit(f"renameat2 RENAME_EXCHANGE: {os.strerror(e)}")
`;

/** Swaps the names `a` and `b` atomically (both must exist). */
function exchange(a: string, b: string): void {
  execFileSync('python3', ['-c', EXCHANGE, a, b], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The generations of one run's database. */
export class Generations {
  /** When each generation was replaced (wall clock ms, taken just before the swap), by generation. */
  readonly replacedAtMs: number[] = [];

  constructor(
    private readonly dir: string,
    private readonly database: string,
  ) {}

  /** The generation at the database path now. */
  get current(): number {
    return this.replacedAtMs.length;
  }

  /** The path of lost generation `g`. */
  lostPath(g: number): string {
    return path.join(this.dir, `lost-${g}.db`);
  }

  /** Creates generation 0 at the database path (nothing may be there yet). */
  createFirst(): void {
    const fresh = this.createFresh(0);
    fs.renameSync(fresh, this.database);
  }

  /** Puts a fresh file in place under the fleet and keeps the one it replaces as `lost-<g>.db`. */
  replace(): void {
    const lost = this.current;
    const fresh = this.createFresh(lost + 1);
    this.replacedAtMs.push(Date.now());
    exchange(fresh, this.database);
    fs.renameSync(fresh, this.lostPath(lost));
  }

  /**
   * Once every member has stopped: each lost file with its quarantined -wal put back, then the
   * final file. `unmatched`: quarantined WALs no lost file could take (a second one in one
   * generation, or one from before any replacement).
   */
  collect(): { files: GenerationFile[]; unmatched: string[] } {
    const prefix = `${path.basename(this.database)}-wal.lost-epoch`;
    const quarantined = fs
      .readdirSync(this.dir)
      .filter((f) => f.startsWith(prefix))
      .map((f) => ({ file: f, ms: Number(/-(\d+)$/.exec(f)?.[1]) }))
      .sort((a, b) => a.ms - b.ms);
    const files: GenerationFile[] = [];
    const unmatched: string[] = [];
    const byGeneration = new Map<number, string>();
    for (const { file, ms } of quarantined) {
      const g = this.replacedAtMs.filter((at) => at <= ms).length - 1;
      if (g < 0 || byGeneration.has(g)) unmatched.push(file);
      else byGeneration.set(g, file);
    }
    for (let g = 0; g < this.current; g++) {
      const wal = byGeneration.get(g);
      if (wal !== undefined) fs.renameSync(path.join(this.dir, wal), `${this.lostPath(g)}-wal`);
      files.push({ generation: g, path: this.lostPath(g), restoredWal: wal ?? null });
    }
    files.push({ generation: this.current, path: this.database, restoredWal: null });
    return { files, unmatched };
  }

  /** A new file `fresh-<g>.db` with the chaos schema and its generation number. */
  private createFresh(g: number): string {
    const fresh = path.join(this.dir, `fresh-${g}.db`);
    const sql = [
      'PRAGMA journal_mode = WAL',
      GENERATION_TABLE,
      `INSERT INTO chaos_generation (n) VALUES (${g})`,
      ...CHAOS_MIGRATIONS.map((m) => m.sql),
    ].join(';\n');
    execFileSync('sqlite3', ['-batch', '-bail', fresh, sql], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.chmodSync(fresh, 0o600); // as Baton creates it: members warn about a file others may read
    return fresh;
  }
}

/** What the summary says of the generations. */
export interface GenerationsSeen {
  /** Files read by the verdict: the final one and every lost one. */
  files: number;
  /** Lost files that got their quarantined -wal back. */
  walsRestored: number;
}

/**
 * Every lost file's -wal was moved aside by its leader (so it was never replayed into the next
 * file) and matched to it, and no quarantined -wal was left over.
 */
export function generationsCheck(
  files: readonly GenerationFile[],
  unmatched: readonly string[],
): { check: Check; seen: GenerationsSeen } {
  const lost = files.slice(0, -1);
  const without = lost.filter((f) => f.restoredWal === null).map((f) => `lost-${f.generation}.db`);
  const walsRestored = lost.length - without.length;
  const problems = [
    ...(without.length > 0 ? [`no quarantined -wal for ${without.join(', ')}`] : []),
    ...(unmatched.length > 0 ? [`quarantined -wal matching no lost file: ${unmatched.join(', ')}`] : []),
  ];
  return {
    check: {
      name: "each replaced file's WAL moved aside by its leader, none left over",
      ok: problems.length === 0,
      detail:
        problems.length > 0
          ? problems.join('; ')
          : `${lost.length} replaced files, each with the -wal its leader moved aside put back beside it`,
    },
    seen: { files: files.length, walsRestored },
  };
}
