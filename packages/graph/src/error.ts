import * as E from "fp-ts/lib/Either.js";
import type { Shape } from "./shape";
import { formatShape } from "./shape";

/** Stable machine-readable error codes; tests and callers match on these, never on messages. */
export type LoomErrorCode =
  | "shape_mismatch"
  | "rank_mismatch"
  | "dtype_mismatch"
  | "invalid_attr"
  | "invalid_argument"
  | "invalid_option"
  | "unknown_op"
  | "invalid_graph"
  | "missing_feed"
  | "not_differentiable"
  | "unsupported"
  | "checkpoint_invalid"
  | "non_finite"
  | "io"
  | "too_large";

/** The one error type loom raises: what went wrong, in which op, on which shapes, and what to change. */
export class LoomError extends Error {
  override readonly name = "LoomError";
  /** An error of kind `code` raised by `op`, naming the offending `shapes` when there are any. */
  constructor(
    readonly code: LoomErrorCode,
    readonly op: string,
    message: string,
    readonly shapes: readonly Shape[] = [],
  ) {
    super(`${op}: ${message}`);
  }
}

/** A failed rule result: `Left(LoomError)` naming the op and the offending shapes. */
export const fail = <A = never>(
  code: LoomErrorCode,
  op: string,
  message: string,
  shapes: readonly Shape[] = [],
): E.Either<LoomError, A> => E.left(new LoomError(code, op, message, shapes));

/** Renders shapes for messages, e.g. `[32,784] x [512,10]`. */
export const showShapes = (shapes: readonly Shape[], sep = " x "): string =>
  shapes.map(formatShape).join(sep);

/** Unwraps a rule result at the public API edge, throwing its LoomError. */
export const orThrow = <A>(r: E.Either<LoomError, A>): A =>
  E.getOrElse<LoomError, A>((e) => {
    throw e;
  })(r);

/** Runs code that may throw a LoomError and turns it into an Either; other errors propagate. */
export const tryLoom = <A>(f: () => A): E.Either<LoomError, A> => {
  try {
    return E.right(f());
  } catch (e) {
    if (e instanceof LoomError) return E.left(e);
    throw e;
  }
};
