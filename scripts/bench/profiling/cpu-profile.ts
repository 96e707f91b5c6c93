/**
 * Reads V8 `.cpuprofile` files (from `node --cpu-prof`) and says where the time went: self
 * time by function and by bucket (a store module, msgpackr, better-sqlite3, node's net and
 * stream internals, GC, idle).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one profile, summed by function and by bucket, in ms. */
export interface ProfileSummary {
  file: string;
  /** From the file name: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile (thread 0 is the main thread). */
  pid: number;
  thread: number;
  totalMs: number;
  idleMs: number;
  byBucket: [string, number][];
  byFunction: [string, number][];
}

/** The bucket a frame's self time belongs to. */
export function bucketOf(frame: CallFrame): string {
  const { functionName, url } = frame;
  if (url === '') {
    if (
      functionName === '(idle)' ||
      functionName === '(program)' ||
      functionName === '(garbage collector)' ||
      functionName === '(root)'
    )
      return functionName;
    return `native ${functionName || '(anonymous)'}`;
  }
  const store = /packages\/store\/dist\/src\/(.+)\.js$/.exec(url);
  if (store !== null) return `store ${store[1]}`;
  if (url.includes('/msgpackr/')) return 'msgpackr';
  if (url.includes('/better-sqlite3/')) return 'better-sqlite3 (js)';
  if (url.includes('/eventemitter3/')) return 'eventemitter3';
  if (url.includes('/scripts/dist/bench/')) return 'bench harness';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node ');
  return path.basename(url);
}

/**
 * Summarizes one `.cpuprofile` file, counting only samples inside `window` when given (ms on
 * the host's monotonic clock: V8 stamps samples with CLOCK_MONOTONIC microseconds, the clock
 * of clock.ts), so start-up and shutdown do not drown the steady state.
 */
export function summarizeProfile(file: string, window?: { fromMs: number; toMs: number }): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  // timeDeltas[i] is the time since the previous sample; timeDeltas[i + 1] is sample i's share.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window !== undefined && (at / 1000 < window.fromMs || at / 1000 > window.toMs)) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    totalUs += us;
    const bucket = bucketOf(node.callFrame);
    if (bucket === '(idle)') idleUs += us;
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const name =
      `${functionName || '(anonymous)'} ${url === '' ? '' : `${path.basename(url)}:${lineNumber + 1}`}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const sorted = (map: Map<string, number>): [string, number][] =>
    [...map.entries()].map(([k, us]): [string, number] => [k, us / 1000]).sort((a, b) => b[1] - a[1]);
  const parts = path.basename(file).split('.');
  return {
    file,
    pid: Number(parts[3]),
    thread: Number(parts[4]),
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    byBucket: sorted(buckets),
    byFunction: sorted(functions),
  };
}
