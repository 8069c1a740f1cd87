import type { MatmulCall } from "@loom/graph";

/** The sizes of a batched matmul: `batch` products of `[m, k] x [k, n]`. */
export interface MatmulDims {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/**
 * Reads a matmul's sizes from its output shape and A's stored shape (`[..., k, m]` when
 * `transA`: the fusion pass folded a transpose into the call). Equal batch dims: broadcasting
 * happened in the graph.
 */
export const matmulDims = (
  call: MatmulCall,
  aShape: readonly number[],
  outShape: readonly number[],
): MatmulDims => {
  const r = outShape.length;
  let batch = 1;
  for (let i = 0; i < r - 2; i++) batch *= outShape[i]!;
  return {
    batch,
    m: outShape[r - 2]!,
    n: outShape[r - 1]!,
    k: call.transA ? aShape[r - 2]! : aShape[r - 1]!,
  };
};
