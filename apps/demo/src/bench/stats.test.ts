import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TimingOptions } from "./stats";
import { DEFAULT_TIMING, gflops, median, QUICK_TIMING, ratio, timeIt } from "./stats";

/** A clock that only moves when the timed function says so. */
const fakeClock = (durations: (call: number) => number) => {
  let t = 0;
  let calls = 0;
  return {
    now: () => t,
    fn: () => {
      t += durations(calls++);
    },
    calls: () => calls,
  };
};

const opts = (o: Partial<TimingOptions>): TimingOptions => ({ ...DEFAULT_TIMING, ...o });

describe("median", () => {
  it("takes the middle value of an odd count and the mean of the middle two of an even count", () => {
    expect(median([5])).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, -1, 7, 7, 100])).toBe(7);
  });

  it("does not reorder its input", () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it("rejects an empty list", () => {
    expect(() => median([])).toThrow(RangeError);
  });

  it("has as many values at or below it as at or above it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1 }),
        (xs) => {
          const m = median(xs);
          const below = xs.filter((x) => x <= m).length;
          const above = xs.filter((x) => x >= m).length;
          expect(below).toBeGreaterThanOrEqual(Math.ceil(xs.length / 2));
          expect(above).toBeGreaterThanOrEqual(Math.ceil(xs.length / 2));
          expect(m).toBeGreaterThanOrEqual(Math.min(...xs));
          expect(m).toBeLessThanOrEqual(Math.max(...xs));
        },
      ),
    );
  });
});

describe("timeIt", () => {
  it("repeats a fast case until the target time, after warming up", async () => {
    const c = fakeClock(() => 10);
    const t = await timeIt(c.fn, opts({ warmupMs: 25, targetMs: 100, minRuns: 3 }), c.now);
    // Warm-up: the first run (the compile), then 10, 20, 30 >= 25 ms, so 4 runs; then 10
    // runs of 10 ms reach 100 ms.
    expect(t.warmupRuns).toBe(4);
    expect(t.samplesMs).toHaveLength(10);
    expect(t.medianMs).toBe(10);
    expect(c.calls()).toBe(14);
  });

  it("takes at least minRuns runs even when they pass the target time", async () => {
    const c = fakeClock(() => 500);
    const t = await timeIt(c.fn, opts({ targetMs: 100, minRuns: 3, maxTotalMs: 10_000 }), c.now);
    // The first run (the compile), then one run of warm-up time.
    expect(t.warmupRuns).toBe(2);
    expect(t.samplesMs).toHaveLength(3);
  });

  it("stops at maxRuns", async () => {
    const c = fakeClock(() => 1);
    const t = await timeIt(c.fn, opts({ targetMs: 1e9, maxRuns: 7 }), c.now);
    expect(t.samplesMs).toHaveLength(7);
  });

  it("gives a case of several seconds per run 1-2 runs (maxTotalMs beats minRuns)", async () => {
    const slow = fakeClock(() => 3600);
    expect((await timeIt(slow.fn, DEFAULT_TIMING, slow.now)).samplesMs).toHaveLength(2);
    const slower = fakeClock(() => 20_000);
    expect((await timeIt(slower.fn, DEFAULT_TIMING, slower.now)).samplesMs).toHaveLength(1);
    const quick = fakeClock(() => 3600);
    expect((await timeIt(quick.fn, QUICK_TIMING, quick.now)).samplesMs).toHaveLength(1);
  });

  it("reports the median of the timed runs, ignoring the warm-up and an outlier", async () => {
    const durations = [1000, 5, 7, 6, 300, 6];
    const c = fakeClock((i) => durations[i]!);
    const t = await timeIt(
      c.fn,
      opts({ warmupMs: 0, maxWarmupRuns: 1, targetMs: 1e9, maxRuns: 5 }),
      c.now,
    );
    expect(t.samplesMs).toEqual([5, 7, 6, 300, 6]);
    expect(t.medianMs).toBe(6);
  });

  it("awaits asynchronous work", async () => {
    let t = 0;
    const fn = async () => {
      await new Promise((r) => setTimeout(r, 0));
      t += 4;
    };
    const r = await timeIt(
      fn,
      opts({ warmupMs: 0, maxWarmupRuns: 1, targetMs: 12, minRuns: 1 }),
      () => t,
    );
    expect(r.samplesMs).toEqual([4, 4, 4]);
  });

  it("measures real time with performance.now by default", async () => {
    const r = await timeIt(
      () => new Promise((res) => setTimeout(res, 20)),
      opts({ warmupMs: 0, maxWarmupRuns: 1, targetMs: 0, minRuns: 3 }),
    );
    expect(r.samplesMs).toHaveLength(3);
    expect(r.medianMs).toBeGreaterThanOrEqual(15);
    expect(r.medianMs).toBeLessThan(1000);
  });
});

describe("gflops and ratio", () => {
  it("converts a FLOP count and milliseconds to GFLOP/s", () => {
    // 2 * 1024^3 FLOPs in 100 ms is 21.47 GFLOP/s.
    expect(gflops(2 * 1024 ** 3, 100)).toBeCloseTo(21.474836, 5);
    expect(gflops(1e9, 1000)).toBe(1);
  });

  it("divides loom's time by the peer's, undefined when one is missing", () => {
    expect(ratio(30, 10)).toBe(3);
    expect(ratio(5, 10)).toBe(0.5);
    expect(ratio(undefined, 10)).toBeUndefined();
    expect(ratio(10, undefined)).toBeUndefined();
    expect(ratio(10, 0)).toBeUndefined();
  });
});
