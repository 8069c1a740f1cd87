import type { MatmulCall } from "@loom/graph";
import type { LibraryKernelImpl } from "../kernel";
import { matmulDims } from "../matmul-dims";

/**
 * Batched matrix product `[...batch, m, k] x [...batch, k, n] -> [...batch, m, n]` (equal batch
 * dims: broadcasting happened in the graph). The triple loop of the definition. `transA` /
 * `transB` (set by fusion) mean the operand is stored with its last two axes swapped
 * (`[..., k, m]` / `[..., n, k]`, as `inShapes` give it), read in place instead of copied.
 */
export const matmulReference: LibraryKernelImpl<MatmulCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const [a, b] = [inputs[0]!, inputs[1]!];
  const { transA, transB } = call;
  const { batch, m, n, k } = matmulDims(call, inShapes[0]!, outShape);
  // Strides of the row and inner indices of each operand, as stored.
  const [ai, ap] = transA ? [1, m] : [k, 1];
  const [bp, bj] = transB ? [1, k] : [n, 1];
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * m * k;
    const bOff = bi * k * n;
    const oOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[aOff + i * ai + p * ap]! * b[bOff + p * bp + j * bj]!;
        out[oOff + i * n + j] = acc;
      }
    }
  }
};
