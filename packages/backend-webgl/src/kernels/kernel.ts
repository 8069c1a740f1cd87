import type { LibraryCall, LibraryCalls, LibraryKind } from "@loom/graph";

/** What a library kernel's shader is generated from: the logical input shapes, the output shape, the typed call. */
export interface GlslLibraryArgs<C extends LibraryCall = LibraryCall> {
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  readonly call: C;
}

/**
 * A hand-written library kernel for WebGL: GLSL source defining `float lib(int pos)`, the
 * accumulated value of output element `pos` (a flat row-major index), reading input k with
 * `ldK(flatIndex)`. The shader frame applies the epilogue and stores the result; shapes and
 * the call's parameters are baked into the source as constants.
 */
export type GlslLibraryKernel<C extends LibraryCall = LibraryCall> = (
  args: GlslLibraryArgs<C>,
) => string;

/** One shader generator per library call kind: a mapped type, so a missing kernel is a type error. */
export type GlslLibraryKernels = {
  readonly [K in LibraryKind]: GlslLibraryKernel<LibraryCalls[K]>;
};
