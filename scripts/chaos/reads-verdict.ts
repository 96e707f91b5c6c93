/**
 * The verdict on the readers (`--readers`): every read saw every write acknowledged before it
 * started. Times are CLOCK_MONOTONIC (`process.hrtime.bigint()`), one clock for every process on
 * the host: a writer takes its acknowledgement's time after the answer, a reader its read's
 * before the call, so an acknowledgement earlier than a read's start committed before the read
 * began.
 *
 * What a read sees is summed up by two numbers: the generation of the file it read, and
 * max(rowid) of chaos_rows there. Rowids grow in commit order (rows are never deleted; a
 * rolled-back insert's rowid can be taken again, but only by a later commit), so a snapshot that
 * holds a committed row holds every row committed before it, and a read whose snapshot missed a
 * write has max(rowid) below that write's largest rowid in the same file. And a write
 * acknowledged in a newer generation than the one read means the read went to a lost file after
 * the new file's leader acknowledged a write (so after the old leader had stepped down).
 *
 * Everything here is a function of the logs, so it is tested with logs written by hand
 * (scripts/test/chaos-verdict.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Check } from './check';

/** An acknowledged write as the files hold it. */
export interface PlacedWrite {
  /** `<slot>.<incarnation>.<seq>` */
  op: string;
  /** When its writer had the acknowledgement (hrtime ns). */
  ackNs: bigint;
  /** The generation whose file holds its rows. */
  generation: number;
  /** Its largest rowid there. */
  maxRowid: number;
}

/** One read from a reader's log. */
export interface ReadRecord {
  /** The reader process (`r7.1`). */
  reader: string;
  /** When the read started (hrtime ns, taken before the call). */
  t0: bigint;
  generation: number;
  maxRowid: number;
  /** Served by the reader itself (else forwarded to the leader). */
  local: boolean;
}

/** Everything the readers logged. */
export interface ReadLogs {
  reads: ReadRecord[];
  /** Failed reads by error code. */
  failures: Record<string, number>;
  malformedLines: number;
}

/** What the readers' verdict counted, for the summary. */
export interface ReadsSeen {
  checked: number;
  local: number;
  forwarded: number;
  failed: number;
  violations: number;
}

/** Parses the lines of read logs (`R <t0> <g> <m> <L|F>`, `X <t0> <code>`; see protocol.ts). */
export function parseReadLog(reader: string, lines: readonly string[], into: ReadLogs): void {
  for (const line of lines) {
    if (line === '') continue;
    const parts = line.split(' ');
    if (parts[0] === 'R' && parts.length === 5 && /^\d+$/.test(parts[1]!) && (parts[4] === 'L' || parts[4] === 'F')) {
      const generation = Number(parts[2]);
      const maxRowid = Number(parts[3]);
      if (Number.isSafeInteger(generation) && Number.isSafeInteger(maxRowid)) {
        into.reads.push({ reader, t0: BigInt(parts[1]!), generation, maxRowid, local: parts[4] === 'L' });
        continue;
      }
    } else if (parts[0] === 'X' && parts.length === 3 && /^\d+$/.test(parts[1]!)) {
      into.failures[parts[2]!] = (into.failures[parts[2]!] ?? 0) + 1;
      continue;
    }
    into.malformedLines++;
  }
}

/** Reads every `<slot>.<incarnation>.reads` in `directory`. */
export function readReadLogs(directory: string): ReadLogs {
  const logs: ReadLogs = { reads: [], failures: {}, malformedLines: 0 };
  for (const file of fs
    .readdirSync(directory)
    .filter((f) => f.endsWith('.reads'))
    .sort()) {
    const lines = fs.readFileSync(path.join(directory, file), 'utf8').split('\n');
    parseReadLog(`r${file.slice(0, -'.reads'.length)}`, lines, logs);
  }
  return logs;
}

/**
 * Checks every read against the writes acknowledged before it started: one pass over both in
 * time order, keeping per generation the largest rowid acknowledged so far (and whose), and the
 * newest generation any acknowledged write lives in.
 */
export function readsVerdict(writes: readonly PlacedWrite[], logs: ReadLogs): { checks: Check[]; seen: ReadsSeen } {
  const byAck = [...writes].sort((a, b) => (a.ackNs < b.ackNs ? -1 : a.ackNs > b.ackNs ? 1 : 0));
  const reads = [...logs.reads].sort((a, b) => (a.t0 < b.t0 ? -1 : a.t0 > b.t0 ? 1 : 0));
  const newestIn = new Map<number, PlacedWrite>();
  let newestGeneration: PlacedWrite | null = null;
  let next = 0;
  let violations = 0;
  const examples: string[] = [];
  for (const read of reads) {
    for (; next < byAck.length && byAck[next]!.ackNs < read.t0; next++) {
      const write = byAck[next]!;
      const best = newestIn.get(write.generation);
      if (best === undefined || write.maxRowid > best.maxRowid) newestIn.set(write.generation, write);
      if (newestGeneration === null || write.generation > newestGeneration.generation) newestGeneration = write;
    }
    const at = `${read.reader} at ${read.t0} ns (${read.local ? 'local' : 'forwarded'})`;
    let problem: string | null = null;
    if (newestGeneration !== null && newestGeneration.generation > read.generation)
      problem = `${at} read generation ${read.generation}, after ${newestGeneration.op} was acknowledged in generation ${newestGeneration.generation} at ${newestGeneration.ackNs} ns`;
    else {
      const missed = newestIn.get(read.generation);
      if (missed !== undefined && missed.maxRowid > read.maxRowid)
        problem = `${at} saw max(rowid) ${read.maxRowid} in generation ${read.generation}, missing ${missed.op} (rowid ${missed.maxRowid}, acknowledged at ${missed.ackNs} ns)`;
    }
    if (problem !== null) {
      violations++;
      if (examples.length < 3) examples.push(problem);
    }
  }
  const local = logs.reads.filter((r) => r.local).length;
  const failed = Object.values(logs.failures).reduce((a, b) => a + b, 0);
  const seen: ReadsSeen = {
    checked: reads.length,
    local,
    forwarded: reads.length - local,
    failed,
    violations,
  };
  const checks: Check[] = [
    {
      name: 'every read saw every write acknowledged before it started',
      ok: violations === 0 && reads.length > 0 && logs.malformedLines === 0,
      detail:
        reads.length === 0
          ? 'no read was logged'
          : logs.malformedLines > 0
            ? `${logs.malformedLines} unparseable lines in the read logs`
            : violations === 0
              ? `${reads.length} reads checked against ${byAck.length} acknowledged writes`
              : `${violations} of ${reads.length} reads missed an acknowledged write: ${examples.join('; ')}`,
    },
    {
      name: 'readers served reads themselves (reads: local)',
      ok: local > 0,
      detail: `${local} of ${reads.length} reads served locally, ${reads.length - local} forwarded to the leader`,
    },
    {
      name: 'no read failed',
      ok: failed === 0,
      detail:
        failed === 0
          ? 'none'
          : Object.entries(logs.failures)
              .map(([code, n]) => `${code} x${n}`)
              .join(', '),
    },
  ];
  return { checks, seen };
}
