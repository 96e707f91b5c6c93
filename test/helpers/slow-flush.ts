/**
 * A slower disk flush. This machine's fsync is nearly free (direct WAL at FULL commits
 * thousands of times a second), which hides what group commit is for; a real SSD or cloud
 * volume takes a millisecond or more per flush. A small LD_PRELOAD library, compiled here with
 * the machine's C compiler (nothing prebuilt is shipped), makes every `fsync`/`fdatasync` of a
 * process take at least N ms longer: the bench's `--flush-ms N` runs both systems with it, and
 * tests run a leader with it to see what its group commit does on a slow disk.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The shim: calls the real function, then sleeps the configured extra microseconds. */
const SHIM_SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static long extra_us = -1;

static void pause_after_flush(void) {
  if (extra_us < 0) {
    const char *value = getenv("BATON_BENCH_FLUSH_US");
    extra_us = value == NULL ? 0 : atol(value);
  }
  if (extra_us <= 0) return;
  struct timespec ts = { extra_us / 1000000, (extra_us % 1000000) * 1000 };
  while (nanosleep(&ts, &ts) != 0) {}
}

int fsync(int fd) {
  static int (*real)(int) = NULL;
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  int result = real(fd);
  pause_after_flush();
  return result;
}

int fdatasync(int fd) {
  static int (*real)(int) = NULL;
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  int result = real(fd);
  pause_after_flush();
  return result;
}
`;

/** Flushes timed by `measureFlushMs`: enough for a stable median, cheap enough to repeat. */
const FLUSH_SAMPLES = 50;

/** Compiles the shim into `dir` and returns the library's path. Throws with the compiler's message. */
export function buildSlowFlushLibrary(dir: string): string {
  const source = path.join(dir, 'slow-flush.c');
  const library = path.join(dir, 'slow-flush.so');
  fs.writeFileSync(source, SHIM_SOURCE);
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, source, '-ldl'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(
      `--flush-ms needs a C compiler (cc) to build its LD_PRELOAD shim: ${stderr || (error as Error).message}`,
    );
  }
  return library;
}

/** The environment of a process whose flushes take `flushMs` longer (the unchanged environment for 0). */
export function slowFlushEnv(library: string | null, flushMs: number): NodeJS.ProcessEnv {
  if (flushMs === 0 || library === null) return process.env;
  const preload = process.env.LD_PRELOAD ? `${library}:${process.env.LD_PRELOAD}` : library;
  return { ...process.env, LD_PRELOAD: preload, BATON_BENCH_FLUSH_US: String(Math.round(flushMs * 1000)) };
}

/**
 * The median time of one `fsync` of a small file in `dir`, in a process with `env`: the flush
 * this machine's disk takes plus the shim's extra time. Printed with the results, so a reader
 * sees what "flush N ms" meant here.
 */
export function measureFlushMs(dir: string, env: NodeJS.ProcessEnv): number {
  const file = path.join(dir, 'flush-probe');
  const script = `
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(file)}, 'w');
    const times = [];
    for (let i = 0; i < ${FLUSH_SAMPLES}; i++) {
      fs.writeSync(fd, 'x');
      const start = process.hrtime.bigint();
      fs.fsyncSync(fd);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    fs.closeSync(fd);
    times.sort((a, b) => a - b);
    process.stdout.write(String(times[times.length >> 1]));`;
  const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  fs.rmSync(file, { force: true });
  if (result.status !== 0) throw new Error(`measuring the flush time failed: ${result.stderr.trim()}`);
  return Number(result.stdout);
}
