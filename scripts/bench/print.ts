/** The human-readable report: the tables `npm run bench` prints on stdout. */
import type { BenchDocument } from './report';
import { formatNumber as n, formatSigned, renderTable } from './table';

/** Renders the whole document as text. */
export function renderReport(doc: BenchDocument): string {
  const { machine, settings } = doc;
  const out: string[] = [];
  out.push(`Baton vs direct WAL access, ${doc.date}`);
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
    `Each figure is the median of ${settings.rounds} rounds; a round runs each system once (A B A B ...), ${settings.durationMs} ms measured after ${settings.warmupMs} ms warmup, fresh database and processes each time.`,
  );

  const throughput = doc.results.filter((r) => r.scenario !== 'read-latency');
  if (throughput.length > 0) {
    out.push(
      '',
      "Throughput and latency (ms); flush = extra ms per fsync; cpu = CPU time of all processes per request; group = writes per Baton commit; ratio = baton/direct ops/s; baton-local = members with reads: 'local'",
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
      const flags = [r.errors > 0 ? `${r.errors} errors` : '', r.verified === false ? 'ROWS MISSING' : '']
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
        ratio === undefined ? '' : `${n(ratio.throughputRatio)}x`,
        ratio === undefined ? '' : ratio.roundRatios.map((r) => n(r)).join(' '),
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
          'ratio',
          'rounds',
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
          'left',
          'left',
        ],
      ),
    );
    out.push(
      "(max: median of the rounds' max; worst max: the worst round; busy: SQLITE_BUSY escaping busy_timeout, all rounds; rounds: each round's ratio; every acknowledged write was checked in the database afterwards)",
    );
  }

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
    out.push('', 'Performance targets: Baton against direct WAL access');
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
