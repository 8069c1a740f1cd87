import { avgPool2dGlsl } from "./avg-pool2d";
import { avgPool2dGradGlsl } from "./avg-pool2d-grad";
import { conv2dGlsl } from "./conv2d";
import { conv2dGradFilterGlsl } from "./conv2d-grad-filter";
import { conv2dGradInputGlsl } from "./conv2d-grad-input";
import { conv2dGradFilterTiled, conv2dGradInputTiled, conv2dTiled } from "./conv-tiled";
import type { LibraryCalls, LibraryKind } from "@loom/graph";
import type { GlslLibraryKernel, GlslLibraryKernels } from "./kernel";
import { matmulGlsl } from "./matmul";
import { matmulTiled } from "./matmul-tiled";
import type { TiledGenerator, TiledGenerators } from "./tiled";
import { maxPool2dGlsl } from "./max-pool2d";
import { maxPool2dGradGlsl } from "./max-pool2d-grad";
import { maxPool2dGradTiled } from "./max-pool2d-grad-tiled";

/** The WebGL library kernels, by call kind. */
export const GLSL_KERNELS: GlslLibraryKernels = {
  matmul: matmulGlsl,
  conv2d: conv2dGlsl,
  conv2d_grad_input: conv2dGradInputGlsl,
  conv2d_grad_filter: conv2dGradFilterGlsl,
  max_pool2d: maxPool2dGlsl,
  max_pool2d_grad: maxPool2dGradGlsl,
  avg_pool2d: avgPool2dGlsl,
  avg_pool2d_grad: avgPool2dGradGlsl,
};

/** The shader functions of a library call; indexed through the kind's type so the call's type follows it. */
export const glslKernelFor = <K extends LibraryKind>(kind: K): GlslLibraryKernel<LibraryCalls[K]> =>
  GLSL_KERNELS[kind];

/** The multi-pass kernels (register-tiled GEMMs, pooling gradients with a per-window prepass), for the call kinds that have one (the others run one fragment per output element). */
export const TILED_KERNELS: TiledGenerators = {
  matmul: matmulTiled,
  conv2d: conv2dTiled,
  conv2d_grad_input: conv2dGradInputTiled,
  conv2d_grad_filter: conv2dGradFilterTiled,
  max_pool2d_grad: maxPool2dGradTiled,
};

/** The tiled generator of a call kind, if it has one. */
export const tiledKernelFor = <K extends LibraryKind>(
  kind: K,
): TiledGenerator<LibraryCalls[K]> | undefined =>
  TILED_KERNELS[kind] as TiledGenerator<LibraryCalls[K]> | undefined;
