import type { LibraryKernelImpl } from "./kernel";
import type { FloatArray } from "./gemm";
import { StridedB, gemm } from "./gemm";

/**
 * A fast batched matmul `[...batch, m, k] x [...batch, k, n] -> [...batch, m, n]` (equal batch
 * dims). Attributes `transA` / `transB` say an operand is stored transposed (A as
 * `[...batch, k, m]`, B as `[...batch, n, k]`): the fusion pass folds a transpose of the last
 * two axes into them, and the GEMM core then only swaps that operand's strides while packing.
 */
export const makeMatmulKernel = (): LibraryKernelImpl => {
  const bSrc = new StridedB();
  return ({ inputs, inShapes, out, outShape, attrs }) => {
    const a = inputs[0] as FloatArray;
    const b = inputs[1] as FloatArray;
    const c = out as FloatArray;
    const transA = attrs["transA"] === true;
    const transB = attrs["transB"] === true;
    const r = outShape.length;
    const m = outShape[r - 2];
    const n = outShape[r - 1];
    const k = transA ? inShapes[0][r - 2] : inShapes[0][r - 1];
    let batch = 1;
    for (let i = 0; i < r - 2; i++) batch *= outShape[i];
    // A(i, p) at i*aRs + p*aCs; B(p, j) at p*bRs + j*bCs.
    const aRs = transA ? 1 : k;
    const aCs = transA ? m : 1;
    const bRs = transB ? 1 : n;
    const bCs = transB ? k : 1;
    for (let bi = 0; bi < batch; bi++) {
      bSrc.set(b, bi * k * n, bRs, bCs);
      gemm(m, n, k, a, bi * m * k, aRs, aCs, bSrc, c, bi * m * n, n, false);
    }
    bSrc.release();
  };
};
