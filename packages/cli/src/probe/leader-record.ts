/**
 * The leader record: the small JSON file each new leader writes next to the database
 * (`<db>-baton.json`). It outlives its leader, which is what makes it useful when nobody
 * answers: it says who led last.
 */
import * as fs from 'node:fs';

/** The leader record as written by the store's leader engine. */
export interface LeaderRecord {
  pid: number;
  name: string;
  epoch: number;
  socketPath: string;
  /** When that leader started (ms since the Unix epoch). */
  startedAt: number;
  version: string;
}

/** Reads and checks the leader record at `file`; `null` when it is missing or not a record. */
export function readLeaderRecord(file: string): LeaderRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  return isLeaderRecord(parsed) ? parsed : null;
}

function isLeaderRecord(value: unknown): value is LeaderRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(r.pid) &&
    typeof r.name === 'string' &&
    Number.isSafeInteger(r.epoch) &&
    typeof r.socketPath === 'string' &&
    typeof r.startedAt === 'number' &&
    typeof r.version === 'string'
  );
}
