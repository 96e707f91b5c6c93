/**
 * The runaway list: requests whose statement ran away (see `protocol/busy-marker.ts`), kept in a
 * file next to the database. The hosting member's main thread records an entry when it ends a
 * runaway engine; the next leader reads the list and answers a re-send of that request with
 * `STATEMENT_TIMEOUT` instead of running it again.
 */
import * as fs from 'node:fs';
import { StoreError } from './errors';
import { writeFileAtomic } from './paths';

/** How long a runaway entry is honoured: longer than any request could still be re-sent. */
const RUNAWAY_RETENTION_MS = 10 * 60 * 1000;

/** One request that ran away. */
export interface RunawayEntry {
  clientId: string;
  seq: number;
  at: number;
  ms: number;
}

/** Adds `entry` to the runaway list at `file` (atomically, a new file with `mode`), dropping expired entries. */
export function recordRunaway(file: string, entry: RunawayEntry, mode: number): void {
  writeFileAtomic(file, JSON.stringify([...readRunaways(file), entry]) + '\n', { durable: true, mode });
}

/** The unexpired runaway entries at `file` (none when it is missing or unreadable). */
export function readRunaways(file: string): RunawayEntry[] {
  try {
    const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as RunawayEntry[];
    const now = Date.now();
    return Array.isArray(entries) ? entries.filter((e) => now - e.at < RUNAWAY_RETENTION_MS) : [];
  } catch {
    return [];
  }
}

/** The runaway list as a leader reads it when it starts: what to answer a re-sent runaway with. */
export class Runaways {
  private readonly byRequest: Map<string, RunawayEntry>;

  /** Reads the unexpired entries at `file`. */
  constructor(file: string) {
    this.byRequest = new Map(readRunaways(file).map((e) => [`${e.clientId}:${e.seq}`, e]));
  }

  /** `STATEMENT_TIMEOUT` for request `seq` of member `clientId` if it ran away, else null. */
  refusal(clientId: string, seq: number): StoreError | null {
    if (this.byRequest.size === 0) return null;
    const runaway = this.byRequest.get(`${clientId}:${seq}`);
    if (runaway === undefined) return null;
    return new StoreError(
      'STATEMENT_TIMEOUT',
      `this request ran for more than ${runaway.ms} ms and its leader was stopped; it was not run again`,
    );
  }
}
