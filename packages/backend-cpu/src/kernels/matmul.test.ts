import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MatmulCall } from "@loom/graph";
import type { Case } from "../testing/kernel-cases";
import {
  dim,
  dtypeArb,
  expectSameBits,
  matmulCase,
  runInArena,
  size,
} from "../testing/kernel-cases";
import { makeMatmulKernel } from "./matmul";
import type { BackoffPolicy } from "./parallel";
import { kernelPool, THREAD_FLOPS } from "./parallel";
import { threadsAvailable } from "./threads";

// The threaded matmul against the single-threaded one, bit for bit: a column block of C run by
// any thread sums the same products in the same order, so the results must be identical, not
// merely close (fast-kernels.test.ts checks the single-threaded kernel against the naive
// reference). Shapes are random, operands sit in an ordinary or a shared arena (copied to
// shared scratch, or used in place), and the thread threshold is drawn around each case's
// size, so both sides of it are exercised.

/** The workers of this file's threaded kernels, so the tests can count their chunks. */
const pools = kernelPool();
/** Never leaves the workers out, so that a busy machine cannot keep them from being tested. */
const always: BackoffPolicy = { skipping: () => false, note: () => undefined };

const single = makeMatmulKernel({ threads: 1, pool: pools });

/** The case's flops: 2 per output element and step of the inner dimension. */
const flops = (c: Case<MatmulCall>) => {
  const a = c.inShapes[0]!;
  return 2 * size(c.outShape) * a[a.length - (c.call.transA ? 2 : 1)]!;
};

/** Checks a case threaded (threshold `threadFlops`, arena shared or not) against one thread. */
const check = (c: Case<MatmulCall>, threadFlops: number, shared: boolean) => {
  const threaded = makeMatmulKernel({ threads: 2, threadFlops, backoff: always, pool: pools });
  const what = `${JSON.stringify(c.inShapes)} ${JSON.stringify(c.call)} ${c.dtype} threshold ${threadFlops} shared ${shared}`;
  expectSameBits(runInArena(threaded, c, 3, shared), runInArena(single, c, 3), what);
};

describe.runIf(threadsAvailable())("threaded matmul", () => {
  beforeAll(() => pools.get()?.ready());
  afterAll(() => pools.close());

  it("equals the single-threaded kernel bit for bit on random shapes and thresholds", () => {
    const pool = pools.get()!;
    const before = pool.workerChunks;
    const side = fc.oneof(dim, fc.constantFrom(63, 64, 65, 90));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        fc.tuple(side, side, side),
        fc.boolean(),
        fc.boolean(),
        dtypeArb,
        fc.nat(1000),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.boolean(),
        (batch, mkn, ta, tb, dtype, seed, where, shared) => {
          const c = matmulCase(batch, mkn, ta, tb, dtype, seed);
          // A threshold from 0 to twice this product's flops: half the cases run threaded.
          check(c, Math.ceil(where * flops(c)), shared);
        },
      ),
      { numRuns: 200 },
    );
    // Without this the property would pass with the workers never taking a chunk.
    expect(pool.workerChunks).toBeGreaterThan(before);
  });

  it("equals the single-threaded kernel across the GEMM's blocking boundaries", () => {
    check(matmulCase([], [300, 517, 1030], false, false, "float32", 1), 0, false);
    check(matmulCase([2], [131, 259, 200], true, true, "float64", 2), 0, true);
    check(matmulCase([5], [7, 3, 2], false, true, "float32", 3), 0, false);
    check(matmulCase([2], [3, 0, 5], true, false, "float32", 4), 0, true);
  });

  it("uses threads from the default threshold on and not below it", () => {
    const pool = pools.get()!;
    const threaded = makeMatmulKernel({ threads: 2, backoff: always, pool: pools });
    // 2*16*16*k flops: just below THREAD_FLOPS, then just above it.
    const k = Math.ceil(THREAD_FLOPS / 512);
    const before = pool.workerChunks;
    const below = matmulCase([], [16, k - 1, 16], false, false, "float32", 5);
    for (let i = 0; i < 20; i++) runInArena(threaded, below, 1);
    expect(pool.workerChunks).toBe(before);
    const above = matmulCase([], [16, k, 16], false, false, "float32", 5);
    for (let i = 0; i < 50 && pool.workerChunks === before; i++) runInArena(threaded, above, 1);
    expect(pool.workerChunks).toBeGreaterThan(before);
  });
});
