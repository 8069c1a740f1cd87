import type { Attrs } from "@loom/graph";

/** What a library kernel's shader is generated from: the logical input shapes, the output shape, the op's attributes. */
export interface GlslLibraryCall {
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  readonly attrs: Attrs;
}

/**
 * A hand-written library kernel for WebGL: GLSL source defining `float lib(int pos)`, the
 * accumulated value of output element `pos` (a flat row-major index), reading input k with
 * `ldK(flatIndex)`. The shader frame applies the epilogue and stores the result; shapes and
 * attributes are baked into the source as constants.
 */
export type GlslLibraryKernel = (call: GlslLibraryCall) => string;
