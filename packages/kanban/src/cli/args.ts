/**
 * Command-line parsing for `kanban`: global options, a command, its positionals and flags.
 * Every command declares its flags; anything else is a usage error with a precise message.
 * The syntax is node's own `parseArgs`; this file adds the two-step lookup (the command decides
 * which flags exist), integer flags, and did-you-mean hints.
 */
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '@baton/store';
import { KanbanError } from '../errors';

/** How a flag takes its value. */
export type FlagKind = 'string' | 'int' | 'boolean' | 'list';

/** A command's flags by long name (without `--`). */
export type FlagSpec = Record<string, FlagKind>;

/** Parsed flags: strings, integers, booleans, or string lists for repeatable flags. */
export type Flags = Record<string, string | number | boolean | string[]>;

/** A parsed command line. */
export interface ParsedArgs {
  command: string | null;
  positionals: string[];
  flags: Flags;
}

/** Raised for a bad command line: printed with the usage, exit code 2. */
export class UsageError extends KanbanError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Options every command accepts. */
export const GLOBAL_FLAGS: FlagSpec = {
  board: 'string',
  json: 'boolean',
  as: 'string',
  help: 'boolean',
  'timeout-ms': 'int',
};

/** `parseArgs`'s option table for a flag spec (`-h` is `--help`). */
function nodeOptions(spec: FlagSpec): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, kind] of Object.entries(spec)) {
    options[name] = kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: kind === 'list' };
  }
  options.help = { type: 'boolean', short: 'h' };
  return options;
}

/** The tokens of `argv` as node reads them against `spec`, without rejecting anything. */
function tokensOf(argv: string[], spec: FlagSpec) {
  return parseNodeArgs({ args: argv, options: nodeOptions(spec), strict: false, allowPositionals: true, tokens: true })
    .tokens;
}

/** The first option in `argv` that `spec` does not declare, as a usage error with a hint. */
function unknownOption(argv: string[], spec: FlagSpec, command: string | null): UsageError | null {
  for (const token of tokensOf(argv, spec)) {
    if (token.kind !== 'option' || Object.hasOwn(spec, token.name) || token.name === 'h') continue;
    const hint = didYouMean(token.name, Object.keys(spec));
    return new UsageError(
      `unknown option ${token.rawName}${command === null ? '' : ` for "${command}"`}${hint === undefined ? '' : `; did you mean --${hint}?`}`,
    );
  }
  return null;
}

/** A negative number, which can only be a value: no flag is named like one. */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/**
 * `argv` with each `--flag -1` of a flag that takes a value written `--flag=-1`. Node's
 * `parseArgs` refuses a value that starts with a dash after a space (it might be a forgotten
 * value followed by another option); a negative number cannot be an option, so `--priority -1`
 * means what it says. Nothing after `--` is touched.
 */
function joinNegativeValues(argv: string[], spec: FlagSpec): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...joined, ...argv.slice(i)];
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const next = argv[i + 1];
    if (Object.hasOwn(spec, name) && spec[name] !== 'boolean' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * Parses `line` (without node and the script): the command is the first positional once the
 * global options are read; then the whole line is read again against the global options and
 * that command's. `--flag=value` and `--flag value` both work, a negative number included
 * (`--priority -1`); `-h` is `--help`.
 */
export function parseArgs(line: string[], commands: Record<string, { flags: FlagSpec }>): ParsedArgs {
  const globalLine = joinNegativeValues(line, GLOBAL_FLAGS);
  const first = tokensOf(globalLine, GLOBAL_FLAGS).find((token) => token.kind === 'positional');
  // Before the command, only global options exist.
  const unknownGlobal = unknownOption(globalLine.slice(0, first?.index ?? globalLine.length), GLOBAL_FLAGS, null);
  if (unknownGlobal !== null) throw unknownGlobal;
  const command = first?.kind === 'positional' ? first.value : null;
  const spec = command === null ? GLOBAL_FLAGS : { ...GLOBAL_FLAGS, ...commandSpec(commands, command) };
  const argv = joinNegativeValues(line, spec);
  let parsed;
  try {
    parsed = parseNodeArgs({ args: argv, options: nodeOptions(spec), strict: true, allowPositionals: true });
  } catch (error) {
    throw unknownOption(argv, spec, command) ?? new UsageError(error instanceof Error ? error.message : String(error));
  }
  const flags: Flags = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined) continue;
    if (spec[name] === 'int' && typeof value === 'string') {
      if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
      flags[name] = Number(value);
    } else {
      // List flags are string options, so their elements are strings.
      flags[name] = Array.isArray(value) ? value.map(String) : value;
    }
  }
  return { command, positionals: parsed.positionals.slice(command === null ? 0 : 1), flags };
}

/** The flags of `command`, or a usage error with a hint when there is no such command. */
function commandSpec(commands: Record<string, { flags: FlagSpec }>, command: string): FlagSpec {
  const found = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (found === undefined) {
    const hint = didYouMean(command, Object.keys(commands));
    throw new UsageError(
      `unknown command ${JSON.stringify(command)}${hint === undefined ? '' : `; did you mean "${hint}"?`}`,
    );
  }
  return found.flags;
}
