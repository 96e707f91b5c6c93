/**
 * Human-readable durations, sizes, rates and times for tables. JSON output never goes through
 * here: it carries the raw numbers (milliseconds, bytes, ms since the Unix epoch).
 */

/** `850 ms`, `4.2 s`, `3m 07s`, `2h 05m`, `3d 04h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1_000) return `${ms < 10 ? round(ms, 1) : Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${round(seconds, 1)} s`;
  const total = Math.floor(seconds);
  const [d, h, m, s] = [
    Math.floor(total / 86_400),
    Math.floor(total / 3_600) % 24,
    Math.floor(total / 60) % 60,
    total % 60,
  ];
  if (d > 0) return `${d}d ${pad(h)}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  return `${m}m ${pad(s)}s`;
}

/** `512 B`, `1.5 KiB`, `12.0 MiB`, `1.1 GiB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A per-second rate: `0`, `0.4`, `12.5`, `1,204`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : String(round(perSecond, 1));
}

/** A count with thousands separators: `1,204`. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** A moment as local wall-clock time plus how long ago: `12:04:05 (2m 03s ago)`. */
export function formatMoment(at: number, now: number): string {
  return `${formatClock(at)} (${formatDuration(Math.max(0, now - at))} ago)`;
}

/** Local wall-clock time `HH:MM:SS`, with the date in front when it is not today. */
export function formatClock(at: number, now = Date.now()): string {
  const date = new Date(at);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const today = new Date(now).toDateString() === date.toDateString();
  return today ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
