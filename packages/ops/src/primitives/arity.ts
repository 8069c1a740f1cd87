import type * as E from "fp-ts/lib/Either.js";
import type { LoomError, TensorType } from "@loom/graph";
import { fail } from "@loom/graph";

const COUNTS = ["no inputs", "one input"];

/** The failure of an op given other than `n` inputs (with their shapes), or undefined. */
export const arityFailure = (
  op: string,
  inputs: readonly TensorType[],
  n: number,
): E.Either<LoomError, never> | undefined =>
  inputs.length === n
    ? undefined
    : fail(
        "invalid_argument",
        op,
        `takes ${COUNTS[n] ?? `${n} inputs`}, got ${inputs.length}`,
        inputs.map((t) => t.shape),
      );
