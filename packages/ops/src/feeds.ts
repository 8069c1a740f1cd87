import type { DType, Shape } from "@loom/graph";
import { formatShape, isConcrete, LoomError, ownValue } from "@loom/graph";
import { describeHostData, isTensor } from "./graph-operand";
import { isRunValue } from "./device";
import type { PathLeaf } from "./pytree";
import { describeValue } from "./values";

const at = (tree: unknown, path: string): unknown =>
  path === ""
    ? tree
    : path
        .split(".")
        .reduce<unknown>(
          (t, k) =>
            typeof t === "object" && t !== null
              ? ownValue(t as Readonly<Record<string, unknown>>, k)
              : undefined,
          tree,
        );

/** What a non-host-tensor feed is, for the message: `an array of 2 numbers`, `a graph tensor`. */
const describeFeed = (v: unknown): string =>
  isTensor(v) ? "a graph tensor" : (describeHostData(v) ?? describeValue(v));

/**
 * Checks that every input a compiled function's specs name is fed a host (or device) tensor, with a message
 * saying how to make one: plain numbers (`{ y: [3, 7] }`) would otherwise fail as a pytree
 * error about `y.0`, and a graph tensor as a missing feed. `inputs` are the specs' leaves by path;
 * missing feeds are left to the run.
 */
export const checkFeeds = (
  inputs: readonly PathLeaf<{ readonly shape: Shape; readonly dtype?: DType }>[],
  feeds: unknown,
): void => {
  for (const { path, leaf } of inputs) {
    const v = at(feeds, path);
    if (v === undefined || isRunValue(v)) continue;
    const shape = isConcrete(leaf.shape) ? JSON.stringify(leaf.shape) : "shape";
    const dtype = leaf.dtype !== undefined && leaf.dtype !== "float32" ? `, "${leaf.dtype}"` : "";
    throw new LoomError(
      "invalid_argument",
      "run",
      isTensor(v)
        ? `input "${path || "input"}" is a graph tensor: a compiled function runs on host data; give hostTensor(values, ${shape}${dtype}) (graph tensors only exist inside the traced function)`
        : `input "${path || "input"}" ${formatShape(leaf.shape)} is ${describeFeed(v)}, not a host tensor; wrap the values: hostTensor(values, ${shape}${dtype})`,
      [leaf.shape],
    );
  }
};
