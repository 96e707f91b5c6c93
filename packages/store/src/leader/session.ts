/**
 * One member's connection to the leader, as the leader sees it: the socket, the frame
 * decoder, who the member is (from its hello) and what it is doing.
 */
import type * as net from 'node:net';
import { StoreError } from '../errors';
import { encodeFrame, FrameDecoder, payloadBytes, writeFrame } from '../protocol/framing';
import type { HelloFrame, LeaderFrame, TransactionMode } from '../protocol/messages';
import { encodeWriteResponse, isPlainResult } from '../protocol/write-response';
import type { JobOutcome } from './write-job';
import { newPace } from './group-fill';
import type { SqliteConnection } from '../sqlite/sqlite-connection';

/** The most reply bytes the leader buffers for one member before dropping it as a slow consumer. */
export const MAX_OUTBOUND_BYTES = 64 * 1024 * 1024;

/** An interactive transaction a session holds. */
export interface OpenTransaction {
  id: number;
  mode: TransactionMode;
  /** Read transactions hold their own snapshot connection; write transactions hold the writer. */
  snapshot: SqliteConnection | null;
  timer: NodeJS.Timeout;
}

/** The leader's view of one member connection. */
export class Session {
  readonly decoder: FrameDecoder;
  readonly connectedAt = Date.now();
  hello: HelloFrame | null = null;
  welcomed = false;
  requests = 0;
  inFlight = 0;
  transaction: OpenTransaction | null = null;
  /**
   * A transaction that ended on the leader's side: after a timeout or a leader change later
   * requests for it get TRANSACTION_ABORTED with `reason`; after a statement rolled it back
   * (`reason` null) they get libsql's TRANSACTION_CLOSED, as the statement's own error said it.
   */
  abortedTransaction: { id: number; reason: string | null } | null = null;
  closed = false;
  /** The member's promise: no request below this id will be re-sent (see `ForgetBelow`). */
  low = 0;
  /** Below this id the leader has already forgotten this member's applied requests. */
  forgottenBelow = 0;
  /** How quickly this member writes again once answered (see `GroupFill`). */
  readonly pace = newPace();

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
    private readonly maxFrameBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
  }

  /**
   * Sends a frame. Writes in one event-loop turn are corked into one syscall, unless `alone`
   * says no other frame to this member is expected in this turn (then it goes out at once). A
   * member that stops reading its replies is dropped once `MAX_OUTBOUND_BYTES` are waiting for
   * it, so one slow consumer cannot make the leader buffer without bound.
   * @returns false when the session is closed (the frame was not sent)
   */
  send(frame: LeaderFrame, alone = false): boolean {
    if (this.closed) return false;
    let bytes = encodeFrame(frame);
    if (payloadBytes(bytes) > this.maxFrameBytes && frame.t === 'res') {
      // The member would refuse this frame and reconnect, and re-send the request, forever.
      const error = new StoreError(
        'RESULT_TOO_LARGE',
        `the result is ${payloadBytes(bytes)} bytes, more than the frame limit of ${this.maxFrameBytes}; select fewer rows or smaller values`,
      );
      bytes = encodeFrame({ t: 'res', id: frame.id, err: error.toWire() });
    }
    this.write(bytes, alone);
    return true;
  }

  /**
   * Sends the response to request `id`: `send({ t: 'res', id, ...outcome })`, with a write's
   * plain result (the commonest response) encoded by hand (see write-response.ts). `alone`:
   * no other frame to this member is expected in this turn, so it goes out at once.
   * @returns false when the session is closed (the frame was not sent)
   */
  respond(id: number, outcome: JobOutcome, alone = false): boolean {
    const plain = 'ok' in outcome && isPlainResult(outcome.ok) ? encodeWriteResponse(id, outcome.ok) : null;
    if (plain === null) return this.send({ t: 'res', id, ...outcome }, alone);
    if (this.closed) return false;
    this.write(plain, alone);
    return true;
  }

  private write(frame: Buffer, alone: boolean): void {
    writeFrame(this.socket, frame, !alone);
    if (this.socket.writableLength > MAX_OUTBOUND_BYTES) {
      this.socket.destroy();
      this.closed = true;
    }
  }

  /** Sends a final frame and closes the connection once it is flushed. */
  end(frame: LeaderFrame): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end(encodeFrame(frame));
  }
}
