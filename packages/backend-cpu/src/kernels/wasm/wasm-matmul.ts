import type { MatmulCall } from "@loom/graph";
import type { LibraryKernelImpl } from "../kernel";
import type { WasmGemm } from "./wasm-gemm";
import { MR, roundUp } from "./wasm-gemm";
import { matmulDims } from "../matmul-dims";

/**
 * Batched matmul on the WebAssembly GEMM (float32; other dtypes go to `fallback`, the JS
 * kernel). Per product, A and B are copied into the module's memory as they are (a transposed
 * operand only swaps its strides while packing) and C is copied out of a padded block.
 */
export const makeWasmMatmulKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<MatmulCall>,
): LibraryKernelImpl<MatmulCall> => {
  return (args) => {
    const { inputs, inShapes, out, outShape, call } = args;
    const [a, b] = inputs;
    if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
      return fallback(args);
    }
    const { transA, transB } = call;
    const { batch, m, n, k } = matmulDims(call, inShapes[0]!, outShape);
    const [aRs, aCs] = transA ? [1, m] : [k, 1];
    const [bRs, bCs] = transB ? [1, k] : [n, 1];
    const ldc = roundUp(n, 8);
    for (let t = 0; t < batch; t++) {
      g.reset();
      const pa = g.put(a, t * m * k, m * k);
      const pb = g.put(b, t * k * n, k * n);
      const pc = g.alloc(roundUp(m, MR) * ldc);
      if (k === 0) g.f32.fill(0, pc, pc + roundUp(m, MR) * ldc);
      g.gemm(m, n, k, pa, aRs, aCs, pb, bRs, bCs, pc, ldc, false);
      g.take(pc, ldc, m, n, out, t * m * n);
    }
  };
};
