/**
 * What the CLI touches of its process: two output streams, the environment and Ctrl-C.
 * Commands receive an `Io` instead of reaching for `process`, so the rules about where text
 * goes (data on stdout, diagnostics on stderr) and when colour is allowed live in one place.
 */

/** The part of a writable stream the CLI uses. */
export interface OutputStream {
  write(text: string): unknown;
  /** True when the stream is a terminal. */
  isTTY?: boolean;
}

/** The CLI's view of its process. */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Calls `handler` on SIGINT or SIGTERM, or when the reader of stdout has gone; returns a
   * function that removes it.
   */
  onInterrupt(handler: () => void): () => void;
}

/** The handlers `onInterrupt` registered, also called when the reader of stdout has gone. */
const interrupts = new Set<() => void>();
let watchingStdout = false;

/**
 * The real process's streams, environment and signals.
 *
 * A reader that goes away early (`baton --help | head -1`, `baton watch db | head -3`) closes the
 * pipe, and the next write to stdout fails with EPIPE; unhandled, that error ended `baton` with a
 * stack trace. It ends the output only: the command's exit code stands, what it still writes is
 * dropped (a destroyed stream discards writes), and a command that runs until interrupted
 * (`watch`) stops as on Ctrl-C. Any other stdout error is thrown, as before.
 */
export function processIo(): Io {
  if (!watchingStdout) {
    // Once per process, however many times this is called.
    watchingStdout = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      for (const handler of [...interrupts]) handler();
    });
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      interrupts.add(handler);
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        interrupts.delete(handler);
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

/**
 * Whether text written to `stream` may be coloured: only on a terminal, never under `--json`,
 * and never when `NO_COLOR` is set to a non-empty value (https://no-color.org).
 */
export function colorAllowed(stream: OutputStream, env: Io['env'], json: boolean): boolean {
  if (json) return false;
  const noColor = env.NO_COLOR;
  if (noColor !== undefined && noColor !== '') return false;
  return stream.isTTY === true;
}
