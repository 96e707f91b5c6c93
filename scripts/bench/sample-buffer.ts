/**
 * Per-request figures the load generator keeps (latencies, acknowledgement times), in a
 * `Float64Array` that doubles when full.
 *
 * Not a `number[]`: a growing JavaScript array reallocates its backing store on the V8 heap,
 * young generation first, so under load every scavenge copied and promoted megabytes of the
 * harness's own samples, and a member's garbage collector spent several times longer than the
 * system under test made it (measured: 264 ms against 39 ms of scavenges in 4 s for a Baton
 * member at 64 in flight, and its throughput 16 % lower). The cost fell unevenly, heaviest on
 * the processes with the most live objects, so it skewed every ratio. A typed array's storage
 * lives outside the heap: the collector never copies it.
 */
export class SampleBuffer {
  private values = new Float64Array(1024);
  private held = 0;

  /** Appends one value. */
  push(value: number): void {
    if (this.held === this.values.length) {
      const larger = new Float64Array(this.values.length * 2);
      larger.set(this.values);
      this.values = larger;
    }
    this.values[this.held++] = value;
  }

  /** How many values are held. */
  get count(): number {
    return this.held;
  }

  /** A copy of the values from index `start` on. */
  since(start: number): Float64Array {
    return this.values.slice(start, this.held);
  }

  /** A copy of every value held, and starts afresh. */
  take(): Float64Array {
    const taken = this.values.slice(0, this.held);
    this.held = 0;
    return taken;
  }
}
