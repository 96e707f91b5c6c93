/**
 * The minimal design's frames: a 4-byte little-endian length, then plain msgpack, as the
 * reference prototype sends them (not Baton's codec, so nothing of Baton runs on this path).
 */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false });

/** A request: a write runs in the next group commit, a read at once. */
export interface MinimalRequest {
  id: number;
  client: string;
  sql: string;
  args: unknown[];
  read: boolean;
}

/** A reply: what the statement did, or why it failed. */
export interface MinimalReply {
  id: number;
  changes?: number;
  rowid?: number;
  rows?: unknown[];
  error?: string;
}

/** Encodes one message as a frame. */
export function encodeMessage(message: MinimalRequest | MinimalReply): Buffer {
  const body = packr.pack(message);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into decoded messages. */
export class MessageSplitter {
  private buffered: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the messages it completed. */
  push<T>(chunk: Buffer): T[] {
    let buffer: Buffer = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: T[] = [];
    while (buffer.length >= 4) {
      const length = buffer.readUInt32LE(0);
      if (buffer.length < 4 + length) break;
      messages.push(packr.unpack(buffer.subarray(4, 4 + length)) as T);
      buffer = buffer.subarray(4 + length);
    }
    this.buffered = buffer;
    return messages;
  }
}
