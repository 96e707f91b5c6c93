/**
 * The named breakages of Baton's guarantees that `npm run mutants` applies, one at a time, to
 * a copy of the built code. Each names the compiled file, the exact text it replaces (which
 * must occur exactly once: a change elsewhere that moves or rewrites it makes the mutant fail
 * loudly instead of silently breaking nothing), and the compiled tests responsible for
 * catching it. Paths are relative to the repository root.
 */

/** One breakage. */
export interface Mutant {
  /** Short name, unique, used by `--only`. */
  name: string;
  /** What it breaks, as the README numbers the guarantees. */
  guarantee: string;
  file: string;
  search: string;
  replace: string;
  /** Compiled test files that must fail with the mutant in place. */
  tests: string[];
}

const ENGINE = 'packages/store/dist/src/leader/engine.js';
const LINK = 'packages/store/dist/src/member/leader-link.js';
const LOCAL_READER = 'packages/store/dist/src/member/local-reader.js';

/** Every mutant, in the order they run. */
export const MUTANTS: readonly Mutant[] = [
  {
    name: 'skip-epoch-check',
    guarantee: '2 one committer per epoch',
    file: ENGINE,
    search: 'if (epoch !== this.epoch)',
    replace: 'if (false)',
    tests: ['test/dist/fencing.test.js'],
  },
  {
    name: 'skip-fence-in-transaction-commit',
    guarantee: '2 one committer per epoch',
    file: ENGINE,
    search: '            this.checkFence();\n            (0, applied_record_1.recordApplied)(w, clientId, seq,',
    replace: '            (0, applied_record_1.recordApplied)(w, clientId, seq,',
    tests: ['test/dist/fencing.test.js'],
  },
  {
    name: 'epoch-not-bumped',
    guarantee: '2 one committer per epoch',
    file: 'packages/store/dist/src/leader/epochs.js',
    search: '(row === undefined ? 0 : Number(row[0])) + 1',
    replace: '(row === undefined ? 1 : Number(row[0]))',
    tests: ['packages/store/dist/test/engine.test.js', 'test/dist/fencing.test.js'],
  },
  {
    name: 'skip-inode-check',
    guarantee: '2, 7 a replaced file is noticed',
    file: ENGINE,
    search: 'if (stat !== null && stat.ino === this.inode.ino && stat.dev === this.inode.dev)',
    replace: 'if (true)',
    tests: ['packages/store/dist/test/engine.test.js'],
  },
  {
    name: 'ignore-replaced-lock-file',
    guarantee: '1 one opener (lock file replaced)',
    file: 'packages/store/dist/src/member/leader-host.js',
    search: 'if (this.lock.isIntact())',
    replace: 'if (true)',
    tests: ['test/dist/stale-files.test.js'],
  },
  {
    name: 'open-database-before-lock',
    guarantee: '1 one opener',
    file: LINK,
    search: '            lock = await this.election.tryAcquire(',
    replace:
      "            try { new (require('better-sqlite3'))(this.paths.database, { readonly: true }).close(); } catch { }\n            lock = await this.election.tryAcquire(",
    tests: ['test/dist/one-opener.test.js'],
  },
  {
    name: 'second-member-leads',
    guarantee: '1 one opener',
    file: 'packages/store/dist/src/election/flock-election.js',
    search: 'if (isWouldBlock(error))\n                    return null;',
    replace: 'if (isWouldBlock(error))\n                    return { release() { }, isIntact() { return true; } };',
    tests: ['test/dist/one-opener.test.js'],
  },
  {
    name: 'ack-before-commit',
    guarantee: '3 acknowledged means durable',
    file: ENGINE,
    search: "            w.write('COMMIT');\n            committed = true;",
    replace: "            setImmediate(() => w.write('COMMIT'));\n            committed = true;",
    tests: ['test/dist/durability.test.js'],
  },
  {
    name: 'synchronous-normal',
    guarantee: '3 acknowledged means durable',
    file: ENGINE,
    search: "options.synchronous === 'full' ? 'FULL' : 'NORMAL'",
    replace: "'NORMAL'",
    tests: ['test/dist/durability.test.js'],
  },
  {
    name: 'forget-applied-record',
    guarantee: '4 exactly once',
    file: 'packages/store/dist/src/leader/write-job.js',
    search: 'if (job.retry) {',
    replace: 'if (false) {',
    tests: ['test/dist/exactly-once.test.js'],
  },
  {
    name: 'forget-transaction-commit-record',
    guarantee: '4 exactly once',
    file: 'packages/store/dist/src/leader/transactions.js',
    search: 'retry && this.engine.wasApplied(session.hello.clientId, requestId)',
    replace: 'retry && false',
    tests: ['test/dist/exactly-once.test.js'],
  },
  {
    name: 'watermark-forgets-its-own-record',
    guarantee: '4 exactly once',
    file: ENGINE,
    search: "WHERE client_id = ? AND seq < ?'",
    replace: "WHERE client_id = ? AND seq <= ?'",
    tests: ['packages/store/dist/test/applied-record.test.js'],
  },
  {
    name: 'retention-forgets-at-its-boundary',
    guarantee: '4 exactly once',
    file: ENGINE,
    search: "'DELETE FROM _baton_applied WHERE at < ?'",
    replace: "'DELETE FROM _baton_applied WHERE at <= ?'",
    tests: ['packages/store/dist/test/applied-record.test.js'],
  },
  {
    name: 'drop-resend-after-failover',
    guarantee: '3, 4 nothing lost',
    file: LINK,
    search: 'for (const request of this.pending.all())\n            this.transmit(request, connection);',
    replace:
      'for (const request of this.pending.all())\n            if (request.sentOn === null)\n                this.transmit(request, connection);',
    tests: ['packages/store/dist/test/handover.test.js'],
  },
  {
    name: 'wait-twice-the-timeout',
    guarantee: '5 bounded waits',
    file: 'packages/store/dist/src/member/pending-requests.js',
    search: 'deadline: performance.now() + this.timeoutMs,',
    replace: 'deadline: performance.now() + 2 * this.timeoutMs,',
    tests: ['test/dist/bounded-waits.test.js'],
  },
  {
    name: 'accept-oversized-frame',
    guarantee: '6 bad input stays with its sender',
    file: 'packages/store/dist/src/protocol/framing.js',
    search: 'if (length > this.maxFrameBytes) {',
    replace: 'if (false) {',
    tests: ['packages/store/dist/test/framing.test.js'],
  },
  {
    name: 'statement-guard-refuses-nothing',
    guarantee: '6 bad input stays with its sender',
    file: 'packages/store/dist/src/sqlite/statement-guard.js',
    search: "function refusalReason(sql, context = 'statement') {",
    replace: "function refusalReason(sql, context = 'statement') {\n    return null;",
    tests: ['packages/store/dist/test/statement-guard.test.js'],
  },
  {
    name: 'replay-another-files-wal',
    guarantee: '7 the file is never deleted (a replaced file never gets the old WAL)',
    file: 'packages/store/dist/src/leader/worker-main.js',
    search: 'const setAside = (0, database_files_1.quarantineCompanions)(input.databasePath, record.epoch);',
    replace: 'const setAside = [];',
    tests: ['test/dist/stale-files.test.js'],
  },
  {
    name: 'record-names-file-after-opening',
    guarantee: '7 the file is never deleted (a replaced file keeps its own WAL)',
    file: 'packages/store/dist/src/leader/worker-main.js',
    search: 'writeLeaderRecord({ ...record, file });',
    replace: ';',
    tests: ['test/dist/stale-files.test.js'],
  },
  {
    name: 'local-reader-ignores-replaced-file',
    guarantee: "1 one writer, reads: 'local' (only the leader's file is read)",
    file: LOCAL_READER,
    search:
      '        const current = fileAt(this.databasePath);\n        if (current === null || !sameFile(current, leaderFile))\n            return null;\n        const connection = this.connectionOn(current);',
    replace: '        const connection = this.connectionOn(this.connectionFile ?? leaderFile);',
    tests: ['packages/store/dist/test/local-reader.test.js', 'test/dist/local-reads.test.js'],
  },
  {
    name: 'local-reader-kept-past-step-down',
    guarantee: "1 one writer, reads: 'local'",
    file: LOCAL_READER,
    search: '    releaseBeforeStepDown() {\n        this.drop();\n    }',
    replace: '    releaseBeforeStepDown() { }',
    tests: ['packages/store/dist/test/local-reader.test.js', 'test/dist/local-reads.test.js'],
  },
];
