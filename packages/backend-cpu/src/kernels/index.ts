import type { LibraryKernels } from "./kernel";
import { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
import { makeMatmulKernel } from "./matmul";
import type { ThreadOptions } from "./parallel";
import { resolveThreading } from "./parallel";
import { BLOCKING, relaxedSimdAvailable, WasmGemm, wasmSimdAvailable } from "./wasm/wasm-gemm";
import { makeWasmMatmulKernel } from "./wasm/wasm-matmul";
import {
  makeWasmConv2dGradFilterKernel,
  makeWasmConv2dGradInputKernel,
  makeWasmConv2dKernel,
} from "./wasm/wasm-conv";
import {
  makeAvgPool2dGradKernel,
  makeAvgPool2dKernel,
  makeMaxPool2dGradKernel,
  makeMaxPool2dKernel,
} from "./pool";

export { makeMatmulKernel } from "./matmul";
export type { ThreadOptions } from "./parallel";
export { defaultThreads, threadsAvailable } from "./threads";
export { relaxedSimdAvailable, wasmSimdAvailable, wasmThreadsAvailable } from "./wasm/wasm-gemm";

/** Options of a kernel set: threads, and which instruction set runs matmul and the convolutions. */
export interface FastKernelOptions extends ThreadOptions {
  /**
   * Matmul and the convolutions on the WebAssembly SIMD kernels where the runtime has
   * WebAssembly SIMD (default true); false keeps the JS kernels. Float64 calls always run in JS.
   */
  readonly wasm?: boolean;
  /**
   * Fused multiply-adds (relaxed SIMD's `f32x4.relaxed_madd`) where the runtime has them: faster,
   * but results may differ in the last bits between machines. Default false (deterministic).
   */
  readonly relaxedSimd?: boolean;
}
export { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
export {
  makeAvgPool2dGradKernel,
  makeAvgPool2dKernel,
  makeMaxPool2dGradKernel,
  makeMaxPool2dKernel,
} from "./pool";

/**
 * A fresh set of the fast library kernels, by call kind. Each kernel caches its scratch buffers
 * (grow-only) in its closure, so an executable may own one set; sharing a set is also safe,
 * since kernels run synchronously and keep no reference to their arguments between calls.
 * `threads` (default: one per core, see `defaultThreads`) is how many threads the matmul and
 * convolution kernels may use, the calling one included; 1 keeps them on the calling thread;
 * `pool` the workers they split calls between, which the caller owns and closes. With
 * WebAssembly SIMD (and `wasm` not false) matmul and the convolutions run the wasm kernels,
 * float64 calls excepted: their GEMMs split between the pool's threads on a shared memory where
 * `wasmThreadsAvailable`, else on the calling thread.
 */
export const makeFastKernels = (opts: FastKernelOptions): LibraryKernels => {
  const js: LibraryKernels = {
    matmul: makeMatmulKernel(opts),
    conv2d: makeConv2dKernel("auto", opts),
    conv2d_grad_input: makeConv2dGradInputKernel("auto", opts),
    conv2d_grad_filter: makeConv2dGradFilterKernel("auto", opts),
    max_pool2d: makeMaxPool2dKernel(),
    max_pool2d_grad: makeMaxPool2dGradKernel(),
    avg_pool2d: makeAvgPool2dKernel(),
    avg_pool2d_grad: makeAvgPool2dGradKernel(),
  };
  if (!(opts.wasm ?? true) || !wasmSimdAvailable()) return js;
  // One memory per kernel set (its kernels run one at a time), shared with the pool's workers
  // where wasm threads are available.
  const relaxed = (opts.relaxedSimd ?? false) && relaxedSimdAvailable();
  const g = new WasmGemm(relaxed, BLOCKING, resolveThreading(opts));
  return {
    ...js,
    matmul: makeWasmMatmulKernel(g, js.matmul),
    conv2d: makeWasmConv2dKernel(g, js.conv2d),
    conv2d_grad_input: makeWasmConv2dGradInputKernel(g, js.conv2d_grad_input),
    conv2d_grad_filter: makeWasmConv2dGradFilterKernel(g, js.conv2d_grad_filter),
  };
};
