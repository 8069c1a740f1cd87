import type { DType } from "./dtype";
import type { Expr } from "./expr";
import type { LibraryCall } from "./library-call";

/** A buffer of a plan: a graph input, an output, a constant, or a temporary. */
export interface BufferInfo {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly kind: "input" | "constant" | "temp";
  /** Constant contents (length = element count, or 1 for a splat). */
  readonly data?: readonly number[];
  /** Arena placement from the memory planner (byte offset on the CPU, texture slot in WebGL). */
  readonly slot?: number;
}

/**
 * A kernel writes one buffer: `out[i] = expr(i)` for every index `i` of `shape`, where `load k`
 * in `expr` reads `inputs[k]`. Reductions appear inside `expr` as `reduce` nodes.
 */
export interface ExprKernel {
  readonly kind: "expr";
  readonly out: number;
  readonly inputs: readonly number[];
  readonly shape: readonly number[];
  readonly expr: Expr;
  /** The graph nodes (topological numbers) this kernel computes, for inspection. */
  readonly nodes: readonly number[];
}

/**
 * A library kernel (matmul, convolution, pooling) implemented by hand in each backend. Its
 * optional epilogue is applied to each accumulated element: `load 0` is the accumulator,
 * `load k` (k >= 1) reads `epilogueInputs[k-1]` at the output index.
 */
export interface LibraryKernel {
  readonly kind: "library";
  /** What to run, typed per library op (`call.kind` is the op's name). */
  readonly call: LibraryCall;
  readonly out: number;
  readonly inputs: readonly number[];
  readonly shape: readonly number[];
  /** The logical shapes of the inputs when they differ from their buffers' (a reshape read in place). */
  readonly inputShapes?: readonly (readonly number[])[];
  readonly epilogue?: { readonly expr: Expr; readonly inputs: readonly number[] };
  /** The op's `overwrites`: the position in `inputs` the output may be written over. */
  readonly overwrites?: number;
  readonly nodes: readonly number[];
}

/** One step of a plan. */
export type Kernel = ExprKernel | LibraryKernel;

/** What a backend compiles: the buffers, the kernels in order, and which buffers are the graph's inputs and outputs. */
export interface Plan {
  readonly buffers: readonly BufferInfo[];
  readonly kernels: readonly Kernel[];
  readonly inputs: Readonly<Record<string, number>>;
  readonly outputs: Readonly<Record<string, number>>;
  /** Arena size in bytes when memory has been planned. */
  readonly arenaBytes?: number;
}
