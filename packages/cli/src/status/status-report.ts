/**
 * The data behind `baton status` and `baton watch`: one plain object that both the `--json`
 * output and the text rendering are made from, so they always agree. Times are ms since the
 * Unix epoch, durations ms, sizes bytes.
 */
import * as fs from 'node:fs';
import type { StorePaths, StoreStatus } from '@baton/store';
import type { LeaderProbe } from '../probe/leader-probe';
import { suspectedLeader } from '../probe/leader-probe';
import { permissionsReport, type PermissionsReport } from '../probe/permissions';
import { processesHoldingOpen, type FileHolder, type ProcessState } from '../probe/proc';

/** `ok`: a leader answered; `unresponsive`: a live leader holds the lock but did not answer; `no-leader`: nobody leads. */
export type LeaderState = 'ok' | 'no-leader' | 'unresponsive';

/** The leader that answered. */
export interface LeaderView {
  pid: number;
  name: string;
  epoch: number;
  since: number;
  uptimeMs: number;
  socketPath: string;
  version: string;
  /** The leader's language: `python` for a Python leader (python/baton); `node` for a leader that does not say. */
  language: string;
  /** What this leader leaves out compared with the Node leader (a Python leader lists them); empty for Node. */
  omits: string[];
}

/**
 * What a member is to the fleet: hosts the leader, is named to take over next (it keeps a
 * standby engine), could take over, or only observes (like the CLI).
 */
export type MemberRole = 'leader' | 'heir' | 'candidate' | 'observer';

/** One connected member (the reporting CLI itself is left out); listed leader first, then by arrival. */
export interface MemberView {
  pid: number;
  name: string;
  role: MemberRole;
  connectedAt: number;
  requests: number;
  inFlight: number;
  transactionOpen: boolean;
  /** Where it serves its standalone reads: `local` members read the database themselves, read-only. */
  reads: 'leader' | 'local';
  /** The member's language and Baton version, when the leader reports them (a Python leader does); else null. */
  language: string | null;
  version: string | null;
}

/** Load over the last minute, as measured by the leader, plus its queue right now. */
export interface LoadView {
  writesPerSec: number;
  readsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  avgGroupSize: number;
  queueDepth: number;
}

/** The database files. Sizes come from the leader when it answers, else from stat(2). */
export interface FilesView {
  databaseBytes: number | null;
  walBytes: number | null;
  /** Null when no leader answered. */
  schemaVersion: number | null;
  /** Processes with the database, -wal or -shm open (Baton's invariant: at most one). */
  openBy: FileHolder[];
  /** Whether the store's files are closed to other users (see `baton check`). */
  permissions: PermissionsReport;
}

/** One leader change, newest first: `fromPid` led before `toPid`, who took `takeoverMs` to commit its first epoch. */
export interface FailoverView {
  epoch: number;
  at: number;
  fromPid: number | null;
  toPid: number;
  toName: string;
  takeoverMs: number | null;
}

/** The last leader record on disk and what became of its process. */
export interface RecordView {
  pid: number;
  name: string;
  epoch: number;
  startedAt: number;
  socketPath: string;
  version: string;
  process: ProcessState;
}

/** Everything `baton status` reports. */
export interface StatusReport {
  /** The database's absolute path. */
  database: string;
  state: LeaderState;
  /** When this report was taken. */
  at: number;
  /** Why there is no answer, for an operator; null when `state` is `ok`. */
  problem: string | null;
  leader: LeaderView | null;
  members: MemberView[];
  load: LoadView | null;
  files: FilesView;
  failovers: FailoverView[];
  record: RecordView | null;
  /** The pid holding the election lock per /proc/locks (null: nobody; undefined in JS, absent in JSON: unknown). */
  lockHolder: number | null | undefined;
}

/** Context for building a report: the store's paths, this CLI's pid (left out of members), the time, the store's `fileMode`. */
export interface ReportContext {
  paths: StorePaths;
  selfPid: number;
  now: number;
  fileMode: number;
}

