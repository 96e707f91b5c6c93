/**
 * The scripts' shared module: the command-line conventions every script relies on (node's
 * parser, precise value errors, exit codes) and the nearest-rank percentile of their reports.
 */
import { ExitCode, numberFlag, parseFlags, percentile, runScript, UsageError } from '../shared';

const FLAGS = {
  rounds: { type: 'string' },
  quick: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

test('flags parse as declared, in both --flag value and --flag=value forms', () => {
  expect(parseFlags(['--rounds', '3', '--quick'], FLAGS)).toEqual({ rounds: '3', quick: true });
  expect(parseFlags(['--rounds=5', '-h'], FLAGS)).toEqual({ rounds: '5', help: true });
});

test('an unknown flag, a positional or a missing value is a UsageError naming it', () => {
  expect(() => parseFlags(['--round', '3'], FLAGS)).toThrow(UsageError);
  expect(() => parseFlags(['--round', '3'], FLAGS)).toThrow(/Unknown option '--round'/);
  expect(() => parseFlags(['extra'], FLAGS)).toThrow(UsageError);
  expect(() => parseFlags(['--rounds'], FLAGS)).toThrow(/--rounds/);
});

test('numbers are checked against their bounds with a message naming the flag, the bounds and the value', () => {
  expect(numberFlag('kills', undefined, { min: 1, integer: true }, null)).toBeNull();
  expect(numberFlag('kills', '7', { min: 1, integer: true }, null)).toBe(7);
  expect(numberFlag('rate', '0.25', { min: 0, max: 0.5 }, 0.05)).toBe(0.25);
  expect(() => numberFlag('kills', '0', { min: 1, integer: true }, null)).toThrow(
    new UsageError('--kills must be an integer >= 1, got "0"'),
  );
  expect(() => numberFlag('gateways', '2.5', { min: 3, max: 20, integer: true }, 7)).toThrow(
    new UsageError('--gateways must be an integer from 3 to 20, got "2.5"'),
  );
  for (const bad of ['', ' ', 'soon', 'NaN', 'Infinity', '21'])
    expect(() => numberFlag('gateways', bad, { min: 3, max: 20 }, 7)).toThrow(UsageError);
});

test('percentile is nearest-rank over unsorted values: an observed value, NaN when there is none', () => {
  const values = [50, 10, 40, 20, 30];
  expect(percentile(values, 0.5)).toBe(30);
  expect(percentile(values, 0.95)).toBe(50);
  expect(percentile(values, 0.2)).toBe(10);
  expect(
    percentile(
      Array.from({ length: 50 }, (_, i) => i + 1),
      0.99,
    ),
  ).toBe(50);
  expect(percentile([], 0.5)).toBeNaN();
  expect(() => percentile(values, 0)).toThrow(RangeError);
  expect(() => percentile(values, 95)).toThrow(RangeError);
});

test('runScript maps a usage error to exit 2 with the help, any other failure to exit 1, after stopping what main started', async () => {
  const written: string[] = [];
  const write = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  const stopped: string[] = [];
  try {
    expect(await runScript('demo', 'HELP TEXT', () => Promise.resolve(ExitCode.Ok))).toBe(0);
    expect(
      await runScript(
        'demo',
        'HELP TEXT',
        () => Promise.reject(new UsageError('--kills must be an integer')),
        () => {
          stopped.push('usage');
          return Promise.resolve();
        },
      ),
    ).toBe(ExitCode.Usage);
    expect(
      await runScript(
        'demo',
        'HELP TEXT',
        () => Promise.reject(new Error('gateway crashed')),
        () => {
          stopped.push('failure');
          return Promise.resolve();
        },
      ),
    ).toBe(ExitCode.Failed);
  } finally {
    write.mockRestore();
  }
  expect(stopped).toEqual(['usage', 'failure']);
  expect(written[0]).toBe('demo: --kills must be an integer\n\nHELP TEXT\n');
  expect(written[1]).toMatch(/^demo: Error: gateway crashed\n {4}at /);
});
