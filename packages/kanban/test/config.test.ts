/** The gateway's config.yaml: defaults, validation with precise messages, typo hints. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadGatewayConfig, parseGatewayConfig } from '../src';
import { removeTempDirs, tempDir } from './helpers';

afterAll(removeTempDirs);

const parse = (yaml: string) => parseGatewayConfig(yaml, '/home/u/.hermes/profiles/architect');

test('a file without a kanban section gets the defaults: enabled, not dispatching, candidate', () => {
  expect(parse('model: gpt\n')).toMatchObject({
    profile: 'architect',
    enabled: true,
    dispatchInGateway: false,
    candidate: true,
    board: null,
    maxWorkers: 4,
  });
});

test('reads every key under kanban:, resolving the board against the profile home', () => {
  const config = parse(`
kanban:
  enabled: true
  board: ../../kanban.db
  dispatch_in_gateway: true
  candidate: false
  max_workers: 8
  claim_ttl_ms: 3000
  heartbeat_ms: 1000
  sweep_ms: 500
  worker: { min_ms: 5, max_ms: 20, fail_rate: 0.1 }
`);
  expect(config).toMatchObject({
    board: '/home/u/.hermes/kanban.db',
    dispatchInGateway: true,
    candidate: false,
    maxWorkers: 8,
    claimTtlMs: 3000,
    heartbeatMs: 1000,
    sweepMs: 500,
    worker: { minMs: 5, maxMs: 20, failRate: 0.1 },
  });
});

test.each([
  [
    'kanban:\n  dispatch_in_gatway: true\n',
    /unknown key "kanban.dispatch_in_gatway"; did you mean "dispatch_in_gateway"/,
  ],
  ['kanban:\n  enabled: "no"\n', /"kanban.enabled" must be true or false/],
  ['kanban:\n  max_workers: 0\n', /"kanban.max_workers" must be an integer from 1/],
  [
    'kanban:\n  claim_ttl_ms: 1000\n  heartbeat_ms: 1000\n',
    /"kanban.heartbeat_ms" \(1000\) must be shorter than "kanban.claim_ttl_ms"/,
  ],
  ['kanban:\n  worker: { min_ms: 50, max_ms: 10 }\n', /"kanban.worker.max_ms" \(10\) must not be less than/],
  ['kanban:\n  worker: { fail_rate: 2 }\n', /"kanban.worker.fail_rate" must be a number from 0 to 1/],
  ['kanban: [1, 2]\n', /"kanban" must be a mapping/],
  ['kanban:\n  enabled: [\n', /not valid YAML/],
])('refuses %j with CONFIG_INVALID naming the problem', (yaml, message) => {
  expect(() => parse(yaml)).toThrow(message);
  expect(() => parse(yaml)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
});

test('loadGatewayConfig reads <home>/config.yaml; a missing file means the defaults', () => {
  const home = path.join(tempDir(), 'wikid');
  fs.mkdirSync(home);
  expect(loadGatewayConfig(home)).toMatchObject({ profile: 'wikid', enabled: true });
  fs.writeFileSync(path.join(home, 'config.yaml'), 'kanban:\n  enabled: false\n');
  expect(loadGatewayConfig(home)).toMatchObject({ profile: 'wikid', enabled: false });
});
