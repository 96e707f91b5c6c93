/** The human-readable report: the tables `npm run bench` prints on stdout. */
import type { RunLoad } from './machine-load';
import { CURVE_SLICE_MS } from './messages';
import { FLEET } from './plan';
import type { BenchDocument, ResultEntry } from './report';
import { formatNumber as n, formatSigned, renderTable } from './table';

/** Renders the whole document as text. */
export function renderReport(doc: BenchDocument): string {
  const { machine, settings } = doc;
  const out: string[] = [];
  out.push(`Baton vs the minimal forwarding design and direct WAL access, ${doc.date}`);
  out.push(
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryMb} MB, ${machine.kernel}, ${machine.fs}, node ${machine.node}, load ${machine.loadAverage} at start`,
  );
  out.push(`Command: ${doc.command}`);
  if (doc.flush.some((level) => level.flushMs > 0)) {
    const levels = doc.flush.map((level) => `+${level.flushMs} ms: ${n(level.measuredMs, 3)} ms`).join(', ');
    out.push(
      `Flush: every fsync/fdatasync of both systems slowed by an LD_PRELOAD shim in the 'flush' cases; one fsync measured (median) at ${levels}`,
    );
  }
  out.push(
    `Each figure is the median of ${settings.rounds} rounds; a round runs each system once (A B C A B C ...), ${settings.durationMs} ms measured after ${settings.warmupMs} ms warmup, fresh database and processes each time.`,
    `A run is noisy when other programs kept more than half of each core busy in the half second before it: noisy runs are left out while a quiet round exists, and a figure made only of them is marked NOISY and meets no target.`,
  );

  const throughput = doc.results.filter((r) => r.scenario !== 'read-latency');
  if (throughput.length > 0) {
    out.push(
      '',
      "Throughput and latency (ms); flush = extra ms per fsync; cpu = CPU time of all processes per request; group = writes per Baton commit; /minimal and /direct = baton ops/s over theirs, per round and median; busy cores = cores other programs kept busy at the start of each round; load = 1-minute load average before -> after; baton-local = Baton members with reads: 'local' (its /minimal: over minimal-local, the minimal design's members reading the file themselves)",
    );
    const rows = throughput.map((r) => {
      const ratio =
        r.system === 'baton' || r.system === 'baton-local'
          ? doc.ratios.find(
              (q) =>
                q.reads === (r.system === 'baton-local' ? 'local' : 'leader') &&
                q.scenario === r.scenario &&
                q.sync === r.sync &&
                q.members === r.members &&
                q.inflight === r.inflight &&
                q.flushMs === r.flushMs,
            )
          : undefined;
      const flags = [
        r.errors > 0 ? `${r.errors} errors` : '',
        r.verified === false ? 'ROWS MISSING' : '',
        r.noisy ? 'NOISY (not a result)' : r.noisyRounds > 0 ? `${r.noisyRounds} noisy round(s) left out` : '',
        r.settled === false ? 'NOT SETTLED in the warmup' : '',
      ]
        .filter(Boolean)
        .join(', ');
      return [
        r.scenario,
        r.sync,
        r.flushMs === 0 ? '0' : `+${r.flushMs}`,
        String(r.members),
        String(r.inflight),
        r.system,
        n(r.opsPerSec, 0),
        n(r.p50Ms),
        n(r.p99Ms),
        n(r.maxMs),
        n(r.worstMaxMs),
        String(r.busyEscapedTotal),
        n(r.cpuUsPerOp, 0),
        n(r.avgGroupSize, 1),
        ratio === undefined || ratio.minimalRatio === null ? '' : `${n(ratio.minimalRatio)}x`,
        ratio === undefined || !Number.isFinite(ratio.throughputRatio) ? '' : `${n(ratio.throughputRatio)}x`,
        ratio === undefined
          ? ''
          : [ratio.minimalRoundRatios, ratio.roundRatios].map((list) => list.map((q) => n(q)).join(' ')).join(' / '),
        r.rounds.map((q) => (q.busyCoresBefore === null ? '-' : n(q.busyCoresBefore, 1))).join(' '),
        loadSpan(r),
        flags,
      ];
    });
    out.push(
      renderTable(
        [
          'scenario',
          'sync',
          'flush',
          'procs',
          'inflight',
          'system',
          'ops/s',
          'p50',
          'p99',
          'max',
          'worst max',
          'busy',
          'cpu us/op',
          'group',
          '/minimal',
          '/direct',
          'rounds',
          'busy cores',
          'load',
          'notes',
        ],
        rows,
        [
          'left',
          'left',
          'right',
          'right',
          'right',
          'left',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'left',
          'left',
          'left',
          'left',
        ],
      ),
    );
    out.push(
      "(max: median of the rounds' max; worst max: the worst round; busy: SQLITE_BUSY escaping busy_timeout, all rounds; rounds: each round's ratio; every acknowledged write was checked in the database afterwards)",
    );
  }

  out.push(...renderCurves(doc));

  const reads = doc.results.filter((r) => r.scenario === 'read-latency');
  if (reads.length > 0) {
    const ratio = doc.ratios.find((q) => q.scenario === 'read-latency' && q.reads === 'leader');
    const local = doc.ratios.find((q) => q.scenario === 'read-latency' && q.reads === 'local');
    out.push(
      '',
      "Point read, one in flight (ms): baton = follower -> leader member; baton-local = a follower with reads: 'local' on its own connection; socket = raw Unix socket round trip of the same sizes; direct = the file read in-process",
    );
    out.push(
      renderTable(
        ['system', 'ops/s', 'p50', 'p99', 'max', 'cpu us/op'],
        reads.map((r) => [r.system, n(r.opsPerSec, 0), n(r.p50Ms, 3), n(r.p99Ms, 3), n(r.maxMs), n(r.cpuUsPerOp, 0)]),
        ['left', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
    if (ratio?.p50VsSocket !== undefined) out.push(`baton p50 / socket p50 = ${n(ratio.p50VsSocket)}x`);
    if (local?.p50VsDirect !== undefined) out.push(`baton-local p50 / direct p50 = ${n(local.p50VsDirect)}x`);
  }

  if (doc.failover !== null) {
    const f = doc.failover;
    out.push(
      '',
      `Failover: ${f.kills} SIGKILLs of the leader-hosting member, ${f.members} members writing (${f.sync.toUpperCase()}); from the kill until every survivor's next acknowledged write:`,
      `  p50 ${n(f.p50Ms)} ms, p99 ${n(f.p99Ms)} ms, max ${n(f.maxMs)} ms; timeouts ${f.timeouts}, failed requests ${f.errors}`,
      `  (p50s: kill to successor hosting the leader ${n(f.newLeaderP50Ms)} ms; per member kill to next write ${n(f.memberP50Ms)} ms; store's own notice-to-welcome ${n(f.noticeToWelcomeP50Ms)} ms)`,
      `  teardown floor, the same kills: kill to the killed process's exit p50 ${n(f.teardownP50Ms)} ms, p99 ${n(f.teardownP99Ms)} ms`,
      `  (Linux frees a dying process's memory before closing its sockets and its lock: nobody can notice a death sooner)`,
      `  the survivors' writes in the first second after a kill / in the second before it: median ${n(f.firstSecondRatio)}x, worst kill ${n(f.firstSecondWorst)}x`,
      `  ${describeLoad(f.load)}`,
    );
  }

  if (doc.firstWrite !== null) {
    const w = doc.firstWrite;
    out.push(
      '',
      `First write of a fresh process (${w.processes} processes, ${w.sync.toUpperCase()}, each joining a running leader and heir as a follower):`,
      `  openStore to close() after one acknowledged insert: p50 ${n(w.p50Ms)} ms, p99 ${n(w.p99Ms)} ms (p50s: open ${n(w.openP50Ms)}, write ${n(w.writeP50Ms)}, close ${n(w.closeP50Ms)} ms; before it, loading @baton/store ${n(w.loadP50Ms)} ms)`,
      `  ${describeLoad(w.load)}`,
    );
  }

  if (doc.memory !== null) {
    const m = doc.memory;
    out.push(
      '',
      `Memory (RSS, MB): follower ${n(m.followerRssMb, 1)} (${formatSigned(m.followerOverBaselineMb)}), leader-hosting member ${n(m.leaderRssMb, 1)} (${formatSigned(m.leaderOverBaselineMb)}),`,
      `  heir (the follower keeping the standby engine) ${n(m.heirRssMb, 1)} (${formatSigned(m.heirOverBaselineMb)}),`,
      `  non-candidate follower ${n(m.nonCandidateRssMb, 1)} (${formatSigned(m.nonCandidateRssMb - m.baselineRssMb)}), follower reading locally ${n(m.localFollowerRssMb, 1)} (${formatSigned(m.localFollowerOverBaselineMb)}); baseline ${n(m.baselineRssMb, 1)} = ${m.baseline};`,
      `  bare program (no store, no SQLite) ${n(m.bareRssMb, 1)}`,
    );
  }

  if (doc.targets.length > 0) {
    out.push('', 'Performance targets');
    out.push(
      renderTable(
        ['target', 'requirement', 'measured', 'met'],
        doc.targets.map((t) => [t.target, t.requirement, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'NO']),
        ['left', 'left', 'left', 'left'],
      ),
    );
  }
  if (doc.failures.length > 0)
    out.push('', `FAILED RUNS (${doc.failures.length}):`, ...doc.failures.map((f) => `  ${f}`));
  return out.join('\n');
}

