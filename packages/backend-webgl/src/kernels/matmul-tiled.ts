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
      a: {
        input: 0,
        loader: loader(0, inputs[0]!),
        row: `int o = b * ${I(M * K)} + i * ${I(ai)};`,
        at: `e = ld0(o + k * ${I(ap)});`,
      },
      b: {
        input: 1,
        loader: loader(0, inputs[1]!),
        row: `int o = b * ${I(K * N)} + i * ${I(bj)};`,
        at: `e = ld0(o + k * ${I(bp)});`,
      },
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
