/**
 * `node scripts/dist/bench/profile.js`: one throughput configuration, run once with
 * instruments, to find where a system's time goes. Not part of `npm run bench`.
 *
 *   --strace    count syscalls per thread of the leader-hosting member and of one follower
 *               (or of two direct members), per request and per commit
 *   --cpu-prof  V8 CPU profiles of every member, main and worker threads (the leader engine
 *               runs in a worker thread); summarized here, kept with --out
 *
 * Use one instrument at a time: each slows the process it watches, strace a lot (the counts
 * per request stay right, the rates and group sizes do not).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { numberFlag, parseFlags, runScript, UsageError } from '../shared';
import { createDatabase } from './database';
import type { LeaderCounters, SyncMode } from './messages';
import { killAll, killAllNow, setWorkerExecArgv, WorkerProcess } from './processes';
import { summarizeProfile } from './profiling/cpu-profile';
import { countOf, StraceSession, type ThreadSyscalls } from './profiling/strace';
import { renderTable, formatNumber as n } from './table';
import { Workspace } from './workspace';
import { WARMUP_MS } from './plan';
import { SEED_ROWS } from './workload';

const HELP = `Usage: node scripts/dist/bench/profile.js [options]

Runs one configuration once with instruments (build first: npm run build).

Options:
  --system <name>         baton, baton-local (members with reads: 'local'), minimal (the bench's
                          minimal forwarding design, its leader a process of its own) or direct;
                          default baton
  --sync full|normal      default full
  --members <n>           default 7
  --inflight <n>          requests in flight per member, default 1
  --reads <percent>       share of point reads, 0-100, default 0 (all writes)
  --duration <ms>         measured window, default 4000
  --warmup <ms>           load before the window, default 6000 (as npm run bench)
  --strace                syscalls per thread, per request and per commit (needs strace)
  --cpu-prof              V8 CPU profiles of every member (main and worker threads)
  --out <dir>             keep traces and profiles in <dir> (default: removed at the end)
  -h, --help`;

/** The systems this tool can run. */
const PROFILED_SYSTEMS = ['baton', 'baton-local', 'minimal', 'direct'] as const;

interface Options {
  system: (typeof PROFILED_SYSTEMS)[number];
  sync: SyncMode;
  members: number;
  inflight: number;
  readFraction: number;
  durationMs: number;
  warmupMs: number;
  strace: boolean;
  cpuProf: boolean;
  out: string | null;
}

function parse(argv: string[]): Options | null {
  const values = parseFlags(argv, {
    system: { type: 'string', default: 'baton' },
    sync: { type: 'string', default: 'full' },
    members: { type: 'string' },
    inflight: { type: 'string' },
    reads: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    strace: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return null;
  const system = PROFILED_SYSTEMS.find((name) => name === values.system);
  if (system === undefined)
    throw new UsageError(`--system is one of ${PROFILED_SYSTEMS.join(', ')}, got "${values.system}"`);
  if (values.sync !== 'full' && values.sync !== 'normal')
    throw new UsageError(`--sync is full or normal, got "${values.sync}"`);
  return {
    system,
    sync: values.sync,
    members: numberFlag('members', values.members, { min: 1, integer: true }, 7),
    inflight: numberFlag('inflight', values.inflight, { min: 1, integer: true }, 1),
    readFraction: numberFlag('reads', values.reads, { min: 0, max: 100, integer: true }, 0) / 100,
    durationMs: numberFlag('duration', values.duration, { min: 1, integer: true }, 4000),
    warmupMs: numberFlag('warmup', values.warmup, { min: 0, integer: true }, WARMUP_MS),
    strace: values.strace,
    cpuProf: values['cpu-prof'],
    out: values.out ?? null,
  };
}

async function counters(member: WorkerProcess): Promise<LeaderCounters | null> {
  member.send({ t: 'status' });
  return (await member.next('status', 10_000)).counters;
}

function syscallTable(
  threads: ThreadSyscalls[],
  label: (thread: ThreadSyscalls) => string,
  perUnit: (thread: ThreadSyscalls) => [string, number],
): string {
  const rows = threads
    .filter((thread) => thread.total > 0)
    .map((thread) => {
      const [unit, count] = perUnit(thread);
      const top = [...thread.bySyscall.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([name, calls]) => `${name} ${n(calls / Math.max(1, count), 2)}`);
      const slow = [...thread.msBySyscall.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, ms]) => `${name} ${n((ms * 1000) / Math.max(1, count), 0)}`);
      return [
        String(thread.tid),
        label(thread),
        String(thread.total),
        `${n(thread.total / Math.max(1, count), 2)} per ${unit}`,
        top.join(', '),
        slow.join(', '),
      ];
    });
  return renderTable(
    ['tid', 'thread', 'syscalls', 'rate', 'top syscalls (calls per unit)', 'wall time in syscalls (us per unit)'],
    rows,
    ['right', 'left', 'right', 'right', 'left', 'left'],
  );
}

