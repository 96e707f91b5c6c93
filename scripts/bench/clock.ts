/**
 * One clock for every process of the benchmark. `process.hrtime` reads CLOCK_MONOTONIC, which
 * on Linux is system-wide: a timestamp taken in one process can be subtracted from one taken
 * in another. The failover scenario depends on that (kill time in the coordinator, write
 * acknowledgement time in each member). Wall-clock time (`Date.now`) would not do: it has
 * millisecond resolution and can jump.
 */

/** Milliseconds on the host's monotonic clock, with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
