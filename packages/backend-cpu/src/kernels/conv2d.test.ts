import type { LibraryCall, LibraryKind } from "@loom/graph";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Case, ConvGeom } from "../testing/kernel-cases";
import {
  convCases,
  convGeomArb,
  dtypeArb,
  expectSameBits,
  geom,
  runInArena,
  size,
} from "../testing/kernel-cases";
import type { LibraryKernels } from "./kernel";
import { kernelFor } from "./kernel";
import { makeFastKernels } from "./index";
import { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
import type { BackoffPolicy, ThreadOptions } from "./parallel";
import { kernelPool } from "./parallel";
import { threadsAvailable } from "./threads";

// The threaded convolutions against the single-threaded GEMM path, bit for bit: forward and
// input gradient are split by image, the filter gradient by column blocks with every chunk
// summing the images in order, so each output element is computed by the same code in the
// same order (fast-kernels.test.ts checks the single-threaded kernels against the naive
// reference).

/** The workers of this file's threaded kernels, so the tests can count their chunks. */
const pools = kernelPool();
/** Never leaves the workers out, so that a busy machine cannot keep them from being tested. */
const always: BackoffPolicy = { skipping: () => false, note: () => undefined };

/** A kernel set whose convolutions take the GEMM path on `opts`' threads. */
const gemmKernels = (opts: ThreadOptions): LibraryKernels => ({
  ...makeFastKernels(opts),
  conv2d: makeConv2dKernel("gemm", opts),
  conv2d_grad_input: makeConv2dGradInputKernel("gemm", opts),
  conv2d_grad_filter: makeConv2dGradFilterKernel("gemm", opts),
});
const single = gemmKernels({ threads: 1, pool: pools });

/** A convolution case's flops: 2 per element of y (or dy) and tap of a filter's output channel. */
const flops = (c: Case) => {
  const [y, w] =
    c.call.kind === "conv2d"
      ? [c.outShape, c.inShapes[1]!]
      : c.call.kind === "conv2d_grad_input"
        ? [c.inShapes[0]!, c.inShapes[1]!]
        : [c.inShapes[1]!, c.outShape];
  return 2 * size(y) * w[1]! * w[2]! * w[3]!;
};

/** Checks the three ops of a geometry on the GEMM path: threaded (threshold `where` x flops) against one thread. */
const check = (g: ConvGeom, dtype: "float32" | "float64", seed: number, where: number) => {
  for (const c of convCases(g, dtype, seed)) {
    const threadFlops = Math.ceil(where * flops(c));
    const threaded = gemmKernels({ threads: 2, threadFlops, backoff: always, pool: pools });
    const what = `${c.call.kind} ${JSON.stringify(g)} ${dtype} threshold ${threadFlops}`;
    const kind = c.call.kind;
    expectSameBits(
      runInArena<LibraryCall>(kernelFor<LibraryKind>(threaded, kind), c, 2),
      runInArena<LibraryCall>(kernelFor<LibraryKind>(single, kind), c, 2),
      what,
    );
  }
};

describe.runIf(threadsAvailable())("threaded convolutions", () => {
  beforeAll(() => pools.get()?.ready());
  afterAll(() => pools.close());

  it("equal the single-threaded GEMM path bit for bit on random geometries and thresholds", () => {
    const pool = pools.get()!;
    const before = pool.workerChunks;
    // More input channels than fast-kernels.test.ts draws, so that filter gradients split.
    const arb = fc.tuple(convGeomArb, fc.constantFrom(1, 8, 12)).map(([g, cg]) => ({
      ...g,
      cg: Math.max(g.cg, cg),
    }));
    fc.assert(
      fc.property(arb, dtypeArb, fc.nat(1000), fc.double({ min: 0, max: 2, noNaN: true }), check),
      { numRuns: 120 },
    );
    expect(pool.workerChunks).toBeGreaterThan(before);
  });

  it("equal the single-threaded GEMM path on 1x1, LeNet-5 and wide-gradient shapes", () => {
    const shapes = [
      geom({ n: 4, cg: 8, og: 8, hw: [6, 5], k: [1, 1] }),
      // Pointwise with R = 72 columns: its filter gradient splits too.
      geom({ n: 3, groups: 2, cg: 72, og: 6, hw: [4, 5], k: [1, 1] }),
      geom({ n: 8, cg: 1, og: 6, hw: [28, 28], k: [5, 5], pad: [2, 2, 2, 2] }),
      geom({ n: 8, cg: 6, og: 16, hw: [14, 14], k: [5, 5] }),
      // R = 9*24 = 216 columns: several column blocks.
      geom({ n: 3, cg: 24, og: 20, hw: [7, 7], pad: [1, 1, 1, 1] }),
    ];
    for (const g of shapes)
      for (const dtype of ["float32", "float64"] as const) check(g, dtype, 3, 0);
  });

  it("splits a filter gradient only when it has more than one column block", () => {
    const pool = pools.get()!;
    const [, , wide] = convCases(
      geom({ cg: 24, og: 4, hw: [6, 6], pad: [1, 1, 1, 1] }),
      "float32",
      1,
    );
    const split = makeConv2dGradFilterKernel("gemm", {
      threads: 2,
      threadFlops: 0,
      backoff: always,
      pool: pools,
    });
    const before = pool.workerChunks;
    for (let i = 0; i < 50 && pool.workerChunks === before; i++) runInArena(split, wide!, 1);
    expect(pool.workerChunks).toBeGreaterThan(before);
    // R = 25 (LeNet-5's first layer): one column block, so no worker is woken.
    const lenet1 = geom({ cg: 1, og: 6, hw: [28, 28], k: [5, 5], pad: [2, 2, 2, 2] });
    const [, , narrow] = convCases(lenet1, "float32", 1);
    const mid = pool.workerChunks;
    for (let i = 0; i < 20; i++) runInArena(split, narrow!, 1);
    expect(pool.workerChunks).toBe(mid);
  });
});
