import * as E from "fp-ts/lib/Either.js";
import type { BuildNode, LibraryDef, MatmulCall, Node, TensorType } from "@loom/graph";
import { fail, formatShape, formatType, isFloat, showShapes } from "@loom/graph";
import type { NoAttrs } from "./rules";

/** Swaps the last two axes: the transposed view the VJP multiplies by (no copy after fusion). */
const swapLast = (prim: BuildNode, x: Node): Node => {
  const r = x.shape.length;
  const perm = x.shape.map((_, i) => (i < r - 2 ? i : i === r - 2 ? r - 1 : r - 2));
  return prim("transpose", [x], { perm });
};

/** The type rule of matmul, exported so the public API can report the user's own shapes first. */
export const matmulInfer = (inputs: readonly TensorType[]) => {
  const op = "matmul";
  const shapes = inputs.map((t) => t.shape);
  if (inputs.length !== 2) {
    return fail<TensorType>("invalid_argument", op, `takes 2 inputs, got ${inputs.length}`, shapes);
  }
  const [a, b] = [inputs[0]!, inputs[1]!];
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2 || ra !== rb) {
    return fail<TensorType>(
      "rank_mismatch",
      op,
      `operands must have equal ranks >= 2 ([...batch, m, k] x [...batch, k, n]), got ${showShapes(shapes)}; the public matmul promotes vectors and broadcasts batch dims`,
      shapes,
    );
  }
  if (a.dtype !== b.dtype || !isFloat(a.dtype)) {
    return fail<TensorType>(
      "dtype_mismatch",
      op,
      `operands must share one float dtype, got ${formatType(a)} x ${formatType(b)}; cast them`,
      shapes,
    );
  }
  if (a.shape[ra - 1] !== b.shape[rb - 2]) {
    return fail<TensorType>(
      "shape_mismatch",
      op,
      `inner dims differ: ${showShapes(shapes)} (${a.shape[ra - 1]} vs ${b.shape[rb - 2]}); the last dim of a must equal the second-to-last of b: transpose one operand or fix the layer sizes`,
      shapes,
    );
  }
  const batch = a.shape.slice(0, -2);
  if (batch.some((d, i) => d !== b.shape[i])) {
    return fail<TensorType>(
      "shape_mismatch",
      op,
      `batch dims differ: ${formatShape(batch)} vs ${formatShape(b.shape.slice(0, -2))} in ${showShapes(shapes)}; broadcast them first (the public matmul does)`,
      shapes,
    );
  }
  return E.right<never, TensorType>({
    shape: [...batch, a.shape[ra - 2]!, b.shape[rb - 1]!],
    dtype: a.dtype,
  });
};

/**
 * `matmul(a, b)`: batched matrix product `[...batch, m, k] x [...batch, k, n] -> [...batch, m, n]`
 * with equal batch dims. Bilinear: `da = ct @ b^T`, `db = a^T @ ct`.
 */
export const matmul: LibraryDef<NoAttrs, MatmulCall> = {
  name: "matmul",
  fusion: "library",
  infer: (inputs) => matmulInfer(inputs),
  libraryCall: () => ({ kind: "matmul", transA: false, transB: false }),
  // A transposed operand (last two axes swapped) is read in place through its strides.
  readTransposed: (call, input) =>
    input === 0 ? { ...call, transA: true } : input === 1 ? { ...call, transB: true } : undefined,
  vjp: ({ prim, ct, inputs }) => {
    const [a, b] = [inputs[0]!, inputs[1]!];
    return [prim("matmul", [ct, swapLast(prim, b)]), prim("matmul", [swapLast(prim, a), ct])];
  },
};
