/**
 * Executes lowered plans on typed arrays.
 *
 * @module \@loom/backend-cpu
 */
export * from "./eval-expr";
export * from "./interpreter";
export * from "./kernels/kernel";
export { REFERENCE_KERNELS } from "./kernels/reference";
export * from "./codegen";
export * from "./cpu-backend";
export * from "./cpu-info";
export {
  defaultThreads,
  makeFastKernels,
  relaxedSimdAvailable,
  threadsAvailable,
  wasmSimdAvailable,
  wasmThreadsAvailable,
} from "./kernels";
export type { FastKernelOptions, ThreadOptions } from "./kernels";
// For the kernel timings of apps/demo/src/bench/kernel-timing.ts: each convolution path alone, and the pool's start.
export { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./kernels";
export type { ConvPath } from "./kernels/conv2d";
export { kernelPool } from "./kernels/parallel";
