/**
 * `npm run bench:languages`: a Python leader's write throughput beside a Node leader's, in one
 * run, and the members' memory. For each leader language and each durability level (FULL,
 * NORMAL) a fresh database gets a leader that does not write, then `--writers` Node and as many
 * Python members (not candidates), each with one insert in flight in a closed loop; the writes
 * completed in the measured window are counted per language. Then the resident memory of each
 * kind of process. Numbers from a busy machine say little: run it on a quiet one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storePaths } from '@baton/store';
import { ExitCode, numberFlag, parseFlags, percentile, runScript } from '../../shared';
import { WARMUP_MS } from '../plan';
import type { FromMember, MemberConfig, ToMember } from './protocol';

const NODE_MEMBER = path.join(__dirname, 'member.js');
/** scripts/dist/bench/languages/ -> python/bench/member.py */
const PYTHON_MEMBER = path.join(__dirname, '..', '..', '..', '..', 'python', 'bench', 'member.py');
type Language = 'node' | 'python';

const HELP = `Usage: npm run bench:languages -- [options]

A Python leader's write throughput beside a Node leader's (FULL and NORMAL), with Node and
Python writers together, one write in flight each; then each kind of member's memory.

Options:
  --writers <n>     writers of each language, 1-16 (default 7)
  --duration <ms>   measured window per case, 200-60000 (default 3000)
  --warmup <ms>     unmeasured warmup per case, 0-10000 (default 6000, the main bench's: Node
                    members run unoptimized JavaScript for their first seconds)
  -h, --help        this help`;

class Member {
  private readonly waiters: { test: (m: FromMember) => boolean; resolve: (m: FromMember) => void }[] = [];
  private readonly seen: FromMember[] = [];

  constructor(
    readonly language: Language,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: FromMember) => {
      this.seen.push(message);
      const index = this.waiters.findIndex((w) => w.test(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    });
  }

  /** The next message passing `test` (or one already received and not yet taken). */
  next<T extends FromMember['t']>(t: T): Promise<Extract<FromMember, { t: T | 'failed' }>> {
    const test = (m: FromMember): boolean => m.t === t || m.t === 'failed';
    const index = this.seen.findIndex(test);
    if (index >= 0) return Promise.resolve(this.seen.splice(index, 1)[0] as Extract<FromMember, { t: T | 'failed' }>);
    return new Promise((resolve) =>
      this.waiters.push({
        test,
        resolve: (m) => {
          this.seen.splice(this.seen.indexOf(m), 1);
          resolve(m as Extract<FromMember, { t: T | 'failed' }>);
        },
      }),
    );
  }

