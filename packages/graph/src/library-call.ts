import type { Attrs } from "./node";

/**
 * The typed contract between lowering and every backend's hand-written kernels: one member
 * per library primitive, with the parameters its kernels need, already validated by the op's
 * type rule. A backend switches on `kind` and never reads a node's attribute bag.
 */

/** A pair of sizes along (height, width). */
export type Pair = readonly [number, number];

/** Paddings `[top, bottom, left, right]`. */
export type Pad4 = readonly [number, number, number, number];

/**
 * Batched matmul. `transA` / `transB`: that operand is stored with its last two axes swapped
 * (set by fusion when it folds a transpose into the call instead of copying the operand).
 */
export interface MatmulCall {
  readonly kind: "matmul";
  readonly transA: boolean;
  readonly transB: boolean;
}

/** The window of a convolution (and of its two gradients). */
export interface ConvParams {
  readonly stride: Pair;
  readonly pad: Pad4;
  readonly dilation: Pair;
  readonly groups: number;
}

/** `conv2d(x, w)`, NCHW x OIHW. */
export interface Conv2dCall extends ConvParams {
  readonly kind: "conv2d";
}

/** `conv2d_grad_input(dy, w)`: `inputShape` is the forward input's `[H, W]`. */
export interface Conv2dGradInputCall extends ConvParams {
  readonly kind: "conv2d_grad_input";
  readonly inputShape: Pair;
}

/** `conv2d_grad_filter(x, dy)`: `filterShape` is the filter's `[KH, KW]`. */
export interface Conv2dGradFilterCall extends ConvParams {
  readonly kind: "conv2d_grad_filter";
  readonly filterShape: Pair;
}

/** The window of a pooling op. */
export interface PoolParams {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly pad: Pad4;
  /**
   * PyTorch's `ceil_mode`: the output size rounds up (absent: down). Kernels need not read it:
   * the shapes carry it, and an average's padded divisor is clipped to the padded input.
   */
  readonly ceilMode?: boolean;
}

/** `max_pool2d(x)`. */
export interface MaxPool2dCall extends PoolParams {
  readonly kind: "max_pool2d";
}

/** `max_pool2d_grad(x, dy)`: routes each window's cotangent to its first maximum. */
export interface MaxPool2dGradCall extends PoolParams {
  readonly kind: "max_pool2d_grad";
}

/** `avg_pool2d(x)`; `countIncludePad`: padded positions count in the divisor. */
export interface AvgPool2dCall extends PoolParams {
  readonly kind: "avg_pool2d";
  readonly countIncludePad: boolean;
}

/** `avg_pool2d_grad(dy)`: `inputShape` is the forward input's `[H, W]`. */
export interface AvgPool2dGradCall extends PoolParams {
  readonly kind: "avg_pool2d_grad";
  readonly countIncludePad: boolean;
  readonly inputShape: Pair;
}

/**
 * Every library call by kind. A backend's kernel table is a mapped type over these keys
 * (`{ [K in LibraryKind]: Kernel<LibraryCalls[K]> }`), so a missing kernel is a type error.
 */
export interface LibraryCalls {
  readonly matmul: MatmulCall;
  readonly conv2d: Conv2dCall;
  readonly conv2d_grad_input: Conv2dGradInputCall;
  readonly conv2d_grad_filter: Conv2dGradFilterCall;
  readonly max_pool2d: MaxPool2dCall;
  readonly max_pool2d_grad: MaxPool2dGradCall;
  readonly avg_pool2d: AvgPool2dCall;
  readonly avg_pool2d_grad: AvgPool2dGradCall;
}

/** The name of a library call (one per library primitive). */
export type LibraryKind = keyof LibraryCalls;

/** A library call: the discriminated union of every member of `LibraryCalls`. */
export type LibraryCall = LibraryCalls[LibraryKind];

/**
 * A call's parameters for printing, in the order the op's attributes are written; a matmul
 * shows only the transpose flags that are set (as the node it came from had none).
 */
export const libraryCallParams = (call: LibraryCall): Attrs => {
  if (call.kind === "matmul") {
    return {
      ...(call.transA ? { transA: true } : {}),
      ...(call.transB ? { transB: true } : {}),
    };
  }
  const { kind: _kind, ...params } = call;
  return params;
};
