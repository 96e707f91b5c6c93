/**
 * Scenario 5: SIGKILL the leader-hosting member under load, again and again, and measure the
 * time from the kill to every surviving member's next write acknowledged by the new leader.
 *
 * Every member writes continuously with one request in flight. Before each kill the
 * survivors-to-be are "armed" with the current epoch; each then reports the first write it
 * sees acknowledged while its store is on a higher epoch, timestamped on the host's monotonic
 * clock (clock.ts), which is also what the kill time is taken on. The killed member is replaced
 * by a fresh process, so the fleet keeps its size, and the fleet is back to one leader with
 * every member on its epoch before the next kill.
 *
 * The first second after each kill is measured too: the survivors' acknowledged writes in the
 * second after the kill against theirs in the second before it (the fleet is steady then: a
 * kill comes more than a second after the previous recovery). The replacement starts only once
 * that second is over, so its boot does not weigh on it.
 */
import * as path from 'node:path';
import { nowMs } from '../clock';
import { createDatabase } from '../database';
import type { SyncMode } from '../messages';
import { killAll, WorkerProcess } from '../processes';
import { loadAfterRun, loadBeforeRun, type RunLoad } from '../machine-load';
import type { Workspace } from '../workspace';
import { SEED_ROWS } from '../workload';
import { sleep } from '../../shared';

/** What the failover scenario measured. */
export interface FailoverRun {
  members: number;
  sync: SyncMode;
  /** Per kill: ms from the kill to the last survivor's first write on the new leader. */
  killMs: number[];
  /** Per kill and survivor: ms from the kill to that survivor's first write on the new leader. */
  memberMs: number[];
  /** Per kill and survivor: the store's own `failover` event time (noticing the loss to the welcome). */
  noticeToWelcomeMs: number[];
  /** Per kill: ms from the kill until the new leader-hosting member reported role `leader` (election and engine start). */
  newLeaderMs: number[];
  /**
   * Per kill: ms from the kill until the killed process was seen to exit. Linux frees a dying
   * process's memory before it closes its files (its sockets and its flock), so no survivor can
   * notice the death earlier: the floor under every failover, measured on the same kills.
   */
  teardownMs: number[];
  /**
   * Per kill: the survivors' acknowledged writes in the second after the kill over theirs in
   * the second before it (1 would be a failover that costs no throughput at all).
   */
  firstSecondRatios: number[];
  /** Kills after which some survivor did not write within the recovery timeout (counted at the timeout). */
  timeouts: number;
  /** Failed requests across the fleet (a failover should cost latency, never errors). */
  errors: Record<string, number>;
  /** The machine's load before and after the scenario. */
  load: RunLoad | null;
}

/** A survivor that has not written on the new leader after this long counts as a timeout. */
export const RECOVERY_TIMEOUT_MS = 10_000;
/** The second before and after a kill whose writes are compared. */
export const FIRST_SECOND_MS = 1000;
/** Steady load between kills, so each kill hits a fleet in its normal rhythm, a second of it measured. */
const SETTLE_MS = FIRST_SECOND_MS + 200;
const SYNC: SyncMode = 'full';

