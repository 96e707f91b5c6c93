/**
 * Where a command's words go. Data goes to stdout (exactly one JSON document under `--json`),
 * notes and errors to stderr, prefixed with `baton:` so they stand out in a pipeline.
 */
import picocolors from 'picocolors';
import { type CliError } from './cli-error';
import { toJson } from './format/json';
import { colorAllowed, type Io } from './io';

/** The colour functions of picocolors (identity functions when colour is off). */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** A command's output channel, configured for `--json` or text, colour or not. */
export class Output {
  /** Colours for stdout text: all identity functions when colour is not allowed. */
  readonly colors: Colors;
  private readonly errorColors: Colors;

  constructor(
    readonly io: Io,
    /** True under `--json`: stdout carries one JSON document and nothing else. */
    readonly json: boolean,
  ) {
    this.colors = picocolors.createColors(colorAllowed(io.stdout, io.env, json));
    this.errorColors = picocolors.createColors(colorAllowed(io.stderr, io.env, json));
  }

  /** True when stdout is a terminal (tables and live redraws), false when piped. */
  get interactive(): boolean {
    return this.io.stdout.isTTY === true;
  }

  /** Writes a line (or block) of text data to stdout. */
  text(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes one JSON document to stdout, on one line. */
  document(value: unknown): void {
    this.io.stdout.write(`${toJson(value)}\n`);
  }

  /** Writes a diagnostic to stderr (also under `--json`: stderr is not data). */
  note(message: string): void {
    this.io.stderr.write(`${this.errorColors.dim('baton:')} ${message}\n`);
  }

  /** Reports a failure: `{"error":{...}}` on stdout under `--json`, a red line on stderr otherwise. */
  error(error: CliError): void {
    if (this.json) {
      this.document({ error: { code: error.code, message: error.message, ...error.details } });
    } else {
      this.io.stderr.write(
        `${this.errorColors.red('baton: error:')} ${error.message} ${this.errorColors.dim(`(${error.code})`)}\n`,
      );
    }
  }
}
