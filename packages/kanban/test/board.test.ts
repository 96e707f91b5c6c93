/**
 * Every board operation on each backend the board is written for: a Baton member that hosts the
 * leader, a Baton member that forwards to it, and @libsql/client on a `file:` URL (the path to
 * a libSQL server). The same results and the same errors everywhere. Each backend has a second
 * client on the same database ("the other member") for races and announcements. The Baton board
 * is reset (a leader transaction, the file kept) before each test; libsql gets a fresh file.
 */
import type { NotifyEvent } from '@baton/store';
import { Board, KanbanError, READY_CHANNEL, type ReadyNotice, type TaskEvent } from '../src';
import { useBoardBackends, type Members } from './board-backends';

const { backends, leader, forwarding } = useBoardBackends();

/** Rejects unless `promise` fails with a KanbanError of `code`. */
async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(KanbanError);
  await expect(promise).rejects.toMatchObject({ code });
}

const kinds = (events: TaskEvent[]): string[] => events.map((e) => e.kind);

test('the two Baton members are what the suite claims: one hosts the leader, one forwards', () => {
  expect(leader().role).toBe('leader');
  expect(forwarding().role).toBe('follower');
});

describe.each(backends)('through $name', (backend) => {
  let members: Members;
  let board: Board;
  let other: Board;
  beforeEach(async () => {
    members = await backend.open();
    board = new Board(members.main, 'architect');
    other = new Board(members.main, 'wikid');
  });
  afterEach(() => backend.close());

  describe('create', () => {
    test('creates a ready task with a t_ id and one "created" event', async () => {
      const { task, created } = await board.create({ title: 'write docs', body: 'b', priority: 5 });
      expect(created).toBe(true);
      expect(task).toMatchObject({
        title: 'write docs',
        body: 'b',
        priority: 5,
        status: 'ready',
        createdBy: 'architect',
        claimLock: null,
      });
      expect(task.id).toMatch(/^t_[0-9a-f]{8}$/);
      expect(kinds((await board.show(task.id)).events)).toEqual(['created']);
    });

    test('the same idempotency key twice returns the first task and creates nothing', async () => {
      const first = await board.create({ title: 'once', idempotencyKey: 'k-1' });
      const second = await other.create({ title: 'twice', idempotencyKey: 'k-1' });
      expect(second).toEqual({ task: first.task, created: false });
      expect((await board.stats()).total).toBe(1);
      expect(kinds(await board.tail())).toEqual(['created']);
    });

    test('a task with an unfinished parent waits in todo and is promoted when the parent completes', async () => {
      const parent = await board.create({ title: 'parent' });
      const child = await board.create({ title: 'child', parents: [parent.task.id] });
      expect(child.task.status).toBe('todo');
      const claim = await board.claim({ taskId: parent.task.id });
      await board.complete(claim!.run.id, 'ok');
      const detail = await board.show(child.task.id);
      expect(detail.task.status).toBe('ready');
      expect(detail.parents).toEqual([parent.task.id]);
      expect(kinds(detail.events)).toEqual(['created', 'promoted']);
    });

    test('a task whose parents are all done is ready at once', async () => {
      const parent = await board.create({ title: 'parent' });
      await board.complete((await board.claim())!.run.id);
      expect((await board.create({ title: 'child', parents: [parent.task.id] })).task.status).toBe('ready');
    });

    test('an unknown parent fails with NOT_FOUND and creates nothing', async () => {
      await expectCode(board.create({ title: 'orphan', parents: ['t_00000000'] }), 'NOT_FOUND');
      expect((await board.stats()).total).toBe(0);
    });

    test('bad input is refused with INVALID_ARGUMENT before reaching the store', async () => {
      await expectCode(board.create({ title: '   ' }), 'INVALID_ARGUMENT');
      await expectCode(board.create({ title: 'x', parents: ['nope'] }), 'INVALID_ARGUMENT');
      await expectCode(board.create({ title: 'x', priority: 1.5 }), 'INVALID_ARGUMENT');
      await expectCode(board.create({ title: 'x', priority: 2n as never }), 'INVALID_ARGUMENT');
      await expectCode(board.list({ status: 1n as never }), 'INVALID_ARGUMENT');
      await expectCode(board.create({ title: 'x', assignee: 'not a profile!' }), 'INVALID_ARGUMENT');
    });

    (backend.notifies ? test : test.skip)(
      'a new ready task is announced to every member on the ready channel (Baton only: a libSQL client has no notify)',
      async () => {
        const seen: ReadyNotice[] = [];
        const listener = (event: NotifyEvent): void => {
          if (event.channel === READY_CHANNEL) seen.push(event.payload as ReadyNotice);
        };
        // The announcement reaches the other member too, whichever created the task.
        const listening = members.listener;
        if (listening === undefined) throw new Error(`${backend.name} has no member to listen on`);
        listening.on('notify', listener);
        try {
          const { task } = await board.create({ title: 'announce me' });
          await new Promise<void>((resolve) => {
            const check = (): void =>
              seen.some((n) => n.taskIds.includes(task.id)) ? resolve() : void setImmediate(check);
            check();
          });
          expect(seen.find((n) => n.taskIds.includes(task.id))).toEqual({ taskIds: [task.id], reason: 'created' });
        } finally {
          listening.off('notify', listener);
        }
      },
    );
  });

  describe('link and unlink', () => {
    test('refuse cycles, direct or through other tasks', async () => {
      const a = (await board.create({ title: 'a' })).task.id;
      const b = (await board.create({ title: 'b' })).task.id;
      const c = (await board.create({ title: 'c' })).task.id;
      expect(await board.link(a, b)).toEqual({ linked: true });
      expect(await board.link(b, c)).toEqual({ linked: true });
      await expectCode(board.link(c, a), 'CYCLE');
      await expectCode(board.link(a, a), 'CYCLE');
      expect(await board.link(a, b)).toEqual({ linked: false });
    });

    test('linking an unfinished parent sends a ready child back to todo; unlinking makes it ready again', async () => {
      const parent = (await board.create({ title: 'parent' })).task.id;
      const child = (await board.create({ title: 'child' })).task.id;
      await board.link(parent, child);
      expect((await board.show(child)).task.status).toBe('todo');
      expect(await board.unlink(parent, child)).toEqual({ unlinked: true });
      const detail = await board.show(child);
      expect(detail.task.status).toBe('ready');
      expect(kinds(detail.events)).toEqual(['created', 'linked', 'demoted', 'unlinked', 'promoted']);
      expect(await board.unlink(parent, child)).toEqual({ unlinked: false });
    });

    test('an unknown task fails with NOT_FOUND', async () => {
      const a = (await board.create({ title: 'a' })).task.id;
      await expectCode(board.link(a, 't_00000000'), 'NOT_FOUND');
    });
  });

  describe('assign', () => {
    test('an assigned task is claimed only by its assignee', async () => {
      const { task } = await board.create({ title: 'for wikid' });
      expect((await board.assign(task.id, 'wikid')).assignee).toBe('wikid');
      expect(await board.claim()).toBeNull();
      expect((await other.claim())?.task.id).toBe(task.id);
      expect(kinds((await board.show(task.id)).events)).toEqual(['created', 'assigned', 'claimed']);
    });

    test("unassigning with null makes it anyone's again", async () => {
      const { task } = await board.create({ title: 't', assignee: 'wikid' });
      expect((await board.assign(task.id, null)).assignee).toBeNull();
      expect((await board.claim())?.task.id).toBe(task.id);
    });
  });

  describe('claim', () => {
    test('claims the highest-priority ready task, records a run and a "claimed" event', async () => {
      await board.create({ title: 'low', priority: 1 });
      const high = (await board.create({ title: 'high', priority: 9 })).task;
      const claim = await board.claim({ ttlMs: 60_000 });
      expect(claim?.task).toMatchObject({
        id: high.id,
        status: 'running',
        claimLock: claim?.run.id,
        workerPid: process.pid,
      });
      expect(claim?.run).toMatchObject({ taskId: high.id, profile: 'architect', status: 'running' });
      expect(kinds((await board.show(high.id)).events)).toEqual(['created', 'claimed']);
    });

    test('two claimants racing for one task: exactly one wins (compare-and-swap)', async () => {
      const { task } = await board.create({ title: 'contended' });
      const racers = [new Board(members.main, 'architect'), new Board(members.other, 'wikid')];
      const results = await Promise.all([...racers, ...racers].map((r) => r.claim({ taskId: task.id })));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await board.show(task.id)).runs).toHaveLength(1);
    });

    test('resolves null when nothing is ready', async () => {
      await board.create({ title: 'triaged', status: 'triage' });
      expect(await board.claim()).toBeNull();
    });
  });

  describe('heartbeat, complete and fail', () => {
    test('heartbeat extends the claim; completing records the result and ends the run', async () => {
      await board.create({ title: 'work' });
      const claim = (await board.claim({ ttlMs: 1000 }))!;
      await board.heartbeat(claim.run.id, 60_000);
      const extended = (await board.show(claim.task.id)).task;
      expect(extended.claimExpires!).toBeGreaterThan(claim.task.claimExpires!);
      const done = await board.complete(claim.run.id, 'shipped');
      expect(done).toMatchObject({ status: 'done', result: 'shipped', claimLock: null });
      const detail = await board.show(claim.task.id);
      expect(detail.runs[0]).toMatchObject({ status: 'completed', outcome: 'shipped' });
      expect(kinds(await board.tail({ skipHeartbeats: false }))).toEqual([
        'created',
        'claimed',
        'heartbeat',
        'completed',
      ]);
    });

    test('a second complete of the same run fails with CLAIM_LOST and changes nothing', async () => {
      await board.create({ title: 'work' });
      const claim = (await board.claim())!;
      await board.complete(claim.run.id);
      await expectCode(board.complete(claim.run.id), 'CLAIM_LOST');
      await expectCode(board.heartbeat(claim.run.id), 'CLAIM_LOST');
      expect(kinds((await board.show(claim.task.id)).events).filter((k) => k === 'completed')).toHaveLength(1);
    });

    test('a complete or a fail repeated within the same millisecond records no second event', async () => {
      // One millisecond for the whole test: each event insert must not tell its own call from the
      // earlier one by the time alone.
      const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      try {
        const { task: done } = await board.create({ title: 'completed twice' });
        const completing = (await board.claim({ taskId: done.id }))!;
        await board.complete(completing.run.id);
        await expectCode(board.complete(completing.run.id), 'CLAIM_LOST');
        expect(kinds((await board.show(done.id)).events)).toEqual(['created', 'claimed', 'completed']);

        const { task: blocked } = await board.create({ title: 'failed twice' });
        const failing = (await board.claim({ taskId: blocked.id }))!;
        expect(await board.fail(failing.run.id, 'boom', 1)).toMatchObject({ status: 'blocked' });
        await expectCode(board.fail(failing.run.id, 'boom again', 1), 'CLAIM_LOST');
        expect(kinds((await board.show(blocked.id)).events)).toEqual(['created', 'claimed', 'failed', 'blocked']);
      } finally {
        clock.mockRestore();
      }
    });

    test('a failure sends the task back to ready; the third in a row blocks it', async () => {
      const { task } = await board.create({ title: 'flaky' });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const claim = (await board.claim({ taskId: task.id }))!;
        const after = await board.fail(claim.run.id, `boom ${attempt}`);
        expect(after).toMatchObject({
          status: attempt < 3 ? 'ready' : 'blocked',
          consecutiveFailures: attempt,
          claimLock: null,
        });
      }
      const detail = await board.show(task.id);
      expect(detail.runs.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
      expect(kinds(detail.events)).toEqual([
        'created',
        'claimed',
        'failed',
        'claimed',
        'failed',
        'claimed',
        'failed',
        'blocked',
      ]);
    });
  });

  describe('releaseStale', () => {
    test('releases expired claims only; the released worker can no longer complete', async () => {
      await board.create({ title: 'stale' });
      await board.create({ title: 'fresh' });
      const stale = (await board.claim({ ttlMs: 1000 }))!;
      const fresh = (await board.claim({ ttlMs: 600_000 }))!;
      // As seen from 5 s in the future: the first claim has expired, the second has not.
      expect(await other.releaseStale(Date.now() + 5000)).toEqual([stale.task.id]);
      expect((await board.show(stale.task.id)).task).toMatchObject({ status: 'ready', claimLock: null });
      expect((await board.show(stale.task.id)).runs[0]?.status).toBe('released');
      await expectCode(board.complete(stale.run.id), 'CLAIM_LOST');
      expect((await board.complete(fresh.run.id)).status).toBe('done');
      const reclaimed = (await other.claim())!;
      expect(reclaimed.task.id).toBe(stale.task.id);
      expect(kinds((await board.show(stale.task.id)).events)).toEqual(['created', 'claimed', 'released', 'claimed']);
    });
  });

  describe('promote', () => {
    test('promotes todo tasks whose parents are done, and a parentless todo task only when named', async () => {
      const manual = (await board.create({ title: 'manual', status: 'todo' })).task.id;
      expect(await board.promote()).toEqual([]);
      expect(await board.promote(manual)).toEqual([manual]);
      expect((await board.show(manual)).task.status).toBe('ready');
    });
  });

  describe('block, unblock and archive', () => {
    test('blocking a running task releases its claim; unblocking makes it ready', async () => {
      const { task } = await board.create({ title: 'stuck' });
      const claim = (await board.claim())!;
      expect((await board.block(task.id, 'waiting for a key')).status).toBe('blocked');
      await expectCode(board.complete(claim.run.id), 'CLAIM_LOST');
      await expectCode(board.block(task.id, 'again'), 'INVALID_STATE');
      expect((await board.unblock(task.id)).status).toBe('ready');
      await expectCode(board.unblock(task.id), 'INVALID_STATE');
      const detail = await board.show(task.id);
      expect(detail.runs[0]?.status).toBe('released');
      expect(kinds(detail.events)).toEqual(['created', 'claimed', 'blocked', 'unblocked']);
    });

    test('archive refuses a running task and archives a done one', async () => {
      await board.create({ title: 'work' });
      const claim = (await board.claim())!;
      await expectCode(board.archive(claim.task.id), 'INVALID_STATE');
      await board.complete(claim.run.id);
      expect((await board.archive(claim.task.id)).status).toBe('archived');
      await expectCode(board.archive('t_00000000'), 'NOT_FOUND');
    });
  });

  describe('comment', () => {
    test('adds a comment and a "commented" event; an unknown task is NOT_FOUND', async () => {
      const { task } = await board.create({ title: 'discuss' });
      const { id } = await other.comment(task.id, 'looks good');
      const detail = await board.show(task.id);
      expect(detail.comments).toEqual([expect.objectContaining({ id, author: 'wikid', body: 'looks good' })]);
      expect(detail.events[1]).toMatchObject({ kind: 'commented', actor: 'wikid', data: { commentId: id } });
      await expectCode(board.comment('t_00000000', 'hello?'), 'NOT_FOUND');
    });
  });

  describe('reads', () => {
    test('list filters by status and assignee, newest first', async () => {
      const a = (await board.create({ title: 'a', assignee: 'wikid' })).task.id;
      const b = (await board.create({ title: 'b', status: 'triage' })).task.id;
      expect((await board.list()).map((t) => t.id).sort()).toEqual([a, b].sort());
      expect((await board.list({ status: 'triage' })).map((t) => t.id)).toEqual([b]);
      expect((await board.list({ assignee: 'wikid' })).map((t) => t.id)).toEqual([a]);
      await expectCode(board.list({ status: 'bogus' as never }), 'INVALID_ARGUMENT');
    });

    test('show of an unknown task is NOT_FOUND', async () => {
      await expectCode(board.show('t_00000000'), 'NOT_FOUND');
    });

    test('tail returns events after a cursor, optionally for one task', async () => {
      const a = (await board.create({ title: 'a' })).task.id;
      const b = (await board.create({ title: 'b' })).task.id;
      const all = await board.tail();
      expect(all.map((e) => e.taskId)).toEqual([a, b]);
      expect((await board.tail({ after: all[0]!.id })).map((e) => e.taskId)).toEqual([b]);
      expect((await board.tail({ taskId: a })).map((e) => e.taskId)).toEqual([a]);
    });

    test('stats counts tasks by status, runs and events', async () => {
      await board.create({ title: 'a' });
      await board.create({ title: 'b', status: 'triage' });
      await board.claim();
      const stats = await board.stats();
      expect(stats).toMatchObject({ total: 2, events: 3, runs: { total: 1, running: 1 } });
      expect(stats.byStatus).toMatchObject({ running: 1, triage: 1, ready: 0, done: 0 });
    });
  });

  describe('subscriptions', () => {
    test('poll returns each event once per subscriber, in order, and only for its task if it has one', async () => {
      const a = (await board.create({ title: 'a' })).task.id;
      await board.subscribe('watcher', { from: 0 });
      await board.subscribe('a-only', { from: 0, taskId: a });
      const b = (await board.create({ title: 'b' })).task.id;
      await board.comment(a, 'note');
      expect((await board.poll('watcher', 2)).map((e) => [e.taskId, e.kind])).toEqual([
        [a, 'created'],
        [b, 'created'],
      ]);
      expect((await board.poll('watcher')).map((e) => e.kind)).toEqual(['commented']);
      expect(await board.poll('watcher')).toEqual([]);
      expect((await board.poll('a-only')).map((e) => e.kind)).toEqual(['created', 'commented']);
      await expectCode(board.poll('nobody'), 'NOT_FOUND');
    });

    test('a new subscriber starts at the end of the log by default', async () => {
      await board.create({ title: 'before' });
      await board.subscribe('late');
      expect(await board.poll('late')).toEqual([]);
    });
  });

  test('the event log is append-only: the database refuses to change or delete an event', async () => {
    await board.create({ title: 'a' });
    const refused = {
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_TRIGGER',
      message: 'SQLITE_CONSTRAINT: task_events is append-only',
    };
    await expect(members.main.execute('UPDATE task_events SET kind = ?', ['forged'])).rejects.toMatchObject(refused);
    await expect(members.main.execute('DELETE FROM task_events')).rejects.toMatchObject(refused);
  });
});
