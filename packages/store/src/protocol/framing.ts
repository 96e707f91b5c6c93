/**
 * Length-prefixed framing: a 4-byte big-endian payload length, then a msgpack payload.
 * The decoder refuses a length above the limit before buffering any of it, so a hostile
 * length prefix cannot make the leader allocate.
 */
import type { Socket } from 'node:net';
import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { StoreError } from '../errors';

/** The largest payload a frame may carry by default (16 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const HEADER_BYTES = 4;

/**
 * One codec for both sides. `useRecords: false` keeps frames plain msgpack (another language
 * can speak it). msgpackr writes every bigint as int64/uint64 and never a number so, and
 * `int64AsType: 'bigint'` reads those formats back as bigint: an INTEGER (a bigint from SQLite
 * with safeIntegers) stays a bigint and a REAL stays a number, so SQLite's storage class
 * survives the wire at no cost per value (docs/protocol.md, "Encoding").
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'bigint' });

/**
 * Encodes one frame: header and payload in one buffer, ready for one `write`. msgpackr leaves
 * room for the header in front of the payload and never writes over a buffer it returned, so
 * the frame is built in place, with no copy.
 */
export function encodeFrame(message: unknown): Buffer {
  const frame = packr.pack(message, RESERVE_START_SPACE | HEADER_BYTES);
  frame.writeUInt32BE(frame.length - HEADER_BYTES, 0);
  return frame;
}

/**
 * Writes one encoded frame to `socket`. With `coalesce`, frames written in the same event-loop
 * turn are corked into a single writev, so a burst of replies (a group commit) or of requests
 * costs one syscall; without it (a frame known to be alone in its turn) the frame is written
 * at once, sparing the cork's buffering and its deferred flush.
 */
export function writeFrame(socket: Socket, frame: Buffer, coalesce = true): void {
  if (!coalesce && !socket.writableCorked) {
    socket.write(frame);
    return;
  }
  if (!socket.writableCorked) {
    socket.cork();
    process.nextTick(() => socket.uncork());
  }
  socket.write(frame);
}

/** The payload size of an encoded frame. */
export function payloadBytes(frame: Buffer): number {
  return frame.length - HEADER_BYTES;
}

/** Decodes one msgpack payload (no header). Throws `PROTOCOL_ERROR` on bytes that are not msgpack. */
export function decodePayload(payload: Buffer): unknown {
  try {
    return packr.unpack(payload);
  } catch (error) {
    throw new StoreError('PROTOCOL_ERROR', `undecodable frame: ${(error as Error).message}`, { cause: error });
  }
}

/** Packs a value on its own (no header): used to store results in the applied-requests table. */
export function packValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Unpacks what `packValue` packed. */
export function unpackValue(bytes: Buffer): unknown {
  return packr.unpack(bytes);
}

/**
 * Splits a byte stream into frame payloads. Feed it chunks with `push`; it returns the
 * complete payloads and keeps the remainder.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** @param maxFrameBytes - payloads larger than this are refused with `PROTOCOL_ERROR` */
  constructor(private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Adds a chunk and returns every payload it completes. Throws `PROTOCOL_ERROR` on an oversized length. */
  push(chunk: Buffer): Buffer[] {
    if (this.buffered === 0) return this.pushWhole(chunk);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const payloads: Buffer[] = [];
    while (this.buffered >= HEADER_BYTES) {
      const head = this.contiguous(HEADER_BYTES);
      const length = head.readUInt32BE(0);
      this.checkLength(length);
      if (this.buffered < HEADER_BYTES + length) break;
      const frame = this.contiguous(HEADER_BYTES + length);
      payloads.push(frame.subarray(HEADER_BYTES, HEADER_BYTES + length));
      this.consume(HEADER_BYTES + length);
    }
    return payloads;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * `push` when nothing is held: the usual case, a chunk of whole frames. Their payloads are
   * cut straight from the chunk, and only a partial frame at its end is kept.
   */
  private pushWhole(chunk: Buffer): Buffer[] {
    const payloads: Buffer[] = [];
    let offset = 0;
    while (chunk.length - offset >= HEADER_BYTES) {
      const length = chunk.readUInt32BE(offset);
      this.checkLength(length);
      const end = offset + HEADER_BYTES + length;
      if (end > chunk.length) break;
      payloads.push(chunk.subarray(offset + HEADER_BYTES, end));
      offset = end;
    }
    if (offset < chunk.length) {
      this.chunks.push(offset === 0 ? chunk : chunk.subarray(offset));
      this.buffered = chunk.length - offset;
    }
    return payloads;
  }

  /** Refuses a length prefix above the limit before any of the frame is buffered. */
  private checkLength(length: number): void {
    if (length > this.maxFrameBytes)
      throw new StoreError('PROTOCOL_ERROR', `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
  }

  /** Makes the first chunk at least `bytes` long (joining only when a frame spans chunks). */
  private contiguous(bytes: number): Buffer {
    if (this.chunks[0]!.length < bytes) {
      const joined = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [joined];
    }
    return this.chunks[0]!;
  }

  private consume(bytes: number): void {
    const first = this.chunks[0]!;
    if (first.length === bytes) this.chunks.shift();
    else this.chunks[0] = first.subarray(bytes);
    this.buffered -= bytes;
  }
}
