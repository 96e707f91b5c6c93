/** What `store.status()` returns, assembled by the leader from its parts. */
import type { StoreStatus } from '../protocol/status';
import type { LeaderEngine } from './engine';
import type { LoadMeter } from './load-meter';
import type { LeaderIdentity } from './leader-identity';
import type { Session } from './session';

/** The parts of a leader that its status reports on. */
export interface StatusSources {
  identity: LeaderIdentity;
  engine: LeaderEngine;
  sessions: Iterable<Session>;
  heirPid: number;
  queueDepth: number;
  load: LoadMeter;
}

/** The leader's view of the fleet: who leads, who is connected, counters, load, files, recent leaders. */
export function statusReport({ identity, engine, sessions, heirPid, queueDepth, load }: StatusSources): StoreStatus {
  const members: StoreStatus['members'] = [];
  for (const s of sessions) {
    if (s.hello === null) continue;
    members.push({
      pid: s.hello.pid,
      name: s.hello.name,
      candidate: s.hello.candidate,
      connectedAt: s.connectedAt,
      requests: s.requests,
      inFlight: s.inFlight,
      transactionOpen: s.transaction !== null,
      reads: s.hello.reads ?? 'leader',
      language: s.hello.lang ?? null,
      version: s.hello.version ?? null,
    });
  }
  return {
    leader: {
      pid: identity.pid,
      name: identity.name,
      epoch: engine.epoch,
      since: identity.startedAt,
      socketPath: identity.socketPath,
      version: identity.version,
      schemaVersion: engine.schemaVersion,
      heirPid,
      language: 'node',
      omits: [],
    },
    members,
    counters: { ...engine.stats, queueDepth },
    load: load.snapshot(),
    database: { path: identity.databasePath, ...engine.databaseStatus() },
    failovers: engine.epochHistory(10),
  };
}
