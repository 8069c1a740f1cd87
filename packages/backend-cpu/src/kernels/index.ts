import type { LibraryKernelImpl } from "./kernel";
import { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
import { makeMatmulKernel } from "./matmul";
import {
  makeAvgPool2dGradKernel,
  makeAvgPool2dKernel,
  makeMaxPool2dGradKernel,
  makeMaxPool2dKernel,
} from "./pool";

export { makeMatmulKernel } from "./matmul";
export { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
export {
  makeAvgPool2dGradKernel,
  makeAvgPool2dKernel,
  makeMaxPool2dGradKernel,
  makeMaxPool2dKernel,
} from "./pool";

/**
 * A fresh set of the fast library kernels, by op name. Each kernel caches its scratch buffers
 * (grow-only) in its closure, so an executable may own one set; sharing a set is also safe,
 * since kernels run synchronously and keep no reference to their arguments between calls.
 */
export const makeFastKernels = (): Readonly<Record<string, LibraryKernelImpl>> => ({
  matmul: makeMatmulKernel(),
  conv2d: makeConv2dKernel(),
  conv2d_grad_input: makeConv2dGradInputKernel(),
  conv2d_grad_filter: makeConv2dGradFilterKernel(),
  max_pool2d: makeMaxPool2dKernel(),
  max_pool2d_grad: makeMaxPool2dGradKernel(),
  avg_pool2d: makeAvgPool2dKernel(),
  avg_pool2d_grad: makeAvgPool2dGradKernel(),
});

/** The optimised library kernels of the CPU backend (same signatures as REFERENCE_KERNELS). */
export const FAST_KERNELS: Readonly<Record<string, LibraryKernelImpl>> = makeFastKernels();
