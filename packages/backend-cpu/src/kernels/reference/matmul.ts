import type { LibraryKernelImpl } from "../kernel";

/**
 * Batched matrix product `[...batch, m, k] x [...batch, k, n] -> [...batch, m, n]` (equal batch
 * dims: broadcasting happened in the graph). The triple loop of the definition.
 */
export const matmulReference: LibraryKernelImpl = ({ inputs, inShapes, out, outShape }) => {
  const [a, b] = [inputs[0]!, inputs[1]!];
  const r = outShape.length;
  const m = outShape[r - 2]!;
  const n = outShape[r - 1]!;
  const k = inShapes[0]![r - 1]!;
  const batch = outShape.slice(0, -2).reduce((p, d) => p * d, 1);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * m * k;
    const bOff = bi * k * n;
    const oOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[aOff + i * k + p]! * b[bOff + p * n + j]!;
        out[oOff + i * n + j] = acc;
      }
    }
  }
};
