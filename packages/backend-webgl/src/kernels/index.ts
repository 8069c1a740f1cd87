import { avgPool2dGlsl } from "./avg-pool2d";
import { avgPool2dGradGlsl } from "./avg-pool2d-grad";
import { conv2dGlsl } from "./conv2d";
import { conv2dGradFilterGlsl } from "./conv2d-grad-filter";
import { conv2dGradInputGlsl } from "./conv2d-grad-input";
import type { GlslLibraryKernel } from "./kernel";
import { matmulGlsl } from "./matmul";
import { maxPool2dGlsl } from "./max-pool2d";
import { maxPool2dGradGlsl } from "./max-pool2d-grad";

/** The WebGL library kernels, by op name. */
export const GLSL_KERNELS: Readonly<Record<string, GlslLibraryKernel>> = {
  matmul: matmulGlsl,
  conv2d: conv2dGlsl,
  conv2d_grad_input: conv2dGradInputGlsl,
  conv2d_grad_filter: conv2dGradFilterGlsl,
  max_pool2d: maxPool2dGlsl,
  max_pool2d_grad: maxPool2dGradGlsl,
  avg_pool2d: avgPool2dGlsl,
  avg_pool2d_grad: avgPool2dGradGlsl,
};
