/** A description of the machine the numbers come from, for the table header and the JSON document. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The `machine` object of the results document. */
export interface Machine {
  cpus: number;
  node: string;
  /** File system type holding the benchmark databases (from /proc/mounts). */
  fs: string;
  cpuModel: string;
  kernel: string;
  memoryMb: number;
  /** 1-minute load average when the benchmark started: a shared machine makes numbers drift. */
  loadAverage: number;
}

/** The type of the file system `directory` lives on, by the longest mount point prefix; "unknown" off Linux. */
export function fileSystemType(directory: string): string {
  let mounts: string;
  try {
    mounts = fs.readFileSync('/proc/mounts', 'utf8');
  } catch {
    return 'unknown';
  }
  const target = fs.realpathSync(directory);
  let best = { point: '', type: 'unknown' };
  for (const line of mounts.split('\n')) {
    const [, point, type] = line.split(' ');
    if (point === undefined || type === undefined) continue;
    const inside = target === point || target.startsWith(point.endsWith(path.sep) ? point : point + path.sep);
    if (inside && point.length >= best.point.length) best = { point, type };
  }
  return best.type;
}

/** Describes this machine; `directory` is where the databases are created. */
export function describeMachine(directory: string): Machine {
  return {
    cpus: os.cpus().length,
    node: process.version,
    fs: fileSystemType(directory),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    kernel: `${os.type()} ${os.release()}`,
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
