import { StoreError } from '../src/errors';
import type { Operation } from '../src/protocol/messages';
import { asIs } from '../src/member/leader-link';
import { PendingRequests, type PendingRequest } from '../src/member/pending-requests';

const ping: Operation = { k: 'ping' };
const HOUR_MS = 60 * 60 * 1000;

/** A book whose requests never expire during a test, and the requests it books. */
function book(count: number): {
  pending: PendingRequests;
  booked: { request: PendingRequest; result: Promise<unknown> }[];
} {
  const pending = new PendingRequests(HOUR_MS, () => {
    throw new Error('no request should expire here');
  });
  const booked = Array.from({ length: count }, () => pending.add(ping, undefined, asIs));
  // Every promise is awaited by the test or settles unobserved; none may go unhandled.
  for (const { result } of booked) result.catch(() => undefined);
  return { pending, booked };
}

describe('the pending-request book', () => {
  test('requests get consecutive ids and are found by id until they settle', async () => {
    const { pending, booked } = book(3);
    expect(booked.map(({ request }) => request.id)).toEqual([1, 2, 3]);
    expect(pending.get(2)).toBe(booked[1]!.request);
    pending.fulfil(booked[1]!.request, 'two');
    await expect(booked[1]!.result).resolves.toBe('two');
    expect(pending.get(2)).toBeUndefined();
    expect(pending.get(0)).toBeUndefined();
    expect(pending.get(4)).toBeUndefined();
    expect(pending.get(1.5)).toBeUndefined();
    expect(pending.size).toBe(2);
  });

  test('the lowest id is the oldest unsettled request, whatever order they settle in', () => {
    const { pending, booked } = book(4);
    expect(pending.lowestId).toBe(1);
    pending.fulfil(booked[2]!.request, null);
    expect(pending.lowestId).toBe(1);
    pending.fulfil(booked[0]!.request, null);
    expect(pending.lowestId).toBe(2);
    pending.fulfil(booked[1]!.request, null);
    expect(pending.lowestId).toBe(4);
    pending.fulfil(booked[3]!.request, null);
    expect(pending.lowestId).toBeUndefined();
    expect(pending.size).toBe(0);
  });

  test('many requests in flight behind one old unsettled request are all kept, found and listed in order', () => {
    const { pending, booked } = book(1);
    const oldest = booked[0]!.request;
    // Far more than the first ring holds, settled as they come, with the oldest still open.
    for (let i = 0; i < 1000; i++) {
      const { request, result } = pending.add(ping, undefined, asIs);
      result.catch(() => undefined);
      if (i % 3 !== 0) pending.fulfil(request, i);
    }
    expect(pending.get(oldest.id)).toBe(oldest);
    expect(pending.lowestId).toBe(oldest.id);
    const listed = pending.all();
    expect(listed[0]).toBe(oldest);
    expect(listed.length).toBe(pending.size);
    expect(listed.length).toBe(1 + 334);
    for (let i = 1; i < listed.length; i++) expect(listed[i]!.id).toBeGreaterThan(listed[i - 1]!.id);
    for (const request of listed) expect(pending.get(request.id)).toBe(request);
  });

  test('a request settles once: a later result or error is ignored', async () => {
    const { pending, booked } = book(1);
    const { request, result } = booked[0]!;
    pending.fail(request, new StoreError('TIMEOUT', 'first'));
    pending.fulfil(request, 'late');
    pending.fail(request, new StoreError('TIMEOUT', 'second'));
    await expect(result).rejects.toThrow('first');
    expect(pending.size).toBe(0);
  });

  test("a request's answer is passed through its shape, and what the shape throws rejects it", async () => {
    const pending = new PendingRequests(HOUR_MS, () => undefined);
    const shapedStatus = pending.add({ k: 'status' }, undefined, (status) => ({ shaped: status }));
    const refused = pending.add(ping, undefined, () => {
      throw new RangeError('cannot be represented');
    });
    pending.fulfil(shapedStatus.request, 'answer');
    pending.fulfil(refused.request, 'pong');
    await expect(shapedStatus.result).resolves.toEqual({ shaped: 'answer' });
    await expect(refused.result).rejects.toThrow(RangeError);
    expect(pending.size).toBe(0);
  });

  test('drained resolves once the last request settles, and failAll settles every one', async () => {
    const { pending, booked } = book(3);
    let drained = false;
    const waiting = pending.drained().then(() => (drained = true));
    pending.fulfil(booked[0]!.request, null);
    await Promise.resolve();
    expect(drained).toBe(false);
    pending.failAll(new StoreError('CLIENT_CLOSED', 'closed'));
    await waiting;
    await expect(booked[1]!.result).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(booked[2]!.result).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(pending.drained()).resolves.toBeUndefined();
  });

  test('a request past its deadline is handed to the expiry callback, the oldest first', async () => {
    const expired: number[] = [];
    let pending!: PendingRequests;
    const allExpired = new Promise<void>((resolve) => {
      pending = new PendingRequests(0, (request) => {
        expired.push(request.id);
        pending.fail(request, new StoreError('TIMEOUT', 'expired'));
        if (pending.size === 0) resolve();
      });
    });
    for (let i = 0; i < 3; i++) pending.add(ping, undefined, asIs).result.catch(() => undefined);
    await allExpired;
    expect(expired).toEqual([1, 2, 3]);
  });
});
