/**
 * `baton status` as text: a block of sections for a terminal (and `baton watch`), and a
 * one-line summary for `baton watch` when piped. Durations and sizes are made readable here;
 * the JSON output keeps the raw numbers.
 */
import { formatBytes, formatClock, formatCount, formatDuration, formatMoment, formatRate } from '../format/units';
import { renderTable, type Align } from '../format/table';
import type { Colors } from '../output';
import type { FailoverView, FilesView, LoadView, MemberView, RecordView, StatusReport } from './status-report';

const COMMAND_WIDTH = 60;

function heading(colors: Colors, title: string, extra = ''): string {
  return `${colors.bold(title)}${extra ? `  ${colors.dim(extra)}` : ''}`;
}

/** `key value` pairs on one indented line. */
function pairs(colors: Colors, entries: [string, string][]): string {
  return `  ${entries.map(([key, value]) => `${colors.dim(key)} ${value}`).join('   ')}`;
}

function stateBadge(report: StatusReport, colors: Colors): string {
  if (report.state === 'ok') return colors.green('leader answering');
  if (report.state === 'unresponsive') return colors.yellow('leader UNRESPONSIVE');
  return colors.red('NO LEADER');
}

function leaderSection(report: StatusReport, colors: Colors): string[] {
  const leader = report.leader;
  if (leader === null) return [];
  return [
    heading(colors, 'Leader'),
    pairs(colors, [
      ['pid', String(leader.pid)],
      ['name', leader.name],
      ['epoch', String(leader.epoch)],
      ['up', formatDuration(leader.uptimeMs)],
      ['version', leader.version],
      ['language', leader.language],
    ]),
    pairs(colors, [['socket', leader.socketPath]]),
    ...(leader.omits.length > 0 ? [pairs(colors, [['leaves out', leader.omits.join(', ')]])] : []),
  ];
}

function problemSection(report: StatusReport, colors: Colors): string[] {
  if (report.problem === null) return [];
  const lines = [
    heading(colors, report.state === 'unresponsive' ? 'Leader unresponsive' : 'No leader'),
    `  ${report.problem}`,
  ];
  if (report.record !== null) lines.push(recordLine(report.record, colors, report.at));
  return lines;
}

function recordLine(record: RecordView, colors: Colors, now: number): string {
  const process =
    record.process === 'running'
      ? colors.green('running')
      : record.process === 'stopped'
        ? colors.yellow('stopped')
        : colors.red(record.process === 'gone' ? 'not running' : 'exited');
  return pairs(colors, [
    ['last leader record: pid', `${record.pid} (${process})`],
    ['name', record.name],
    ['epoch', String(record.epoch)],
    ['started', formatMoment(record.startedAt, now)],
  ]);
}

function membersSection(members: MemberView[], colors: Colors, now: number): string[] {
  if (members.length === 0) return [heading(colors, 'Members', '0 connected')];
  // Language and version columns only when the leader reports them (a Python leader does).
  const languages = members.some((m) => m.language !== null);
  const rows = members.map((m) => [
    String(m.pid),
    m.name,
    m.role === 'leader' ? colors.green(m.role) : m.role,
    ...(languages ? [`${m.language ?? '-'} ${m.version ?? ''}`.trimEnd()] : []),
    `${formatDuration(Math.max(0, now - m.connectedAt))} ago`,
    formatCount(m.requests),
    `${m.inFlight}${m.transactionOpen ? ' (tx open)' : ''}`,
    m.reads,
  ]);
  const headers = [
    'PID',
    'NAME',
    'ROLE',
    ...(languages ? ['LANGUAGE'] : []),
    'CONNECTED',
    'REQUESTS',
    'IN FLIGHT',
    'READS',
  ];
  const language: Align[] = languages ? ['left'] : [];
  const align: Align[] = ['right', 'left', 'left', ...language, 'right', 'right', 'right', 'left'];
  return [heading(colors, 'Members', `${members.length} connected`), renderTable(headers, rows, colors, align)];
}

function loadSection(load: LoadView | null, colors: Colors): string[] {
  if (load === null) return [];
  return [
    heading(colors, 'Load', 'last minute'),
    pairs(colors, [
      ['writes/s', formatRate(load.writesPerSec)],
      ['reads/s', formatRate(load.readsPerSec)],
      ['p50', formatDuration(load.p50Ms)],
      ['p99', formatDuration(load.p99Ms)],
      ['group commit', `${formatRate(load.avgGroupSize)} writes`],
      ['queue', String(load.queueDepth)],
    ]),
  ];
}

