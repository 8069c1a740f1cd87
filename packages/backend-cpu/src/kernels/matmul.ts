import type { MatmulCall } from "@loom/graph";
import type { LibraryKernelImpl } from "./kernel";
import { matmulDims } from "./matmul-dims";
import type { FloatArray } from "./gemm";
import type { ThreadOptions } from "./parallel";
import { poolFor, resolveThreading, runOnOperands, SharedScratch } from "./parallel";
import { MATMUL_CODEC, TASK } from "./tasks";

/** Column blocks of C per thread: enough that a thread slowed down by the machine hands work on. */
const CHUNKS_PER_THREAD = 4;
/** Most flops of one chunk, so that the pool's no-progress timeout never fires on a sound job. */
const MAX_CHUNK_FLOPS = 2 ** 31;

/**
 * A fast batched matmul `[...batch, m, k] x [...batch, k, n] -> [...batch, m, n]` (equal batch
 * dims). Attributes `transA` / `transB` say an operand is stored transposed (A as
 * `[...batch, k, m]`, B as `[...batch, n, k]`): the fusion pass folds a transpose of the last
 * two axes into them, and the GEMM core then only swaps that operand's strides while packing.
 * Large products are split into column blocks of C between threads (tasks.ts), with results
 * identical to one thread's.
 */
export const makeMatmulKernel = (opts: ThreadOptions): LibraryKernelImpl<MatmulCall> => {
  const { threads, threadFlops, backoff, pools } = resolveThreading(opts);
  const scratch = new SharedScratch();
  const p = new Int32Array(MATMUL_CODEC.size);
  return ({ inputs, inShapes, out, outShape, call }) => {
    const a = inputs[0] as FloatArray;
    const b = inputs[1] as FloatArray;
    const c = out as FloatArray;
    const { transA, transB } = call;
    const { batch, m, n, k } = matmulDims(call, inShapes[0]!, outShape);
    const pool = poolFor(pools, threads, 2 * batch * m * n * k, threadFlops);
    // One thread: one unit per product, all columns (A is packed once per block of C rows).
    let w = Math.max(n, 1);
    if (pool !== undefined) {
      const parts = Math.ceil((CHUNKS_PER_THREAD * Math.min(threads, pool.size + 1)) / batch);
      const cap = Math.max(4, Math.floor(MAX_CHUNK_FLOPS / (2 * m * k) / 4) * 4);
      w = Math.min(cap, Math.ceil(n / parts / 4) * 4);
    }
    const cpb = Math.ceil(n / w);
    const units = batch * cpb;
    const upc = Math.max(1, Math.ceil(units / 4096));
    MATMUL_CODEC.encode(p, { m, n, k, transA, transB, w, cpb, units, upc });
    runOnOperands(
      pool,
      threads,
      TASK.matmul,
      p,
      [a, b, c],
      Math.ceil(units / upc),
      scratch,
      backoff,
    );
  };
};
