/**
 * Command-line parsing for `kanban`: global options, a command, its positionals and flags.
 * Every command declares its flags; anything else is a usage error with a precise message.
 */
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
export const GLOBAL_FLAGS: FlagSpec = { board: 'string', json: 'boolean', as: 'string', help: 'boolean', 'timeout-ms': 'int' };

/**
 * Parses `argv` (without node and the script) against the global flags and, once the command
 * is known, that command's flags. `--flag=value` and `--flag value` both work; `-h` is `--help`.
 */
export function parseArgs(argv: string[], commands: Record<string, { flags: FlagSpec }>): ParsedArgs {
  const parsed: ParsedArgs = { command: null, positionals: [], flags: {} };
  let spec: FlagSpec = GLOBAL_FLAGS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      parsed.flags.help = true;
      continue;
    }
    if (arg === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const kind = spec[name];
      if (kind === undefined) {
        const hint = didYouMean(name, Object.keys(spec));
        throw new UsageError(`unknown option --${name}${parsed.command === null ? '' : ` for "${parsed.command}"`}${hint === undefined ? '' : `; did you mean --${hint}?`}`);
      }
      if (kind === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        parsed.flags[name] = true;
        continue;
      }
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (kind === 'int') {
        if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
        parsed.flags[name] = Number(value);
      } else if (kind === 'list') {
        const list = parsed.flags[name];
        parsed.flags[name] = [...(Array.isArray(list) ? list : []), value];
      } else {
        parsed.flags[name] = value;
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg}`);
    if (parsed.command === null) {
      parsed.command = arg;
      const command = Object.hasOwn(commands, arg) ? commands[arg] : undefined;
      if (command === undefined) {
        const hint = didYouMean(arg, Object.keys(commands));
        throw new UsageError(`unknown command ${JSON.stringify(arg)}${hint === undefined ? '' : `; did you mean "${hint}"?`}`);
      }
      spec = { ...GLOBAL_FLAGS, ...command.flags };
    } else {
      parsed.positionals.push(arg);
    }
  }
  return parsed;
}
