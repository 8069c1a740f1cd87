import type { Attrs, TypedArray } from "@loom/graph";

/** What a library kernel receives: its input buffers and shapes, the output to fill, the op's attributes. */
export interface LibraryCall {
  readonly inputs: readonly TypedArray[];
  readonly inShapes: readonly (readonly number[])[];
  readonly out: TypedArray;
  readonly outShape: readonly number[];
  readonly attrs: Attrs;
}

/** A hand-written kernel for one library op (matmul, convolution, pooling). */
export type LibraryKernelImpl = (call: LibraryCall) => void;
