/**
 * A gateway's configuration: `<profile home>/config.yaml`, keys under `kanban:` (like
 * `~/.hermes/profiles/<name>/config.yaml`). Validated up front with precise messages; a
 * misspelt key is named with its likely intended spelling.
 *
 * ```yaml
 * kanban:
 *   enabled: true              # false: never opens the store (no socket, no file handle)
 *   board: /srv/hermes/kanban.db
 *   dispatch_in_gateway: true  # only dispatching gateways claim and run work
 *   candidate: true            # may this gateway host the leader
 *   max_workers: 4
 *   claim_ttl_ms: 30000
 *   heartbeat_ms: 5000
 *   sweep_ms: 10000
 *   worker: { min_ms: 200, max_ms: 2000, fail_rate: 0.05 }
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { didYouMean } from '@baton/store';
import { KanbanError } from '../errors';

/** How simulated work behaves. */
export interface WorkerConfig {
  /** Shortest simulated work, ms. */
  minMs: number;
  /** Longest simulated work, ms. */
  maxMs: number;
  /** Probability that a piece of work fails (the task is retried, blocked after 3 failures). */
  failRate: number;
}

/** A gateway's kanban configuration, defaults filled in. */
export interface GatewayConfig {
  /** The profile name: the basename of the profile home. */
  profile: string;
  /** The profile home directory. */
  home: string;
  enabled: boolean;
  /** The board's database file; `null` when not configured (then `--board` must give it). */
  board: string | null;
  dispatchInGateway: boolean;
  candidate: boolean;
  maxWorkers: number;
  claimTtlMs: number;
  heartbeatMs: number;
  sweepMs: number;
  worker: WorkerConfig;
}

const KANBAN_KEYS = [
  'enabled',
  'board',
  'dispatch_in_gateway',
  'candidate',
  'max_workers',
  'claim_ttl_ms',
  'heartbeat_ms',
  'sweep_ms',
  'worker',
];
const WORKER_KEYS = ['min_ms', 'max_ms', 'fail_rate'];

function invalid(file: string, message: string): never {
  throw new KanbanError('CONFIG_INVALID', `${file}: ${message}`);
}

function checkKeys(file: string, where: string, given: Record<string, unknown>, known: string[]): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const close = didYouMean(key, known);
    invalid(
      file,
      close === undefined
        ? `unknown key "${where}.${key}" (known: ${known.join(', ')})`
        : `unknown key "${where}.${key}"; did you mean "${close}"?`,
    );
  }
}

function bool(file: string, value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(file, `"kanban.${key}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function int(file: string, value: unknown, key: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(file, `"${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

function object(file: string, value: unknown, key: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) invalid(file, `"${key}" must be a mapping`);
  return value as Record<string, unknown>;
}

/**
 * Parses and validates the text of a `config.yaml`. A file without a `kanban:` section gets the
 * defaults (enabled, not dispatching, candidate).
 * @param file - the file name, for messages
 */
export function parseGatewayConfig(text: string, home: string, file = path.join(home, 'config.yaml')): GatewayConfig {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    invalid(file, `not valid YAML: ${(error as Error).message}`);
  }
  const root = object(file, document ?? {}, '(root)');
  const kanban = object(file, root.kanban, 'kanban');
  checkKeys(file, 'kanban', kanban, KANBAN_KEYS);
  const worker = object(file, kanban.worker, 'kanban.worker');
  checkKeys(file, 'kanban.worker', worker, WORKER_KEYS);
  if (kanban.board !== undefined && (typeof kanban.board !== 'string' || kanban.board.length === 0))
    invalid(file, `"kanban.board" must be a file path`);
  const failRate = worker.fail_rate ?? 0;
  if (typeof failRate !== 'number' || !(failRate >= 0 && failRate <= 1))
    invalid(file, `"kanban.worker.fail_rate" must be a number from 0 to 1, got ${JSON.stringify(failRate)}`);
  const minMs = int(file, worker.min_ms, 'kanban.worker.min_ms', 200, 0, 3_600_000);
  const maxMs = int(file, worker.max_ms, 'kanban.worker.max_ms', Math.max(minMs, 2000), 0, 3_600_000);
  if (maxMs < minMs)
    invalid(file, `"kanban.worker.max_ms" (${maxMs}) must not be less than "kanban.worker.min_ms" (${minMs})`);
  const claimTtlMs = int(file, kanban.claim_ttl_ms, 'kanban.claim_ttl_ms', 30_000, 100, 86_400_000);
  const heartbeatMs = int(
    file,
    kanban.heartbeat_ms,
    'kanban.heartbeat_ms',
    Math.max(50, Math.floor(claimTtlMs / 3)),
    10,
    86_400_000,
  );
  if (heartbeatMs >= claimTtlMs)
    invalid(
      file,
      `"kanban.heartbeat_ms" (${heartbeatMs}) must be shorter than "kanban.claim_ttl_ms" (${claimTtlMs}), or every claim expires between heartbeats`,
    );
  const board = typeof kanban.board === 'string' ? path.resolve(home, kanban.board) : null;
  return {
    profile: path.basename(path.resolve(home)),
    home: path.resolve(home),
    enabled: bool(file, kanban.enabled, 'enabled', true),
    board,
    dispatchInGateway: bool(file, kanban.dispatch_in_gateway, 'dispatch_in_gateway', false),
    candidate: bool(file, kanban.candidate, 'candidate', true),
    maxWorkers: int(file, kanban.max_workers, 'kanban.max_workers', 4, 1, 1000),
    claimTtlMs,
    heartbeatMs,
    sweepMs: int(file, kanban.sweep_ms, 'kanban.sweep_ms', 10_000, 50, 86_400_000),
    worker: { minMs, maxMs, failRate },
  };
}

/** Reads `<home>/config.yaml` (a missing file means the defaults) and validates it. Throws `CONFIG_INVALID`. */
export function loadGatewayConfig(home: string): GatewayConfig {
  const file = path.join(home, 'config.yaml');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      invalid(file, `cannot be read: ${(error as Error).message}`);
  }
  return parseGatewayConfig(text, home, file);
}
