import type { LibraryKernels } from "./kernel";
import { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
import { makeMatmulKernel } from "./matmul";
import type { ThreadOptions } from "./parallel";
import {
  makeAvgPool2dGradKernel,
  makeAvgPool2dKernel,
  makeMaxPool2dGradKernel,
  makeMaxPool2dKernel,
} from "./pool";

export { makeMatmulKernel } from "./matmul";
export type { ThreadOptions } from "./parallel";
export { defaultThreads, threadsAvailable } from "./threads";
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
 * `pool` the workers they split calls between, which the caller owns and closes.
 */
export const makeFastKernels = (opts: ThreadOptions): LibraryKernels => ({
  matmul: makeMatmulKernel(opts),
  conv2d: makeConv2dKernel("auto", opts),
  conv2d_grad_input: makeConv2dGradInputKernel("auto", opts),
  conv2d_grad_filter: makeConv2dGradFilterKernel("auto", opts),
  max_pool2d: makeMaxPool2dKernel(),
  max_pool2d_grad: makeMaxPool2dGradKernel(),
  avg_pool2d: makeAvgPool2dKernel(),
  avg_pool2d_grad: makeAvgPool2dGradKernel(),
});
