/** What the demo, the benchmarks and the chaos runner share. Only re-exports. */
export { ExitCode, UsageError, numberFlag, parseFlags, runScript } from './command-line';
export type { FlagsConfig, FlagValues, NumberBounds } from './command-line';
export { percentile } from './stats';
export { sleep } from './sleep';
