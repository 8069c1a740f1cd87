import { describe, expect, it } from "vitest";
import type { TypedArray } from "@loom/graph";
import { Backoff, runOnOperands, SharedScratch } from "./parallel";
import { TASK, TASKS } from "./tasks";
import type { JoinTimes, ThreadPool } from "./threads";

const SLOW: JoinTimes = { workMs: 10, waitMs: 8 };
const FAST: JoinTimes = { workMs: 10, waitMs: 1 };

/** Reports `joins` to the policy, in order. */
const note = (b: Backoff, ...joins: JoinTimes[]) => joins.forEach((j) => b.note(j));

/** How many of the next `n` calls the policy keeps on one thread. */
const skipped = (b: Backoff, n: number) => {
  let k = 0;
  for (let i = 0; i < n; i++) if (b.skipping()) k++;
  return k;
};

describe("Backoff", () => {
  it("skips after two slow joins in a row, doubling while they persist", () => {
    const b = new Backoff();
    note(b, SLOW);
    expect(skipped(b, 100)).toBe(0);
    note(b, SLOW);
    // 8 calls on one thread, then the workers are tried again.
    expect(skipped(b, 100)).toBe(8);
    note(b, SLOW, SLOW);
    expect(skipped(b, 100)).toBe(16);
    // 32, 64, 128, then capped at 256.
    for (let i = 0; i < 20; i++) note(b, SLOW);
    expect(skipped(b, 1000)).toBe(256);
  });

  it("forgets a slow join after a fast one, and resets the skip length", () => {
    const b = new Backoff();
    note(b, SLOW, FAST, SLOW);
    expect(skipped(b, 100)).toBe(0);
    note(b, SLOW);
    expect(skipped(b, 100)).toBe(8);
    note(b, SLOW, SLOW);
    expect(skipped(b, 100)).toBe(16);
    note(b, FAST, SLOW, SLOW);
    expect(skipped(b, 100)).toBe(8);
  });

  it("counts a wait of half the work plus 0.2 ms as fast", () => {
    const b = new Backoff();
    note(b, { workMs: 10, waitMs: 5.2 }, { workMs: 10, waitMs: 5.2 });
    expect(skipped(b, 10)).toBe(0);
  });
});

describe("runOnOperands", () => {
  it("runs on this thread, with the same results, while the policy skips the pool", () => {
    // A pool that runs the chunks itself (on this thread) and reports slow joins.
    let calls = 0;
    const pool: ThreadPool = {
      size: 1,
      alive: true,
      workerChunks: 0,
      ready: () => undefined,
      terminate: () => undefined,
      run: (kind, params, views, count) => {
        calls++;
        for (let c = 0; c < count; c++) TASKS[kind]!(params as Int32Array, views, c);
        return SLOW;
      },
    };
    const [m, n, k] = [5, 9, 7];
    const a = Float32Array.from({ length: m * k }, (_, i) => i - 11);
    const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
    // One column block of 4 per chunk: [m, n, k, transA, transB, w, cpb, units, upc].
    const params = Int32Array.from([m, n, k, 0, 0, 4, 3, 3, 1]);
    const want = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        for (let p = 0; p < k; p++) want[i * n + j] += a[i * k + p]! * b[p * n + j]!;
    const policy = new Backoff();
    const scratch = new SharedScratch();
    const results: TypedArray[] = [];
    for (let i = 0; i < 12; i++) {
      const c = new Float32Array(m * n).fill(Number.NaN);
      runOnOperands(pool, 2, TASK.matmul, params, [a, b, c], 3, scratch, policy);
      results.push(c);
    }
    // Two slow joins, 8 calls on this thread, then two more tries of the pool.
    expect(calls).toBe(4);
    for (const c of results) expect(Array.from(c)).toEqual(Array.from(want));
  });
});
