import type { LibraryCall, LibraryCalls, LibraryKind, TypedArray } from "@loom/graph";

/** What a library kernel receives: its input buffers and shapes, the output to fill, the typed call. */
export interface LibraryArgs<C extends LibraryCall = LibraryCall> {
  readonly inputs: readonly TypedArray[];
  readonly inShapes: readonly (readonly number[])[];
  readonly out: TypedArray;
  readonly outShape: readonly number[];
  readonly call: C;
}

/** A hand-written kernel for one library op (matmul, convolution, pooling). */
export type LibraryKernelImpl<C extends LibraryCall = LibraryCall> = (args: LibraryArgs<C>) => void;

/** One kernel per library call kind: a mapped type, so a missing kernel is a type error. */
export type LibraryKernels = { readonly [K in LibraryKind]: LibraryKernelImpl<LibraryCalls[K]> };

/** The kernel of `kind` in a set; indexed through the kind's type so the call's type follows it. */
export const kernelFor = <K extends LibraryKind>(
  kernels: LibraryKernels,
  kind: K,
): LibraryKernelImpl<LibraryCalls[K]> => kernels[kind];
