/**
 * The group-commit fill rule on its own, with explicit times (performance.now() ms): when a
 * group waits for the members just answered, and when it must not.
 */
import { GroupFill, HOLD_TIMER_MS, newPace, type WriterPace } from '../src/leader/group-fill';

/** Runs one commit from `at` lasting `ms`, answering `paces`; returns when it ended. */
function commit(fill: GroupFill, paces: WriterPace[], at: number, ms: number): number {
  fill.starting();
  fill.committed(paces, at, at + ms);
  return at + ms;
}

test('after a slow commit the group waits for the quick members it answered, until the last is back', () => {
  const fill = new GroupFill();
  const [a, b] = [newPace(), newPace()];
  const end = commit(fill, [a, b], 0, 4);
  expect(fill.holding(end + 0.1)).toBe(true);
  fill.arrived(a, end + 0.2);
  expect(fill.holding(end + 0.3)).toBe(true);
  fill.arrived(b, end + 0.4);
  expect(fill.holding(end + 0.5)).toBe(false);
});

test('a group never waits after commits shorter than the timer can bound', () => {
  const fill = new GroupFill();
  const a = newPace();
  let at = 0;
  for (let i = 0; i < 20; i++) {
    at = commit(fill, [a], at, HOLD_TIMER_MS / 2);
    expect(fill.holding(at)).toBe(false);
    fill.arrived(a, at + 0.01);
  }
});

test('the wait ends at half a commit, and a member that missed it is not waited for during the next commits', () => {
  const fill = new GroupFill();
  const a = newPace();
  let end = commit(fill, [a], 0, 4);
  expect(fill.holding(end + 1.9)).toBe(true);
  expect(fill.holding(end + 2.1)).toBe(false); // half of the 4 ms commit
  // It comes back during the next commit: seen late, so not measured, and not waited for.
  fill.starting();
  fill.arrived(a, end + 3);
  fill.committed([a], end + 2.1, end + 6);
  end += 6;
  expect(fill.holding(end)).toBe(false);
  // After the penalty it gets another chance.
  for (let i = 0; i < 20; i++) end = commit(fill, [], end, 4);
  end = commit(fill, [a], end, 4);
  expect(fill.holding(end + 0.1)).toBe(true);
});

test('a member that takes longer than half a commit to write again is not waited for', () => {
  const fill = new GroupFill();
  const slow = newPace();
  let end = 0;
  for (let i = 0; i < 20; i++) {
    end = commit(fill, [slow], end, 4);
    fill.holding(end);
    fill.arrived(slow, end + 3); // 3 ms after its answer, before any other commit
    end += 3;
  }
  end = commit(fill, [slow], end, 4);
  expect(fill.holding(end + 0.1)).toBe(false);
});

test('a write seen only after another commit does not count as the member being slow', () => {
  const fill = new GroupFill();
  const a = newPace();
  let end = commit(fill, [a], 0, 4);
  fill.arrived(a, end + 0.2); // measured: 0.2 ms
  end = commit(fill, [a], end + 0.2, 4);
  fill.holding(end + 2.5); // the hold ran out: it is penalized ...
  fill.starting();
  fill.arrived(a, end + 30); // ... and seen 30 ms later, behind a commit: not a sample
  fill.committed([], end + 2.5, end + 6.5);
  end += 6.5;
  for (let i = 0; i < 20; i++) end = commit(fill, [], end, 4);
  end = commit(fill, [a], end, 4);
  expect(fill.holding(end + 0.1)).toBe(true); // still 0.2 ms on average: waited for again
});

test('a member that disconnects is not waited for', () => {
  const fill = new GroupFill();
  const a = newPace();
  const end = commit(fill, [a], 0, 4);
  expect(fill.holding(end)).toBe(true);
  fill.left(a);
  expect(fill.holding(end)).toBe(false);
});
