/**
 * Runaway statements. A statement that never ends (a recursive CTE without a limit) would hang
 * the whole fleet: the engine is single-threaded by design and better-sqlite3 exposes neither
 * `sqlite3_interrupt` nor a progress handler, so native SQLite code cannot be stopped from JS.
 *
 * So the engine thread marks, in shared memory, which request it is running and since when;
 * the hosting member's main thread watches that mark. Past the limit it records the request in
 * the runaway list next to the database, and ends the engine: first by terminating the thread,
 * and when native code does not let go, by ending its own process, the only way to close the
 * file that keeps "one opener" true. The next leader answers that request, when its member
 * re-sends it, with `STATEMENT_TIMEOUT` instead of running it again; everyone else's requests
 * are re-sent and answered as in any failover.
 */

const CLIENT_ID_BYTES = 128;
const LAYOUT_BYTES = 16 + 1 + CLIENT_ID_BYTES;
/** The shared mark: which request the engine is running, since when (ms since the Unix epoch). */
export class BusyMarker {
  private readonly numbers: Float64Array;
  private readonly bytes: Uint8Array;
  /** The client id the shared bytes hold: a member's requests come in runs, and its id is copied once per run. */
  private written: string | null = null;

  /** @param buffer - shared with the other thread; `BusyMarker.allocate()` makes one */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.numbers = new Float64Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, 16, 1 + CLIENT_ID_BYTES);
  }

  /** A fresh shared buffer for a marker. */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(LAYOUT_BYTES);
  }

  /** Marks the start of a request's synchronous work. */
  begin(clientId: string, seq: number): void {
    if (clientId !== this.written) {
      const length = Math.min(clientId.length, CLIENT_ID_BYTES);
      this.bytes[0] = length;
      for (let i = 0; i < length; i++) this.bytes[i + 1] = clientId.charCodeAt(i) & 0x7f;
      this.written = clientId;
    }
    this.numbers[1] = seq;
    this.numbers[0] = Date.now();
  }

  /** Marks the engine idle. */
  end(): void {
    this.numbers[0] = 0;
  }

  /** What the engine is running, or null when idle. */
  read(): { since: number; clientId: string; seq: number } | null {
    const since = this.numbers[0]!;
    if (since === 0) return null;
    const length = this.bytes[0]!;
    const clientId = String.fromCharCode(...this.bytes.subarray(1, 1 + length));
    return { since, clientId, seq: this.numbers[1]! };
  }
}