function openBy(paths: StorePaths): FileHolder[] {
  const db = paths.database;
  return processesHoldingOpen([db, `${db}-wal`, `${db}-shm`]);
}

function recordView(probe: LeaderProbe): RecordView | null {
  if (probe.record === null) return null;
  const { pid, name, epoch, startedAt, socketPath, version } = probe.record;
  return { pid, name, epoch, startedAt, socketPath, version, process: probe.recordProcess };
}

const ROLE_ORDER: Record<MemberRole, number> = { leader: 0, heir: 1, candidate: 2, observer: 3 };

/** The leader first, then the heir, candidates, observers; each group in the order they connected. */
function byRoleThenArrival(a: MemberView, b: MemberView): number {
  return ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.connectedAt - b.connectedAt || a.pid - b.pid;
}

function roleOf(member: { pid: number; candidate: boolean }, leader: { pid: number; heirPid: number }): MemberRole {
  if (member.pid === leader.pid) return 'leader';
  if (member.pid === leader.heirPid) return 'heir';
  return member.candidate ? 'candidate' : 'observer';
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The report of a leader that answered `status()`. */
export function reportFromStatus(status: StoreStatus, probe: LeaderProbe, context: ReportContext): StatusReport {
  // Read defensively: a leader of an older version (or another language) may leave fields out.
  const { leader, members } = status;
  const omits = Array.isArray(leader.omits) ? leader.omits.filter((o): o is string => typeof o === 'string') : [];
  return {
    database: context.paths.database,
    state: 'ok',
    at: context.now,
    problem: null,
    leader: {
      pid: leader.pid,
      name: leader.name,
      epoch: leader.epoch,
      since: leader.since,
      uptimeMs: Math.max(0, context.now - leader.since),
      socketPath: leader.socketPath,
      version: leader.version,
      language: text(leader.language) ?? 'node',
      omits,
    },
    members: members
      .filter((m) => m.pid !== context.selfPid)
      .map((m) => ({
        pid: m.pid,
        name: m.name,
        role: roleOf(m, leader),
        connectedAt: m.connectedAt,
        requests: m.requests,
        inFlight: m.inFlight,
        transactionOpen: m.transactionOpen,
        // A leader that predates local reads does not say: its members all read through it.
        reads: m.reads ?? 'leader',
        language: text(m.language),
        version: text(m.version),
      }))
      .sort(byRoleThenArrival),
    load: { ...status.load, queueDepth: status.counters.queueDepth },
    files: {
      databaseBytes: status.database.databaseBytes,
      walBytes: status.database.walBytes,
      schemaVersion: leader.schemaVersion,
      openBy: openBy(context.paths),
      permissions: permissionsReport(context.paths, context.fileMode),
    },
    failovers: status.failovers.map((f) => ({
      epoch: f.epoch,
      at: f.startedAt,
      fromPid: f.previousPid,
      toPid: f.pid,
      toName: f.name,
      takeoverMs: f.takeoverMs,
    })),
    record: recordView(probe),
    lockHolder: probe.lockHolder,
  };
}

/** The report when no leader answered: what the files, /proc and the last leader record say. */
export function reportWithoutLeader(probe: LeaderProbe, problem: string, context: ReportContext): StatusReport {
  const size = (file: string): number | null => {
    try {
      return fs.statSync(file).size;
    } catch {
      return null;
    }
  };
  return {
    database: context.paths.database,
    state: suspectedLeader(probe) === null ? 'no-leader' : 'unresponsive',
    at: context.now,
    problem,
    leader: null,
    members: [],
    load: null,
    files: {
      databaseBytes: size(context.paths.database),
      walBytes: size(`${context.paths.database}-wal`),
      schemaVersion: null,
      openBy: openBy(context.paths),
      permissions: permissionsReport(context.paths, context.fileMode),
    },
    failovers: [],
    record: recordView(probe),
    lockHolder: probe.lockHolder,
  };
}
