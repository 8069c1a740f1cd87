import type { LibraryKernels } from "../kernel";
import { conv2dGradFilterReference, conv2dGradInputReference, conv2dReference } from "./conv2d";
import { matmulReference } from "./matmul";
import {
  avgPool2dGradReference,
  avgPool2dReference,
  maxPool2dGradReference,
  maxPool2dReference,
} from "./pool";

/** The naive reference kernels of every library op, by call kind. */
export const REFERENCE_KERNELS: LibraryKernels = {
  matmul: matmulReference,
  conv2d: conv2dReference,
  conv2d_grad_input: conv2dGradInputReference,
  conv2d_grad_filter: conv2dGradFilterReference,
  max_pool2d: maxPool2dReference,
  max_pool2d_grad: maxPool2dGradReference,
  avg_pool2d: avgPool2dReference,
  avg_pool2d_grad: avgPool2dGradReference,
};