/** Runs `kills` failovers on a fleet of `members`, calling `progress` after each. */
export async function measureFailover(
  kills: number,
  members: number,
  workspace: Workspace,
  progress: (kill: number, ms: number) => void,
): Promise<FailoverRun> {
  const load = await loadBeforeRun();
  const dir = workspace.runDir('failover');
  const database = path.join(dir, 'bench.db');
  createDatabase(database, SEED_ROWS);
  workspace.trackBatonSocket(database);
  let nextIndex = 0;
  const spawn = (): WorkerProcess =>
    WorkerProcess.spawn(
      { kind: 'load', system: 'baton', path: database, sync: SYNC, index: nextIndex, seedRows: SEED_ROWS },
      `failover member ${nextIndex++}`,
    );
  const fleet: WorkerProcess[] = Array.from({ length: members }, spawn);
  const everyone: WorkerProcess[] = [...fleet];
  const run: FailoverRun = {
    members,
    sync: SYNC,
    killMs: [],
    memberMs: [],
    noticeToWelcomeMs: [],
    newLeaderMs: [],
    teardownMs: [],
    firstSecondRatios: [],
    timeouts: 0,
    errors: {},
    load: null,
  };
  try {
    await Promise.all(fleet.map((member) => member.ready()));
    for (const member of fleet) member.send({ t: 'loop' });
    for (let kill = 1; kill <= kills; kill++) {
      const leader = await stableLeader(fleet);
      await sleep(SETTLE_MS);
      const survivors = fleet.filter((member) => member !== leader);
      for (const survivor of survivors) {
        survivor.drain('recovered');
        survivor.send({ t: 'arm', epoch: leader.epoch });
      }
      await Promise.all(survivors.map((survivor) => survivor.next('armed', 10_000)));
      const killedAt = nowMs();
      leader.kill('SIGKILL');
      const outcomes = await Promise.allSettled(
        survivors.map((survivor) => survivor.next('recovered', RECOVERY_TIMEOUT_MS)),
      );
      let worst = 0;
      for (const outcome of outcomes) {
        const ms = outcome.status === 'fulfilled' ? outcome.value.atMs - killedAt : RECOVERY_TIMEOUT_MS;
        if (outcome.status === 'fulfilled' && outcome.value.failoverMs !== null)
          run.noticeToWelcomeMs.push(outcome.value.failoverMs);
        run.memberMs.push(ms);
        worst = Math.max(worst, ms);
      }
      if (outcomes.some((outcome) => outcome.status === 'rejected')) run.timeouts++;
      run.killMs.push(worst);
      const successor = survivors.find((survivor) => survivor.role === 'leader' && survivor.roleAtMs > killedAt);
      if (successor !== undefined) run.newLeaderMs.push(successor.roleAtMs - killedAt);
      progress(kill, worst);
      // Keep the fleet at its size: the replacement joins as a follower of the new leader.
      await leader.whenExited();
      run.teardownMs.push(leader.exitedAtMs - killedAt);
      await sleep(Math.max(0, killedAt + FIRST_SECOND_MS - nowMs()));
      run.firstSecondRatios.push(await firstSecondRatio(survivors, killedAt));
      fleet.splice(fleet.indexOf(leader), 1);
      const replacement = spawn();
      everyone.push(replacement);
      fleet.push(await replacement.ready());
      replacement.send({ t: 'loop' });
    }
    for (const member of fleet) member.send({ t: 'stop' });
    for (const member of fleet) {
      const stopped = await member.next('stopped', 60_000);
      for (const [code, n] of Object.entries(stopped.errors)) run.errors[code] = (run.errors[code] ?? 0) + n;
    }
    run.load = loadAfterRun(load);
    return run;
  } finally {
    await killAll(everyone);
    workspace.removeRun(dir);
  }
}

/**
 * The survivors' acknowledged writes in the second after `killedAt` over theirs in the second
 * before it, from the acknowledgement times each reports (all since its previous report).
 */
async function firstSecondRatio(survivors: readonly WorkerProcess[], killedAt: number): Promise<number> {
  for (const survivor of survivors) survivor.send({ t: 'acks' });
  const reports = await Promise.all(survivors.map((survivor) => survivor.next('acks', 10_000)));
  let before = 0;
  let after = 0;
  for (const { atMs } of reports) {
    for (const at of atMs) {
      if (at >= killedAt - FIRST_SECOND_MS && at < killedAt) before++;
      else if (at >= killedAt && at < killedAt + FIRST_SECOND_MS) after++;
    }
  }
  return before === 0 ? Number.NaN : after / before;
}

/**
 * Waits until the fleet has exactly one leader and every member reports its epoch (the role
 * events the members send), and returns the leader-hosting member.
 */
async function stableLeader(fleet: readonly WorkerProcess[], timeoutMs = 30_000): Promise<WorkerProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leaders = fleet.filter((member) => member.role === 'leader');
    if (leaders.length === 1) {
      const epoch = leaders[0]!.epoch;
      if (fleet.every((member) => member.epoch === epoch && (member.role === 'leader' || member.role === 'follower')))
        return leaders[0]!;
    }
    if (Date.now() > deadline)
      throw new Error(
        `no stable leader within ${timeoutMs} ms: ${fleet.map((m) => `${m.label}=${m.role}@${m.epoch}`).join(', ')}`,
      );
    await sleep(10);
  }
}
