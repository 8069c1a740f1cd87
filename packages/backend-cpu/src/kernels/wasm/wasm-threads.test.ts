import fc from "fast-check";
import type { LibraryCall, LibraryKind } from "@loom/graph";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  convCases,
  expectSameBits,
  geom,
  matmulCase,
  NEVER_BACK_OFF,
  runInArena,
} from "../../testing/kernel-cases";
import { makeFastKernels } from "../index";
import { kernelFor } from "../kernel";
import { kernelPool, resolveThreading } from "../parallel";
import { wasmProduct } from "../../testing/wasm-product";
import { BLOCKING, WasmGemm, wasmThreadsAvailable } from "./wasm-gemm";

// The WebAssembly GEMM split between threads on one shared memory, against the same kernels on
// one thread, bit for bit: a block of C computed by any thread sums the same products in the
// same order (wasm-gemm.test.ts and fast-kernels.test.ts check one thread against the
// definition). And the fallback: without shared memory the kernels run on one thread.

/** The workers of this file's kernels, so the tests can count their chunks. */
const pools = kernelPool();
/** Thread options that split every call with two blocks or more. */
const SPLIT = { threads: 2, threadFlops: 1, backoff: NEVER_BACK_OFF, pool: pools };

describe.runIf(wasmThreadsAvailable())("threaded WasmGemm", () => {
  beforeAll(() => pools.get()?.ready());
  afterAll(() => pools.close());

  it("equals one thread bit for bit in every transposition, split by rows or by columns", () => {
    const one = new WasmGemm(false, BLOCKING, resolveThreading({ ...SPLIT, threads: 1 }));
    // A small blocking, so that the k, m and n block edges fall inside the threads' blocks.
    const small = { kc: 16, mc: 8, nc: 24 };
    const two = new WasmGemm(false, small, resolveThreading(SPLIT));
    const oneSmall = new WasmGemm(false, small, resolveThreading({ ...SPLIT, threads: 1 }));
    const split = new WasmGemm(false, BLOCKING, resolveThreading(SPLIT));
    expect([one.threads, split.threads]).toEqual([1, 2]);
    const before = pools.get()!.workerChunks;
    const side = fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constantFrom(3, 17, 33, 65));
    fc.assert(
      fc.property(
        fc.tuple(side, side, fc.integer({ min: 1, max: 300 })),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (mnk, ta, tb, acc) => {
          const what = `${JSON.stringify(mnk)} ${ta} ${tb} ${acc}`;
          expectSameBits(
            wasmProduct(split, mnk, ta, tb, acc),
            wasmProduct(one, mnk, ta, tb, acc),
            what,
          );
          expectSameBits(
            wasmProduct(two, mnk, ta, tb, acc),
            wasmProduct(oneSmall, mnk, ta, tb, acc),
            `${what} small blocking`,
          );
        },
      ),
      { numRuns: 60 },
    );
    // The workers took part (not only the calling thread).
    expect(pools.get()!.workerChunks).toBeGreaterThan(before);
  });

  it("runs matmul and the convolutions with the same bits on one thread and two", () => {
    const one = makeFastKernels({ ...SPLIT, threads: 1 });
    const two = makeFastKernels(SPLIT);
    const before = pools.get()!.workerChunks;
    const all = [
      matmulCase([2], [37, 45, 70], false, true, "float32", 1),
      matmulCase([], [90, 13, 33], true, false, "float32", 2),
      ...convCases(geom({ n: 2, cg: 3, og: 9, hw: [13, 11], pad: [1, 0, 2, 1] }), "float32", 3),
      ...convCases(geom({ n: 1, groups: 2, cg: 5, og: 6, hw: [9, 10], k: [1, 1] }), "float32", 4),
    ];
    for (const c of all) {
      const run = (set: typeof one) =>
        runInArena<LibraryCall>(kernelFor<LibraryKind>(set, c.call.kind), c, 3);
      expectSameBits(run(two), run(one), `${c.call.kind} ${JSON.stringify(c.inShapes)}`);
    }
    // The workers took part. These calls are small: on a loaded machine the calling thread can
    // take every chunk before a worker wakes, so give the workers a bounded number of chances.
    for (let i = 0; i < 50 && pools.get()!.workerChunks === before; i++)
      for (const c of all) runInArena<LibraryCall>(kernelFor<LibraryKind>(two, c.call.kind), c, 3);
    expect(pools.get()!.workerChunks).toBeGreaterThan(before);
  });
});

describe("WasmGemm without shared memory", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("runs on one thread on a private memory, with the same results", () => {
    const threaded = new WasmGemm(false, BLOCKING, resolveThreading(SPLIT));
    // As in a browser page that is not cross-origin isolated: no SharedArrayBuffer.
    vi.stubGlobal("SharedArrayBuffer", undefined);
    expect(wasmThreadsAvailable()).toBe(false);
    const fallback = new WasmGemm(false, BLOCKING, resolveThreading(SPLIT));
    expect(fallback.threads).toBe(1);
    const mnk = [45, 70, 129] as const;
    const got = wasmProduct(fallback, mnk, true, false, true);
    vi.unstubAllGlobals();
    expectSameBits(got, wasmProduct(threaded, mnk, true, false, true), "fallback vs threaded");
  });
});
