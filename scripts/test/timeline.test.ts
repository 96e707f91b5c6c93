import { CURVE_SLICE_MS } from '../bench/messages';
import { Timeline } from '../bench/timeline';

/** A timeline started at t = 1000 ms whose window opens after 1000 ms and lasts 1000 ms. */
function timeline(): Timeline {
  return new Timeline(1000, { opensAfterMs: 1000, lastsMs: 1000 });
}

describe('the load generator timeline', () => {
  test('the window counts what completed between the first timestamps past its opening and its closing', () => {
    const t = timeline();
    for (let at = 1000; at < 3200; at += 10) t.completedAt(at);
    const window = t.passedWindow();
    expect(window).not.toBeNull();
    // Completions at 2000..2990 fall in the window: the one at 2000 opened it and counts.
    expect(window!.completed).toBe(100);
    expect(window!.completedBefore).toBe(100);
    expect(window!.openedAt).toBe(2000);
    expect(window!.ms).toBe(1000);
    expect(window!.cpuUs).toBeGreaterThanOrEqual(0);
  });

  test('a process blocked across the window passes both marks at once: an empty window, as it observed it', () => {
    const t = timeline();
    t.completedAt(1500);
    t.completedAt(3500); // blocked from 1500 to 3500
    const window = t.passedWindow()!;
    expect(window.ms).toBe(0);
    expect(window.completed).toBe(0);
    expect(window.openedAt).toBe(3500);
  });

  test('no window until its closing is passed', () => {
    const t = timeline();
    t.completedAt(2500);
    expect(t.closed).toBe(false);
    expect(t.passedWindow()).toBeNull();
    t.passed(3000);
    expect(t.closed).toBe(true);
    expect(t.passedWindow()).not.toBeNull();
  });

  test('the curve has one slice per 500 ms passed, each with its completions', () => {
    const t = timeline();
    for (let at = 1000; at < 2600; at += 50) t.completedAt(at);
    const slices = t.curve();
    // Passed 1500, 2000 and 2500: three full slices.
    expect(slices.map((slice) => slice.completed)).toEqual([10, 10, 10]);
    expect(CURVE_SLICE_MS).toBe(500);
  });

  test('a window off the slice grid adds its own marks and keeps every slice', () => {
    const t = new Timeline(0, { opensAfterMs: 1200, lastsMs: 700 });
    for (let at = 0; at < 2100; at += 100) t.completedAt(at);
    const window = t.passedWindow()!;
    expect(window.openedAt).toBe(1200);
    expect(window.ms).toBe(700);
    expect(window.completed).toBe(7);
    expect(t.curve().map((slice) => slice.completed)).toEqual([5, 5, 5, 5]);
  });
});