/** `before -> after` of the 1-minute load average over a row's rounds. */
function loadSpan(r: ResultEntry): string {
  const first = r.rounds[0]?.loadBefore ?? null;
  const last = r.rounds[r.rounds.length - 1]?.loadAfter ?? null;
  return first === null || last === null ? '' : `${n(first)} -> ${n(last)}`;
}

/** One line on the machine's load around a scenario. */
function describeLoad(load: RunLoad | null): string {
  if (load === null) return 'machine load: not measured';
  return `machine load: 1-minute average ${n(load.loadBefore)} before, ${n(load.loadAfter)} after; ${n(load.busyCoresBefore)} cores busy at the start${load.noisy ? ': NOISY, not a result' : ''}`;
}

/**
 * The warm-up curves of the 7-writer cases, Baton beside the minimal design: ops/s and CPU per
 * request in each 500 ms slice from the first request (medians over the rounds), so a reader
 * sees when each settled and that the window came after it.
 */
function renderCurves(doc: BenchDocument): string[] {
  const out: string[] = [];
  const cases = doc.results.filter(
    (r) =>
      r.system === 'baton' && r.members === FLEET && r.flushMs === 0 && r.scenario !== 'mixed' && r.curve.length > 0,
  );
  for (const baton of cases) {
    const minimal = doc.results.find(
      (r) =>
        r.system === 'minimal' &&
        r.scenario === baton.scenario &&
        r.sync === baton.sync &&
        r.members === baton.members &&
        r.inflight === baton.inflight &&
        r.flushMs === baton.flushMs,
    );
    const slices = Math.max(baton.curve.length, minimal?.curve.length ?? 0);
    const warmupSlices = Math.floor(doc.settings.warmupMs / CURVE_SLICE_MS);
    out.push(
      '',
      `Warm-up curve, ${baton.scenario} ${baton.sync.toUpperCase()} ${baton.members}x${baton.inflight}: per ${CURVE_SLICE_MS} ms from the first request (ops/s, CPU us per request); the window starts after slice ${warmupSlices}`,
    );
    const point = (r: ResultEntry | undefined, i: number): string[] => {
      const p = r?.curve[i];
      return p === undefined ? ['', ''] : [n(p.opsPerSec, 0), n(p.cpuUsPerOp, 0)];
    };
    out.push(
      renderTable(
        ['slice', 'ms', 'baton ops/s', 'baton cpu us/op', 'minimal ops/s', 'minimal cpu us/op'],
        Array.from({ length: slices }, (_, i) => [
          String(i + 1),
          `${i * CURVE_SLICE_MS}-${(i + 1) * CURVE_SLICE_MS}${i + 1 === warmupSlices ? ' (warmup ends)' : ''}`,
          ...point(baton, i),
          ...point(minimal, i),
        ]),
        ['right', 'left', 'right', 'right', 'right', 'right'],
      ),
    );
  }
  return out;
}
