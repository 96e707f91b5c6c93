/**
 * A member's socket to the leader: connect, hello, wait for the welcome, then frames in both
 * directions until either side closes.
 */
import * as net from 'node:net';
import { StoreError } from '../errors';
import { decodePayload, encodeFrame, FrameDecoder, payloadBytes, writeFrame } from '../protocol/framing';
import type { ClientFrame, HelloFrame, LeaderFrame, WelcomeFrame } from '../protocol/messages';

/** Callbacks of an open connection. */
export interface ConnectionHandlers {
  /** Every frame after the welcome. */
  onFrame(frame: LeaderFrame): void;
  /** The connection ended (leader died, said bye, or refused); called once. */
  onClose(reason: string): void;
}

/** An open, welcomed connection to the leader. */
export class LeaderConnection {
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    /** The leader's welcome: its epoch, pid, name and schema version. */
    readonly welcome: WelcomeFrame,
    private readonly maxFrameBytes: number,
  ) {}

  /**
   * Connects to `socketPath`, sends `hello` and resolves with the connection once welcomed.
   * Rejects with the leader's coded refusal, or with a plain connection error (`ENOENT`,
   * `ECONNREFUSED`) when nobody listens yet, or `TIMEOUT` after `timeoutMs`.
   */
  static open(
    socketPath: string,
    hello: HelloFrame,
    handlers: ConnectionHandlers,
    timeoutMs: number,
    maxFrameBytes: number,
  ): Promise<LeaderConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      const decoder = new FrameDecoder(maxFrameBytes);
      let connection: LeaderConnection | null = null;
      const timer = setTimeout(
        () => fail(new StoreError('TIMEOUT', `the leader did not welcome us within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();

      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const finish = (reason: string): void => {
        if (connection === null) return fail(new StoreError('NO_LEADER', reason));
        if (connection.closed) return;
        connection.closed = true;
        socket.destroy();
        handlers.onClose(reason);
      };

      socket.on('connect', () => socket.write(encodeFrame(hello satisfies ClientFrame)));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (connection === null) fail(error);
        else finish(`socket error: ${error.code ?? error.message}`);
      });
      socket.on('close', () => finish('the leader closed the connection'));
      socket.on('data', (chunk: Buffer) => {
        let payloads: Buffer[];
        try {
          payloads = decoder.push(chunk);
        } catch (error) {
          return connection === null
            ? fail(error as Error)
            : finish(`undecodable frame from the leader: ${(error as Error).message}`);
        }
        for (const payload of payloads) {
          let frame: LeaderFrame;
          try {
            frame = decodePayload(payload) as LeaderFrame;
          } catch (error) {
            return connection === null
              ? fail(error as Error)
              : finish(`undecodable frame from the leader: ${(error as Error).message}`);
          }
          if (connection === null) {
            if (frame.t === 'welcome') {
              clearTimeout(timer);
              connection = new LeaderConnection(socket, frame, maxFrameBytes);
              resolve(connection);
            } else if (frame.t === 'refuse') {
              return fail(StoreError.fromWire(frame.err));
            } else {
              return fail(
                new StoreError(
                  'NO_LEADER',
                  `the leader answered the hello with "${String((frame as { t?: unknown }).t)}"`,
                ),
              );
            }
          } else if (frame.t === 'bye') {
            return finish(`the leader stepped down: ${frame.reason}`);
          } else if (frame.t === 'refuse') {
            return finish(`the leader refused us: ${frame.err.code}: ${frame.err.message}`);
          } else {
            handlers.onFrame(frame);
          }
        }
      });
    });
  }

  /**
   * Sends a frame; frames sent in one event-loop turn go out in one write, unless `alone` says
   * that no other is expected in this turn (then it goes out at once). False when closed.
   * Throws `INVALID_ARGUMENT` for a frame above the limit: the leader would drop the
   * connection, and the request would be re-sent after every reconnection, forever.
   */
  send(frame: ClientFrame, alone = false): boolean {
    if (this.closed) return false;
    const bytes = encodeFrame(frame);
    if (payloadBytes(bytes) > this.maxFrameBytes) {
      throw new StoreError(
        'INVALID_ARGUMENT',
        `the request is ${payloadBytes(bytes)} bytes, more than the frame limit of ${this.maxFrameBytes}`,
      );
    }
    writeFrame(this.socket, bytes, !alone);
    return true;
  }

  /** Closes the connection without calling `onClose`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }
}
