import type { CpuBackendOptions } from "./cpu-backend";
import { defaultThreads, threadsAvailable } from "./kernels/threads";
import {
  relaxedSimdAvailable,
  wasmSimdAvailable,
  wasmThreadsAvailable,
} from "./kernels/wasm/modules";

/** What a CPU backend's matmul and convolution kernels run on in this runtime. */
export interface CpuKernelsInfo {
  /** WebAssembly SIMD kernels (else the JS ones). */
  readonly wasm: boolean;
  /** Fused multiply-adds (relaxed SIMD). */
  readonly relaxedSimd: boolean;
  /** Threads a large call is split between, the calling one included. */
  readonly threads: number;
}

/**
 * What `cpuBackend(opts)` would run its kernels on here: wasm where WebAssembly SIMD validates,
 * on several threads where worker threads exist (and, for wasm, a shared memory: wasm threads).
 * For status lines (the web app shows it beside the CPU backend).
 */
export const cpuKernelsInfo = (opts: CpuBackendOptions = {}): CpuKernelsInfo => {
  const wasm = (opts.wasm ?? true) && wasmSimdAvailable();
  // The pool has defaultThreads() - 1 workers, so no call uses more threads than that.
  const most = Math.min(opts.threads ?? defaultThreads(), defaultThreads());
  const threaded = wasm ? wasmThreadsAvailable() : threadsAvailable();
  return {
    wasm,
    relaxedSimd: wasm && (opts.relaxedSimd ?? false) && relaxedSimdAvailable(),
    threads: threaded ? most : 1,
  };
};