async function main(argv: string[]): Promise<number> {
  const options = parse(argv);
  if (options === null) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const workspace = new Workspace();
  process.on('exit', () => {
    killAllNow();
    workspace.removeAllNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  const dir = workspace.runDir('profile');
  const output = options.out ?? path.join(dir, 'out');
  fs.mkdirSync(output, { recursive: true });
  const database = path.join(dir, 'bench.db');
  createDatabase(database, SEED_ROWS);
  const batonLike = options.system === 'baton' || options.system === 'baton-local';
  if (batonLike) workspace.trackBatonSocket(database);
  if (options.cpuProf) setWorkerExecArgv(['--cpu-prof', `--cpu-prof-dir=${output}`]);

  // The minimal design's leader is a process of its own, started before its members; it is
  // profiled and traced as the leader, and its CPU time is in the table with theirs.
  const socketPath = path.join(dir, 'minimal.sock');
  const minimalLeader =
    options.system === 'minimal'
      ? WorkerProcess.spawn(
          { kind: 'minimal-leader', path: database, socketPath, sync: options.sync },
          'minimal leader',
        )
      : null;
  await minimalLeader?.ready();
  const members = Array.from({ length: options.members }, (_, index) =>
    WorkerProcess.spawn(
      {
        kind: 'load',
        system: options.system,
        path: minimalLeader === null ? database : socketPath,
        sync: options.sync,
        index,
        seedRows: SEED_ROWS,
      },
      `member ${index}`,
    ),
  );
  const traces: StraceSession[] = [];
  try {
    await Promise.all(members.map((member) => member.ready()));
    if (minimalLeader !== null) members.unshift(minimalLeader);
    const leader = minimalLeader ?? members.find((member) => member.role === 'leader') ?? members[0]!;
    const follower = members.find((member) => member !== leader) ?? null;
    const roleOf = (pid: number): string => members.find((m) => m.pid === pid)?.role ?? '?';
    const before = batonLike ? await counters(leader) : null;
    if (options.strace) {
      traces.push(await StraceSession.attach(leader.pid, path.join(output, `strace-${leader.pid}.txt`)));
      if (follower !== null)
        traces.push(await StraceSession.attach(follower.pid, path.join(output, `strace-${follower.pid}.txt`)));
    }
    for (const member of members)
      member.send({
        t: 'run',
        spec: {
          inflight: options.inflight,
          readFraction: options.readFraction,
          warmupMs: options.warmupMs,
          durationMs: options.durationMs,
          sampleStatus: false,
        },
      });
    const reports = await Promise.all(
      members.map(async (member) => (await member.next('report', options.durationMs + 120_000)).report),
    );
    const threads = await Promise.all(traces.map((trace) => trace.stop()));
    const after = batonLike ? await counters(leader) : null;

    const requests = reports.reduce((sum, r) => sum + r.ackedWrites, 0);
    const opsPerSec = reports.reduce((sum, r) => sum + (r.windowMs > 0 ? (r.completed * 1000) / r.windowMs : 0), 0);
    const commits = before !== null && after !== null ? after.commits - before.commits : null;
    const grouped = before !== null && after !== null ? after.groupedWrites - before.groupedWrites : null;
    const out: string[] = [];
    out.push(
      `${options.system}, ${options.members} members, ${options.sync.toUpperCase()}, ${options.inflight} in flight, ${options.durationMs} ms window${options.strace ? ' (under strace: rates are slowed)' : ''}${options.cpuProf ? ' (under --cpu-prof)' : ''}`,
    );
    out.push(
      `  ${n(opsPerSec, 0)} requests/s in the window (${n(options.readFraction * 100, 0)}% reads); ${requests} writes over the run${commits === null ? '' : `; ${commits} group commits, ${n((grouped ?? 0) / Math.max(1, commits), 2)} writes per commit`}`,
    );
    out.push(
      '',
      'CPU time per request, by member (its own requests; the leader-hosting member also runs the engine for everyone)',
    );
    out.push(
      renderTable(
        ['member', 'pid', 'role', 'requests', 'cpu ms', 'cpu us/own request', 'cpu us/fleet request'],
        members.map((member, i) => {
          const r = reports[i]!;
          const fleetInWindow = reports.reduce((sum, x) => sum + x.completed, 0);
          return [
            member.label,
            String(member.pid),
            member.role,
            String(r.completed),
            n(r.cpuUs / 1000, 0),
            n(r.cpuUs / Math.max(1, r.completed), 0),
            n(r.cpuUs / Math.max(1, fleetInWindow), 0),
          ];
        }),
        ['left', 'right', 'left', 'right', 'right', 'right', 'right'],
      ),
    );

    traces.forEach((trace, i) => {
      const perThread = threads[i]!;
      const member = members.find((m) => m.pid === trace.pid)!;
      const own = reports[members.indexOf(member)]!.ackedWrites;
      // The engine thread is the one that writes the database file: a worker thread of a Baton
      // member, the main thread of the minimal design's leader.
      const engine = perThread
        .filter((t) => t.tid !== trace.pid || member === minimalLeader)
        .sort((a, b) => countOf(b, 'pwrite64', 'fdatasync', 'fsync') - countOf(a, 'pwrite64', 'fdatasync', 'fsync'))[0];
      const isEngine = (t: ThreadSyscalls): boolean =>
        options.system !== 'direct' && t === engine && countOf(t, 'pwrite64') > 0;
      out.push('', `strace of ${member.label} (pid ${trace.pid}, ${roleOf(trace.pid)}): ${own} own requests`);
      out.push(
        syscallTable(
          perThread,
          (t) => (isEngine(t) ? 'leader engine' : t.tid === trace.pid ? 'main' : 'other'),
          (t) =>
            isEngine(t) ? (commits !== null ? ['commit', commits] : ['request', requests]) : ['own request', own],
        ),
      );
      if (options.system !== 'direct' && engine !== undefined && isEngine(engine) && commits !== null) {
        out.push(
          `  engine: ${n(countOf(engine, 'fdatasync', 'fsync') / commits, 2)} fsyncs per commit, ${n(countOf(engine, 'pwrite64') / commits, 2)} pwrite64 per commit, ${n(engine.total / requests, 2)} syscalls per request of the fleet`,
        );
      }
      if (options.system === 'direct') {
        const main = perThread.find((t) => t.tid === trace.pid);
        out.push(
          `  direct: ${n(countOf(main, 'fdatasync', 'fsync') / Math.max(1, own), 2)} fsyncs per write, ${n((main?.total ?? 0) / Math.max(1, own), 2)} syscalls per write`,
        );
      }
    });

    if (options.cpuProf) {
      // Close followers first, then the leader member: a graceful exit writes the profiles.
      for (const member of [...members.filter((m) => m !== leader), leader]) {
        member.send({ t: 'exit' });
        await Promise.race([member.whenExited(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
      }
      const files = fs.readdirSync(output).filter((f) => f.endsWith('.cpuprofile'));
      // Only the measured window: the latest opening and earliest closing of all members' windows.
      const window = {
        fromMs: Math.max(...reports.map((r) => r.windowStartMs)),
        toMs: Math.min(...reports.map((r) => r.windowStartMs + r.windowMs)),
      };
      out.push(
        '',
        `CPU profiles, samples of the common measured window only (${n(window.toMs - window.fromMs, 0)} ms)`,
      );
      for (const file of files) {
        const summary = summarizeProfile(path.join(output, file), window);
        const who = `${members.find((m) => m.pid === summary.pid)?.label ?? summary.pid} (${roleOf(summary.pid)}), ${summary.thread === 0 ? 'main thread' : `worker thread ${summary.thread}`}`;
        const busy = summary.totalMs - summary.idleMs;
        if (summary.totalMs === 0) continue; // a thread that did not exist during the window (a standby engine that never ran)
        out.push('', `${file}: ${who}: ${n(busy, 0)} ms busy of ${n(summary.totalMs, 0)} ms`);
        out.push(
          `  by bucket: ${summary.byBucket
            .filter(([b]) => b !== '(idle)')
            .slice(0, 10)
            .map(([b, ms]) => `${b} ${n((100 * ms) / Math.max(1, busy), 1)}%`)
            .join(', ')}`,
        );
        out.push(
          `  by function: ${summary.byFunction
            .filter(([f]) => !f.startsWith('(idle)'))
            .slice(0, 12)
            .map(([f, ms]) => `${f} ${n((100 * ms) / Math.max(1, busy), 1)}%`)
            .join(', ')}`,
        );
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
    if (options.out !== null) process.stderr.write(`profile: traces and profiles kept in ${options.out}\n`);
    return 0;
  } finally {
    for (const trace of traces) trace.kill();
    await killAll(members);
  }
}

void runScript('profile', HELP, () => main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
