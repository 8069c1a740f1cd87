import type { MatmulCall } from "@loom/graph";
import { glslInt as I } from "../render-glsl";
import { loader } from "../shader-frame";
import { gemmTiled } from "./gemm";
import type { TiledGenerator } from "./tiled";

/** Below this many multiply-adds the three extra draws cost more than tiling saves (measured on SwiftShader). */
const MIN_MACS = 32768;

/**
 * Batched matmul as a tiled GEMM (`gemmTiled`): A's element `(b, i, k)` and B's `(b, k, j)`
 * are read through the operands' stored strides in the pack passes, so every transposition
 * variant is one kernel.
 */
export const matmulTiled: TiledGenerator<MatmulCall> = ({
  inShapes,
  outShape,
  call,
  inputs,
  frameUnits,
  limits,
}) => {
  const r = outShape.length;
  const M = outShape[r - 2]!;
  const N = outShape[r - 1]!;
  const K = inShapes[0]![call.transA ? r - 2 : r - 1]!;
  const batch = outShape.slice(0, r - 2).reduce((a, d) => a * d, 1);
  const worth = limits.mode === "always" || batch * M * N * K >= MIN_MACS;
  if (limits.mode === "never" || !worth || !inputs.every((b) => b.dtype === "float32"))
    return undefined;
  // Strides of the row and inner indices of each operand, as stored.
  const [ai, ap] = call.transA ? [1, M] : [K, 1];
  const [bp, bj] = call.transB ? [1, K] : [N, 1];
  return gemmTiled(
    {
      batch,
      M,
      N,
      K,
      aLoader: loader(0, inputs[0]!),
      aAt: `float a_at(int b, int i, int k) { return ld0(b * ${I(M * K)} + i * ${I(ai)} + k * ${I(ap)}); }`,
      bLoader: loader(0, inputs[1]!),
      bAt: `float b_at(int b, int j, int k) { return ld0(b * ${I(K * N)} + j * ${I(bj)} + k * ${I(bp)}); }`,
      lib: `float lib(int pos) {
  int j = pos % ${I(N)};
  int i = (pos / ${I(N)}) % ${I(M)};
  return prod(pos / ${I(M * N)}, i, j);
}`,
    },
    frameUnits,
    limits,
  );
};