  send(message: ToMember): void {
    this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ t: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

const live = new Set<Member>();

async function start(language: Language, config: MemberConfig): Promise<Member> {
  const stdio = ['ignore', 'ignore', 'inherit', 'ipc'] as const;
  const child =
    language === 'node'
      ? fork(NODE_MEMBER, [JSON.stringify(config)], { stdio: [...stdio], serialization: 'json' })
      : fork(PYTHON_MEMBER, [JSON.stringify(config)], {
          stdio: [...stdio],
          serialization: 'json',
          execPath: process.env.PYTHON ?? 'python3',
          execArgv: [],
        });
  const member = new Member(language, child);
  live.add(member);
  const ready = await member.next('ready');
  if (ready.t === 'failed') throw new Error(`${config.name} failed to start: ${ready.message}`);
  return member;
}

interface CaseResult {
  leader: Language;
  sync: 'full' | 'normal';
  perSecond: Record<Language, number>;
  p50: Record<Language, number>;
  p99: Record<Language, number>;
  errors: number;
}

async function runCase(
  dir: string,
  leader: Language,
  sync: 'full' | 'normal',
  writers: number,
  timing: { warmupMs: number; durationMs: number },
): Promise<{ result: CaseResult; members: Member[] }> {
  const file = path.join(dir, `${leader}-${sync}.db`);
  const base = { path: file, synchronous: sync };
  const members = [await start(leader, { ...base, name: `${leader}-leader`, candidate: true })];
  for (let i = 0; i < writers; i++) {
    members.push(await start('node', { ...base, name: `node-${i}`, candidate: false }));
    members.push(await start('python', { ...base, name: `python-${i}`, candidate: false }));
  }
  const writing = members.slice(1);
  for (const m of writing) m.send({ t: 'run', ...timing });
  const reports = await Promise.all(writing.map((m) => m.next('report')));
  const latencies: Record<Language, number[]> = { node: [], python: [] };
  const completed: Record<Language, number> = { node: 0, python: 0 };
  let errors = 0;
  reports.forEach((report, i) => {
    if (report.t === 'failed') throw new Error(report.message);
    const language = writing[i]!.language;
    completed[language] += report.completed;
    latencies[language].push(...report.latencies);
    errors += Object.values(report.errors).reduce((a, b) => a + b, 0);
  });
  const seconds = timing.durationMs / 1000;
  const pct = (language: Language, p: number): number =>
    latencies[language].length === 0 ? 0 : percentile(latencies[language], p);
  return {
    result: {
      leader,
      sync,
      perSecond: { node: completed.node / seconds, python: completed.python / seconds },
      p50: { node: pct('node', 0.5), python: pct('python', 0.5) },
      p99: { node: pct('node', 0.99), python: pct('python', 0.99) },
      errors,
    },
    members,
  };
}

async function rssOf(member: Member): Promise<number> {
  member.send({ t: 'memory' });
  const reply = await member.next('memory');
  return reply.t === 'memory' ? reply.rss : 0;
}

function fixed(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function main(argv: string[]): Promise<number> {
  const values = parseFlags(argv, {
    writers: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  const writers = numberFlag('writers', values.writers, { min: 1, max: 16, integer: true }, 7);
  const timing = {
    durationMs: numberFlag('duration', values.duration, { min: 200, max: 60_000, integer: true }, 3000),
    warmupMs: numberFlag('warmup', values.warmup, { min: 0, max: 10_000, integer: true }, WARMUP_MS),
  };
  const loadAtStart = os.loadavg()[0]!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-languages-'));
  const results: CaseResult[] = [];
  const memory: Record<string, number> = {};
  try {
    for (const sync of ['full', 'normal'] as const) {
      for (const leader of ['node', 'python'] as const) {
        process.stderr.write(`${leader} leader, ${sync}: ${writers} Node + ${writers} Python writers\n`);
        const { result, members } = await runCase(dir, leader, sync, writers, timing);
        results.push(result);
        memory[`${leader} leader`] = Math.max(memory[`${leader} leader`] ?? 0, await rssOf(members[0]!));
        for (const language of ['node', 'python'] as const) {
          const writer = members.find((m, i) => i > 0 && m.language === language)!;
          memory[`${language} follower`] = Math.max(memory[`${language} follower`] ?? 0, await rssOf(writer));
        }
        await Promise.all(members.map((m) => m.stop()));
        for (const m of members) live.delete(m);
        for (const suffix of ['', '-wal', '-shm', '-baton.json', '-baton.lock'])
          fs.rmSync(`${path.join(dir, `${leader}-${sync}.db`)}${suffix}`, { force: true });
        fs.rmSync(storePaths(path.join(dir, `${leader}-${sync}.db`)).socket, { force: true });
      }
    }
  } finally {
    await Promise.all([...live].map((m) => m.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lines = [
    `${writers} Node + ${writers} Python writers, one write in flight each, ${timing.durationMs} ms windows after ${timing.warmupMs} ms warmups; ${os.cpus().length} CPUs, 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`,
    '',
    '| leader | sync | writes/s (all) | by Node writers | by Python writers | p50 Node / Python | p99 Node / Python | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.leader} | ${r.sync.toUpperCase()} | ${fixed(r.perSecond.node + r.perSecond.python)} | ${fixed(r.perSecond.node)} | ${fixed(r.perSecond.python)} | ${fixed(r.p50.node, 2)} / ${fixed(r.p50.python, 2)} ms | ${fixed(r.p99.node, 2)} / ${fixed(r.p99.python, 2)} ms | ${r.errors} |`,
    ),
    '',
    '| process | resident memory |',
    '|---|---:|',
    ...Object.entries(memory).map(([kind, rss]) => `| ${kind} | ${fixed(rss / 1024 / 1024, 1)} MiB |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return results.every((r) => r.errors === 0) ? ExitCode.Ok : ExitCode.Failed;
}

const stopAll = (): Promise<void> => Promise.all([...live].map((m) => m.stop())).then(() => undefined);
void runScript('bench:languages', HELP, () => main(process.argv.slice(2)), stopAll).then((code) => process.exit(code));