/** `1 writer, 2 readers`; yellow when more than one process writes (Baton's invariant: at most one). */
function openByText(files: FilesView, colors: Colors): string {
  const writers = files.openBy.filter((h) => h.access === 'writer').length;
  const readers = files.openBy.length - writers;
  const text = [`${writers} ${writers === 1 ? 'writer' : 'writers'}`];
  if (readers > 0) text.push(`${readers} ${readers === 1 ? 'reader' : 'readers'}`);
  return writers > 1 ? colors.yellow(text.join(', ')) : text.join(', ');
}

function filesSection(files: FilesView, colors: Colors): string[] {
  const lines = [
    heading(colors, 'Database'),
    pairs(colors, [
      ['file', files.databaseBytes === null ? '-' : formatBytes(files.databaseBytes)],
      ['WAL', files.walBytes === null ? '-' : formatBytes(files.walBytes)],
      ['schema version', files.schemaVersion === null ? '-' : String(files.schemaVersion)],
      ['open by', openByText(files, colors)],
    ]),
  ];
  for (const holder of files.openBy) {
    const command =
      holder.command.length > COMMAND_WIDTH ? `${holder.command.slice(0, COMMAND_WIDTH - 1)}…` : holder.command;
    lines.push(`    ${colors.dim('pid')} ${holder.pid}  ${colors.dim(holder.access)}  ${command}`);
  }
  const { exposed, fix } = files.permissions;
  if (fix !== null) {
    const list = exposed.map((file) => `${file.path} (${file.mode})`).join(', ');
    lines.push(`  ${colors.yellow('WARNING')} other users can read or write ${list}: ${fix}`);
  }
  return lines;
}

function failoversSection(failovers: FailoverView[], colors: Colors, now: number): string[] {
  if (failovers.length === 0) return [];
  const rows = failovers.map((f) => [
    String(f.epoch),
    formatMoment(f.at, now),
    f.fromPid === null ? '-' : String(f.fromPid),
    `${f.toPid} ${f.toName}`,
    f.takeoverMs === null ? '-' : formatDuration(f.takeoverMs),
  ]);
  return [
    heading(colors, 'Leader changes', 'newest first'),
    renderTable(['EPOCH', 'WHEN', 'FROM', 'TO', 'TOOK'], rows, colors, ['right', 'left', 'right', 'left', 'right']),
  ];
}

/** The full text report: header, leader (or why none), members, load, database, leader changes. */
export function renderStatus(report: StatusReport, colors: Colors): string {
  const sections = [
    [
      `${colors.bold('baton')} ${report.database}  ${stateBadge(report, colors)}  ${colors.dim(formatClock(report.at, report.at))}`,
    ],
    leaderSection(report, colors),
    problemSection(report, colors),
    report.state === 'ok' ? membersSection(report.members, colors, report.at) : [],
    loadSection(report.load, colors),
    filesSection(report.files, colors),
    failoversSection(report.failovers, colors, report.at),
  ];
  return sections
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\n'))
    .join('\n\n');
}

/** One line per report, for `baton watch` into a pipe or a log file. */
export function summaryLine(report: StatusReport): string {
  const time = new Date(report.at).toISOString();
  if (report.state !== 'ok' || report.leader === null || report.load === null) {
    return `${time} state=${report.state} ${report.problem ?? ''}`.trimEnd();
  }
  const { leader, load } = report;
  return [
    time,
    'state=ok',
    `leader=${leader.pid}`,
    `name=${JSON.stringify(leader.name)}`,
    `epoch=${leader.epoch}`,
    `members=${report.members.length}`,
    `writes/s=${formatRate(load.writesPerSec)}`,
    `reads/s=${formatRate(load.readsPerSec)}`,
    `p50=${formatDuration(load.p50Ms).replace(' ', '')}`,
    `p99=${formatDuration(load.p99Ms).replace(' ', '')}`,
    `queue=${load.queueDepth}`,
    `wal=${report.files.walBytes === null ? '-' : formatBytes(report.files.walBytes).replace(' ', '')}`,
  ].join(' ');
}
