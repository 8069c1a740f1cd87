import type { Node } from "@loom/graph";
import { DTYPES, formatType, LoomError } from "@loom/graph";
import { isHostTensor } from "./host";
import { describeValue } from "./values";

/** True for graph nodes (as opposed to numbers or host data). */
export const isTensor = (x: unknown): x is Node =>
  typeof x === "object" && x !== null && "op" in x && "inputs" in x && "shape" in x;

/** What to do with host data given to a graph function: the one advice every such error gives. */
export const GRAPH_FUNCTION_ADVICE =
  "this is a graph function: call it inside compile(...) (or trace, grad, valueAndGrad), or use predict(model, params, state) to run a model on host data";

/** A short description of host data (`a host tensor f32[2,3]`, `an array of 2 numbers`, `an Int32Array`), or undefined for anything else. */
export const describeHostData = (x: unknown): string | undefined => {
  if (isHostTensor(x))
    return DTYPES.includes(x.dtype)
      ? `a host tensor ${formatType({ shape: x.shape, dtype: x.dtype })}`
      : "a host tensor";
  if (ArrayBuffer.isView(x))
    return `${/^[AEIOU]/.test(x.constructor.name) ? "an" : "a"} ${x.constructor.name}`;
  if (Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === "number"))
    return `an array of ${x.length} numbers`;
  return undefined;
};

/** True for values on the host that a graph function cannot take: host tensors, typed arrays, arrays of numbers. */
export const isHostData = (x: unknown): boolean => describeHostData(x) !== undefined;

/**
 * The LoomError for `what` (an operand, a layer's param) of `op` that is not a graph tensor:
 * host data gets the graph-function advice, anything else a plain description.
 */
export const notATensor = (op: string, x: unknown, what = "operand"): LoomError => {
  const host = describeHostData(x);
  return host === undefined
    ? new LoomError("invalid_argument", op, `${what} is ${describeValue(x)}; expected a tensor`)
    : new LoomError(
        "invalid_argument",
        op,
        `${what} is ${host}, values on the host, not a graph tensor: ${GRAPH_FUNCTION_ADVICE}`,
        isHostTensor(x) ? [x.shape] : [],
      );
};

/** Throws a LoomError of `op` unless `x` is a graph tensor. */
export const checkTensor = (op: string, x: unknown, what = "operand"): void => {
  if (!isTensor(x)) throw notATensor(op, x, what);
};

/** Throws a LoomError of `op` unless `x` is a tensor-like operand (a graph tensor or a number). */
export const checkOperand = (op: string, x: unknown): void => {
  if (typeof x !== "number") checkTensor(op, x);
};
