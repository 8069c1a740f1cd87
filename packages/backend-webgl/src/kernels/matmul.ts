import type { MatmulCall } from "@loom/graph";
import { glslInt } from "../render-glsl";
import type { GlslLibraryKernel } from "./kernel";

/**
 * Batched matrix product `[...batch, m, k] x [...batch, k, n] -> [...batch, m, n]`: each
 * fragment is one output element, a dot product over k in the reference's order. `transA` /
 * `transB` mean the operand is stored with its last two axes swapped (as `inShapes` give
 * it), so a transposed operand is read in place through its strides.
 */
export const matmulGlsl: GlslLibraryKernel<MatmulCall> = ({ inShapes, outShape, call }) => {
  const { transA, transB } = call;
  const r = outShape.length;
  const m = outShape[r - 2]!;
  const n = outShape[r - 1]!;
  const k = inShapes[0]![transA ? r - 2 : r - 1]!;
  // Strides of the row and inner indices of each operand, as stored.
  const [ai, ap] = transA ? [1, m] : [k, 1];
  const [bp, bj] = transB ? [1, k] : [n, 1];
  const I = glslInt;
  return `float lib(int pos) {
  int j = pos % ${I(n)};
  int i = (pos / ${I(n)}) % ${I(m)};
  int b = pos / ${I(m * n)};
  int ao = b * ${I(m * k)} + i * ${I(ai)};
  int bo = b * ${I(k * n)} + j * ${I(bj)};
  float acc = 0.0;
  for (int p = 0; p < ${I(k)}; p++) acc += ld0(ao + p * ${I(ap)}) * ld1(bo + p * ${I(bp)});
  return acc;
}`;
};
