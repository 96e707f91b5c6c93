/**
 * Option definitions shared by several commands, with parsers that reject bad values with a
 * precise message (commander turns the thrown InvalidArgumentError into a usage error, exit 2).
 */
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_FILE_MODE, FILE_MODES, formatMode } from '@baton/store';

/** Options every command takes. */
export interface CommonOptions {
  /** Print exactly one JSON document on stdout. */
  json?: boolean;
  /** How long the leader has to answer, in ms. */
  timeout: number;
}

/** `--json`: one JSON document on stdout, nothing else. */
export function jsonOption(): Option {
  return new Option(
    '--json',
    'print one JSON document on stdout and nothing else (errors: {"error":{"code","message"}})',
  );
}

/** `--timeout <ms>` with a per-command default. */
export function timeoutOption(defaultMs: number, what = 'how long the leader has to answer'): Option {
  return new Option('--timeout <ms>', `${what}, in milliseconds`)
    .default(defaultMs)
    .argParser(positiveInteger('--timeout'));
}

/** A parser for an option that must be a positive integer. */
export function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`${flag} expects a positive integer, got "${value}"`);
    }
    return parsed;
  };
}

/**
 * `--file-mode <mode>`: the permissions the deployment gives its files on purpose (the store's
 * `fileMode`), against which files are reported too open. Octal, as chmod takes it.
 */
export function fileModeOption(): Option {
  const accepted = FILE_MODES.map((mode) => formatMode(mode).slice(1)).join(', ');
  return new Option('--file-mode <mode>', `the mode the store's files are meant to have (its fileMode): ${accepted}`)
    .default(DEFAULT_FILE_MODE, formatMode(DEFAULT_FILE_MODE).slice(1))
    .argParser((value: string) => {
      const match = /^(?:0o?)?([0-7]{3})$/.exec(value.trim());
      const mode = match === null ? NaN : parseInt(match[1]!, 8);
      if (!FILE_MODES.includes(mode))
        throw new InvalidArgumentError(
          `--file-mode expects one of ${accepted} (octal, as chmod takes it), got "${value}"`,
        );
      return mode;
    });
}

/** The "Examples:" block of a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}
