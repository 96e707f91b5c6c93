/** A Node member of the languages bench (see protocol.ts): the leader, or a writer with one insert in flight. */
import { openStore, type StoreError } from '@baton/store';
import type { FromMember, MemberConfig, ToMember } from './protocol';
import { INSERT_SQL, MIGRATIONS } from './schema';

const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
const send = (message: FromMember): void => void process.send?.(message);
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  const store = await openStore({
    path: config.path,
    name: config.name,
    candidate: config.candidate,
    synchronous: config.synchronous,
    migrations: MIGRATIONS,
  });
  let seq = 0;
  const run = async (warmupMs: number, durationMs: number): Promise<void> => {
    const start = performance.now() + warmupMs;
    const end = start + durationMs;
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    for (let now = performance.now(); now < end; now = performance.now()) {
      try {
        await store.execute(INSERT_SQL, [`${config.name}-${++seq}`, config.name]);
        const done = performance.now();
        if (now >= start && done <= end) latencies.push(done - now);
      } catch (error) {
        const code = (error as StoreError).code ?? 'UNKNOWN';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
    send({ t: 'report', completed: latencies.length, latencies, errors });
  };
  process.on('message', (message: ToMember) => {
    if (message.t === 'run') void run(message.warmupMs, message.durationMs);
    else if (message.t === 'memory') send({ t: 'memory', rss: process.memoryUsage().rss });
    else void store.close().then(() => process.exit(0));
  });
  send({ t: 'ready', pid: process.pid, role: store.role });
}

main().catch((error: Error) => {
  send({ t: 'failed', message: error.message });
  process.exit(1);
});
