/** @loom/backend-cpu: executes lowered plans on typed arrays. */
export * from "./eval-expr";
export * from "./interpreter";
export * from "./kernels/kernel";
export { REFERENCE_KERNELS } from "./kernels/reference";
export * from "./codegen";
export * from "./cpu-backend";
export { defaultThreads, FAST_KERNELS, makeFastKernels, threadsAvailable } from "./kernels";
export type { ThreadOptions } from "./kernels";
