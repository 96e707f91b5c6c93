/** Length-prefixed frames (4-byte big-endian length, then the bytes) for the raw socket baseline. */

/** Prefixes `payload` with its length. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/**
 * Counts complete frames in a byte stream without copying them out: the baseline only needs
 * to know that a frame arrived, and copying would add cost that a round trip does not have.
 */
export class FrameSplitter {
  private header = Buffer.alloc(4);
  private headerFill = 0;
  private remaining = -1;

  /** Feeds a chunk; returns how many frames it completed. */
  push(chunk: Buffer): number {
    let complete = 0;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining < 0) {
        const take = Math.min(4 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < 4) break;
        this.remaining = this.header.readUInt32BE(0);
        this.headerFill = 0;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      this.remaining -= take;
      offset += take;
      if (this.remaining === 0) {
        this.remaining = -1;
        complete++;
      }
    }
    return complete;
  }
}
