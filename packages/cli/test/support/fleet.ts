/**
 * A fleet of forked members on a fresh database, built on the shared test/helpers/fleet.
 * Members start one at a time, so the first one is the leader.
 */
import * as path from 'node:path';
import type { MemberEvent } from '@baton/test-support/fixtures/member-protocol';
import { fleet, temp, type Member } from './shared';

/** The `failover` event a member reports. */
export type FailoverEvent = Extract<MemberEvent, { ev: 'failover' }>;

/** What `--json` prints when a command fails. */
export interface ErrorDocument {
  error: { code: string; message: string; extendedCode?: string; [detail: string]: unknown };
}

/** A fresh temporary directory, its database path and the members running on it. */
export interface Fleet {
  dir: string;
  db: string;
  members: Member[];
}

/** Starts `size` members named m0, m1, ... on `fleet.db` in a new temporary directory. */
export async function startFleet(size: number): Promise<Fleet> {
  const dir = temp.tempDir('baton-cli-');
  const db = path.join(dir, 'fleet.db');
  const members: Member[] = [];
  for (let i = 0; i < size; i++) members.push(await fleet.startMember({ path: db, name: `m${i}` }));
  return { dir, db, members };
}

/** Has `member` insert `count` rows with ids `<prefix>-<n>` and waits until all are answered. */
export async function writeRows(member: Member, prefix: string, count: number): Promise<void> {
  member.send({ cmd: 'write', prefix, count });
  await member.waitFor((e) => e.ev === 'writeDone' && e.prefix === prefix, 45_000);
}

/** Resolves with `member`'s first failover event. */
export function failoverOf(member: Member): Promise<FailoverEvent> {
  return member.waitFor((e): e is FailoverEvent => e.ev === 'failover');
}

/** Kills every member and removes every temporary directory. For afterEach. */
export async function stopFleets(): Promise<void> {
  await fleet.killAll();
  temp.removeTempDirs();
}
