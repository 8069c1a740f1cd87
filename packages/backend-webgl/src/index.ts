/**
 * Executes lowered plans as WebGL2 fragment shaders on float textures.
 *
 * @module \@loom/backend-webgl
 */
export * from "./webgl-backend";
export * from "./auto-backend";
export * from "./renderer";
export { RENDER_GLSL, glslType, glslConst } from "./render-glsl";
export { renderExpr } from "./glsl-expr";
export type { RenderedExpr, RenderLoad } from "./glsl-expr";
export { GLSL_KERNELS } from "./kernels";
export { glslOfPlan } from "./kernel-source";
export { splitWideKernels } from "./split-wide-kernels";
export type { GlslLibraryArgs, GlslLibraryKernel, GlslLibraryKernels } from "./kernels/kernel";
export type { WebGLTarget } from "./context";
