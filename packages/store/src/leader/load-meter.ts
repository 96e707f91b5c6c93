/**
 * The leader's load over the last minute: requests per second, latency percentiles and the
 * average group-commit size, for `status()` and `baton status`. Per-second buckets with a
 * log-scale latency histogram: constant memory, O(1) per request.
 */

const WINDOW_SECONDS = 60;
/** Histogram bucket upper bounds in ms: 0.01 ms growing by 25% per bucket, up to ~60 s. */
const BOUNDS: number[] = [];
for (let bound = 0.01; bound < 60_000; bound *= 1.25) BOUNDS.push(bound);
BOUNDS.push(Number.POSITIVE_INFINITY);

interface Bucket {
  second: number;
  reads: number;
  writes: number;
  commits: number;
  groupedWrites: number;
  histogram: Uint32Array;
}

/** Load figures over the last minute. */
export interface LoadSnapshot {
  writesPerSec: number;
  readsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  avgGroupSize: number;
}

function bucketIndex(ms: number): number {
  let low = 0;
  let high = BOUNDS.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (ms <= BOUNDS[mid]!) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Counts requests and latencies per second over a sliding minute. */
export class LoadMeter {
  private readonly buckets: Bucket[] = [];

  private current(): Bucket {
    const second = Math.floor(Date.now() / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && last.second === second) return last;
    const bucket = {
      second,
      reads: 0,
      writes: 0,
      commits: 0,
      groupedWrites: 0,
      histogram: new Uint32Array(BOUNDS.length),
    };
    this.buckets.push(bucket);
    while (this.buckets.length > 0 && this.buckets[0]!.second <= second - WINDOW_SECONDS) this.buckets.shift();
    return bucket;
  }

  /** Records one answered read and how long the leader held it (arrival to reply). */
  read(latencyMs: number): void {
    const bucket = this.current();
    bucket.reads++;
    bucket.histogram[bucketIndex(latencyMs)]!++;
  }

  /**
   * Records one group commit and its answered writes, each held from its arrival to
   * `repliedAt`, with one look at the clock for the whole group.
   */
  commitGroup(group: readonly { receivedAt: number }[], repliedAt: number): void {
    const bucket = this.current();
    bucket.commits++;
    bucket.groupedWrites += group.length;
    bucket.writes += group.length;
    for (const item of group) bucket.histogram[bucketIndex(repliedAt - item.receivedAt)]!++;
  }

  /** The figures over the last minute (rates over the seconds actually observed, at most 60). */
  snapshot(): LoadSnapshot {
    const now = Math.floor(Date.now() / 1000);
    const live = this.buckets.filter((b) => b.second > now - WINDOW_SECONDS);
    const seconds = live.length === 0 ? 1 : Math.max(1, now - live[0]!.second + 1);
    const histogram = new Uint32Array(BOUNDS.length);
    let reads = 0;
    let writes = 0;
    let commits = 0;
    let grouped = 0;
    for (const b of live) {
      reads += b.reads;
      writes += b.writes;
      commits += b.commits;
      grouped += b.groupedWrites;
      for (let i = 0; i < histogram.length; i++) histogram[i]! += b.histogram[i]!;
    }
    const total = reads + writes;
    const percentile = (p: number): number => {
      if (total === 0) return 0;
      const rank = Math.ceil(total * p);
      let seen = 0;
      for (let i = 0; i < histogram.length; i++) {
        seen += histogram[i]!;
        if (seen >= rank)
          return Number((BOUNDS[i] === Number.POSITIVE_INFINITY ? BOUNDS[i - 1]! : BOUNDS[i]!).toFixed(3));
      }
      return 0;
    };
    return {
      writesPerSec: writes / seconds,
      readsPerSec: reads / seconds,
      p50Ms: percentile(0.5),
      p99Ms: percentile(0.99),
      avgGroupSize: commits === 0 ? 0 : grouped / commits,
    };
  }
}
